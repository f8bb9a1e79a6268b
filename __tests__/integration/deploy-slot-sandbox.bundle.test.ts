import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { type DeploySandbox, READER, START_IMAGE, startDeploySandbox } from '../helpers/deploy-sandbox.js';
import { runBundle, type StepResult } from '../helpers/runner.js';

// deploy-slot's committed bundle, run as the runner runs it (child process, INPUT_* env with hyphens kept,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), against the control-plane sandbox over TLS. A stand-in
// app answers at each slot's host name from the slot's current image (see helpers/deploy-sandbox.ts).

let ds: DeploySandbox;

beforeAll(async () => {
  ds = await startDeploySandbox();
}, 60_000);

afterAll(async () => {
  await ds?.stop();
});

beforeEach(() => ds.reset());

const V2 = 'ghcr.io/slotline-demo/web:2.0.0';
const V3 = 'ghcr.io/slotline-demo/web:3.0.0';
const V4 = 'ghcr.io/slotline-demo/web:4.0.0';

function deploySlot(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<StepResult> {
  return runBundle('deploy-slot', ds.inputs(inputs), ds.env(env), 120_000);
}

/** The last line the action failed with (`::error::deploy-slot: …`). */
function errorLine(step: StepResult): string {
  return (
    step.log
      .split('\n')
      .filter((l) => l.startsWith('::error::'))
      .pop() ?? ''
  );
}

function expectRecord(target: string | undefined, previous: string | undefined) {
  const tags = ds.tags();
  expect(tags['slotline-released-image']).toBe(target);
  expect(tags['slotline-previous-image']).toBe(previous);
  expect(tags['slotline-lease']).toBeUndefined();
}

describe('release', () => {
  test('good image: production serves it, the slot holds the old one, outputs and summary say so, secrets stay hidden', async () => {
    const registryPassword = 'registry-pass-7f3a91c2';
    const apiKey = 'api-key-value-19ad0e77';
    const step = await deploySlot({
      image: V2,
      'registry-username': 'ci-bot',
      'registry-password': registryPassword,
      'app-settings': `FEATURE_BANNER: "on"\nAPI_KEY: {value: ${apiKey}, secret: true}\nRETRIES: 3`,
      'sticky-settings': 'REGION_LABEL',
    });
    expect({ exit: step.exitCode, error: errorLine(step) }).toEqual({ exit: 0, error: '' });
    expect(ds.image('production')).toBe(V2);
    expect(ds.image('staging')).toBe(START_IMAGE);
    const prodPort = ds.resource().properties['defaultHostName'];
    expect(step.outputs).toEqual({
      'slot-url': `https://${ds.resource('staging').properties['defaultHostName']}`,
      'production-url': `https://${prodPort}`,
      image: V2,
      'previous-image': START_IMAGE,
      swapped: 'true',
      'rolled-back': 'false',
      'duration-seconds': expect.stringMatching(/^\d+\.\d$/),
    });
    expectRecord(V2, START_IMAGE);
    // The new app's settings went with it into production; sticky names were added to the site.
    const prodSettings = ds.resource().internal?.['appSettings'] as Record<string, string>;
    expect(prodSettings).toMatchObject({ FEATURE_BANNER: 'on', API_KEY: apiKey, RETRIES: '3' });
    expect(prodSettings['DOCKER_REGISTRY_SERVER_URL']).toBe('https://ghcr.io');
    expect(prodSettings['DOCKER_REGISTRY_SERVER_PASSWORD']).toBe(registryPassword);
    const sticky = (ds.resource().internal?.['slotConfigNames'] as { appSettingNames: string[] } | undefined)
      ?.appSettingNames;
    expect(sticky).toEqual(expect.arrayContaining(['APP_SLOT_LABEL', 'REGION_LABEL']));
    // Summary: a Mermaid timeline of the phases, images before and after, the outcome.
    expect(step.summary).toContain('```mermaid\ngantt');
    for (const phase of ['lock', 'deploy', 'wait healthy', 'swap', 'verify', 'record', 'unlock'])
      expect(step.summary).toContain(`| ${phase} | ok |`);
    expect(step.summary).toContain(`| before | ${START_IMAGE} | ${START_IMAGE} |`);
    expect(step.summary).toContain(`| after | ${V2} | ${START_IMAGE} |`);
    // Secrets: masked, and absent from log, outputs and summary.
    for (const secret of [registryPassword, apiKey, ds.sb.connection.clientSecret]) {
      expect(step.masked).toContain(secret);
      expect(step.log).not.toContain(secret);
      expect(step.debug).not.toContain(secret);
      expect(JSON.stringify(step.outputs)).not.toContain(secret);
      expect(step.summary).not.toContain(secret);
    }
    expect(step.log).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT (access or GitHub token)
  });

  test('a bad image that never becomes healthy: production untouched, slot restored, rolled-back=true, exit 1', async () => {
    const bad = 'ghcr.io/slotline-demo/web-never-healthy:9.9.9';
    const step = await deploySlot({ image: bad, 'health-timeout': '3s' });
    expect(step.exitCode).toBe(1);
    expect(errorLine(step)).toMatch(
      /release failed in wait healthy: .*did not become healthy in 3s.*last answered 503.*Rolled back: production serves ghcr\.io\/slotline-demo\/web:1\.0\.0 as before the run/,
    );
    expect(step.outputs).toMatchObject({ 'rolled-back': 'true', swapped: 'false', image: bad });
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(START_IMAGE);
    expect(ds.tags()).toEqual({});
    expect(step.summary).toContain('| wait healthy | failed |');
  });

  test('a healthy image that fails production verification is swapped back: production serves the old image, exit 1', async () => {
    const bad = 'ghcr.io/slotline-demo/web-fails-in-production:9.9.9';
    const step = await deploySlot({ image: bad });
    expect(step.exitCode).toBe(1);
    expect(errorLine(step)).toMatch(
      /release failed in verify: production failed verification: \/healthz answered 500 on probe 1.*Rolled back: production serves ghcr\.io\/slotline-demo\/web:1\.0\.0 as before the run; slot staging holds .*fails-in-production/,
    );
    expect(step.outputs).toMatchObject({
      'rolled-back': 'true',
      swapped: 'true',
      'previous-image': START_IMAGE,
    });
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.tags()['slotline-released-image']).toBeUndefined();
  });
});

