import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { describe, expect, test } from '@jest/globals';
import { request } from 'undici';
import { CancelledError } from '../../src/lib/cancellation.js';
import { ActionError, errorMessage } from '../../src/lib/errors.js';
import { InputReader } from '../../src/lib/inputs.js';
import { escapeControlCharacters, findControlCharacter, safeLogLine } from '../../src/lib/log-safe.js';
import { redactUrl, redactUrlAsWritten, redactUrlsIn } from '../../src/lib/redact.js';
import { checkRunnerFiles, runAction } from '../../src/lib/runner/action.js';
import { MAX_FAILURE_LINE } from '../../src/lib/runner/fail.js';
import { runInProcess } from '../helpers/runner.js';
import { workflowCommands } from '../helpers/workflow-commands.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Node's own error object, as a system call would raise it. */
function systemError(code: string, message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { code, errno: -1, ...fields });
}

describe('log-safe: control and invisible characters are written out, commands defused', () => {
  const cases: [string, string, string][] = [
    ['newline', 'a\n::error::forged', 'a\\n::error::forged'],
    ['carriage return', 'a\rb', 'a\\rb'],
    ['tab', 'a\tb', 'a\\tb'],
    ['NUL and ESC', 'a\u0000b\u001b[31m', 'a\\u0000b\\u001b[31m'],
    ['DEL and C1', 'a\u007fb\u0085c', 'a\\u007fb\\u0085c'],
    ['bidi override', 'invoice\u202egpj.exe', 'invoice\\u202egpj.exe'],
    ['bidi isolate', 'a\u2066b\u2069', 'a\\u2066b\\u2069'],
    ['zero-width space and joiner', 'a\u200bb\u200dc', 'a\\u200bb\\u200dc'],
    ['byte order mark', '\ufeffname', '\\ufeffname'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['astral format character (tag)', 'a\u{e0041}b', 'a\\u{e0041}b'],
    ['plain text', 'GET /healthz: 200 in 3 ms', 'GET /healthz: 200 in 3 ms'],
    ['non-ASCII letters stay', 'Grüße, 東京 ✅', 'Grüße, 東京 ✅'],
  ];
  test.each(cases)('%s', (_label, input, escaped) => {
    expect(escapeControlCharacters(input)).toBe(escaped);
  });

  test.each([
    ['::error::forged', '\\::error::forged'],
    ['   ::warning file=x::forged', '   \\::warning file=x::forged'],
    ['PASS ##[error]forged', 'PASS ##\\[error]forged'],
    ['##[group]x ##[endgroup]', '##\\[group]x ##\\[endgroup]'],
    ['a\n::error::forged', 'a\\n::error::forged'],
    ['ratio 3::2 is fine mid-line', 'ratio 3::2 is fine mid-line'],
  ])('safeLogLine(%j) = %j, which the runner reads as no command', (input, expected) => {
    expect(safeLogLine(input)).toBe(expected);
    expect(workflowCommands(safeLogLine(input))).toEqual([]);
  });

  test('findControlCharacter names the first one as U+XXXX', () => {
    expect(findControlCharacter('ok')).toBeUndefined();
    expect(findControlCharacter('a\nb')).toBe('U+000A');
    expect(findControlCharacter('x\u202ey')).toBe('U+202E');
    expect(findControlCharacter('\ufeff')).toBe('U+FEFF');
  });
});

describe('redactUrl: userinfo, query values and fragment hidden', () => {
  const cases: [string, string][] = [
    [
      'https://user:pa55@app.example.test/health?token=abc#frag',
      'https://***@app.example.test/health?token=***#***',
    ],
    ['https://user@app.example.test/', 'https://***@app.example.test/'],
    ['https://:pa55@app.example.test/', 'https://***@app.example.test/'],
    ['http://127.0.0.1:8080/a/b?x=1&y=2', 'http://127.0.0.1:8080/a/b?x=***&y=***'],
    ['https://app.example.test/?sig=a%2Fb%3D&empty=', 'https://app.example.test/?sig=***&empty='],
    ['https://app.example.test/?s3cr3tonly', 'https://app.example.test/?***'],
    ['https://app.example.test/#access_token=abc', 'https://app.example.test/#***'],
    ['https://app.example.test', 'https://app.example.test/'],
    ['https://app.example.test/plain/path', 'https://app.example.test/plain/path'],
    ['not a url', 'not a url'],
    ['https//u:pa55@host.test/x?token=abc#f (malformed)', 'https//***@host.test/x?token=***#***'],
    ['ftp://u:pa55@host.test/?k=v', 'ftp://***@host.test/?k=***'],
  ];
  test.each(cases)('%s', (input, expected) => {
    expect(redactUrl(input.replace(/ \(malformed\)$/, ''))).toBe(expected);
  });

  test.each([
    ['ftp://x', 'ftp://x'],
    ['https://u:p@h.test', 'https://***@h.test'],
    ['https//u:p@h.test/a?k=v&flag#frag', 'https//***@h.test/a?k=***&***#***'],
    // A password with a slash: the URL does not parse, and all of it is still hidden.
    ['https://user:pa/ss@host.test/x', 'https://***@host.test/x'],
  ])('as written: %s', (input, expected) => {
    expect(redactUrlAsWritten(input)).toBe(expected);
  });

  test('URLs inside text are redacted, sentence punctuation kept', () => {
    expect(redactUrlsIn('GET https://u:p@h.test/x?k=v, then http://h.test/y?a=b.')).toBe(
      'GET https://***@h.test/x?k=***, then http://h.test/y?a=***.',
    );
  });
});

describe('errorMessage: Node system errors in words', () => {
  test('a refused connection (a real one) names the address', async () => {
    const port = await closedPort();
    const error = await caught(
      () =>
        new Promise((resolve, reject) => {
          const socket = connect(port, '127.0.0.1');
          socket.on('connect', resolve);
          socket.on('error', reject);
        }),
    );
    expect(errorMessage(error)).toBe(`127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  test('a refused connection through undici keeps the wrapper and explains the cause', async () => {
    const port = await closedPort();
    const error = await caught(() => request(`http://127.0.0.1:${port}/`));
    expect(errorMessage(error)).toContain(`127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  test('a program that is not installed (a real spawn)', async () => {
    const error = await caught(
      () =>
        new Promise((resolve, reject) => {
          const child = spawn('slotline-no-such-program', ['--version'], { stdio: 'ignore' });
          child.on('error', reject);
          child.on('close', resolve);
        }),
    );
    expect(errorMessage(error)).toBe('slotline-no-such-program: program not found on PATH (ENOENT)');
  });

  test('a missing file (a real read)', async () => {
    const error = await caught(async () => readFileSync('/nonexistent/slotline/file.json'));
    expect(errorMessage(error)).toBe('/nonexistent/slotline/file.json: no such file or directory (ENOENT)');
  });

  test.each([
    [
      'ENOTFOUND',
      systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND login.example.invalid', {
        syscall: 'getaddrinfo',
        hostname: 'login.example.invalid',
      }),
      'login.example.invalid: host name not found (DNS) (ENOTFOUND)',
    ],
    [
      'ETIMEDOUT',
      systemError('ETIMEDOUT', 'connect ETIMEDOUT 10.1.2.3:443', {
        syscall: 'connect',
        address: '10.1.2.3',
        port: 443,
      }),
      '10.1.2.3:443: connection timed out (ETIMEDOUT)',
    ],
    [
      'ECONNRESET',
      systemError('ECONNRESET', 'read ECONNRESET', { syscall: 'read' }),
      'connection reset by the other side (ECONNRESET)',
    ],
    [
      'EACCES on a file',
      systemError('EACCES', "EACCES: permission denied, open '/srv/out'", {
        syscall: 'open',
        path: '/srv/out',
      }),
      '/srv/out: permission denied (EACCES)',
    ],
    [
      'EACCES on spawn',
      systemError('EACCES', 'spawn ./scan.sh EACCES', { syscall: 'spawn ./scan.sh', path: './scan.sh' }),
      './scan.sh: program is not executable (EACCES)',
    ],
    [
      'a dual-stack AggregateError',
      Object.assign(
        new AggregateError(
          [
            systemError('ECONNREFUSED', 'connect ECONNREFUSED ::1:443', {
              syscall: 'connect',
              address: '::1',
              port: 443,
            }),
          ],
          '',
        ),
        { code: 'ECONNREFUSED' },
      ),
      '::1:443: connection refused (ECONNREFUSED)',
    ],
    [
      'a wrapper with a cause',
      new Error('could not reach the registry', {
        cause: systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND r.invalid', { hostname: 'r.invalid' }),
      }),
      'could not reach the registry: r.invalid: host name not found (DNS) (ENOTFOUND)',
    ],
  ])('%s', (_label, error, expected) => {
    expect(errorMessage(error)).toBe(expected);
  });

  test('our own errors are left as written', () => {
    expect(errorMessage(new ActionError('Input "x" is wrong.'))).toBe('Input "x" is wrong.');
  });
});

/** Run `body` inside runAction the way an action's run() does, and capture what the runner sees. */
function failing(error: unknown, env: Record<string, string> = {}) {
  return runInProcess(() => runAction('demo', [], async () => Promise.reject(error)), {}, env);
}

describe('failAction: one line, in words, no command injection', () => {
  test('a system error is explained, not reported as "unexpected error"', async () => {
    const step = await failing(
      systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9', {
        syscall: 'connect',
        address: '127.0.0.1',
        port: 9,
      }),
    );
    expect(step.exitCode).toBe(1);
    expect(step.log.trim()).toBe('::error::demo: 127.0.0.1:9: connection refused (ECONNREFUSED)');
  });

  test('a missing program is explained', async () => {
    const step = await failing(
      systemError('ENOENT', 'spawn podman ENOENT', { syscall: 'spawn podman', path: 'podman' }),
    );
    expect(step.log.trim()).toBe('::error::demo: podman: program not found on PATH (ENOENT)');
  });

  test('a cancelled run says it was cancelled, not "unexpected error"', async () => {
    const step = await failing(new CancelledError('SIGTERM'));
    expect(step.exitCode).toBe(1);
    expect(step.log.trim()).toBe('::error::demo: cancelled by SIGTERM');
  });

  test('a bug is still called an unexpected error', async () => {
    const step = await failing(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(step.log.trim()).toBe(
      "::error::demo: unexpected error: Cannot read properties of undefined (reading 'x')",
    );
  });

  test('bidi and control characters in a message are written out, and the line stays one line', async () => {
    const step = await failing(new ActionError('check "a\u202eb\rc" failed'));
    expect(step.log.trim()).toBe('::error::demo: check "a\\u202eb\\rc" failed');
    expect(workflowCommands(step.log).map((c) => c.name)).toEqual(['error']);
    // The stack in the debug log repeats the message: escaped there too.
    expect(step.debug).toContain('check "a\\u202eb\\rc" failed');
    expect(step.debug).not.toMatch(/[\u202e\r]/);
  });

  test('a very long message is cut to one readable line; the debug log keeps the whole error', async () => {
    const step = await failing(new ActionError(`x${'y'.repeat(5000)}z`));
    const line = step.log.trim();
    expect(line.startsWith('::error::demo: xyyy')).toBe(true);
    expect(line.endsWith('y...')).toBe(true);
    expect(line.length).toBe('::error::demo: '.length + MAX_FAILURE_LINE);
    expect(step.debug).toContain('yz');
  });

  test("@actions/core's missing output file is named by its variable", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slotline-errors-'));
    const output = join(dir, 'gone', 'output');
    try {
      const step = await runInProcess(
        () =>
          runAction('demo', [], async () => {
            process.env['GITHUB_OUTPUT'] = output; // removed after the start-up check, as in a crash
            core.setOutput('x', '1');
          }),
        {},
      );
      expect(step.exitCode).toBe(1);
      expect(step.log.trim()).toBe(`::error::demo: the runner's GITHUB_OUTPUT file ${output} does not exist`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('checkRunnerFiles: a runner file that cannot be written is named before anything runs', () => {
  test.each(['GITHUB_OUTPUT', 'GITHUB_STATE'])('%s in a missing directory', (variable) => {
    const path = '/nonexistent/slotline/file';
    expect(() => checkRunnerFiles({ [variable]: path })).toThrow(
      new ActionError(
        `the runner's ${variable} file ${path} cannot be written: no such file or directory (ENOENT); the runner sets ${variable} to a writable file`,
      ),
    );
  });

  test('a path under a regular file', () => {
    expect(() => checkRunnerFiles({ GITHUB_STATE: '/etc/hostname/state' })).toThrow(
      /GITHUB_STATE file \/etc\/hostname\/state cannot be written: a part of the path is not a directory \(ENOTDIR\)/,
    );
  });

  test('the body never runs when GITHUB_OUTPUT is missing', async () => {
    let ran = false;
    const step = await runInProcess(
      () =>
        runAction(
          'demo',
          [],
          async () => {
            ran = true;
          },
          { GITHUB_OUTPUT: '/nonexistent/slotline/output' },
        ),
      {},
    );
    expect(ran).toBe(false);
    expect(step.exitCode).toBe(1);
    expect(step.log.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      "::error::demo: the runner's GITHUB_OUTPUT file /nonexistent/slotline/output cannot be written: no such file or directory (ENOENT); the runner sets GITHUB_OUTPUT to a writable file",
    ]);
  });

  test('unset variables are fine: @actions/core falls back to stdout', () => {
    expect(() => checkRunnerFiles({})).not.toThrow();
  });
});

describe('InputReader refuses control characters where they would change the value', () => {
  test('a URL with a newline (the URL parser would drop it silently)', () => {
    const reader = new InputReader({ INPUT_URL: 'https://app.example.test/\n::error::x' });
    expect(() => reader.url('url')).toThrow(
      'Input "url" must be a URL without control characters (found U+000A).',
    );
  });

  test('a header value with a control character, value hidden', () => {
    const reader = new InputReader({ INPUT_HEADERS: 'X-Plain: ok\nAuthorization: Bearer a\u0000b' });
    expect(() => reader.headers('headers')).toThrow(
      'Input "headers" line 2 (Authorization) has a control character in its value (U+0000; value hidden).',
    );
  });
});
