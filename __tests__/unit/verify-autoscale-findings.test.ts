import { describe, expect, test } from '@jest/globals';
import { InputReader } from '../../src/lib/inputs.js';
import {
  type AutoscaleProfile,
  type AutoscaleSetting,
  endProfileFor,
  FINDINGS,
  type Finding,
  type FindingId,
  judgeSettings,
  profileLabel,
  type ScaleRule,
} from '../../src/verify-autoscale/findings.js';
import { normalizePolicy, type Policy, type PolicySpec } from '../../src/verify-autoscale/policy.js';

// The policy judge on settings written as JSON, as Azure Monitor returns them. The good setting is the
// sandbox's default (sandbox/config.ts), which follows the seed; each test breaks one thing.

const GROUP = '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg';
const PLAN = `${GROUP}/providers/Microsoft.Web/serverfarms/plan`;
const SITE = `${GROUP}/providers/Microsoft.Web/sites/web`;

function policy(spec: PolicySpec = {}): Policy {
  return normalizePolicy(spec, new InputReader({}));
}

function cpu(operator: 'GreaterThan' | 'LessThan', threshold: number, cooldown = 'PT5M'): ScaleRule {
  return {
    metricTrigger: {
      metricName: 'CpuPercentage',
      metricNamespace: 'microsoft.web/serverfarms',
      metricResourceUri: PLAN,
      timeGrain: 'PT1M',
      statistic: 'Average',
      timeWindow: 'PT10M',
      timeAggregation: 'Average',
      operator,
      threshold,
      dividePerInstance: false,
    },
    scaleAction: {
      direction: operator === 'GreaterThan' ? 'Increase' : 'Decrease',
      type: 'ChangeCount',
      value: '1',
      cooldown,
    },
  };
}

function requests(operator = 'GreaterThan', threshold = 1000, resource = SITE): ScaleRule {
  return {
    metricTrigger: {
      metricName: 'Requests',
      metricNamespace: 'microsoft.web/sites',
      metricResourceUri: resource,
      timeGrain: 'PT1M',
      statistic: 'Sum',
      timeWindow: 'PT5M',
      timeAggregation: 'Total',
      operator,
      threshold,
      dividePerInstance: true,
    },
    scaleAction: {
      direction: operator === 'GreaterThan' ? 'Increase' : 'Decrease',
      type: 'ChangeCount',
      value: '1',
      cooldown: 'PT5M',
    },
  };
}

const rules = () => [cpu('GreaterThan', 70), requests(), cpu('LessThan', 30, 'PT10M')];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const ZONE = 'W. Europe Standard Time';

function weekly(hour: number, days = WEEKDAYS, timeZone = ZONE, minute = 0) {
  return { frequency: 'Week', schedule: { timeZone, days, hours: [hour], minutes: [minute] } };
}

function goodSetting(): AutoscaleSetting {
  return {
    id: `${GROUP}/providers/microsoft.insights/autoscalesettings/as`,
    name: 'as',
    enabled: true,
    targetResourceUri: PLAN,
    profiles: [
      { name: 'Default', capacity: { minimum: '2', maximum: '10', default: '2' }, rules: rules() },
      {
        name: 'Business hours',
        capacity: { minimum: '4', maximum: '10', default: '4' },
        rules: rules(),
        recurrence: weekly(8),
      },
      {
        name: '{"name":"Default","for":"Business hours"}',
        capacity: { minimum: '2', maximum: '10', default: '2' },
        rules: rules(),
        recurrence: weekly(18),
      },
    ],
  };
}

/** The good setting with one change. */
function changed(edit: (s: AutoscaleSetting) => void): AutoscaleSetting {
  const s = goodSetting();
  edit(s);
  return s;
}

const profileNamed = (s: AutoscaleSetting, name: string): AutoscaleProfile =>
  s.profiles.find((p) => p.name === name)!;

function judge(setting: AutoscaleSetting | undefined, spec: PolicySpec = {}): Finding[] {
  return judgeSettings(setting ? [setting] : [], { policy: policy(spec), planId: PLAN, siteId: SITE });
}

const ids = (findings: Finding[]) => [...new Set(findings.map((f) => f.id))].sort();
const errorIds = (findings: Finding[]) => ids(findings.filter((f) => f.severity === 'error'));