describe('rollback in a later run', () => {
  test('swaps the previous release back, then is a no-op when run again', async () => {
    expect((await deploySlot({ image: V2 })).exitCode).toBe(0);
    const first = await deploySlot({ action: 'rollback' });
    expect({ exit: first.exitCode, error: errorLine(first) }).toEqual({ exit: 0, error: '' });
    expect(first.log).toContain(`swapped ${START_IMAGE} back from slot staging`);
    expect(first.outputs).toMatchObject({ image: START_IMAGE, 'previous-image': V2, 'rolled-back': 'true' });
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(V2);
    const second = await deploySlot({ action: 'rollback' });
    expect(second.exitCode).toBe(0);
    expect(second.log).toContain(`production already serves ${START_IMAGE}; nothing to do`);
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(V2);
  });

  test('after the slot was redeployed with something else: redeploys the recorded image to production', async () => {
    expect((await deploySlot({ image: V3 })).exitCode).toBe(0);
    expect((await deploySlot({ action: 'deploy', image: V4 })).exitCode).toBe(0);
    expect(ds.image('staging')).toBe(V4);
    const step = await deploySlot({ action: 'rollback' });
    expect({ exit: step.exitCode, error: errorLine(step) }).toEqual({ exit: 0, error: '' });
    expect(step.log).toContain(`redeployed ${START_IMAGE} on production`);
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(V4);
    const again = await deploySlot({ action: 'rollback' });
    expect(again.exitCode).toBe(0);
    expect(again.log).toContain('nothing to do');
    expect(ds.image('production')).toBe(START_IMAGE);
  });

  test('without a deployment record it fails clearly and changes nothing', async () => {
    const step = await deploySlot({ action: 'rollback' });
    expect(step.exitCode).toBe(1);
    expect(errorLine(step)).toContain('No deployment record on slotline-demo-web for production');
    expect(ds.image('production')).toBe(START_IMAGE);
  });
});

describe('swap with image: the slot must still hold the image this run deployed', () => {
  test('another deploy to the slot since: the swap refuses in one line and changes nothing', async () => {
    const built = `ghcr.io/slotline-demo/web@sha256:${'a'.repeat(64)}`;
    const other = `ghcr.io/slotline-demo/web@sha256:${'b'.repeat(64)}`;
    expect((await deploySlot({ action: 'deploy', image: built })).exitCode).toBe(0);
    expect((await deploySlot({ action: 'deploy', image: other })).exitCode).toBe(0);
    const refused = await deploySlot({ action: 'swap', image: built });
    expect(refused.exitCode).toBe(1);
    expect(errorLine(refused)).toBe(
      `::error::deploy-slot: Refusing to swap: slot staging of slotline-demo-web holds ${other}, not ${built} (image). Nothing was changed; production serves ${START_IMAGE}.`,
    );
    expect([ds.image('production'), ds.image('staging')]).toEqual([START_IMAGE, other]);

    const swapped = await deploySlot({ action: 'swap', image: other });
    expect({ exit: swapped.exitCode, error: errorLine(swapped) }).toEqual({ exit: 0, error: '' });
    expect(ds.image('production')).toBe(other);
  });
});

