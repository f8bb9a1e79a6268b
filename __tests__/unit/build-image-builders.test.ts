import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { failedStep, stepStats } from '../../src/build-image/build-log.js';
import { DockerBuilder, OciBuilder, selectBuilder } from '../../src/build-image/builders.js';
import { repositoryOf } from '../../src/build-image/inputs.js';
import type { Exec, ExecOptions } from '../../src/lib/exec.js';

interface Call {
  command: string;
  args: readonly string[];
  options?: ExecOptions;
}

function recorder(exitCode: (command: string, args: readonly string[]) => number, stderr = '') {
  const calls: Call[] = [];
  const exec: Exec = async (command, args, options) => {
    calls.push({ command, args, options });
    return {
      exitCode: exitCode(command, args),
      signal: null,
      stdout: '',
      stderr,
      durationMs: 0,
      timedOut: false,
      cancelled: false,
    };
  };
  return { exec, calls };
}

/** A credentials store in a fresh RUNNER_TEMP-like directory. */
function store() {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-runner-temp-'));
  let n = 0;
  return { dir, create: () => mkdtempSync(join(dir, `creds-${n++}-`)) };
}

describe('selectBuilder', () => {
  test.each<[string, string[], string]>([
    ['docker with an answering engine and buildx', ['docker', 'buildah', 'podman'], 'docker'],
    ['buildah when docker has no engine', ['buildah', 'podman'], 'buildah'],
    ['podman when only podman answers', ['podman'], 'podman'],
  ])('auto picks %s', async (_name, working, expected) => {
    const { exec } = recorder((cmd) => (working.includes(cmd) ? 0 : 1));
    expect((await selectBuilder('auto', exec, true, store())).name).toBe(expected);
  });

  test('auto with nothing available explains what to install', async () => {
    const { exec } = recorder(() => 127);
    await expect(selectBuilder('auto', exec, true, store())).rejects.toThrow(
      /no image builder found: install docker with buildx/,
    );
  });

  test('tls-verify false with docker is refused with the daemon setting to use instead', async () => {
    const { exec } = recorder(() => 0);
    await expect(selectBuilder('docker', exec, false, store())).rejects.toThrow(/insecure-registries/);
  });
});

describe('login', () => {
  test('buildah gets the password on stdin, never in argv, with a private auth file', async () => {
    const { exec, calls } = recorder(() => 0);
    const credentials = store();
    const builder = new OciBuilder('buildah', exec, false, credentials);
    await builder.login('reg.example.test:5000', 'pusher', 'Pa55-w0rd!');
    const [call] = calls;
    expect(call!.args).not.toContain('Pa55-w0rd!');
    expect(call!.options?.input).toBe('Pa55-w0rd!');
    expect(call!.options?.echo).toBeFalsy();
    expect(call!.args).toEqual(
      expect.arrayContaining(['login', '--tls-verify=false', '--password-stdin', '--username', 'pusher']),
    );
    expect(call!.args[call!.args.indexOf('--authfile') + 1]).toMatch(
      new RegExp(`^${credentials.dir}/creds-0-[^/]+/auth\\.json$`),
    );
    await builder.dispose();
  });

  test('a refused login names the registry and user and redacts the password from the tool output', async () => {
    const { exec } = recorder(
      () => 1,
      'Error: logging in with Pa55-w0rd!: unauthorized: authentication required',
    );
    const builder = new OciBuilder('podman', exec, true, store());
    const error = await builder.login('reg.example.test', 'pusher', 'Pa55-w0rd!').catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'registry reg.example.test refused the login for user "pusher" (podman exit code 1): Error: logging in with ***: unauthorized: authentication required',
    );
    await builder.dispose();
  });

  test('docker login uses a private DOCKER_CONFIG and stdin', async () => {
    const { exec, calls } = recorder(() => 0);
    const credentials = store();
    const builder = new DockerBuilder(exec, credentials);
    await builder.login('reg.example.test', 'pusher', 'Pa55-w0rd!');
    expect(calls[0]!.args).toEqual(['login', '--username', 'pusher', '--password-stdin', 'reg.example.test']);
    expect(calls[0]!.options?.env?.['DOCKER_CONFIG']).toMatch(new RegExp(`^${credentials.dir}/creds-0-`));
    expect(calls[0]!.options?.input).toBe('Pa55-w0rd!');
    await builder.dispose();
  });
});

const BUILDAH_OUTPUT = `[1/2] STEP 1/6: FROM localhost/base AS builder
[1/2] STEP 2/6: WORKDIR /src
--> Using cache adb06fae9b19f21f71a981dfceb06180e728ef83daac2f90e6dc7b74e95d12fd
[1/2] STEP 3/6: COPY requirements.txt ./
--> Using cache 9f661868babcc4fe6c1e841a9dc9aba6b3e3d2b666a6771b30681832c5846785
[1/2] STEP 4/6: RUN make
--> 8ee12ac14f0
[2/2] STEP 1/3: FROM localhost/base AS final
[2/2] STEP 2/3: COPY --from=builder /src/out /app
--> 5f00
[2/2] STEP 3/3: RUN python3 -c "import no_such_module"
Traceback (most recent call last):
  File "<string>", line 1, in <module>
ModuleNotFoundError: No module named 'no_such_module'
Error: building at STEP "RUN python3 -c "import no_such_module"": exit status 1
`;

describe('build output', () => {
  test('stepStats counts non-FROM steps and cache hits (buildah)', () => {
    expect(stepStats(BUILDAH_OUTPUT)).toEqual({ steps: 5, cacheHits: 2 });
  });

  test('stepStats reads buildx plain progress', () => {
    const buildx = [
      '#5 [builder 1/4] FROM docker.io/library/python:3.12-slim',
      '#6 [builder 2/4] WORKDIR /src',
      '#6 CACHED',
      '#7 [builder 3/4] RUN pip install',
      '#7 DONE 3.1s',
    ].join('\n');
    expect(stepStats(buildx)).toEqual({ steps: 2, cacheHits: 1 });
  });

  test('failedStep names the last step and its error line, and keeps its output', () => {
    const failed = failedStep(BUILDAH_OUTPUT)!;
    expect(failed.step).toBe('[2/2] STEP 3/3: RUN python3 -c "import no_such_module"');
    expect(failed.reason).toBe(
      'Error: building at STEP "RUN python3 -c "import no_such_module"": exit status 1',
    );
    expect(failed.output).toContain("ModuleNotFoundError: No module named 'no_such_module'");
    expect(failed.output).not.toContain('STEP 2/3');
  });

  test('failedStep is undefined when the builder failed before any step', () => {
    expect(failedStep('Error: no context directory')).toBeUndefined();
  });
});

describe('repositoryOf (cache refs for buildah/podman)', () => {
  test.each([
    ['reg.example.test:5000/team/app-cache:buildcache', 'reg.example.test:5000/team/app-cache'],
    ['reg.example.test:5000/team/app-cache', 'reg.example.test:5000/team/app-cache'],
    ['myacr.azurecr.io/app@sha256:abc', 'myacr.azurecr.io/app'],
  ])('%s -> %s', (ref, expected) => {
    expect(repositoryOf(ref)).toBe(expected);
  });
});
