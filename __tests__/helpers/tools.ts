import { execFileSync } from 'node:child_process';

/**
 * Fail (never skip) when a tool a test drives for real is missing: a missing tool is a broken machine,
 * and `.ci/run` / scripts/install-system-deps.sh must install it.
 */
export function requireTool(name: string, versionArgs: string[] = ['--version']): string {
  try {
    return execFileSync(name, versionArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    throw new Error(
      `required tool "${name}" is missing or broken (${(error as Error).message.split('\n')[0]}); install it with scripts/install-system-deps.sh`,
    );
  }
}