describe('the good setting (the sandbox default)', () => {
  test('has no error finding; its Requests rule without a scale-in on Requests is a warning per profile', () => {
    const findings = judge(goodSetting());
    expect(errorIds(findings)).toEqual([]);
    expect(findings.map((f) => [f.id, f.severity, f.profile, f.rule])).toEqual([
      ['AS041', 'warning', 'Default', { index: 1, metric: 'Requests' }],
      ['AS041', 'warning', 'Business hours', { index: 1, metric: 'Requests' }],
      ['AS041', 'warning', '{"name":"Default","for":"Business hours"}', { index: 1, metric: 'Requests' }],
    ]);
  });

  test('with a scale-in rule on Requests too, it has no finding at all', () => {
    const s = changed((s) => {
      for (const p of s.profiles) p.rules.push(requests('LessThan', 300));
    });
    expect(judge(s)).toEqual([]);
  });

  test('every finding has a severity from the catalog, a message and a one-line fix', () => {
    const s = changed((s) => {
      s.enabled = false;
      s.profiles[0]!.capacity = { minimum: '1', maximum: '20', default: '1' };
    });
    const findings = judge(s);
    expect(findings.length).toBeGreaterThan(2);
    for (const f of findings) {
      expect(f.severity).toBe(FINDINGS[f.id].severity);
      expect(f.message).not.toMatch(/\n/);
      expect(f.fix).toMatch(/^\S.*\S$/);
      expect(f.fix).not.toMatch(/\n/);
      expect(f.setting).toBe('as');
    }
  });
});

describe('setting-level findings', () => {
  test('AS001: no setting targets the plan (none at all, or only one for another plan)', () => {
    expect(ids(judge(undefined))).toEqual(['AS001']);
    const other = changed((s) => {
      s.targetResourceUri = `${GROUP}/providers/Microsoft.Web/serverfarms/other-plan`;
    });
    const findings = judge(other);
    expect(ids(findings)).toEqual(['AS001']);
    expect(findings[0]).toMatchObject({ severity: 'error', message: expect.stringContaining(PLAN) });
    expect(findings[0]!.setting).toBeUndefined();
  });

  test('the target is compared without case, as Azure compares resource ids', () => {
    const s = changed((s) => {
      s.targetResourceUri = PLAN.toLowerCase();
    });
    expect(errorIds(judge(s))).toEqual([]);
  });

  test('AS002: a disabled setting', () => {
    const findings = judge(
      changed((s) => {
        s.enabled = false;
      }),
    );
    expect(errorIds(findings)).toEqual(['AS002']);
  });
});

describe('capacity bounds', () => {
  test('AS010: a profile minimum below the policy minimum', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[0]!.capacity = { minimum: '1', maximum: '10', default: '1' };
      }),
    );
    expect(errorIds(findings)).toEqual(['AS010']);
    expect(findings.find((f) => f.id === 'AS010')).toMatchObject({ profile: 'Default' });
  });

  test('AS011 and AS012: a maximum below or above the policy maximum', () => {
    expect(
      errorIds(
        judge(
          changed((s) => {
            s.profiles[0]!.capacity.maximum = '5';
          }),
        ),
      ),
    ).toEqual(['AS011']);
    expect(
      errorIds(
        judge(
          changed((s) => {
            s.profiles[2]!.capacity.maximum = '30';
          }),
        ),
      ),
    ).toEqual(['AS012']);
  });

  test('AS013: a default outside the profile bounds (Azure refuses it, but a setting may come from elsewhere)', () => {
    expect(
      errorIds(
        judge(
          changed((s) => {
            s.profiles[0]!.capacity.default = '11';
          }),
        ),
      ),
    ).toEqual(['AS013']);
  });

  test('the policy bounds are the user’s: min 1, max 20 accepts what the default policy refuses', () => {
    const s = changed((s) => {
      for (const p of s.profiles) p.capacity.maximum = '20';
      s.profiles[0]!.capacity = { minimum: '1', maximum: '20', default: '1' };
    });
    expect(errorIds(judge(s))).toEqual(['AS010', 'AS012']);
    expect(errorIds(judge(s, { 'min-instances': 1, 'max-instances': 20 }))).toEqual([]);
  });
});

