// Release engineering for slotline itself, run by .github/workflows/publish-release.yml on a pushed
// vX.Y.Z tag (and by hand, from a clone):
//
//   node scripts/release.mjs check <tag> [--branch <ref>] [--changelog <file>]
//     The tag is a strict vX.Y.Z, points at a commit on <ref> (default main), is not below a release
//     already tagged in its major, and CHANGELOG.md has its "## [X.Y.Z] - YYYY-MM-DD" section.
//   node scripts/release.mjs notes <tag> [--changelog <file>]
//     Prints that CHANGELOG.md section (the release body).
//   node scripts/release.mjs move-major <tag> [--push <remote>]
//     Points the lightweight major tag vX at the tag's commit (creates or force-moves it; never to a
//     release below the newest in the major, never for a pre-release), prints what moved from where to
//     where, and with --push force-pushes vX to <remote>, leased on the remote's value read first.
//
// The tag is checked before git runs at all. git runs in the current directory through execFile (no
// shell), each call with a timeout. Any failure: one line on stderr naming the input, exit 1.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import semver from 'semver';

const LOCAL_TIMEOUT_MS = 30_000;
const NETWORK_TIMEOUT_MS = 120_000;
const STRICT = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

class ReleaseError extends Error {}
const fail = (message) => {
  throw new ReleaseError(message);
};

/** An input quoted for a one-line message: control characters escaped, long values cut. */
function quote(value) {
  const text = String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * The tag's version: a strict vX.Y.Z. A pre-release, build metadata, leading zeros and anything else are
 * refused before git runs.
 */
function parseTag(tag) {
  const version = typeof tag === 'string' && tag.startsWith('v') ? tag.slice(1) : '';
  if (!version || tag.includes('+') || semver.valid(version) !== version)
    fail(`${quote(tag)} is not a vX.Y.Z tag`);
  const parsed = semver.parse(version);
  if (parsed.prerelease.length > 0)
    fail(`${tag} is a pre-release; only a vX.Y.Z release is released here and moves v${parsed.major}`);
  return parsed;
}

function git(args, { timeout = LOCAL_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { timeout, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout.trim());
        // git's first "fatal:" or "error:" line says what went wrong; the lines after it give advice.
        const lines = String(stderr)
          .split('\n')
          .filter((line) => line.trim() !== '');
        const why = error.killed
          ? `timed out after ${timeout / 1000} s`
          : (lines.find((line) => /^(fatal|error): /.test(line)) ?? lines[0] ?? error.message.split('\n')[0]);
        const failure = new ReleaseError(`git ${args[0]} failed: ${why}`);
        failure.code = error.code;
        reject(failure);
      },
    );
  });
}

/** The object a ref names (peeled to a commit with peel), or '' when there is none. */
async function resolve(ref, { peel = true } = {}) {
  try {
    return await git(['rev-parse', '--verify', '--quiet', peel ? `${ref}^{commit}` : ref]);
  } catch (error) {
    if (error.code === 1) return '';
    throw error;
  }
}

async function tagCommit(tag) {
  const commit = await resolve(`refs/tags/${tag}`);
  if (!commit) fail(`tag ${tag} does not exist here or does not point at a commit`);
  return commit;
}

/** Every release tag (strict vX.Y.Z) in the repository. */
async function releaseTags() {
  const names = (await git(['for-each-ref', '--format=%(refname:strip=2)', 'refs/tags/'])).split('\n');
  return names.filter((name) => STRICT.test(name));
}

/** The newest release tag of the major other than tag, when it is above tag's version. */
async function newerInMajor(tag, version) {
  const newer = (await releaseTags())
    .filter((name) => name !== tag && semver.major(name.slice(1)) === version.major)
    .filter((name) => semver.gt(name.slice(1), version))
    .sort((a, b) => semver.rcompare(a.slice(1), b.slice(1)));
  return newer[0];
}

/** A name for a commit in messages: its short hash and the newest release tag on it. */
async function describe(commit) {
  if (!commit) return '(none)';
  const tags = (await git(['tag', '--points-at', commit]))
    .split('\n')
    .filter((name) => STRICT.test(name))
    .sort((a, b) => semver.rcompare(a.slice(1), b.slice(1)));
  return tags.length > 0 ? `${commit.slice(0, 12)} (${tags[0]})` : commit.slice(0, 12);
}

/** The body of CHANGELOG's "## [X.Y.Z] - YYYY-MM-DD" section (Keep a Changelog), blank edges trimmed. */
function changelogSection(text, version, file = 'CHANGELOG.md') {
  const lines = text.split(/\r?\n/);
  const heading = `## [${version}]`;
  const starts = lines.flatMap((line, index) => (line.startsWith(`${heading}`) ? [index] : []));
  if (starts.length === 0) fail(`${file} has no "${heading} - YYYY-MM-DD" section`);
  if (starts.length > 1) fail(`${file} has ${starts.length} "${heading}" sections`);
  const start = starts[0];
  if (!/^\s+[-–]\s+\d{4}-\d{2}-\d{2}\s*$/.test(lines[start].slice(heading.length)))
    fail(`${file}: "${lines[start].trim()}" is not "${heading} - YYYY-MM-DD"`);
  let end = start + 1;
  // The section ends at the next level-2 heading, or at the link definitions at the bottom of the file.
  while (end < lines.length && !/^##\s/.test(lines[end]) && !/^\[[^\]]+\]:\s/.test(lines[end])) end++;
  const body = lines.slice(start + 1, end);
  while (body.length > 0 && body[0].trim() === '') body.shift();
  while (body.length > 0 && body.at(-1).trim() === '') body.pop();
  if (body.length === 0) fail(`${file}: the "${heading}" section is empty`);
  return body.join('\n');
}

function readChangelog(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`cannot read ${file}: ${error.code ?? error.message}`);
  }
}

