import { describe, expect, test } from '@jest/globals';
import { hideUserinfo, quoteExcerpt } from '../../src/lib/excerpt.js';
import { type ImageRef, parseImageRef, registryProblem } from '../../src/lib/image-ref.js';

const F64 = 'f'.repeat(64);

/**
 * TestReferenceParse in github.com/distribution/reference, reference_test.go at commit
 * 284a39eaf3368476e0a4c6114a0eec61220acdd9 (2024-05-09, the file at v0.6.0 and on main): every case,
 * with its expected name (`repository` there), tag and digest.
 *
 * `registry` is where the registry is decided as docker does (normalize.go, splitDockerDomain), which
 * is the registry a pull goes to. reference.go's Parse takes the first of two or more components as
 * its `domain` whatever it looks like, so two cases differ from that file's `domain` column:
 * `foo/foo_bar.com:8080` (domain "foo") and `a/a/…/a:tag-puts-this-over-max` (domain "a") are
 * Docker Hub paths here, as for `docker pull`.
 */
const VALID: Array<[string, Omit<ImageRef, 'path'> & { path?: string }]> = [
  ['test_com', { name: 'test_com' }],
  ['test.com:tag', { name: 'test.com', tag: 'tag' }],
  ['test.com:5000', { name: 'test.com', tag: '5000' }],
  ['test.com/repo:tag', { registry: 'test.com', name: 'test.com/repo', tag: 'tag' }],
  ['test:5000/repo', { registry: 'test:5000', name: 'test:5000/repo' }],
  ['test:5000/repo:tag', { registry: 'test:5000', name: 'test:5000/repo', tag: 'tag' }],
  [
    `test:5000/repo@sha256:${F64}`,
    { registry: 'test:5000', name: 'test:5000/repo', digest: `sha256:${F64}` },
  ],
  [
    `test:5000/repo:tag@sha256:${F64}`,
    { registry: 'test:5000', name: 'test:5000/repo', tag: 'tag', digest: `sha256:${F64}` },
  ],
  ['lowercase:Uppercase', { name: 'lowercase', tag: 'Uppercase' }],
  [
    `${'a/'.repeat(127)}a:tag-puts-this-over-max`,
    { name: `${'a/'.repeat(127)}a`, tag: 'tag-puts-this-over-max' },
  ],
  ['sub-dom1.foo.com/bar/baz/quux', { registry: 'sub-dom1.foo.com', name: 'sub-dom1.foo.com/bar/baz/quux' }],
  [
    'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    { registry: 'sub-dom1.foo.com', name: 'sub-dom1.foo.com/bar/baz/quux', tag: 'some-long-tag' },
  ],
  [
    'b.gcr.io/test.example.com/my-app:test.example.com',
    { registry: 'b.gcr.io', name: 'b.gcr.io/test.example.com/my-app', tag: 'test.example.com' },
  ],
  [
    'xn--n3h.com/myimage:xn--n3h.com',
    { registry: 'xn--n3h.com', name: 'xn--n3h.com/myimage', tag: 'xn--n3h.com' },
  ],
  [
    `xn--7o8h.com/myimage:xn--7o8h.com@sha256:${F64}`,
    { registry: 'xn--7o8h.com', name: 'xn--7o8h.com/myimage', tag: 'xn--7o8h.com', digest: `sha256:${F64}` },
  ],
  ['foo_bar.com:8080', { name: 'foo_bar.com', tag: '8080' }],
  ['foo/foo_bar.com:8080', { name: 'foo/foo_bar.com', tag: '8080' }],
  ['192.168.1.1', { name: '192.168.1.1' }],
  ['192.168.1.1:tag', { name: '192.168.1.1', tag: 'tag' }],
  ['192.168.1.1:5000', { name: '192.168.1.1', tag: '5000' }],
  ['192.168.1.1/repo', { registry: '192.168.1.1', name: '192.168.1.1/repo' }],
  ['192.168.1.1:5000/repo', { registry: '192.168.1.1:5000', name: '192.168.1.1:5000/repo' }],
  [
    '192.168.1.1:5000/repo:5050',
    { registry: '192.168.1.1:5000', name: '192.168.1.1:5000/repo', tag: '5050' },
  ],
  ['[2001:db8::1]/repo', { registry: '[2001:db8::1]', name: '[2001:db8::1]/repo' }],
  [
    '[2001:db8:1:2:3:4:5:6]/repo:tag',
    { registry: '[2001:db8:1:2:3:4:5:6]', name: '[2001:db8:1:2:3:4:5:6]/repo', tag: 'tag' },
  ],
  ['[2001:db8::1]:5000/repo', { registry: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo' }],
  [
    '[2001:db8::1]:5000/repo:tag',
    { registry: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo', tag: 'tag' },
  ],
  [
    `[2001:db8::1]:5000/repo@sha256:${F64}`,
    { registry: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo', digest: `sha256:${F64}` },
  ],
  [
    `[2001:db8::1]:5000/repo:tag@sha256:${F64}`,
    { registry: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo', tag: 'tag', digest: `sha256:${F64}` },
  ],
  ['[2001:db8::]:5000/repo', { registry: '[2001:db8::]:5000', name: '[2001:db8::]:5000/repo' }],
  ['[::1]:5000/repo', { registry: '[::1]:5000', name: '[::1]:5000/repo' }],
  [
    `example.com/${'a'.repeat(255)}:tag`,
    { registry: 'example.com', name: `example.com/${'a'.repeat(255)}`, tag: 'tag' },
  ],
];

/** The same file's cases that Parse refuses, with the error it names. */
const INVALID_UPSTREAM: Array<[string, string]> = [
  ['', 'ErrNameEmpty'],
  [':justtag', 'ErrReferenceInvalidFormat'],
  [`@sha256:${F64}`, 'ErrReferenceInvalidFormat'],
  [`repo@sha256:${'f'.repeat(34)}`, 'ErrDigestInvalidLength'],
  [`validname@invaliddigest:${F64}`, 'ErrDigestUnsupported'],
  ['Uppercase:tag', 'ErrNameContainsUppercase'],
  ['test:5000/Uppercase/lowercase:tag', 'ErrNameContainsUppercase'],
  [`domain/${'a'.repeat(256)}:tag`, 'ErrNameTooLong'],
  ['aa/asdf$$^/aa', 'ErrReferenceInvalidFormat'],
  ['[2001:db8::1]', 'ErrReferenceInvalidFormat'],
  ['[2001:db8::1]:5000', 'ErrReferenceInvalidFormat'],
  ['[2001:db8::1]:tag', 'ErrReferenceInvalidFormat'],
  ['[fe80::1%eth0]:5000/repo', 'ErrReferenceInvalidFormat'],
  ['[fe80::1%@invalidzone]:5000/repo', 'ErrReferenceInvalidFormat'],
];

/** The bad-input sweep's `image` values (scripts/lib/bad-input-sweep/kinds.ts) and what each should say. */
const SWEEP_BAD: Array<[string, string, RegExp]> = [
  ['uppercase-repo', 'registry.example.com/App:1', /lower-case/],
  ['empty-tag', 'registry.example.com/app:', /tag after ":" is empty/],
  ['short-digest', 'registry.example.com/app@sha256:abc', /64 lower-case hex digits/],
  ['two-tags', 'registry.example.com/app:1:2', /more than one tag/],
  ['tag-only', ':1', /names no repository/],
  ['long-tag', `registry.example.com/app:${'t'.repeat(129)}`, /tag is longer than 128/],
  ['bad-port', 'registry.example.com:99999/app:1', /port must be a number from 1 to 65535/],
  ['port-zero', 'registry.example.com:0/app:1', /port must be a number from 1 to 65535/],
  ['long-host-label', `${'h'.repeat(64)}.example.com/app:1`, /longer than 63 characters/],
  ['cyrillic-host', 'rеgistry.example.com/app:1', /registry host name must be parts/],
  ['option-in-ref', 'app:1 --privileged', /space or a control character/],
  ['scheme', 'https://registry.example.com/app:1', /no scheme/],
  ['very-long', 'a'.repeat(12_000), /longer than 255/],
  ['userinfo', 'user:pw@registry.example.com/app:1', /user name or password/],
  ['option-like', '-x', /repository path must be/],
  ['bidi-override', 'abc\u202etxt.exe', /control character/],
  ['newline-command', 'x\n::error::x', /control character/],
];

describe('parseImageRef: distribution/reference TestReferenceParse', () => {
  test.each(VALID)('%s parses', (input, expected) => {
    const result = parseImageRef(input);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.ref.name).toBe(expected.name);
    expect(result.ref.registry).toBe(expected.registry);
    expect(result.ref.path).toBe(
      expected.registry ? expected.name.slice(expected.registry.length + 1) : expected.name,
    );
    expect(result.ref.tag).toBe(expected.tag);
    expect(result.ref.digest).toBe(expected.digest);
  });

  test.each(INVALID_UPSTREAM)('%s is refused (upstream: %s)', (input) => {
    const result = parseImageRef(input);
    expect(result.ok).toBe(false);
  });

  test('a sha512 digest needs 128 lower-case hex digits (an OCI-registered algorithm, accepted)', () => {
    // Upstream refuses its sha512 case only because the test binary does not link crypto/sha512.
    expect(parseImageRef(`validname@sha512:${'f'.repeat(128)}`)).toMatchObject({ ok: true });
    expect(parseImageRef(`validname@sha512:${F64}`)).toEqual({
      ok: false,
      reason: 'a sha512 digest has exactly 128 lower-case hex digits',
    });
    expect(parseImageRef(`validname@sha256:${'F'.repeat(64)}`)).toMatchObject({ ok: false });
  });
});

describe('parseImageRef: distribution/reference normalize_test.go TestValidateReferenceName', () => {
  // normalize_test.go at commit 89ee7ec63e17bd74e6766ecac7d8ff2bd4b8dd8a; the 64-hex identifier rules
  // (a bare image ID) are left out: an image input is never an ID.
  test.each([
    'docker/docker',
    'library/debian',
    'debian',
    'localhost/library/debian',
    'localhost/debian',
    'LOCALDOMAIN/library/debian',
    'docker.io/docker/docker',
    'index.docker.io/library/debian',
    '127.0.0.1:5000/docker/docker',
    '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    '[fc00::1]:5000/docker/docker',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    'Docker/docker',
    'docker---rules/docker',
    'dock__er/docker',
    'd/docker',
  ])('%s is a valid name', (input) => {
    expect(parseImageRef(input)).toMatchObject({ ok: true });
  });

  test.each([
    'https://github.com/docker/docker',
    'docker/Docker',
    '-docker',
    '-docker/docker',
    '-docker.io/docker/docker',
    'docker///docker',
    'docker.io/docker/Docker',
    'docker.io/docker///docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian',
    'docker-/docker',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`,
  ])('%s is refused', (input) => {
    expect(parseImageRef(input).ok).toBe(false);
  });
});

describe('parseImageRef: the bad-input sweep image values', () => {
  test.each(SWEEP_BAD)('%s is refused, saying why without the value', (_label, input, reason) => {
    const result = parseImageRef(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(reason);
    expect(result.reason.length).toBeLessThan(200);
    expect(result.reason).not.toContain('pw');
  });

  test('a port of 65535 and a 63-character host label are still valid', () => {
    expect(parseImageRef(`${'h'.repeat(63)}.example.com:65535/app:1`)).toMatchObject({
      ok: true,
      ref: { registry: `${'h'.repeat(63)}.example.com:65535`, path: 'app', tag: '1' },
    });
  });
});

describe('registryProblem (build-image registry input)', () => {
  test.each([
    'registry.example.com',
    'myacr.azurecr.io',
    'localhost:5000',
    '127.0.0.1:5000',
    '[::1]:5000',
    `${'h'.repeat(63)}.example.com:1`,
  ])('%s is a registry', (registry) => {
    expect(registryProblem(registry)).toBeUndefined();
  });

  test.each([
    ['registry.example.com:0', /1 to 65535/],
    ['registry.example.com:65536', /1 to 65535/],
    ['registry.example.com:', /1 to 65535/],
    [`${'h'.repeat(64)}.example.com`, /longer than 63/],
    [`${'h.'.repeat(127)}hh`, /longer than 253/],
    ['a'.repeat(12_000), /longer than 253/],
    ['user:pw@registry.example.com', /user name or password/],
    ['https://registry.example.com', /scheme/],
    ['registry.example.com/team', /path/],
    ['-registry.example.com', /parts of letters/],
    ['registry..example.com', /parts of letters/],
    ['ｒｅｇｉｓｔｒｙ.example.com', /parts of letters/],
  ])('%s is refused', (registry, reason) => {
    expect(registryProblem(registry)).toMatch(reason);
  });
});

describe('quoteExcerpt and hideUserinfo (how error lines show a bad value)', () => {
  test('at most 60 characters, then an ellipsis', () => {
    expect(quoteExcerpt('a'.repeat(12_000))).toBe(`"${'a'.repeat(60)}…"`);
    expect(quoteExcerpt('short')).toBe('"short"');
  });

  test('a credential before @ is hidden, a digest after @ is kept', () => {
    expect(quoteExcerpt('user:s3cret@registry.example.com')).toBe('"***@registry.example.com"');
    expect(hideUserinfo('https://user:s3cret@host.example/x')).toBe('https://***@host.example/x');
    expect(hideUserinfo('user:pa/ss@word@host.example/app:1')).toBe('***@host.example/app:1');
    expect(hideUserinfo(`app@sha256:${F64}`)).toBe(`app@sha256:${F64}`);
    expect(hideUserinfo('registry.example.com/app:1')).toBe('registry.example.com/app:1');
  });

  test('control and format characters are written out, whitespace runs are one space', () => {
    expect(quoteExcerpt('a\u0001b\u007fc\u202ed\u200be')).toBe('"a\\u0001b\\u007fc\\u202ed\\u200be"');
    expect(quoteExcerpt('x\n::error::y')).toBe('"x ::error::y"');
  });

  test('the cut never splits a character made of two UTF-16 units', () => {
    expect(quoteExcerpt('😀'.repeat(70))).toBe(`"${'😀'.repeat(60)}…"`);
  });
});
