import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';

/**
 * The reference app's own pytest suite (Debian's python3-pytest and python3-flask), run as part of
 * `npm test`. The suite starts real PostgreSQL and Redis servers on free loopback ports itself.
 * Debian's interpreter is used on purpose: a pyenv or venv python3 earlier on PATH lacks the Debian
 * packages the app is tested against (and the base image is built from).
 */
const PYTHON = '/usr/bin/python3';

test('examples/flask-app: pytest passes', async () => {
  const appDir = join(repoRoot, 'examples', 'flask-app');
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--color=no', 'tests'], {
      cwd: appDir,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error) =>
      reject(new Error(`could not start ${PYTHON}: ${error.message}; run scripts/install-system-deps.sh`)),
    );
    child.once('close', (code) => resolve({ code, output }));
  });
  if (code !== 0) throw new Error(`pytest exited with ${code}:\n${output.slice(-6000)}`);
  expect(output).toMatch(/\d+ passed/);
  // A skipped or erroring pytest case must fail here too, as skipped jest tests fail the suite.
  expect(output).not.toMatch(/skipped|error/i);
}, 120_000);