describe('required rules', () => {
  test('AS020: a profile without a scale-out rule on CPU', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[0]!.rules = [requests(), requests('LessThan', 300)];
      }),
    );
    expect(errorIds(findings)).toEqual(['AS020']);
    expect(findings.find((f) => f.id === 'AS020')!.profile).toBe('Default');
  });

  test('AS021: a profile without a scale-out rule on Requests', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[1]!.rules = [cpu('GreaterThan', 70), cpu('LessThan', 30)];
      }),
    );
    expect(errorIds(findings)).toEqual(['AS021']);
    expect(findings.find((f) => f.id === 'AS021')!.profile).toBe('Business hours');
  });

  test('require: [] asks for no rule, and a fixed-count profile (min = max) is not asked for rules', () => {
    const noRules = changed((s) => {
      s.profiles[0]!.rules = [cpu('GreaterThan', 70), cpu('LessThan', 30)];
    });
    expect(errorIds(judge(noRules, { require: ['cpu', 'business-hours'] }))).toEqual([]);
    const fixed = changed((s) => {
      s.profiles[0]!.capacity = { minimum: '10', maximum: '10', default: '10' };
      s.profiles[0]!.rules = [];
    });
    expect(errorIds(judge(fixed))).toEqual([]);
  });

  test('AS040: scale-out rules and no scale-in rule at all', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[0]!.rules = [cpu('GreaterThan', 70), requests()];
      }),
    );
    expect(errorIds(findings)).toEqual(['AS040']);
    expect(ids(findings.filter((f) => f.profile === 'Default'))).toEqual(['AS040', 'AS041']);
  });

  test('AS041: a scale-out rule with no scale-in on the same metric is a warning', () => {
    const findings = judge(goodSetting());
    expect(findings.every((f) => f.id === 'AS041' && f.severity === 'warning')).toBe(true);
  });
});

describe('schedule', () => {
  test('AS022: no business-hours profile', () => {
    const findings = judge(
      changed((s) => {
        s.profiles = [s.profiles[0]!];
      }),
    );
    expect(errorIds(findings)).toEqual(['AS022']);
    expect(findings.find((f) => f.id === 'AS022')!.message).toMatch(/there is no recurrence profile/);
    expect(
      errorIds(
        judge(
          changed((s) => {
            s.profiles = [s.profiles[0]!];
          }),
          { require: ['cpu', 'requests'] },
        ),
      ),
    ).toEqual([]);
  });

  test('AS022: business hours that start at another time or miss a day', () => {
    const late = judge(
      changed((s) => {
        s.profiles[1]!.recurrence = weekly(9);
      }),
    );
    expect(errorIds(late)).toEqual(['AS022']);
    expect(late.find((f) => f.id === 'AS022')!.message).toMatch(/Business hours: Monday, .* at 09:00/);
    const noFriday = judge(
      changed((s) => {
        s.profiles[1]!.recurrence = weekly(8, WEEKDAYS.slice(0, 4));
      }),
    );
    expect(errorIds(noFriday)).toEqual(['AS022']);
  });

  test('AS023: a business-hours minimum below the policy', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[1]!.capacity = { minimum: '2', maximum: '10', default: '2' };
      }),
    );
    expect(errorIds(findings)).toEqual(['AS023']);
    expect(findings.find((f) => f.id === 'AS023')!.profile).toBe('Business hours');
  });

  test('AS024: a recurrence profile with no end profile (business hours would hold all week)', () => {
    const findings = judge(
      changed((s) => {
        s.profiles = s.profiles.slice(0, 2);
      }),
    );
    expect(errorIds(findings)).toEqual(['AS024']);
    expect(findings.find((f) => f.id === 'AS024')).toMatchObject({
      profile: 'Business hours',
      fix: expect.stringContaining('{"name":"Default","for":"Business hours"}'),
    });
  });

  test('an end profile need not have the portal name: any recurrence on the same days ends it', () => {
    const s = changed((s) => {
      s.profiles[2]!.name = 'Evening';
    });
    expect(errorIds(judge(s))).toEqual([]);
  });

  test('AS024: a weekend profile is not ended by a weekday one', () => {
    const s = changed((s) => {
      s.profiles.push({
        name: 'Weekend',
        capacity: { minimum: '2', maximum: '10', default: '2' },
        rules: rules(),
        recurrence: weekly(0, ['Saturday', 'Sunday']),
      });
    });
    const findings = judge(s);
    expect(errorIds(findings)).toEqual(['AS024']);
    expect(findings.find((f) => f.id === 'AS024')!.profile).toBe('Weekend');
  });

  test('AS025: business hours end at another time than the policy', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[2]!.recurrence = weekly(17);
      }),
    );
    expect(errorIds(findings)).toEqual(['AS025']);
    expect(findings.find((f) => f.id === 'AS025')!.message).toMatch(/at 17:00 .*not at 18:00/);
  });

  test('AS026: a recurrence profile without a time zone', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[1]!.recurrence = weekly(8, WEEKDAYS, '');
      }),
    );
    expect(errorIds(findings)).toEqual(['AS026']);
    expect(findings.find((f) => f.id === 'AS026')!.profile).toBe('Business hours');
  });

  test('AS027: a time zone other than the policy’s is a warning; the same one, in any case, is fine', () => {
    const findings = judge(goodSetting(), { 'business-hours': { 'time-zone': 'Pacific Standard Time' } });
    expect(errorIds(findings)).toEqual([]);
    expect(findings.filter((f) => f.id === 'AS027').map((f) => f.profile)).toEqual([
      'Business hours',
      '{"name":"Default","for":"Business hours"}',
    ]);
    const same = judge(goodSetting(), { 'business-hours': { 'time-zone': ZONE.toLowerCase() } });
    expect(ids(same)).toEqual(['AS041']);
  });

  test('the policy’s own hours: 09:00 to 17:00 on weekdays', () => {
    const s = changed((s) => {
      s.profiles[1]!.recurrence = weekly(9);
      s.profiles[2]!.recurrence = weekly(17);
    });
    expect(errorIds(judge(s, { 'business-hours': { start: '09:00', end: '17:00' } }))).toEqual([]);
    expect(errorIds(judge(s))).toEqual(['AS022']);
  });
});