describe('swap with preview, ramp', () => {
  test('preview swap completes; a failed completion is reset and production stays intact', async () => {
    expect((await deploySlot({ action: 'deploy', image: V2 })).exitCode).toBe(0);
    const ok = await deploySlot({ action: 'swap', 'swap-mode': 'preview' });
    expect({ exit: ok.exitCode, error: errorLine(ok) }).toEqual({ exit: 0, error: '' });
    expect(ok.log).toContain('Applied production');
    expect(ds.image('production')).toBe(V2);

    expect((await deploySlot({ action: 'deploy', image: V3 })).exitCode).toBe(0);
    await ds.admin('POST', '/faults', {
      type: 'lro-failure',
      method: 'POST',
      path: '/slotsswap$',
      code: 'SwapFailed',
    });
    const failed = await deploySlot({ action: 'swap', 'swap-mode': 'preview' });
    expect(failed.exitCode).toBe(1);
    expect(failed.log).toContain('resetSlotConfig');
    expect(errorLine(failed)).toMatch(
      /swap failed in swap \(preview\): .*SwapFailed.*Rolled back: production serves ghcr\.io\/slotline-demo\/web:2\.0\.0 as before/,
    );
    expect(ds.image('production')).toBe(V2);
    expect(ds.resource('staging').properties['targetSwapSlot']).toBeNull();
    expect(
      (ds.resource('staging').internal?.['appSettings'] as Record<string, string> | undefined)?.[
        'APP_SLOT_LABEL'
      ],
    ).toBe('staging');
  });

  test('ramp to 25 % then 0 %: the routing rule is set, then removed', async () => {
    const up = await deploySlot({ action: 'ramp', percentage: '25' });
    expect({ exit: up.exitCode, error: errorLine(up) }).toEqual({ exit: 0, error: '' });
    const rules = () =>
      ((ds.resource().internal?.['siteConfig'] as { experiments?: { rampUpRules?: unknown[] } } | undefined)
        ?.experiments?.rampUpRules ?? []) as {
        name: string;
        reroutePercentage: number;
        actionHostName: string;
      }[];
    expect(rules()).toEqual([
      expect.objectContaining({
        name: 'staging',
        reroutePercentage: 25,
        actionHostName: ds.resource('staging').properties['defaultHostName'],
      }),
    ]);
    const down = await deploySlot({ action: 'ramp', percentage: '0' });
    expect(down.exitCode).toBe(0);
    expect(rules()).toEqual([]);
  });
});

describe('faults injected in the sandbox', () => {
  test('429 with Retry-After, a 503 burst and a dropped connection mid-swap: the release still succeeds', async () => {
    await ds.admin('POST', '/faults', {
      type: 'throttle',
      method: 'PATCH',
      path: '/config/web$',
      count: 2,
      retryAfterSeconds: 1,
    });
    await ds.admin('POST', '/faults', {
      type: 'error',
      status: 503,
      method: 'GET',
      path: '/sites/[^/]+$',
      count: 3,
    });
    await ds.admin('POST', '/faults', { type: 'drop', method: 'POST', path: '/slotsswap$', count: 1 });
    const step = await deploySlot({ image: V2 });
    expect({ exit: step.exitCode, error: errorLine(step) }).toEqual({ exit: 0, error: '' });
    const faults = (await ds.admin('GET', '/faults')).body as { value: { type: string; hits: number }[] };
    expect(faults.value.map((f) => [f.type, f.hits])).toEqual([
      ['throttle', 2],
      ['error', 3],
      ['drop', 1],
    ]);
    expect(ds.image('production')).toBe(V2);
    expectRecord(V2, START_IMAGE);
  });

  test('a swap whose operation ends Failed: clear failure, production intact, slot restored', async () => {
    await ds.admin('POST', '/faults', {
      type: 'lro-failure',
      method: 'POST',
      path: '/slotsswap$',
      code: 'SwapWarmUpFailed',
      message: 'Warm-up of the source slot failed.',
    });
    const step = await deploySlot({ image: V2 });
    expect(step.exitCode).toBe(1);
    expect(errorLine(step)).toMatch(
      /release failed in swap: .*SwapWarmUpFailed.*Rolled back: production serves ghcr\.io\/slotline-demo\/web:1\.0\.0 as before the run; slot staging holds ghcr\.io\/slotline-demo\/web:1\.0\.0/,
    );
    expect(step.outputs).toMatchObject({ swapped: 'false', 'rolled-back': 'true' });
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(START_IMAGE);
  });
});

