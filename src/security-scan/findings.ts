import type { Severity } from './severity.js';

/** Every scanner slotline can drive or parse. */
export const SCANNER_NAMES = [
  'bandit',
  'shellcheck',
  'secretlint',
  'gitleaks',
  'trivy',
  'trivy-image',
  'npm-audit',
  'pip-audit',
] as const;
export type ScannerName = (typeof SCANNER_NAMES)[number];

/** Which scanners the content needs must be installed: every one (`true`) or those listed. */
export type RequireScanners = 'all' | readonly ScannerName[];

/** The require-scanners input's default: bandit and shellcheck, which scanners: auto has always required. */
export const DEFAULT_REQUIRED: readonly ScannerName[] = ['bandit', 'shellcheck'];

export interface FindingLocation {
  /** Relative to the scanned folder, with forward slashes: what GitHub resolves against the repo root. */
  path: string;
  startLine: number;
  /** 1-based, as SARIF requires (bandit and secretlint count from 0; parsers convert). */
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
}

/** One problem from one tool, in the shape every later step (fingerprint, policy, SARIF, summary) reads. */
export interface Finding {
  /** The SARIF run this finding goes into; one per tool (trivy's image scan is its own run). */
  tool: ScannerName;
  /** The tool's own name for the SARIF driver, e.g. "Bandit". */
  toolName: string;
  ruleId: string;
  ruleName?: string;
  ruleDescription?: string;
  helpUri?: string;
  message: string;
  severity: Severity;
  /** `security-severity` (0.1–10). */
  score: number;
  /** What the tool itself said, kept for the report: "HIGH", "moderate", "info"... */
  nativeSeverity: string;
  location: FindingLocation;
  /**
   * What makes this finding the same finding next time when the flagged line is not it: a dependency
   * finding is the package and version, wherever the lockfile line moves.
   */
  identity?: string;
  tags?: string[];
}

/** A finding after fingerprinting. */
export interface FingerprintedFinding extends Finding {
  /** `primaryLocationLineHash`: `<16 hex>:<occurrence>`. */
  fingerprint: string;
}
