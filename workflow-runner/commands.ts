// File commands and workflow commands, as actions/runner reads them.
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands

/**
 * A GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE file: `name=value` lines and `name<<DELIMITER` blocks ending at
 * a line equal to the delimiter. Like actions/runner (SetEnvFileCommand), an unterminated block or a line
 * without a name is an error, and empty lines are skipped.
 */
export function parseKeyValueFile(text: string, what: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const name = line.slice(0, eq);
      if (name === '') throw new Error(`${what}: invalid line '${line}': no name before '='`);
      values[name] = line.slice(eq + 1);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') throw new Error(`${what}: invalid line '${line}'`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) throw new Error(`${what}: matching delimiter not found '${delimiter}'`);
      values[name] = value.join('\n');
    } else {
      throw new Error(`${what}: invalid line '${line}'`);
    }
  }
  return values;
}

/** GITHUB_PATH: one directory per non-empty line; each is prepended, so the last line comes first. */
export function parsePathFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .reverse();
}

/** Replaces every registered secret with `***` (longest first, so a secret containing another is masked whole). */
export class Masker {
  private values: string[] = [];

  add(value: string): void {
    // Like the runner, each line of a multi-line secret is masked too.
    for (const v of [value, ...value.split(/\r?\n/)]) {
      const trimmed = v.trim();
      if (trimmed.length < 1 || this.values.includes(trimmed)) continue;
      this.values.push(trimmed);
    }
    this.values.sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const value of this.values) out = out.split(value).join('***');
    return out;
  }

  /** Whether a value contains a secret (such a job output is not passed on, as on GitHub). */
  containsSecret(text: string): boolean {
    return this.values.some((value) => text.includes(value));
  }
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

const unescapeData = (s: string) => s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',');

/** `::command key=value,key=value::message`, or undefined for an ordinary line. */
export function parseWorkflowCommand(line: string): WorkflowCommand | undefined {
  const m = /^\s*::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) return undefined;
  const properties: Record<string, string> = {};
  for (const pair of (m[2] ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) properties[pair.slice(0, at).trim()] = unescapeProperty(pair.slice(at + 1));
  }
  return { command: m[1]!.toLowerCase(), properties, message: unescapeData(m[3]!) };
}
