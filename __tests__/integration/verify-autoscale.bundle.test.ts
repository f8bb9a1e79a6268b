import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { runBundle, type StepResult } from '../helpers/runner.js';
import { waitFor } from '../helpers/wait.js';
import { call, type SandboxProcess, signInInputs, startSandbox, tokenFor } from '../sandbox/helpers.js';

// verify-autoscale's committed bundle in policy mode, run as the runner runs it, against the sandbox's
// control plane (no containers). The sandbox's default setting follows the seed and passes; each footgun
// is written as a real ARM PUT of the setting (Microsoft.Insights/autoscalesettings, 2022-10-01), and
// the bundle must find it.

let sb: SandboxProcess;
let token: string;
let original: Setting;

interface Rule {
  metricTrigger: Record<string, unknown> & {
    metricName: string;
    metricResourceUri: string;
    threshold: number;
  };
  scaleAction: Record<string, unknown> & { direction: string; cooldown: string; value?: string };
}
interface Profile {
  name: string;
  capacity: { minimum: string; maximum: string; default: string };
  rules: Rule[];
  recurrence?: {
    frequency: string;
    schedule: { timeZone: string; days: string[]; hours: number[]; minutes: number[] };
  };
}
interface Setting {
  location: string;
  properties: Record<string, unknown> & { profiles: Profile[]; enabled: boolean; targetResourceUri: string };
}

const API = 'api-version=2022-10-01';

function settingUrl(): string {
  const c = sb.conn;
  return `${c.armEndpoint}/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Insights/autoscalesettings/${c.autoscaleSettingName}?${API}`;
}

