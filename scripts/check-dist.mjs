// npm run check-dist: rebuild into a temporary folder and fail when the committed dist/ or action-docs/
// differ from what the sources produce.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from './actions.mjs';

function listFiles(dir) {
  const files = [];
  const walk = (d) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(dir, path));
    }
  };
  try {
    walk(dir);
  } catch {
    // A missing folder compares as empty.
  }
  return files.sort();
}

function compare(expectedDir, actualDir, label) {
  const problems = [];
  const expected = listFiles(expectedDir);
  const actual = listFiles(actualDir);
  for (const file of new Set([...expected, ...actual])) {
    if (!expected.includes(file)) problems.push(`${label}/${file} is committed but no longer built`);
    else if (!actual.includes(file)) problems.push(`${label}/${file} is built but not committed`);
    else if (!readFileSync(join(expectedDir, file)).equals(readFileSync(join(actualDir, file)))) {
      problems.push(`${label}/${file} differs from a fresh build`);
    }
  }
  return problems;
}

const temp = mkdtempSync(join(tmpdir(), 'slotline-check-dist-'));
try {
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'scripts', 'build.mjs'),
      '--out',
      join(temp, 'dist'),
      '--docs',
      join(temp, 'action-docs'),
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const problems = [
    ...compare(join(temp, 'dist'), join(repoRoot, 'dist'), 'dist'),
    ...compare(join(temp, 'action-docs'), join(repoRoot, 'action-docs'), 'action-docs'),
  ];
  if (problems.length > 0) {
    console.error(
      `check-dist: the committed output is stale; run "npm run build" and commit.\n  ${problems.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log('check-dist: dist/ and action-docs/ match a fresh build');
} finally {
  rmSync(temp, { recursive: true, force: true });
}
