import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { Finding, ScannerName } from '../findings.js';
import { SEVERITY_SCORE, type Severity, severityFromLabel, severityFromScore } from '../severity.js';
import { asString, column, expectShape, isRecord, parseJson, repoPath } from './common.js';

export interface SarifInputOptions {
  tool: ScannerName;
  root?: string;
  /** Severity when neither the rule's `security-severity` nor the result says one, by SARIF level. */
  byLevel?: Partial<Record<Result.level, Severity>>;
  /** Columns count from 0 (bandit). */
  zeroBasedColumns?: boolean;
}

const DEFAULT_BY_LEVEL: Record<Result.level, Severity> = {
  error: 'high',
  warning: 'medium',
  note: 'low',
  none: 'low',
};

/**
 * A SARIF log written by one of the scanners (trivy, gitleaks, secretlint, bandit all can) read back into
 * findings, so the merged file and the gate treat it like the tool's JSON. Severity, in order: the rule's
 * `security-severity`, a result's `issue_severity` (bandit), then the SARIF level. Snippets are dropped:
 * gitleaks puts the secret itself in `snippet.text`.
 */
export function parseSarifInput(text: string, opts: SarifInputOptions): Finding[] {
  const doc = parseJson(opts.tool, text) as Log;
  expectShape(opts.tool, isRecord(doc) && Array.isArray(doc.runs), 'no SARIF "runs" array');
  const byLevel = { ...DEFAULT_BY_LEVEL, ...opts.byLevel };
  const findings: Finding[] = [];
  for (const run of doc.runs) {
    const driver = run.tool?.driver;
    expectShape(opts.tool, isRecord(driver), 'a run has no tool.driver');
    const rules = new Map<string, ReportingDescriptor>((driver.rules ?? []).map((r) => [r.id, r]));
    for (const result of run.results ?? []) {
      const ruleId = result.ruleId ?? result.rule?.id ?? 'rule';
      const rule =
        rules.get(ruleId) ?? (result.ruleIndex !== undefined ? driver.rules?.[result.ruleIndex] : undefined);
      const level: Result.level = result.level ?? rule?.defaultConfiguration?.level ?? 'warning';
      const score = Number(rule?.properties?.['security-severity']);
      const native = asString(result.properties?.['issue_severity']);
      const severity = severityFromScore(score) ?? severityFromLabel(native) ?? byLevel[level];
      const physical = result.locations?.[0]?.physicalLocation;
      const region = physical?.region;
      const tags = rule?.properties?.tags;
      findings.push({
        tool: opts.tool,
        toolName: driver.name,
        ruleId,
        ruleName: rule?.name,
        ruleDescription: rule?.shortDescription?.text ?? rule?.fullDescription?.text,
        helpUri: rule?.helpUri,
        message: result.message.text ?? result.message.markdown ?? ruleId,
        severity,
        score: severityFromScore(score) === severity ? score : SEVERITY_SCORE[severity],
        nativeSeverity:
          native ?? (Number.isFinite(score) && score > 0 ? `security-severity ${score}` : level),
        location: {
          path: repoPath(physical?.artifactLocation?.uri ?? '', opts.root ?? ''),
          startLine: region?.startLine ?? 1,
          startColumn: column(region?.startColumn, opts.zeroBasedColumns ?? false),
          endLine: region?.endLine,
          endColumn: column(region?.endColumn, opts.zeroBasedColumns ?? false),
        },
        tags: Array.isArray(tags) ? tags.slice(0, 10) : undefined,
      });
    }
  }
  return findings;
}

/** How each tool's own SARIF is read when it carries no `security-severity` (see GITHUB-SARIF-NOTES §1). */
const TOOL_SARIF: Partial<Record<ScannerName, Omit<SarifInputOptions, 'tool' | 'root'>>> = {
  // Every gitleaks result is a credential; it writes no level at all.
  gitleaks: { byLevel: { error: 'critical', warning: 'critical', note: 'critical', none: 'critical' } },
  secretlint: { byLevel: { error: 'critical', warning: 'high', note: 'medium', none: 'medium' } },
  bandit: { zeroBasedColumns: true },
};

export function parseToolSarif(text: string, tool: ScannerName, root = ''): Finding[] {
  return parseSarifInput(text, { tool, root, ...TOOL_SARIF[tool] });
}
