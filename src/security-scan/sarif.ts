import { gzipSync } from 'node:zlib';
import type { Log, ReportingDescriptor, Result, Run } from 'sarif';
import type { FingerprintedFinding, ScannerName } from './findings.js';
import type { SuppressedFinding } from './policy.js';
import { bySeverity } from './policy.js';
import { levelFor } from './severity.js';

/** GitHub's object limits (a file over them is rejected whole), from GITHUB-SARIF-NOTES.md §5. */
export const SARIF_LIMITS = {
  runsPerFile: 20,
  resultsPerRun: 25_000,
  rulesPerRun: 25_000,
  tagsPerRule: 10,
  gzipBytes: 10 * 1024 * 1024,
} as const;
const TEXT_LIMIT = 1024;

const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** GitHub rejects a SARIF upload over 10 MB gzip-compressed; say so before upload-sarif fails on it. */
export function uploadSizeProblem(text: string, limit: number = SARIF_LIMITS.gzipBytes): string | undefined {
  const size = gzipSync(text).length;
  return size > limit
    ? `the SARIF file is ${megabytes(size)} gzip-compressed; GitHub rejects uploads over ${megabytes(limit)} (raise report-on to report fewer findings)`
    : undefined;
}

export interface ScannerRun {
  tool: ScannerName;
  /** The driver name, e.g. "Bandit"; runs of one tool in one file need distinct categories. */
  toolName: string;
  version?: string;
  informationUri?: string;
}

export interface MergeResult {
  log: Log;
  /** Results left out per tool because a run would pass GitHub's limit. */
  truncated: Partial<Record<ScannerName, number>>;
}

const INFO_URI: Partial<Record<ScannerName, string>> = {
  bandit: 'https://bandit.readthedocs.io/',
  shellcheck: 'https://www.shellcheck.net/',
  secretlint: 'https://github.com/secretlint/secretlint',
  gitleaks: 'https://github.com/gitleaks/gitleaks',
  trivy: 'https://trivy.dev/',
  'trivy-image': 'https://trivy.dev/',
  'npm-audit': 'https://docs.npmjs.com/cli/commands/npm-audit',
  'pip-audit': 'https://github.com/pypa/pip-audit',
};

function clip(text: string, max = TEXT_LIMIT): string {
  const oneLine = text.trim() === '' ? '-' : text.trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine;
}

/** `automationDetails.id` is `category/run-id`; the trailing slash makes the whole prefix the category. */
export function categoryFor(prefix: string, tool: ScannerName): string {
  return `${prefix}/${tool}`;
}

function uriFor(path: string): string {
  return path === '' ? '.' : encodeURI(path);
}

function buildRun(
  scanner: ScannerRun,
  findings: FingerprintedFinding[],
  suppressed: SuppressedFinding[],
  prefix: string,
): { run: Run; dropped: number } {
  const all = [
    ...findings.map((finding) => ({ finding, suppression: undefined as SuppressedFinding | undefined })),
    ...suppressed.map((s) => ({ finding: s.finding, suppression: s as SuppressedFinding | undefined })),
  ].sort((a, b) => bySeverity(a.finding, b.finding));
  // Over the limit GitHub rejects the whole file; keep the worst, as its own display cap would.
  const kept = all.slice(0, SARIF_LIMITS.resultsPerRun);
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Result[] = kept.map(({ finding, suppression }) => {
    let index = ruleIndex.get(finding.ruleId);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(finding.ruleId, index);
      const description = clip(finding.ruleDescription ?? finding.message);
      rules.push({
        id: finding.ruleId,
        name: clip(finding.ruleName ?? finding.ruleId, 255),
        shortDescription: { text: description },
        fullDescription: { text: description },
        help: { text: clip(`${description}${finding.helpUri ? ` See ${finding.helpUri}` : ''}`) },
        ...(finding.helpUri ? { helpUri: finding.helpUri } : {}),
        defaultConfiguration: { level: levelFor(finding.severity) },
        properties: {
          tags: [...new Set(['security', ...(finding.tags ?? [])])].slice(0, SARIF_LIMITS.tagsPerRule),
          'security-severity': finding.score.toFixed(1),
        },
      });
    }
    // One rule may carry findings of several severities (npm audit's transitive rule): the rule shows the
    // worst, each result keeps its own level.
    const rule = rules[index]!;
    if (Number(rule.properties!['security-severity']) < finding.score) {
      rule.properties!['security-severity'] = finding.score.toFixed(1);
      rule.defaultConfiguration = { level: levelFor(finding.severity) };
    }
    const { path, startLine, startColumn, endLine, endColumn } = finding.location;
    return {
      ruleId: finding.ruleId,
      ruleIndex: index,
      level: levelFor(finding.severity),
      message: { text: finding.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uriFor(path) },
            region: {
              startLine: Math.max(1, startLine),
              ...(startColumn !== undefined ? { startColumn: Math.max(1, startColumn) } : {}),
              ...(endLine !== undefined && endLine >= startLine ? { endLine } : {}),
              ...(endColumn !== undefined && endColumn >= 1 ? { endColumn } : {}),
            },
          },
        },
      ],
      partialFingerprints: { primaryLocationLineHash: finding.fingerprint },
      properties: {
        severity: finding.severity,
        'security-severity': finding.score.toFixed(1),
        'native-severity': finding.nativeSeverity,
      },
      ...(suppression
        ? {
            suppressions: [
              {
                kind: 'external',
                status: 'accepted',
                justification: `${suppression.entry.reason} (allowlisted until ${suppression.entry.expires})`,
              },
            ],
          }
        : {}),
    } satisfies Result;
  });
  const run: Run = {
    tool: {
      driver: {
        name: scanner.toolName,
        ...(scanner.version ? { version: scanner.version } : {}),
        informationUri: scanner.informationUri ?? INFO_URI[scanner.tool] ?? 'https://github.com/',
        rules,
      },
    },
    automationDetails: { id: `${categoryFor(prefix, scanner.tool)}/` },
    results,
    columnKind: 'unicodeCodePoints',
  };
  return { run, dropped: all.length - kept.length };
}

/**
 * One SARIF 2.1.0 log with one run per scanner that ran, each under its own category, so upload-sarif
 * accepts it (it rejects several runs sharing tool and category). A scanner that ran and found nothing
 * still gets an empty run: that is how GitHub learns earlier alerts are fixed. Suppressed findings stay in
 * with a SARIF suppression, so the record shows what was waved through and why.
 */
export function mergeSarif(opts: {
  scanners: readonly ScannerRun[];
  findings: readonly FingerprintedFinding[];
  suppressed: readonly SuppressedFinding[];
  categoryPrefix: string;
}): MergeResult {
  if (opts.scanners.length > SARIF_LIMITS.runsPerFile)
    throw new Error(
      `${opts.scanners.length} runs exceed GitHub's limit of ${SARIF_LIMITS.runsPerFile} per file`,
    );
  const truncated: MergeResult['truncated'] = {};
  const runs = opts.scanners.map((scanner) => {
    const { run, dropped } = buildRun(
      scanner,
      opts.findings.filter((f) => f.tool === scanner.tool),
      opts.suppressed.filter((s) => s.finding.tool === scanner.tool),
      opts.categoryPrefix,
    );
    if (dropped > 0) truncated[scanner.tool] = dropped;
    return run;
  });
  return {
    log: { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs },
    truncated,
  };
}
