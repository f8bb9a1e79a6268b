import { describe, expect, test } from '@jest/globals';
import {
  computeLabels,
  computeTags,
  DEFAULT_TAG_RULES,
  type EventContext,
  parseLabels,
  parseTagRules,
  sanitizeTag,
} from '../../src/build-image/metadata.js';

/** Expectations follow docker/metadata-action's README tables and its documented defaults. */

const SHA = '90dd6032fac8bda1b6c4436a2e65de27961ed071';
const NOW = new Date('2026-03-26T04:05:06Z');
const repository = {
  name: 'Hello-World',
  description: 'This your first repo!',
  html_url: 'https://github.com/octocat/Hello-World',
  default_branch: 'main',
  license: { spdx_id: 'MIT' },
};

function event(eventName: string, ref: string, payload: EventContext['payload'] = {}): EventContext {
  return {
    eventName,
    ref,
    sha: SHA,
    serverUrl: 'https://github.com',
    repo: { owner: 'octocat', repo: 'Hello-World' },
    payload: { repository, ...payload },
  };
}

const pushMain = event('push', 'refs/heads/main');
const pushBranch = event('push', 'refs/heads/feature/Login_Form');
const pushTag = event('push', 'refs/tags/v1.2.3');
const pushPrerelease = event('push', 'refs/tags/v2.0.8-beta.67');
const pullRequest = event('pull_request', 'refs/pull/2/merge', {
  pull_request: { number: 2, head: { ref: 'fix/typo' } },
});
const schedule = event('schedule', 'refs/heads/main');
const dispatch = event('workflow_dispatch', 'refs/heads/main');

const FULL_RULES = [
  'type=schedule',
  'type=ref,event=branch',
  'type=ref,event=tag',
  'type=ref,event=pr',
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}',
  'type=semver,pattern={{major}}',
  'type=edge',
  'type=sha',
];

describe('computeTags with the default rules (metadata-action defaults plus type=sha)', () => {
  test.each<[string, EventContext, string[]]>([
    ['push to the default branch', pushMain, ['main', 'sha-90dd603']],
    ['push to another branch (slashes sanitized)', pushBranch, ['feature-Login_Form', 'sha-90dd603']],
    ['a semver tag v1.2.3', pushTag, ['v1.2.3', 'sha-90dd603', 'latest']],
    ['a pre-release tag', pushPrerelease, ['v2.0.8-beta.67', 'sha-90dd603', 'latest']],
    ['a pull request', pullRequest, ['pr-2', 'sha-90dd603']],
    ['a schedule', schedule, ['nightly', 'main', 'sha-90dd603']],
    ['workflow_dispatch on main', dispatch, ['main', 'sha-90dd603']],
  ])('%s', (_name, ctx, expected) => {
    expect(computeTags(parseTagRules(DEFAULT_TAG_RULES), ctx, NOW).tags).toEqual(expected);
  });
});

describe('computeTags with every rule type', () => {
  test.each<[string, EventContext, string[], string]>([
    ['push to the default branch', pushMain, ['edge', 'main', 'sha-90dd603'], 'edge'],
    ['push to another branch', pushBranch, ['feature-Login_Form', 'sha-90dd603'], 'feature-Login_Form'],
    ['a semver tag v1.2.3', pushTag, ['1.2.3', '1.2', '1', 'v1.2.3', 'sha-90dd603', 'latest'], '1.2.3'],
    // Pre-releases only extend {{version}}: {{major}}.{{minor}} and {{major}} also render 2.0.8-beta.67.
    [
      'a pre-release tag',
      pushPrerelease,
      ['2.0.8-beta.67', 'v2.0.8-beta.67', 'sha-90dd603', 'latest'],
      '2.0.8-beta.67',
    ],
    ['a pull request', pullRequest, ['pr-2', 'sha-90dd603'], 'pr-2'],
    ['a schedule', schedule, ['nightly', 'edge', 'main', 'sha-90dd603'], 'nightly'],
    ['workflow_dispatch on main', dispatch, ['edge', 'main', 'sha-90dd603'], 'edge'],
  ])('%s', (_name, ctx, expected, version) => {
    const result = computeTags(parseTagRules(FULL_RULES), ctx, NOW);
    expect(result.tags).toEqual(expected);
    expect(result.version).toBe(version);
  });
});

