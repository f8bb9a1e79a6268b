import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from './runner.js';

export const SECURITY_APP = join(repoRoot, '__tests__', 'fixtures', 'security-app');

/** PATH with the repo's node_modules/.bin first (tools the tests use; secretlint itself runs in-process). */
export const SCAN_PATH = [join(repoRoot, 'node_modules', '.bin'), process.env['PATH'] ?? ''].join(delimiter);

function randomFrom(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

export interface PlantedApp {
  dir: string;
  /** The AWS secret access key written to config/settings.ini: must never appear in any output. */
  secret: string;
  cleanup(): void;
}

/**
 * A temporary copy of the fixture app with a freshly generated, well-formed (and worthless) AWS key pair
 * in config/settings.ini. Generated here so the repository never stores a key-shaped string.
 */
export function plantSecurityApp(): PlantedApp {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-security-app-'));
  cpSync(SECURITY_APP, dir, { recursive: true });
  const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const keyId = `AKIA${randomFrom(upper, 16)}`;
  const secret = randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 40);
  mkdirSync(join(dir, 'config'));
  writeFileSync(
    join(dir, 'config', 'settings.ini'),
    `[default]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nregion = westeurope\n`,
  );
  return { dir, secret, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** 1-based line of the first line containing `text`. */
export function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${text} not found in ${file}`);
  return index + 1;
}

/** Insert lines at the top of a file (after a shebang), to move every finding down. */
export function shiftLines(file: string, count: number, comment = '#'): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines[0]?.startsWith('#!') ? 1 : 0;
  lines.splice(at, 0, ...Array.from({ length: count }, (_, i) => `${comment} inserted line ${i + 1}`));
  writeFileSync(file, lines.join('\n'));
}
