import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../lib/errors.js';
import { type Env, InputReader } from '../lib/inputs.js';
import { ALLOWLIST_EXPECTED, type AllowlistEntry, parseAllowlist } from './allowlist.js';
import { SCANNER_NAMES, type ScannerName } from './findings.js';
import type { FailOn } from './policy.js';
import { SEVERITIES, SEVERITY_RANK, type Severity } from './severity.js';

export interface SecurityScanInputs {
  /** Absolute folder to scan. */
  path: string;
  scanners: 'auto' | ScannerName[];
  image?: string;
  failOn: FailOn;
  reportOn: Severity;
  allowlist: AllowlistEntry[];
  allowlistFile?: string;
  /** Absolute path of the SARIF file to write. */
  sarifFile: string;
  categoryPrefix: string;
}

const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;
const CATEGORY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*$/;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The only place that knows security-scan's input names. Relative paths are taken from the working directory. */
export async function parseInputs(env: Env, cwd: string = process.cwd()): Promise<SecurityScanInputs> {
  const input = new InputReader(env);

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

  const image = input.string('image', {
    pattern: IMAGE,
    expected: 'an image reference such as registry/app:tag',
  });
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
    let text: string;
    try {
      text = await readFile(resolve(cwd, allowlistFile), 'utf8');
    } catch {
      throw new InputError(
        `Input "allowlist" must name a readable YAML file (${ALLOWLIST_EXPECTED}), got "${allowlistFile}".`,
      );
    }
    allowlist = await parseAllowlist(text, allowlistFile);
  }

  const sarifValue = input.string('sarif-file', { default: 'slotline-security.sarif' })!;
  const sarifFile = resolve(cwd, sarifValue);
  if (sarifValue.endsWith('/') || isDirectory(sarifFile))
    input.fail('sarif-file', 'must be a file path, not a folder', sarifValue);

  const categoryPrefix = input.string('category-prefix', {
    default: 'slotline-security',
    pattern: CATEGORY,
    expected:
      'letters, digits, ".", "_", "-" in "/"-separated parts, such as slotline-security or ci/security',
  })!;

  return { path, scanners, image, failOn, reportOn, allowlist, allowlistFile, sarifFile, categoryPrefix };
}
