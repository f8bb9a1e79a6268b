import { realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../lib/errors.js';
import { quoteExcerpt } from '../lib/excerpt.js';
import { parseImageRef } from '../lib/image-ref.js';
import { type Env, InputReader } from '../lib/inputs.js';
import { isInside } from '../lib/which.js';
import { ALLOWLIST_EXPECTED, type AllowlistEntry, parseAllowlist } from './allowlist.js';
import type { AllowlistText } from './allowlist-source.js';
import { DEFAULT_REQUIRED, type RequireScanners, SCANNER_NAMES, type ScannerName } from './findings.js';
import type { FailOn } from './policy.js';
import { SEVERITIES, SEVERITY_RANK, type Severity } from './severity.js';

export interface SecurityScanInputs {
  /** Absolute folder to scan. */
  path: string;
  scanners: 'auto' | ScannerName[];
  /** Which scanners the content needs must be installed (else a missing one is a warning). */
  requireScanners: RequireScanners;
  image?: string;
  failOn: FailOn;
  reportOn: Severity;
  allowlist: AllowlistEntry[];
  allowlistFile?: string;
  /** Absolute path of the SARIF file to write. */
  sarifFile: string;
  categoryPrefix: string;
  /** The whole scan's time budget. */
  timeoutMs: number;
}

export interface InputDeps {
  /** The allowlist file's text; main reads it at a pull request's base commit. Default: the file. */
  readAllowlist?: (file: string) => Promise<AllowlistText>;
}

/** Control characters, format characters (bidi overrides, zero-width) and line separators. */
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const SARIF_EXPECTED = 'must be a file path inside GITHUB_WORKSPACE or RUNNER_TEMP';
const PATH_MAX = 4096;

/** realpath of the deepest part of `path` that exists, with the rest appended: where a write would land. */
function resolveLinks(path: string): string {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.push(basename(current));
      current = parent;
    }
  }
}

/**
 * `sarif-file` may only name a file under the workspace or the runner's temp folder: checked as written
 * and again with symlinks resolved, after refusing control characters before any file-system call.
 */
function sarifFilePath(input: InputReader, env: Env, cwd: string): string {
  const value = input.string('sarif-file', { default: 'slotline-security.sarif' })!;
  if (CONTROL.test(value)) input.fail('sarif-file', `${SARIF_EXPECTED}, without control characters`);
  if (value.split('/').some((part) => Buffer.byteLength(part) > 255))
    input.fail('sarif-file', `${SARIF_EXPECTED}, with no name part over 255 bytes`);
  const roots = [env['GITHUB_WORKSPACE'], env['RUNNER_TEMP']].filter((r): r is string => !!r);
  const allowed = (roots.length > 0 ? roots : [cwd]).map((r) => resolve(cwd, r));
  const file = resolve(cwd, value);
  // Linux's PATH_MAX: a longer path would only fail at the write, after the whole scan, as ENAMETOOLONG.
  if (Buffer.byteLength(file) >= PATH_MAX)
    input.fail('sarif-file', `${SARIF_EXPECTED}, with a path shorter than ${PATH_MAX} bytes`);
  if (value.endsWith('/') || isDirectory(file))
    input.fail('sarif-file', 'must be a file path, not a folder', value);
  const asWritten = allowed.some((root) => isInside(file, root) && file !== root);
  const real = resolveLinks(file);
  const realRoots = allowed.map(resolveLinks);
  const asResolved = realRoots.some((root) => isInside(real, root) && real !== root);
  if (!asWritten || !asResolved) input.fail('sarif-file', SARIF_EXPECTED, value);
  return file;
}

const CATEGORY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*$/;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

/**
 * require-scanners: true (every scanner the content needs), false (none: a missing one is a warning) or
 * a list of scanner names. Unset: DEFAULT_REQUIRED.
 */
function parseRequireScanners(input: InputReader): RequireScanners {
  const raw = input.raw('require-scanners');
  if (raw === undefined) return DEFAULT_REQUIRED;
  if (TRUE.has(raw)) return 'all';
  if (FALSE.has(raw)) return [];
  const names = input.list('require-scanners', { comma: true });
  const expected = `must be true, false or a comma-separated list of ${SCANNER_NAMES.join(', ')}`;
  for (const name of names)
    if (!(SCANNER_NAMES as readonly string[]).includes(name)) input.fail('require-scanners', expected, name);
  if (names.length === 0) input.fail('require-scanners', expected, raw);
  return [...new Set(names)] as ScannerName[];
}

