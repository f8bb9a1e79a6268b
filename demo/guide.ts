// What docs/getting-started.md tells a user to set up, read from its `az` commands, so the demo's sandbox
// is set up the same way: the pipeline identity's federated credential subjects and role assignments, and
// the app's. A guide that drifts from what the pipeline needs makes the demo fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RoleName } from '../sandbox/config.js';

export const GUIDE = join(import.meta.dirname, '..', 'docs', 'getting-started.md');

/** Azure's built-in roles the guide assigns, as the sandbox's three (it checks scopes, not finer actions). */
const SANDBOX_ROLE: Record<string, RoleName> = {
  AcrPush: 'Contributor',
  AcrPull: 'Reader',
  'Website Contributor': 'Contributor',
  'Tag Contributor': 'Contributor',
  'Monitoring Reader': 'Reader',
  Reader: 'Reader',
};

export interface GuideAssignment {
  /** The shell variable holding the assignee's object id: PIPELINE_PRINCIPAL_ID or APP_PRINCIPAL_ID. */
  assignee: string;
  role: string;
  sandboxRole: RoleName;
  /** The shell variable holding the scope's resource id: RG_ID, APP_ID, ACR_ID. */
  scope: string;
}

export interface GuideSetup {
  /** Subjects with $OWNER, $OWNER_ID, $REPO and $REPO_ID left in. */
  subjects: string[];
  assignments: GuideAssignment[];
}

/** The guide's commands, one per line (continuation lines joined), from its ```sh blocks. */
function commands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n')).map((line) => line.trim());
}

const option = (line: string, name: string): string | undefined =>
  new RegExp(`--${name} (?:"([^"]*)"|'([^']*)'|(\\S+))`)
    .exec(line)
    ?.slice(1)
    .find((v) => v !== undefined);

export function readGuide(markdown = readFileSync(GUIDE, 'utf8')): GuideSetup {
  const lines = commands(markdown);
  const subjects = lines
    .filter((l) => l.startsWith('az identity federated-credential create'))
    .map((l) => {
      const subject = option(l, 'subject');
      if (!subject) throw new Error(`${GUIDE}: a federated credential without --subject: ${l}`);
      if (option(l, 'issuer') !== 'https://token.actions.githubusercontent.com')
        throw new Error(`${GUIDE}: a federated credential whose issuer is not GitHub's: ${l}`);
      if (option(l, 'audiences') !== 'api://AzureADTokenExchange')
        throw new Error(
          `${GUIDE}: a federated credential whose audience is not api://AzureADTokenExchange: ${l}`,
        );
      return subject;
    });
  const assignments = lines
    .filter((l) => l.startsWith('az role assignment create'))
    .map((l) => {
      const role = option(l, 'role');
      const assignee = /^\$(\w+)$/.exec(option(l, 'assignee-object-id') ?? '')?.[1];
      const scope = /^\$(\w+)$/.exec(option(l, 'scope') ?? '')?.[1];
      if (!role || !assignee || !scope)
        throw new Error(
          `${GUIDE}: a role assignment without --role, --assignee-object-id "$VAR" or --scope "$VAR": ${l}`,
        );
      const sandboxRole = SANDBOX_ROLE[role];
      if (!sandboxRole)
        throw new Error(`${GUIDE}: role '${role}' has no sandbox equivalent in demo/guide.ts`);
      return { assignee, role, sandboxRole, scope };
    });
  if (subjects.length === 0 || assignments.length === 0)
    throw new Error(`${GUIDE}: no federated credentials or role assignments found in its sh blocks`);
  return { subjects, assignments };
}

/** A subject with the repository's names and ids filled in. */
export function subjectFor(
  template: string,
  repo: { owner: string; name: string; ownerId: number; repositoryId: number },
): string {
  return template
    .replaceAll('$OWNER_ID', String(repo.ownerId))
    .replaceAll('$REPO_ID', String(repo.repositoryId))
    .replaceAll('$OWNER', repo.owner)
    .replaceAll('$REPO', repo.name);
}
