/**
 * The workflow commands a runner would find in a step's log, read the way actions/runner reads them
 * (src/Runner.Worker/ActionCommandManager.cs): `::name ...::data` at the start of a line after
 * leading whitespace (ActionCommand.TryParseV2), else the legacy `##[name ...]data` anywhere in the
 * line (ActionCommand.TryParse). Tests compare this list with the commands the action meant to issue.
 */
export interface WorkflowCommand {
  name: string;
  data: string;
  line: string;
}

export function workflowCommands(log: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  // The runner splits the stream on \n; a lone \r does not end a line.
  for (const line of log.split('\n')) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith('::')) {
      const end = trimmed.indexOf('::', 2);
      if (end > 2) {
        const info = trimmed.slice(2, end);
        commands.push({ name: info.split(' ')[0]!, data: trimmed.slice(end + 2), line });
        continue;
      }
    }
    const at = line.indexOf('##[');
    if (at >= 0) {
      const close = line.indexOf(']', at + 3);
      if (close > at + 3) {
        const info = line.slice(at + 3, close);
        commands.push({ name: info.split(' ')[0]!, data: line.slice(close + 1), line });
      }
    }
  }
  return commands;
}
