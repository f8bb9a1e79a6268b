// The one list of actions: every folder under actions/ with an action.yml. Build, check-dist, docs and
// the contract tests all read it, so adding an action means adding its folder and nothing else.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function actionNames() {
  return readdirSync(join(repoRoot, 'actions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, 'actions', entry.name, 'action.yml')))
    .map((entry) => entry.name)
    .sort();
}