describe('tag rule attributes', () => {
  test.each<[string, EventContext, string[]]>([
    ['type=semver,pattern={{raw}}', pushTag, ['v1.2.3', 'latest']],
    ['type=semver,pattern=v{{major}}', pushTag, ['v1', 'latest']],
    ['type=semver,pattern={{minor}}', pushTag, ['2', 'latest']],
    ['type=semver,pattern={{patch}}', pushTag, ['3', 'latest']],
    ['type=semver,pattern={{version}}', pushMain, []],
    ['type=semver,pattern={{version}},value=v3.4.5', pushMain, ['3.4.5', 'latest']],
    ['type=semver,pattern={{version}}', event('push', 'refs/tags/release-candidate'), []],
    ['type=match,pattern=v(\\d.\\d),group=1', pushPrerelease, ['2.0', 'latest']],
    ['type=match,pattern=\\d.\\d.\\d', pushTag, ['1.2.3', 'latest']],
    ['type=sha,format=long', pushMain, [`sha-${SHA}`]],
    ['type=sha,prefix={{branch}}-', pushMain, ['main-90dd603']],
    ['type=sha,prefix=,suffix=-amd64', pushMain, ['90dd603-amd64']],
    ['type=raw,value=mytag-{{branch}}-{{sha}}', pushMain, ['mytag-main-90dd603']],
    ['type=raw,foo', pushMain, ['foo']],
    ['stable', pushMain, ['stable']],
    ['type=raw,value=foo,enable=false', pushMain, []],
    ["type=schedule,pattern={{date 'YYYYMMDD'}}", schedule, ['20260326']],
    ["type=schedule,pattern={{date 'YYYYMMDD'}}", pushMain, []],
    ['type=edge,branch=develop', pushMain, []],
    ['type=edge,branch=develop', event('push', 'refs/heads/develop'), ['edge']],
    ['type=ref,event=pr,prefix=pull-', pullRequest, ['pull-2']],
    ['type=ref,event=pr', pushMain, []],
    ['type=ref,event=branch', pullRequest, []],
  ])('%s', (rule, ctx, expected) => {
    expect(computeTags(parseTagRules([rule]), ctx, NOW).tags).toEqual(expected);
  });

  test('priority orders tags; equal priorities keep the written order; duplicates collapse', () => {
    const rules = parseTagRules([
      'type=raw,value=b',
      'type=raw,value=a',
      'type=sha,priority=300',
      'type=raw,value=b',
    ]);
    expect(computeTags(rules, pushMain, NOW).tags).toEqual(['sha-90dd603', 'b', 'a']);
  });

  test('no applicable rule gives no tags and an empty version', () => {
    expect(computeTags(parseTagRules(['type=ref,event=tag']), pushMain, NOW)).toEqual({
      tags: [],
      version: '',
    });
  });
});

describe('sanitizeTag', () => {
  test.each([
    ['feature/login', 'feature-login'],
    ['renovate/npm-@types/node-22.x', 'renovate-npm--types-node-22.x'],
    ['-leading', 'leading'],
    ['a'.repeat(200), 'a'.repeat(128)],
  ])('%s -> %s', (raw, expected) => {
    expect(sanitizeTag(raw)).toBe(expected);
  });
});

describe('parseTagRules rejects malformed rules with one line naming the input', () => {
  test.each([
    ['type=bogus', 'unknown type "bogus"'],
    ['type=ref', 'type=ref needs event=branch'],
    ['type=ref,event=push', 'type=ref needs event=branch'],
    ['type=semver', 'type=semver needs a pattern'],
    ['type=sha,format=medium', 'format must be short or long'],
    ['type=sha,colour=blue', 'type=sha has no attribute "colour"'],
    ['type=raw,value=x,enable=yes', 'enable must be true or false'],
    ['type=raw,value=x,priority=high', 'priority must be a whole number'],
    ['type=match,pattern=(', 'pattern is not a valid regular expression'],
    ['event=branch,type=ref', 'the first attribute must be type='],
  ])('%s', (rule, problem) => {
    expect(() => parseTagRules([rule])).toThrow(/^Input "tags" must be lines of type=/);
    expect(() => parseTagRules([rule])).toThrow(problem);
  });
});

describe('computeLabels', () => {
  test('the standard OCI labels from the repository and commit (metadata-action bake-file example)', () => {
    expect(computeLabels(pushTag, '1.2.3', new Date('2020-01-10T00:30:00.000Z'))).toEqual({
      'org.opencontainers.image.title': 'Hello-World',
      'org.opencontainers.image.description': 'This your first repo!',
      'org.opencontainers.image.url': 'https://github.com/octocat/Hello-World',
      'org.opencontainers.image.source': 'https://github.com/octocat/Hello-World',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.licenses': 'MIT',
    });
  });

  test('without a repository payload (workflow_dispatch from the API) falls back to the repo name and server URL', () => {
    const bare: EventContext = { ...dispatch, payload: {} };
    const labels = computeLabels(bare, 'main', NOW);
    expect(labels['org.opencontainers.image.source']).toBe('https://github.com/octocat/Hello-World');
    expect(labels['org.opencontainers.image.title']).toBe('Hello-World');
    expect(labels['org.opencontainers.image.licenses']).toBe('');
  });

  test('user labels override the computed ones', () => {
    const extra = parseLabels(['org.opencontainers.image.title=Portal', 'maintainer=ops@example.com']);
    const labels = computeLabels(pushMain, 'main', NOW, extra);
    expect(labels['org.opencontainers.image.title']).toBe('Portal');
    expect(labels['maintainer']).toBe('ops@example.com');
  });

  test('a label line without key=value is a one-line input error', () => {
    expect(() => parseLabels(['just text'])).toThrow(/^Input "labels" must be lines of key=value.*line 1/);
  });
});