function siteId(): string {
  const c = sb.conn;
  return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Web/sites/${c.siteName}`;
}

async function putSetting(setting: Setting): Promise<void> {
  const reply = await call(sb, 'PUT', settingUrl(), { token, body: setting });
  if (reply.status !== 200 && reply.status !== 201)
    throw new Error(`PUT of the autoscale setting: ${reply.status} ${reply.text}`);
}

/** The original setting with one change, PUT through ARM. */
async function putChanged(edit: (s: Setting) => void): Promise<void> {
  const copy = structuredClone(original);
  edit(copy);
  await putSetting(copy);
}

beforeAll(async () => {
  sb = await startSandbox();
  token = await tokenFor(sb);
  const reply = await call(sb, 'GET', settingUrl(), { token });
  expect(reply.status).toBe(200);
  const body = reply.body as Setting;
  original = { location: body.location, properties: body.properties };
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

beforeEach(async () => {
  // Back to the seed's setting (a test may have deleted it).
  await putSetting(original);
});

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  const c = sb.conn;
  return {
    ...signInInputs(c),
    'resource-group': c.resourceGroup,
    'app-name': c.siteName,
    ...extra,
  };
}

function verify(extra: Record<string, string> = {}): Promise<StepResult> {
  return runBundle('verify-autoscale', inputs(extra), { NODE_EXTRA_CA_CERTS: sb.conn.caCertPath }, 60_000);
}

const errorLines = (step: StepResult) => step.log.split('\n').filter((l) => l.startsWith('::error::'));
const warningLines = (step: StepResult) => step.log.split('\n').filter((l) => l.startsWith('::warning::'));

interface FindingOut {
  id: string;
  severity: string;
  setting?: string;
  profile?: string;
  rule?: { index: number; metric: string };
  fix: string;
}
const findingsOf = (step: StepResult) => JSON.parse(step.outputs['findings'] ?? 'null') as FindingOut[];
const errorIds = (step: StepResult) =>
  [
    ...new Set(
      findingsOf(step)
        .filter((f) => f.severity === 'error')
        .map((f) => f.id),
    ),
  ].sort();

test("the sandbox's default setting (the seed's) passes: no error finding, outputs, report file and summary", async () => {
  const step = await verify();
  expect({ exit: step.exitCode, errors: errorLines(step) }).toEqual({ exit: 0, errors: [] });
  expect(step.outputs).toEqual({
    passed: 'true',
    findings: expect.any(String),
    'max-capacity': '',
    'scale-out-seconds': '',
    'scale-in-seconds': '',
    report: expect.stringMatching(/verify-autoscale-.*autoscale-report\.json$/),
  });
  const findings = findingsOf(step);
  // Its Requests rule scales out with no scale-in on Requests: a warning in each of its three profiles.
  expect(findings.map((f) => [f.id, f.severity, f.rule])).toEqual([
    ['AS041', 'warning', { index: 1, metric: 'Requests' }],
    ['AS041', 'warning', { index: 1, metric: 'Requests' }],
    ['AS041', 'warning', { index: 1, metric: 'Requests' }],
  ]);
  expect(warningLines(step)).toHaveLength(3);
  const path = step.outputs['report']!;
  expect(existsSync(path)).toBe(true);
  const report = JSON.parse(readFileSync(path, 'utf8'));
  expect(report).toMatchObject({
    version: 1,
    mode: 'policy',
    passed: true,
    app: { name: sb.conn.siteName, id: siteId() },
    findings,
  });
  expect(report.settings).toHaveLength(1);
  expect(report.settings[0]).toMatchObject({
    name: sb.conn.autoscaleSettingName,
    enabled: true,
    targetResourceUri: original.properties.targetResourceUri,
  });
  expect(report.settings[0].profiles.map((p: Profile) => p.name)).toEqual(
    original.properties.profiles.map((p) => p.name),
  );
  expect(step.summary).toContain('## ✅ verify-autoscale: pass');
  expect(step.summary).toContain('| ⚠️ | AS041 |');
  expect(step.summary).toContain(
    '| Business hours | weekly Mon Tue Wed Thu Fri from 08:00 (W. Europe Standard Time) | 4 | 4 | 10 | 3 |',
  );
  expect(step.summary).toContain('| Default (ends Business hours) |');
  expect(step.summary).toMatch(
    /\| Default \| 0 \| CpuPercentage \(plan, microsoft\.web\/serverfarms\) \| Average over PT10M .* > 70 \| \+1, cooldown PT5M \|/,
  );
  // Policy mode drives no load: no scaling test in the summary, no observe figures in the outputs.
  expect(step.summary).not.toContain('### Scaling test');
  expect(step.masked).toContain(sb.conn.clientSecret);
  expect(step.log).not.toContain(sb.conn.clientSecret);
  expect(step.summary).not.toContain(sb.conn.clientSecret);
});

const plan = () => original.properties.targetResourceUri;
const forEachProfile = (s: Setting, edit: (p: Profile) => void) => s.properties.profiles.forEach(edit);
const requestsRule = (p: Profile) => p.rules.find((r) => r.metricTrigger.metricName === 'Requests')!;
const cpuIn = (p: Profile) => p.rules.find((r) => r.scaleAction.direction === 'Decrease')!;

describe('each footgun, PUT through ARM, is found and fails the step', () => {
  test.each<[string, string, (s: Setting) => void]>([
    [
      'a Requests rule aimed at the plan (UnsupportedMetric)',
      'AS030',
      (s) => {
        const rule = requestsRule(s.properties.profiles[0]!);
        rule.metricTrigger.metricResourceUri = plan();
        rule.metricTrigger['metricNamespace'] = 'microsoft.web/serverfarms';
      },
    ],
    [
      'a rule without metricNamespace',
      'AS032',
      (s) => {
        delete s.properties.profiles[0]!.rules[0]!.metricTrigger['metricNamespace'];
      },
    ],
    [
      'out/in thresholds closer than the gap (flapping)',
      'AS042',
      (s) =>
        forEachProfile(s, (p) => {
          cpuIn(p).metricTrigger.threshold = 55;
        }),
    ],
    [
      'a business-hours profile without its end profile',
      'AS024',
      (s) => {
        s.properties.profiles = s.properties.profiles.filter((p) => !p.name.startsWith('{'));
      },
    ],
    [
      'a recurrence profile without a time zone',
      'AS026',
      (s) =>
        forEachProfile(s, (p) => {
          if (p.recurrence) p.recurrence.schedule.timeZone = '';
        }),
    ],
    [
      'a disabled setting',
      'AS002',
      (s) => {
        s.properties.enabled = false;
      },
    ],
    [
      'a minimum of 1 instance',
      'AS010',
      (s) => {
        s.properties.profiles[0]!.capacity = { minimum: '1', maximum: '10', default: '1' };
      },
    ],
    [
      'a maximum of 5 instances',
      'AS011',
      (s) =>
        forEachProfile(s, (p) => {
          p.capacity.maximum = '5';
        }),
    ],
    [
      'no scale-in rule at all',
      'AS040',
      (s) => {
        s.properties.profiles[0]!.rules = s.properties.profiles[0]!.rules.filter(
          (r) => r.scaleAction.direction === 'Increase',
        );
      },
    ],
    [
      'no CPU rule',
      'AS020',
      (s) =>
        forEachProfile(s, (p) => {
          p.rules = p.rules.filter((r) => r.metricTrigger.metricName !== 'CpuPercentage');
          const scaleIn = structuredClone(requestsRule(p));
          scaleIn.metricTrigger['operator'] = 'LessThan';
          scaleIn.metricTrigger.threshold = 300;
          scaleIn.scaleAction.direction = 'Decrease';
          p.rules.push(scaleIn);
        }),
    ],
    [
      'no Requests rule',
      'AS021',
      (s) =>
        forEachProfile(s, (p) => {
          p.rules = p.rules.filter((r) => r.metricTrigger.metricName !== 'Requests');
        }),
    ],
    [
      'no schedule',
      'AS022',
      (s) => {
        s.properties.profiles = [s.properties.profiles[0]!];
      },
    ],
    [
      'a business-hours minimum of 2',
      'AS023',
      (s) => {
        s.properties.profiles[1]!.capacity = { minimum: '2', maximum: '10', default: '2' };
      },
    ],
    [
      'a 1-minute cooldown',
      'AS043',
      (s) => {
        s.properties.profiles[0]!.rules[0]!.scaleAction.cooldown = 'PT1M';
      },
    ],
    [
      'a scale step of 5 instances',
      'AS044',
      (s) => {
        s.properties.profiles[0]!.rules[0]!.scaleAction.value = '5';
      },
    ],
  ])('%s: %s', async (_what, id, edit) => {
    await putChanged(edit);
    const step = await verify();
    expect(step.exitCode).toBe(1);
    expect(errorIds(step)).toEqual([id]);
    expect(step.outputs['passed']).toBe('false');
    const errors = errorLines(step);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^::error::verify-autoscale: the autoscale setting of plan ${sb.conn.planName} breaks the policy: \\d+ error finding\\(s\\): ${id}\\b`,
      ),
    );
    expect(step.summary).toContain('## ❌ verify-autoscale: fail');
    expect(step.summary).toContain(`| ❌ | ${id} |`);
    expect(existsSync(step.outputs['report']!)).toBe(true);
  });

  test('no setting at all: AS001', async () => {
    const deleted = await call(sb, 'DELETE', settingUrl(), { token });
    expect(deleted.status).toBe(200);
    const step = await verify();
    expect(step.exitCode).toBe(1);
    expect(findingsOf(step).map((f) => [f.id, f.severity])).toEqual([['AS001', 'error']]);
    expect(errorLines(step)[0]).toMatch(/breaks the policy: 1 error finding\(s\): AS001;?/);
    expect(JSON.parse(readFileSync(step.outputs['report']!, 'utf8')).settings).toEqual([]);
  });

  test('the policy decides: the same footgun passes under a policy that allows it', async () => {
    await putChanged((s) => {
      s.properties.profiles[0]!.rules[0]!.scaleAction.cooldown = 'PT1M';
    });
    const step = await verify({ policy: 'min-cooldown: 1m' });
    expect({ exit: step.exitCode, errors: errorIds(step) }).toEqual({ exit: 0, errors: [] });
  });
});