const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

async function check(tag, options) {
  const version = parseTag(tag);
  const branch = options.branch ?? 'main';
  if (!REF.test(branch) || branch.includes('..')) fail(`--branch ${quote(branch)} is not a branch name`);
  const notes = changelogSection(readChangelog(options.changelog), version.version, options.changelog);
  const commit = await tagCommit(tag);
  const tip = await resolve(branch);
  if (!tip) fail(`--branch ${branch} does not exist here (fetch it: actions/checkout with fetch-depth: 0)`);
  try {
    await git(['merge-base', '--is-ancestor', commit, tip]);
  } catch (error) {
    if (error.code === 1) fail(`${tag} (${commit.slice(0, 12)}) is not on ${branch}`);
    throw error;
  }
  const newer = await newerInMajor(tag, version);
  if (newer) fail(`${tag} is below ${newer}, already released in v${version.major}`);
  console.log(
    `${tag}: ${commit.slice(0, 12)} on ${branch}, newest in v${version.major}, ` +
      `${options.changelog} section of ${notes.split('\n').length} line(s)`,
  );
}

function notes(tag, options) {
  const version = parseTag(tag);
  console.log(changelogSection(readChangelog(options.changelog), version.version, options.changelog));
}

async function moveMajor(tag, options) {
  const version = parseTag(tag);
  const remote = options.push;
  if (remote !== undefined && (!REF.test(remote) || remote.includes('/')))
    fail(`--push ${quote(remote)} is not a remote name`);
  const commit = await tagCommit(tag);
  const newer = await newerInMajor(tag, version);
  const major = `v${version.major}`;
  if (newer) fail(`${tag} is below ${newer}: ${major} stays where it is`);
  const ref = `refs/tags/${major}`;

  // The remote's value, read first (an unreachable remote changes nothing here) and leased by the push:
  // a push that raced another release's fails.
  let remoteObject = '';
  if (remote !== undefined) {
    const listed = await git(['ls-remote', '--tags', remote, ref], { timeout: NETWORK_TIMEOUT_MS });
    remoteObject =
      listed
        .split('\n')
        .find((line) => line.endsWith(`\t${ref}`))
        ?.split('\t')[0] ?? '';
  }

  const before = await resolve(ref);
  if (before === commit && (await resolve(ref, { peel: false })) === commit)
    console.log(`${major}: already at ${await describe(commit)}`);
  else {
    await git(['tag', '--force', '--no-sign', major, commit]);
    console.log(`${major}: ${await describe(before)} -> ${await describe(commit)}`);
  }
  if (remote === undefined) return;
  if (remoteObject === commit) {
    console.log(`${major} on ${remote}: already at ${commit.slice(0, 12)}`);
    return;
  }
  await git(['push', '--quiet', `--force-with-lease=${ref}:${remoteObject}`, remote, `${ref}:${ref}`], {
    timeout: NETWORK_TIMEOUT_MS,
  });
  console.log(`${major} on ${remote}: ${remoteObject.slice(0, 12) || '(none)'} -> ${commit.slice(0, 12)}`);
}

const COMMANDS = {
  check: { run: check, options: ['branch', 'changelog'] },
  notes: { run: notes, options: ['changelog'] },
  'move-major': { run: moveMajor, options: ['push'] },
};
const USAGE =
  'usage: release.mjs check|notes|move-major <tag> [--branch <ref>] [--changelog <file>] [--push <remote>]';

/** Subcommand, tag and options from argv; anything unknown is refused before git runs. */
function parseArgs(argv) {
  const [name, ...rest] = argv;
  const command = Object.hasOwn(COMMANDS, name ?? '') ? COMMANDS[name] : fail(USAGE);
  const options = { changelog: 'CHANGELOG.md' };
  const positional = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const key = arg.slice(2);
    if (!command.options.includes(key)) fail(`${name}: unknown option ${quote(arg)}`);
    if (i + 1 >= rest.length) fail(`${name}: ${arg} needs a value`);
    options[key] = rest[++i];
  }
  if (positional.length !== 1) fail(USAGE);
  return { command, tag: positional[0], options };
}

try {
  const { command, tag, options } = parseArgs(process.argv.slice(2));
  await command.run(tag, options);
} catch (error) {
  const message = error instanceof ReleaseError ? error.message : String(error?.message ?? error);
  console.error(`release: ${message.split('\n')[0]}`);
  process.exit(1);
}
