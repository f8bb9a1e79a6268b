import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { judge, type TrialFacts } from '../../scripts/lib/bad-input-sweep/judge.js';
import {
  ACTION_PLANS,
  COMMON_VALUES,
  INJECTED_MARK,
  PLANTED,
  SECRET_MARK,
} from '../../scripts/lib/bad-input-sweep/kinds.js';
import {
  type ActionManifest,
  planTrials,
  quickSubset,
  readManifests,
  staleEntries,
  type Trial,
  uncoveredInputs,
} from '../../scripts/lib/bad-input-sweep/plan.js';
import { formatReport, toResult } from '../../scripts/lib/bad-input-sweep/report.js';
import {
  node24,
  runTrial,
  runTrials,
  type StepRun,
  type TrialRun,
  verifyIsolation,
} from '../../scripts/lib/bad-input-sweep/runner.js';
import { repoRoot } from '../helpers/runner.js';

const manifests = readManifests(repoRoot);
const trials = planTrials(manifests);

describe('the sweep plan', () => {
  it('gives every input of every actions/*/action.yml a kind, and has no stale entries', () => {
    expect(manifests.map((m) => m.name)).toEqual(expect.arrayContaining(Object.keys(ACTION_PLANS)));
    expect(uncoveredInputs(manifests)).toEqual([]);
    expect(staleEntries(manifests)).toEqual([]);
  });

  it('refuses to plan when an action gains an input the kind table does not know', () => {
    const added: ActionManifest[] = manifests.map((m) =>
      m.name === 'smoke-test' ? { ...m, inputs: { ...m.inputs, 'new-input': { required: false } } } : m,
    );
    expect(uncoveredInputs(added)).toEqual(['smoke-test/new-input']);
    expect(() => planTrials(added)).toThrow(/smoke-test\/new-input/);
  });

  it('tries every input with many values, each trial changing that one input only', () => {
    expect(new Set(trials.map((t) => t.id)).size).toBe(trials.length);
    for (const m of manifests) {
      for (const input of Object.keys(m.inputs)) {
        const of = trials.filter((t) => t.action === m.name && t.input === input);
        expect({ input: `${m.name}/${input}`, trials: of.length > COMMON_VALUES.length }).toEqual({
          input: `${m.name}/${input}`,
          trials: true,
        });
      }
    }
    for (const t of trials) {
      const others = trials.filter((o) => o.action === t.action && o.input === t.input && o.id !== t.id);
      for (const o of others.slice(0, 1)) {
        const differing = Object.keys({ ...t.inputs, ...o.inputs }).filter(
          (k) => t.inputs[k] !== o.inputs[k],
        );
        expect(differing.every((k) => k === t.input)).toBe(true);
      }
    }
  });

  it('keeps every value within what an environment variable can hold, as on a runner (128 KiB)', () => {
    const tooBig = trials.filter((t) => Buffer.byteLength(t.value) >= 128 * 1024).map((t) => t.id);
    expect(tooBig).toEqual([]);
  });

  it('fills in action.yml defaults as the runner does, and plants secrets in the base inputs', () => {
    const t = trials.find((x) => x.id === 'deploy-slot/slot/bidi-override')!;
    expect(t.inputs['target-slot']).toBe('production');
    expect(t.inputs['client-secret']).toBe(PLANTED.clientSecret);
    expect(t.inputs['slot']).toBe('abc\u202etxt.exe');
  });

  it('marks blank values acceptable only for optional inputs', () => {
    expect(trials.find((t) => t.id === 'smoke-test/url/empty')!.acceptable).toBe(false);
    expect(trials.find((t) => t.id === 'smoke-test/wait-timeout/empty')!.acceptable).toBe(true);
    expect(trials.find((t) => t.id === 'smoke-test/wait-timeout/negative')!.acceptable).toBe(false);
  });

  it('has a quick subset that touches every input and stays small', () => {
    const quick = quickSubset(trials);
    const inputs = new Set(quick.map((t) => `${t.action}/${t.input}`));
    const all = new Set(trials.map((t) => `${t.action}/${t.input}`));
    expect([...all].filter((i) => !inputs.has(i))).toEqual([]);
    // At most 7 trials per input on average: 550 over six actions' inputs with verify-autoscale.
    expect(quick.length).toBeLessThanOrEqual(7 * all.size);
  });
});