test('a rule that reads a deployment slot is a warning: the step passes with a warning annotation', async () => {
  await putChanged((s) => {
    const rule = requestsRule(s.properties.profiles[0]!);
    rule.metricTrigger.metricResourceUri = `${siteId()}/slots/staging`;
    rule.metricTrigger['metricNamespace'] = 'microsoft.web/sites/slots';
  });
  const step = await verify();
  expect(step.exitCode).toBe(0);
  expect(step.outputs['passed']).toBe('true');
  expect(findingsOf(step).find((f) => f.id === 'AS034')).toMatchObject({
    severity: 'warning',
    profile: 'Default',
    rule: { index: 1, metric: 'Requests' },
  });
  expect(warningLines(step).some((l) => l.includes('AS034'))).toBe(true);
});

describe('bad inputs: one line naming the input, exit 1, no Azure call', () => {
  // The sandbox logs one line per request it serves: a request for a marker path before and after the
  // run brackets the lines the run caused.
  let markers = 0;
  async function mark(): Promise<number> {
    const path = `/verify-autoscale-marker-${++markers}`;
    await call(sb, 'GET', `${sb.conn.armEndpoint}${path}`);
    await waitFor(() => sb.output().includes(path), { timeoutMs: 10_000, what: `the log line of ${path}` });
    return sb
      .output()
      .split('\n')
      .findIndex((l) => l.includes(path));
  }
  const served = (from: number, to: number) =>
    sb
      .output()
      .split('\n')
      .slice(from + 1, to);

  test('(the brackets see a valid run: its sign-in, site and settings requests)', async () => {
    const before = await mark();
    expect((await verify()).exitCode).toBe(0);
    const lines = served(before, await mark()).join('\n');
    expect(lines).toMatch(/login POST \/.*\/oauth2\/v2\.0\/token 200/);
    expect(lines).toMatch(/arm GET \/subscriptions\/.*\/sites\/[^/ ]+ 200/);
    expect(lines).toMatch(/arm GET \/subscriptions\/.*\/autoscalesettings 200/i);
  });

  test.each([
    ['malformed policy YAML', { policy: 'require: [cpu' }, /^Input "policy" must be valid YAML/],
    [
      'an unknown require entry',
      { policy: 'require: [cpu, memory]' },
      /^Input "policy" must be .*: require\[1\] must be one of "cpu", "requests", "business-hours"\.$/,
    ],
    [
      'min > max',
      { policy: 'min-instances: 6\nmax-instances: 4' },
      /^Input "policy" must have min-instances no greater than max-instances/,
    ],
    [
      'a bad duration',
      { policy: 'min-cooldown: soon' },
      /^Input "policy" min-cooldown must be a duration such as 5m, 10m or PT5M, got "soon"\.$/,
    ],
    [
      'users 0',
      { mode: 'observe', users: '0' },
      /^Input "users" must be a whole number from 1 to 100000, got "0"\.$/,
    ],
    [
      'users over 100000',
      { mode: 'observe', users: '100001' },
      /^Input "users" must be a whole number from 1 to 100000, got "100001"\.$/,
    ],
    [
      'a bad load duration',
      { mode: 'observe', duration: '5 minutes' },
      /^Input "duration" must be a duration such as 30s, 5m, 1h30m or PT5M, got "5 minutes"\.$/,
    ],
    [
      'an unknown mode',
      { mode: 'watch' },
      /^Input "mode" must be one of policy, observe, both, got "watch"\.$/,
    ],
  ])('%s', async (_what, extra, expected) => {
    const before = await mark();
    const step = await verify(extra as Record<string, string>);
    const after = await mark();
    expect(step.exitCode).toBe(1);
    const errors = errorLines(step);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.replace(/^::error::verify-autoscale: /, '')).toMatch(expected);
    expect(step.outputs).toEqual({});
    expect(served(before, after)).toEqual([]);
  });
});
