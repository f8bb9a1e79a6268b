// npm run workflow -- <file> [--event NAME] [--input k=v]… [--var k=v]… [--secret k=v]… [--connection FILE]
//                           [--workspace DIR] [--report FILE] [--approve] [--keep]
// Runs a workflow locally as GitHub would (README.md). Exit 0 when the workflow succeeded, 1 otherwise
// (also when it is refused), 2 on a usage error.
import { createInterface } from 'node:readline/promises';
import { Masker } from './commands.js';
import { type RunOptions, runWorkflow, stopRunningSteps } from './runner.js';
import { stopAllServices } from './services.js';
import { Refused } from './workflow.js';

const USAGE =
  'usage: npm run workflow -- <workflow.yml> [--event NAME] [--input k=v]… [--var k=v]… [--secret k=v]… ' +
  '[--connection connection.json] [--workspace DIR] [--report FILE] [--approve] [--keep]';

/** --approve: one y/N question on the terminal per environment gate. */
async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function parseArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { file: '', inputs: {}, vars: {}, secrets: {} };
  const pair = (flag: string, value: string | undefined): [string, string] => {
    const at = value?.indexOf('=') ?? -1;
    if (value === undefined || at <= 0) throw new Error(`${flag} needs name=value`);
    return [value.slice(0, at), value.slice(at + 1)];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = () => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--event') opts.event = next();
    else if (arg === '--input') {
      const [k, v] = pair(arg, argv[++i]);
      opts.inputs![k] = v;
    } else if (arg === '--var') {
      const [k, v] = pair(arg, argv[++i]);
      opts.vars![k] = v;
    } else if (arg === '--secret') {
      const [k, v] = pair(arg, argv[++i]);
      opts.secrets![k] = v;
    } else if (arg === '--connection') opts.connection = next();
    else if (arg === '--workspace') opts.workspace = next();
    else if (arg === '--report') opts.report = next();
    else if (arg === '--approve') opts.approve = ask;
    else if (arg === '--keep') opts.keepTemp = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-') || opts.file) throw new Error(`unexpected argument ${arg}`);
    else opts.file = arg;
  }
  if (!opts.file) throw new Error('no workflow file given');
  return opts;
}

let opts: RunOptions;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
// Steps run in their own process groups, so Ctrl-C does not reach them: stop them before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    stopRunningSteps('SIGKILL');
    stopAllServices();
    console.error(`workflow runner: ${signal}, running steps and services stopped`);
    process.exit(130);
  });
const masker = new Masker();
for (const value of Object.values(opts.secrets ?? {})) masker.add(value);
try {
  const result = await runWorkflow(opts);
  process.exit(result.success ? 0 : 1);
} catch (error) {
  const message = masker.mask(error instanceof Error ? error.message : String(error));
  if (error instanceof Refused) console.error(`refused: ${message.split('\n').join('\nrefused: ')}`);
  else console.error(`workflow runner: ${message}`);
  process.exit(1);
}
