import { markdownTable } from '../lib/markdown.js';
import type { Operation } from './inputs.js';
import { changeRows, countChanges, MAX_ROWS, redact, shortResource, type WhatIfChange } from './what-if.js';

/** An ARM error: its code, message and nested details (validation and deployment errors carry them). */
export interface ArmErrorInfo {
  code: string;
  message: string;
  details?: ArmErrorInfo[];
}

/** A template output as ARM returns it: `{ type, value }`. */
export interface TemplateOutput {
  type?: string;
  value?: unknown;
}

/** A deployment after create: its id, end state, outputs and error. */
export interface DeploymentResult {
  id: string;
  provisioningState: string;
  outputs: Record<string, TemplateOutput>;
  error?: ArmErrorInfo;
}

/** A deployment operation that failed (Deployment Operations - List), as the summary shows it. */
export interface FailedOperation {
  /** `Microsoft.Web/sites/app`, or the operation id when ARM names no target. */
  resource: string;
  statusCode?: string;
  code: string;
  message: string;
}

/** What a run learned, step by step; a later step is undefined when the run did not get there. */
export interface DeployReport {
  operation: Operation;
  templatePath: string;
  resourceGroup: string;
  deploymentName: string;
  validationError?: ArmErrorInfo;
  changes?: WhatIfChange[];
  forbidden?: WhatIfChange[];
  result?: DeploymentResult;
  failedOperations?: FailedOperation[];
  /** Secure parameter values: redacted wherever ARM's text might echo them. */
  secrets: readonly string[];
}

/** `{ name: value }` of the template outputs; secureString and secureObject outputs left out. */
export function outputValues(outputs: Record<string, TemplateOutput>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(outputs)) {
    const type = o.type?.toLowerCase();
    if (type === 'securestring' || type === 'secureobject') continue;
    out[name] = o.value;
  }
  return out;
}

/** An ARM error in one line: `code: message`, then its details' `code: message`, separated by `; `. */
export function errorLine(error: ArmErrorInfo, secrets: readonly string[] = []): string {
  const parts: string[] = [];
  const walk = (e: ArmErrorInfo, depth: number): void => {
    if (parts.length >= 6 || depth > 3) return;
    parts.push(`${e.code}: ${e.message}`.replace(/\s*\n\s*/g, ' '));
    for (const d of e.details ?? []) walk(d, depth + 1);
  };
  walk(error, 0);
  return redact(parts.join('; '), secrets);
}

/** `Create 2, Modify 1`. */
export function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([t, n]) => `${t} ${n}`).join(', ') : 'no changes';
}

/** The step's failure line for a deployment that ended in another state than Succeeded. */
export function deploymentFailure(report: DeployReport): string {
  const result = report.result!;
  const ops = (report.failedOperations ?? [])
    .slice(0, 5)
    .map((o) => `${o.resource}: ${o.code}: ${o.message}`.replace(/\s*\n\s*/g, ' '));
  const more =
    (report.failedOperations?.length ?? 0) > 5 ? ` and ${report.failedOperations!.length - 5} more` : '';
  const why = result.error ? ` (${errorLine(result.error, report.secrets)})` : '';
  return redact(
    `deployment ${report.deploymentName} in resource group ${report.resourceGroup} ended ${result.provisioningState}${why}${ops.length ? `; failed operations: ${ops.join(' | ')}${more}` : ''}`,
    report.secrets,
  );
}

/** The job summary: validation, the what-if table, then the deployment and its failed operations. */
export function summaryMarkdown(report: DeployReport): string {
  const lines: string[] = [
    `### deploy-infra: ${report.operation} \`${report.templatePath}\` to resource group \`${report.resourceGroup}\``,
    '',
    `Deployment \`${report.deploymentName}\`.`,
    '',
  ];
  if (report.validationError) {
    lines.push(
      `**Validation failed**, nothing was deployed: ${errorLine(report.validationError, report.secrets)}`,
      '',
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push('Validation: passed.', '');
  if (report.changes) {
    const { rows, more } = changeRows(report.changes, report.secrets, MAX_ROWS);
    lines.push(`#### What-if: ${countsText(countChanges(report.changes))}`, '');
    if (rows.length) {
      lines.push(
        markdownTable(
          ['Resource', 'Change', 'Changed properties (before → after)'],
          rows.map((r) => [r.resource, r.changeType, r.properties.join('\n')]),
        ),
      );
      if (more > 0) lines.push(`and ${more} more`, '');
    }
    if (report.forbidden?.length) {
      lines.push(
        `**Stopped before deploying**: ${report.forbidden.length} change(s) of a type fail-on-change-types forbids: ${report.forbidden
          .slice(0, 10)
          .map((c) => `${c.changeType} ${shortResource(c.resourceId)}`)
          .join(', ')}${report.forbidden.length > 10 ? ` and ${report.forbidden.length - 10} more` : ''}.`,
        '',
      );
    }
  }
  if (report.result) {
    const r = report.result;
    lines.push(`#### Deployment: ${r.provisioningState}`, '');
    if (r.id) lines.push(`\`${r.id}\``, '');
    if (r.error) lines.push(`Error: ${errorLine(r.error, report.secrets)}`, '');
    if (report.failedOperations?.length) {
      lines.push(
        markdownTable(
          ['Resource', 'Status', 'Error'],
          report.failedOperations.map((o) => [
            o.resource,
            o.statusCode ?? '',
            redact(`${o.code}: ${o.message}`, report.secrets),
          ]),
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