describe('lock', () => {
  test('two releases at once: one waits for the other, production ends on one consistent image', async () => {
    const [a, b] = await Promise.all([
      deploySlot({ image: V2, 'lock-timeout': '2m' }),
      deploySlot({ image: V3, 'lock-timeout': '2m' }),
    ]);
    expect([a.exitCode, b.exitCode, errorLine(a), errorLine(b)]).toEqual([0, 0, '', '']);
    const waited = [a, b].filter((s) => s.log.includes('Waiting for the lease'));
    expect(waited).toHaveLength(1);
    const last = waited[0]!.outputs['image'];
    const first = last === V2 ? V3 : V2;
    // The second release swapped the first one out: production, slot and record agree.
    expect(ds.image('production')).toBe(last);
    expect(ds.image('staging')).toBe(first);
    expect(waited[0]!.outputs['previous-image']).toBe(first);
    expectRecord(last, first);
  });

  test('a lease held by another run: fails after lock-timeout naming the holder, changes nothing', async () => {
    const expires = new Date(Date.now() + 600_000).toISOString();
    const holder = 'https://github.com/slotline-demo/slotline/actions/runs/42 (job deploy)';
    const site = ds.resource();
    ds.sb.store.put({ ...site, tags: { 'slotline-lease': `other-run|${expires}|${holder}` } });
    const step = await deploySlot({ image: V2, 'lock-timeout': '2s' });
    expect(step.exitCode).toBe(1);
    expect(errorLine(step)).toContain(
      `slotline-demo-web is locked by another deployment: ${holder} holds the lease until ${expires}`,
    );
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(START_IMAGE);
    expect(ds.tags()['slotline-lease']).toContain('other-run');
  });
});

describe('identity', () => {
  test('GitHub OIDC with a token lifetime shorter than the release: new tokens are fetched and it succeeds', async () => {
    ds.sb.store.state.settings.tokenLifetimeSeconds = 2;
    try {
      const before = ds.requestLog.filter((l) => /login POST .*\/token 200/.test(l)).length;
      const step = await deploySlot(
        { image: V2, 'client-secret': '' },
        {
          ACTIONS_ID_TOKEN_REQUEST_URL: ds.sb.connection.oidcRequestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: ds.sb.connection.oidcRequestToken,
        },
      );
      expect({ exit: step.exitCode, error: errorLine(step) }).toEqual({ exit: 0, error: '' });
      expect(Number(step.outputs['duration-seconds'])).toBeGreaterThan(2);
      const tokens = ds.requestLog.filter((l) => /login POST .*\/token 200/.test(l)).length - before;
      expect(tokens).toBeGreaterThanOrEqual(2);
      expect(ds.image('production')).toBe(V2);
    } finally {
      ds.sb.store.state.settings.tokenLifetimeSeconds = 3599;
    }
  });

  test('a wrong federated subject: names the subject and where to add the federated credential', async () => {
    const other = (
      await ds.admin('POST', '/github/request-tokens', { repository: 'someone/fork', ref: 'refs/heads/main' })
    ).body as { token?: string; requestToken?: string };
    const step = await deploySlot(
      { image: V2, 'client-secret': '' },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: ds.sb.connection.oidcRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: (other.requestToken ?? other.token)!,
      },
    );
    expect(step.exitCode).toBe(1);
    expect(errorLine(step)).toMatch(
      /AADSTS700213.*subject 'repo:someone\/fork:ref:refs\/heads\/main'.*Federated credentials/,
    );
    expect(ds.image('production')).toBe(START_IMAGE);
  });

  test('a Reader principal gets a clear 403 message and changes nothing', async () => {
    const step = await deploySlot({
      image: V2,
      'client-id': READER.clientId,
      'client-secret': READER.clientSecret,
    });
    expect(step.exitCode).toBe(1);
    expect(errorLine(step)).toMatch(
      /403 AuthorizationFailed.*principal 6f1f3c2e-.*has no role that allows it.*Website Contributor/,
    );
    expect(step.log).not.toContain(READER.clientSecret);
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.tags()).toEqual({});
  });
});