function step(over: Partial<StepRun> = {}): StepRun {
  return {
    exitCode: 1,
    signal: null,
    timedOut: false,
    stdout: '',
    stderr: '',
    outputs: {},
    state: {},
    summary: '',
    durationMs: 10,
    ...over,
  };
}

function run(main: Partial<StepRun>, extra: Partial<TrialRun> = {}): TrialRun {
  return { main: step(main), strayFiles: [], workspaceFiles: [], ...extra };
}

const facts: TrialFacts = { input: 'health-path', acceptable: false, secretInput: false, outputs: ['image'] };
const cleanRejection = '::error::deploy-slot: Input "health-path" must be a path starting with /, got "x".\n';

describe('the sweep judge', () => {
  const causes = (r: TrialRun, f: TrialFacts = facts) => judge(f, r).problems.map((p) => p.cause);

  it('passes a one-line rejection that names the input', () => {
    expect(judge(facts, run({ stdout: `::debug::details\n${cleanRejection}` }))).toEqual({
      outcome: 'rejected',
      problems: [],
      errorLine: 'deploy-slot: Input "health-path" must be a path starting with /, got "x".',
    });
  });

  it('fails an injected workflow command, a runner command and an unknown command', () => {
    expect(causes(run({ stdout: `${cleanRejection}::error::${INJECTED_MARK}\n` }))).toContain(
      'injected-command',
    );
    expect(causes(run({ stdout: `${cleanRejection}##[error]x\n` }))).toContain('injected-command');
    expect(causes(run({ stdout: `::stop-commands::abc\n${cleanRejection}` }))).toContain('injected-command');
    expect(causes(run({ stdout: `::warning::${INJECTED_MARK}\n${cleanRejection}` }))).toContain(
      'injected-command',
    );
  });

  it('fails a leaked secret in the log, an output or the summary, and a secret the runner would have masked', () => {
    const secret = `${SECRET_MARK}-x`;
    expect(causes(run({ stdout: `${cleanRejection}token ${secret}\n` }))).toContain('secret-leak');
    expect(causes(run({ stdout: cleanRejection, outputs: { image: secret } }))).toContain('secret-leak');
    expect(causes(run({ stdout: cleanRejection, summary: `| ${secret} |` }))).toContain('secret-leak');
    expect(causes(run({ stdout: `::add-mask::${secret}\n${cleanRejection}token ${secret}\n` }))).toEqual([
      'secret-printed-masked',
    ]);
    // Registering a mask is how a step keeps a secret out of the log: not a leak.
    expect(causes(run({ stdout: `::add-mask::${secret}\n${cleanRejection}` }))).toEqual([]);
  });

  it('fails a stack trace, an "unexpected error" and a JavaScript error class', () => {
    const trace =
      'file:///x/index.js:10\nTypeError: boom\n    at run (file:///x/dist/a/index.js:10:5)\n    at node:internal/x:1:1\n';
    expect(causes(run({ stderr: trace }))).toEqual(
      expect.arrayContaining(['stack-trace', 'unexpected-error', 'no-error-line']),
    );
    expect(causes(run({ stdout: '::error::deploy-slot: unexpected error: network_error\n' }))).toEqual(
      expect.arrayContaining(['unexpected-error', 'input-not-named']),
    );
    // The stack in a ::debug:: line (hidden unless step debugging is on) is allowed.
    expect(causes(run({ stdout: `::debug::Error: x%0A    at f (a.js:1:2)\n${cleanRejection}` }))).toEqual([]);
  });

  it('fails an error line that does not name the input, unless the value was acceptable', () => {
    const other = '::error::deploy-slot: Input "image" is required when action is release.\n';
    expect(causes(run({ stdout: other }))).toEqual(['input-not-named']);
    expect(judge({ ...facts, acceptable: true }, run({ stdout: other })).outcome).toBe('accepted');
    // A longer input name that merely contains this one does not count.
    expect(causes(run({ stdout: '::error::x: Input "health-path-x" is bad.\n' }))).toEqual([
      'input-not-named',
    ]);
  });

  it('fails a bad value accepted with exit 0, and passes it for an acceptable value', () => {
    expect(causes(run({ exitCode: 0 }))).toEqual(['bad-value-accepted']);
    expect(judge({ ...facts, acceptable: true }, run({ exitCode: 0 })).outcome).toBe('accepted');
  });

  it('fails a crash, a timeout, no error line and several error lines', () => {
    expect(causes(run({ exitCode: 134, signal: null, stdout: cleanRejection }))).toEqual(['crash']);
    expect(causes(run({ exitCode: null, timedOut: true }))).toEqual(['timeout']);
    expect(causes(run({ exitCode: 1 }))).toEqual(['no-error-line']);
    expect(causes(run({ stdout: `${cleanRejection}${cleanRejection}` }))).toEqual(['several-error-lines']);
  });

  it('fails raw control, bidi and zero-width characters anywhere the user sees them', () => {
    for (const ch of ['\r', '\u0007', '\u001b', '\u202e', '\u200b', '\u2066'])
      expect(causes(run({ stdout: cleanRejection.replace('"x"', `"a${ch}b"`) }))).toEqual(['control-chars']);
    expect(causes(run({ stdout: cleanRejection, summary: 'a\u202eb' }))).toEqual(['control-chars']);
  });

  it('fails a non-secret value the runner would mask, an undeclared output and stray files', () => {
    expect(causes(run({ stdout: `::add-mask::x\n${cleanRejection}` }))).toEqual(['masked-non-secret']);
    expect(causes(run({ stdout: cleanRejection, outputs: { nope: '1' } }))).toEqual(['stray-output']);
    expect(causes(run({ stdout: cleanRejection }, { strayFiles: ['tmp/creds.json'] }))).toEqual([
      'stray-file',
    ]);
    expect(causes(run({ stdout: cleanRejection }, { workspaceFiles: ['out.sarif'] }))).toEqual([
      'stray-file',
    ]);
  });

  it('judges the post step: it must exit 0 without an error and pass the same hygiene', () => {
    const post = step({ exitCode: 1, stdout: `::error::post failed ${SECRET_MARK}\n` });
    expect(causes(run({ stdout: cleanRejection }, { post }))).toEqual(
      expect.arrayContaining(['post-step', 'secret-leak']),
    );
    expect(causes(run({ stdout: cleanRejection }, { post: step({ exitCode: 0 }) }))).toEqual([]);
  });
});

