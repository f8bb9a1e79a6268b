// actionlint and the workflow parser cannot see local actions: they accept any `with:` key on
// `uses: ./actions/x`. This fills that gap: every local action step must name an existing action, pass
// only declared inputs, and pass every required input that has no default. slotline's own actions by
// their published name (`slotline/slotline/actions/x@ref`, as the reusable workflows and starters use
// them) are checked against this work tree's actions/x the same way.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const OWN_ACTION = /^slotline\/slotline\/actions\/([a-z0-9-]+)@\S+$/;

export function checkLocalUses(workflowText, workflowPath, repoRoot) {
  const problems = [];
  const workflow = parse(workflowText) ?? {};
  for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
    (job?.steps ?? []).forEach((step, index) => {
      const uses = step?.uses;
      if (typeof uses !== 'string') return;
      const own = OWN_ACTION.exec(uses);
      const path = own ? `./actions/${own[1]}` : uses;
      if (!path.startsWith('./') || path.startsWith('./.github/workflows/')) return;
      const where = `${workflowPath}: jobs.${jobId}.steps[${index}] (${uses})`;
      const file = ['action.yml', 'action.yaml']
        .map((f) => join(repoRoot, path, f))
        .find((f) => existsSync(f));
      if (!file) {
        problems.push(`${where}: no action.yml at ${path}`);
        return;
      }
      const declared = parse(readFileSync(file, 'utf8'))?.inputs ?? {};
      const given = step.with ?? {};
      for (const key of Object.keys(given)) {
        if (!(key in declared)) problems.push(`${where}: input "${key}" is not declared by the action`);
      }
      for (const [name, spec] of Object.entries(declared)) {
        if (spec?.required && spec.default === undefined && !(name in given)) {
          problems.push(`${where}: required input "${name}" is not passed`);
        }
      }
    });
  }
  return problems;
}