describe('rules', () => {
  test('AS030: a Requests rule aimed at the plan (UnsupportedMetric)', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[0]!.rules[1] = requests('GreaterThan', 1000, PLAN);
      }),
    );
    expect(errorIds(findings)).toEqual(['AS030']);
    // Its namespace (sites) does not match the plan either: a warning beside it.
    expect(ids(findings.filter((f) => f.rule?.index === 1 && f.profile === 'Default'))).toEqual([
      'AS030',
      'AS033',
      'AS041',
    ]);
    expect(findings.find((f) => f.id === 'AS030')).toMatchObject({
      profile: 'Default',
      rule: { index: 1, metric: 'Requests' },
      fix: expect.stringContaining(SITE),
    });
  });

  test('AS031: a CPU rule aimed at the site', () => {
    const findings = judge(
      changed((s) => {
        const rule = cpu('GreaterThan', 70);
        rule.metricTrigger.metricResourceUri = SITE;
        rule.metricTrigger.metricNamespace = 'microsoft.web/sites';
        s.profiles[0]!.rules[0] = rule;
      }),
    );
    expect(errorIds(findings)).toEqual(['AS031']);
  });

  test('AS032: a rule without metricNamespace (missing or empty)', () => {
    const findings = judge(
      changed((s) => {
        delete s.profiles[0]!.rules[0]!.metricTrigger.metricNamespace;
        s.profiles[1]!.rules[1]!.metricTrigger.metricNamespace = '';
      }),
    );
    expect(errorIds(findings)).toEqual(['AS032']);
    expect(findings.filter((f) => f.id === 'AS032').map((f) => [f.profile, f.rule])).toEqual([
      ['Default', { index: 0, metric: 'CpuPercentage' }],
      ['Business hours', { index: 1, metric: 'Requests' }],
    ]);
    expect(findings.find((f) => f.id === 'AS032')!.fix).toContain('microsoft.web/serverfarms');
  });

  test('AS033: a namespace that does not match the resource is a warning', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[0]!.rules[0]!.metricTrigger.metricNamespace = 'microsoft.web/sites';
      }),
    );
    expect(errorIds(findings)).toEqual([]);
    expect(findings.find((f) => f.id === 'AS033')).toMatchObject({ severity: 'warning', rule: { index: 0 } });
  });

  test('AS034: a rule that reads a deployment slot is a warning', () => {
    const findings = judge(
      changed((s) => {
        const rule = requests('GreaterThan', 1000, `${SITE}/slots/staging`);
        rule.metricTrigger.metricNamespace = 'microsoft.web/sites/slots';
        s.profiles[0]!.rules[1] = rule;
      }),
    );
    expect(errorIds(findings)).toEqual([]);
    expect(findings.find((f) => f.id === 'AS034')).toMatchObject({ severity: 'warning', profile: 'Default' });
  });

  test('AS042: CPU thresholds closer than min-threshold-gap flap', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[0]!.rules[2] = cpu('LessThan', 60, 'PT10M');
      }),
    );
    expect(errorIds(findings)).toEqual(['AS042']);
    expect(findings.find((f) => f.id === 'AS042')).toMatchObject({
      profile: 'Default',
      rule: { index: 2, metric: 'CpuPercentage' },
      message: expect.stringContaining('10 points apart'),
      fix: expect.stringContaining('40'),
    });
    // Exactly the gap is enough; a smaller policy gap accepts closer thresholds.
    const at = changed((s) => {
      s.profiles[0]!.rules[2] = cpu('LessThan', 40, 'PT10M');
    });
    expect(errorIds(judge(at))).toEqual([]);
    expect(errorIds(judge(findingsSetting(60), { 'min-threshold-gap': 10 }))).toEqual([]);
  });

  test('AS043: a cooldown below min-cooldown', () => {
    const findings = judge(
      changed((s) => {
        s.profiles[0]!.rules[0]!.scaleAction.cooldown = 'PT1M';
      }),
    );
    expect(errorIds(findings)).toEqual(['AS043']);
    expect(findings.find((f) => f.id === 'AS043')).toMatchObject({ rule: { index: 0 } });
    expect(
      errorIds(
        judge(
          changed((s) => {
            s.profiles[0]!.rules[0]!.scaleAction.cooldown = 'PT1M';
          }),
          {
            'min-cooldown': '1m',
          },
        ),
      ),
    ).toEqual([]);
  });

  test('AS044: a scale step above max-scale-step (count, percent and exact count)', () => {
    const byCount = judge(
      changed((s) => {
        s.profiles[0]!.rules[0]!.scaleAction.value = '5';
      }),
    );
    expect(errorIds(byCount)).toEqual(['AS044']);
    expect(byCount.find((f) => f.id === 'AS044')!.message).toContain('by 5 instances');
    const byPercent = judge(
      changed((s) => {
        s.profiles[0]!.rules[0]!.scaleAction = {
          direction: 'Increase',
          type: 'PercentChangeCount',
          value: '50',
          cooldown: 'PT5M',
        };
      }),
    );
    expect(errorIds(byPercent)).toEqual(['AS044']);
    const exact = judge(
      changed((s) => {
        s.profiles[0]!.rules[0]!.scaleAction = {
          direction: 'Increase',
          type: 'ExactCount',
          value: '8',
          cooldown: 'PT5M',
        };
      }),
    );
    expect(errorIds(exact)).toEqual(['AS044']);
    const three = changed((s) => {
      s.profiles[0]!.rules[0]!.scaleAction.value = '3';
    });
    expect(errorIds(judge(three))).toEqual([]);
  });
});

/** The good setting with its Default profile's scale-in CPU threshold at `threshold`. */
function findingsSetting(threshold: number): AutoscaleSetting {
  return changed((s) => {
    s.profiles[0]!.rules[2] = cpu('LessThan', threshold, 'PT10M');
  });
}

describe('profile names', () => {
  test("the portal's end profile is read as such, other names as they are", () => {
    const s = goodSetting();
    expect(endProfileFor(profileNamed(s, '{"name":"Default","for":"Business hours"}'))).toBe(
      'Business hours',
    );
    expect(endProfileFor(profileNamed(s, 'Default'))).toBeUndefined();
    expect(profileLabel('{"name":"Default","for":"Business hours"}')).toBe('Default (ends Business hours)');
    expect(profileLabel('{not json')).toBe('{not json');
  });

  test('the catalog ids are stable and unique', () => {
    const all = Object.keys(FINDINGS) as FindingId[];
    expect(all.every((id) => /^AS\d{3}$/.test(id))).toBe(true);
    expect(all).toEqual(expect.arrayContaining(['AS001', 'AS002', 'AS024', 'AS030', 'AS032', 'AS042']));
  });
});