/** The only place that knows security-scan's input names. Relative paths are taken from the working directory. */
export async function parseInputs(
  env: Env,
  cwd: string = process.cwd(),
  deps: InputDeps = {},
): Promise<SecurityScanInputs> {
  const input = new InputReader(env);
  const sarifFile = sarifFilePath(input, env, cwd);

  const pathValue = input.string('path', { default: '.' })!;
  const path = resolve(cwd, pathValue);
  if (!isDirectory(path)) input.fail('path', 'must be an existing folder', pathValue);

  const names = input.list('scanners', { comma: true }).map((n) => n.toLowerCase());
  let scanners: 'auto' | ScannerName[] = 'auto';
  if (names.length > 0 && !(names.length === 1 && names[0] === 'auto')) {
    const unknown = names.filter((n) => !(SCANNER_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0 || names.includes('auto'))
      input.fail('scanners', `must be auto or a list of ${SCANNER_NAMES.join(', ')}`, input.raw('scanners'));
    scanners = [...new Set(names)] as ScannerName[];
  }

  const requireScanners = parseRequireScanners(input);

  // Checked here by the reference grammar, so trivy is never handed a value it would read otherwise
  // (a scheme, an option, a second tag). No tag is allowed: trivy takes it as :latest.
  const image = input.string('image');
  const imageRef = image === undefined ? undefined : parseImageRef(image);
  if (imageRef && !imageRef.ok)
    input.fail(
      'image',
      `must be an image reference such as registry.example.com/team/app:1.0 (${imageRef.reason}), got ${quoteExcerpt(image!)}`,
    );
  if (scanners !== 'auto' && scanners.includes('trivy-image') && !image)
    input.fail('image', 'is required when scanners includes trivy-image');
  if (scanners !== 'auto' && image && !scanners.includes('trivy-image'))
    input.fail('image', 'is set, so scanners must include trivy-image (or be auto)', image);

  const failOn = input.enum<FailOn>('fail-on', [...SEVERITIES, 'none'], 'high');
  const reportOn = input.enum<Severity>('report-on', SEVERITIES, 'low');
  if (failOn !== 'none' && SEVERITY_RANK[failOn] < SEVERITY_RANK[reportOn])
    input.fail(
      'fail-on',
      `must be at or above report-on (${reportOn}): a run must not fail on findings it does not report`,
      failOn,
    );

  const allowlistFile = input.string('allowlist');
  let allowlist: AllowlistEntry[] = [];
  if (allowlistFile) {
    let text: AllowlistText;
    const read =
      deps.readAllowlist ??
      (async (file: string) => ({ text: await readFile(resolve(cwd, file), 'utf8'), source: file }));
    try {
      text = await read(allowlistFile);
    } catch (error) {
      // A named file that is missing stays an error (a typo must not drop every entry); the hint says
      // how to run without one.
      const absent =
        (error as NodeJS.ErrnoException)?.code === 'ENOENT'
          ? ': no such file (leave allowlist unset until you accept a finding)'
          : '';
      throw new InputError(
        `Input "allowlist" must name a readable YAML file (${ALLOWLIST_EXPECTED}), got ${quoteExcerpt(allowlistFile)}${absent}.`,
      );
    }
    allowlist = text.text === undefined ? [] : await parseAllowlist(text.text, text.source);
  }

  const categoryPrefix = input.string('category-prefix', {
    default: 'slotline-security',
    pattern: CATEGORY,
    expected:
      'letters, digits, ".", "_", "-" in "/"-separated parts, such as slotline-security or ci/security',
  })!;

  const timeoutMs = input.duration('timeout', { default: '10m', min: 1000, max: 6 * 3600_000 })!;

  return {
    path,
    scanners,
    requireScanners,
    image,
    failOn,
    reportOn,
    allowlist,
    allowlistFile,
    sarifFile,
    categoryPrefix,
    timeoutMs,
  };
}