describe('the sweep runner', () => {
  let dir: string;
  const node = node24(repoRoot);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sweep-runner-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function fakeAction(name: string, main: string, post?: string): ActionManifest {
    const actionDir = join(dir, name);
    mkdirSync(actionDir, { recursive: true });
    writeFileSync(join(actionDir, 'main.cjs'), main);
    if (post) writeFileSync(join(actionDir, 'post.cjs'), post);
    return {
      name,
      dir: actionDir,
      main: join(actionDir, 'main.cjs'),
      ...(post ? { post: join(actionDir, 'post.cjs') } : {}),
      inputs: { 'my-input': { required: false } },
      outputs: [],
    };
  }

  function trialOf(m: ActionManifest, value: string): Trial {
    return {
      id: `${m.name}/my-input/x`,
      action: m.name,
      input: 'my-input',
      kind: 'free-text',
      label: 'x',
      value,
      acceptable: true,
      secretInput: false,
      inputs: { 'my-input': value },
      workspace: { 'a.txt': 'a' },
    };
  }

  it('verifies that the isolation leaves no network', () => {
    expect(() => verifyIsolation(node)).not.toThrow();
  });

  it('runs main, then post with STATE_ from the saved state and the same INPUT_ variables', async () => {
    const m = fakeAction(
      'with-post',
      `const fs=require('fs');fs.appendFileSync(process.env.GITHUB_STATE,'lease=abc\\n');
       fs.appendFileSync(process.env.GITHUB_OUTPUT,'seen='+process.env['INPUT_MY-INPUT']+'\\n');
       console.log('cwd-is-workspace='+(process.cwd()===process.env.GITHUB_WORKSPACE));`,
      `console.log('post state='+process.env.STATE_lease+' input='+process.env['INPUT_MY-INPUT']);`,
    );
    const result = await runTrial(trialOf(m, 'v1'), m, { repoRoot, node, scratch: dir });
    expect(result.main.outputs).toEqual({ seen: 'v1' });
    expect(result.main.stdout).toContain('cwd-is-workspace=true');
    expect(result.post?.stdout).toBe('post state=abc input=v1\n');
  });

  it('reports files left outside RUNNER_TEMP and in the workspace, not those in RUNNER_TEMP', async () => {
    const m = fakeAction(
      'writer',
      `const fs=require('fs'),p=require('path');
       fs.writeFileSync(p.join(process.env.RUNNER_TEMP,'ok'),'1');
       fs.writeFileSync(p.join(process.env.TMPDIR,'creds'),'1');
       fs.writeFileSync('out.sarif','1');`,
    );
    const result = await runTrial(trialOf(m, 'v'), m, { repoRoot, node, scratch: dir });
    expect(result.strayFiles).toEqual(['tmp/creds']);
    expect(result.workspaceFiles).toEqual(['out.sarif']);
  });

  it('kills a step at its deadline, with the children it started', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const m = fakeAction(
      'hangs',
      `const c=require('child_process').spawn('sleep',['60'],{stdio:'ignore'});
       require('fs').writeFileSync(${JSON.stringify(pidFile)},String(c.pid));setInterval(()=>{},1000);`,
    );
    const result = await runTrial(trialOf(m, 'v'), m, { repoRoot, node, scratch: dir, timeoutMs: 1000 });
    expect(result.main.timedOut).toBe(true);
    expect(result.main.signal).toBe('SIGKILL');
    const sleepPid = Number(readFileSync(pidFile, 'utf8'));
    const alive = () => {
      try {
        process.kill(sleepPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 20 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  });

  it('runs the step with no network', async () => {
    const m = fakeAction(
      'dials-out',
      `require('net').connect(443,'1.1.1.1').on('error',e=>{console.log(e.code);process.exit(1)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)});`,
    );
    const result = await runTrial(trialOf(m, 'v'), m, { repoRoot, node, scratch: dir });
    expect(result.main.stdout).toMatch(/^E[A-Z]+UNREACH\n$/);
  });
});

describe('the quick subset against the bundles', () => {
  it('has every bad input rejected cleanly, naming its input, or an acceptable one handled cleanly', async () => {
    const quick = quickSubset(trials);
    const scratch = mkdtempSync(join(tmpdir(), 'sweep-quick-'));
    try {
      const node = node24(repoRoot);
      const results = await runTrials(quick, manifests, { repoRoot, node, scratch, parallel: 2 }, (t, r) => {
        const m = manifests.find((x) => x.name === t.action)!;
        return toResult(t, judge({ ...t, outputs: m.outputs }, r), r.main.exitCode, r.main.durationMs);
      });
      const failed = results.filter((r) => r.outcome === 'failed');
      if (failed.length > 0) console.log(formatReport(results));
      expect(failed.map((r) => `${r.id}: ${r.problems.map((p) => p.detail).join('; ')}`)).toEqual([]);
      expect(results.length).toBe(quick.length);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 600_000);
});
