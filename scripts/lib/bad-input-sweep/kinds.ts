/**
 * The bad-input sweep's kind table: what kind of value every input of every action takes, the valid
 * inputs each action starts from, and the bad values tried for each kind.
 *
 * A new input in any actions/*\/action.yml must get an entry in ACTION_PLANS (the sweep's plan test
 * fails until it has one), so the sweep always covers every input.
 */

/** Marks text that must never reach a log, output or summary. */
export const SECRET_MARK = 'SWEEP-SECRET';
/** Marks a workflow command a bad value tries to smuggle onto its own log line. */
export const INJECTED_MARK = 'SWEEP-INJECTED';

/** Secrets planted in the valid base inputs and the runner's environment of every trial. */
export const PLANTED = {
  clientSecret: `${SECRET_MARK}-planted-client-secret-9f1c`,
  password: `${SECRET_MARK}-planted-registry-password-4b7e`,
  header: `${SECRET_MARK}-planted-header-value-2d8a`,
  runtimeToken: `${SECRET_MARK}-planted-actions-runtime-token-61aa`,
  idTokenRequestToken: `${SECRET_MARK}-planted-id-token-request-token-c03b`,
} as const;

export type Kind =
  | 'duration'
  | 'boolean'
  | 'integer'
  | 'percentage'
  | 'url'
  | 'https-url'
  | 'image'
  | 'registry-host'
  | 'repository'
  | 'yaml-map'
  | 'yaml-list'
  | 'dir-path'
  | 'file-path'
  | 'output-path'
  | 'enum'
  | 'uuid'
  | 'tenant'
  | 'resource-group'
  | 'app-name'
  | 'slot-name'
  | 'free-text'
  | 'secret'
  | 'kv-lines'
  | 'tag-rules'
  | 'cache-ref'
  | 'stage-name'
  | 'status-list'
  | 'name-list'
  | 'http-path'
  | 'headers'
  | 'category';

export interface BadValue {
  /** Short and stable: names the trial in reports and in the quick subset. */
  label: string;
  /**
   * The value. `{{outside}}` becomes an absolute folder of the trial that is neither the workspace nor
   * RUNNER_TEMP, so a write there is caught as a stray file.
   */
  value: string;
  /** The action may legitimately accept it (exit 0, or a later clean failure that names no input). */
  acceptable?: boolean;
}

const LONG = 'a'.repeat(12_000);

/**
 * Values every kind gets. Text a workflow author controls, such as a branch name pasted into an input,
 * must neither inject a workflow command nor reach the log with raw control or bidi characters.
 * U+0000 is absent on purpose: an environment variable cannot hold it, so no runner can pass it.
 */
export const COMMON_VALUES: readonly BadValue[] = [
  { label: 'empty', value: '' },
  { label: 'whitespace', value: ' \t \n ' },
  { label: 'newline-command', value: `x\n::error::${INJECTED_MARK}` },
  { label: 'newline-runner-command', value: `x\n##[error]${INJECTED_MARK}` },
  { label: 'stop-commands', value: `::stop-commands::sweep\n::warning::${INJECTED_MARK}` },
  { label: 'carriage-return', value: `x\r::error::${INJECTED_MARK}` },
  { label: 'percent-encoded-newline', value: `x%0A::error::${INJECTED_MARK}` },
  { label: 'control-chars', value: 'a\u0001b\u0007c\u001b[31md\u007f' },
  { label: 'bidi-override', value: 'abc\u202etxt.exe' },
  { label: 'zero-width', value: 'ab\u200bc\u2060d' },
  { label: 'very-long', value: LONG },
  { label: 'option-like', value: '-x' },
  { label: 'option-like-long', value: '--help' },
  { label: 'dotdot', value: '../../' },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, passed through unexpanded.
  { label: 'expression-text', value: '${{ secrets.GITHUB_TOKEN }}' },
  { label: 'shell-metachars', value: '$(id);`id`|id' },
];

/** Kind-specific bad values (the common ones are added to every kind). */
export const KIND_VALUES: Record<Kind, readonly BadValue[]> = {
  duration: [
    { label: 'negative', value: '-5m' },
    { label: 'no-unit', value: '5' },
    { label: 'unknown-unit', value: '5x' },
    { label: 'huge', value: '99999999999999999999h' },
    { label: 'exponent', value: '1e3s' },
    { label: 'infinity', value: 'Infinity' },
    { label: 'iso-empty', value: 'PT' },
    { label: 'iso-years', value: 'P1Y' },
    { label: 'inner-space', value: '5 m' },
    { label: 'fullwidth-digits', value: '５m' },
  ],
  boolean: [
    { label: 'yes', value: 'yes' },
    { label: 'one', value: '1' },
    { label: 'fullwidth-true', value: 'ｔｒｕｅ' },
    { label: 'null', value: 'null' },
    { label: 'inner-space', value: 'tr ue' },
    { label: 'cyrillic-e', value: 'tru\u0435' },
  ],
  integer: [
    { label: 'negative', value: '-1' },
    { label: 'zero', value: '0' },
    { label: 'fraction', value: '1.5' },
    { label: 'exponent', value: '1e2' },
    { label: 'hex', value: '0x10' },
    { label: 'huge', value: '99999999999999999999999' },
    { label: 'nan', value: 'NaN' },
    { label: 'plus-sign', value: '+4' },
    { label: 'fullwidth-digit', value: '４' },
  ],
  percentage: [
    { label: 'negative', value: '-1' },
    { label: 'above-100', value: '101' },
    { label: 'percent-sign', value: '50%' },
    { label: 'exponent', value: '1e2' },
    { label: 'huge', value: '99999999999999999999999' },
    { label: 'nan', value: 'NaN' },
    { label: 'hex', value: '0x10' },
    { label: 'fullwidth-digits', value: '５０' },
  ],
  url: [
    { label: 'no-scheme', value: 'example.com' },
    { label: 'ftp', value: 'ftp://example.com/' },
    { label: 'javascript', value: 'javascript:alert(1)' },
    { label: 'file', value: 'file:///etc/passwd' },
    { label: 'scheme-only', value: 'http://' },
    { label: 'space-in-host', value: 'http://exa mple.com/' },
    { label: 'bad-port', value: 'http://example.com:99999/' },
    { label: 'broken-ipv6', value: 'http://[::1/' },
    {
      label: 'userinfo-and-query-token',
      value: `http://sweep:${SECRET_MARK}-url-password@127.0.0.1:8080/?token=${SECRET_MARK}-url-query`,
      acceptable: true,
    },
    { label: 'idn-lookalike', value: 'https://exаmple.com/', acceptable: true },
  ],
  'https-url': [
    { label: 'plain-http', value: 'http://management.azure.com' },
    { label: 'no-scheme', value: 'management.azure.com' },
    { label: 'ftp', value: 'ftp://example.com/' },
    { label: 'scheme-only', value: 'https://' },
    { label: 'space-in-host', value: 'https://exa mple.com/' },
    { label: 'bad-port', value: 'https://example.com:99999/' },
    { label: 'file', value: 'file:///etc/passwd' },
    {
      label: 'userinfo-and-query-token',
      value: `https://sweep:${SECRET_MARK}-url-password@127.0.0.1:9/?token=${SECRET_MARK}-url-query`,
      acceptable: true,
    },
  ],
  image: [
    { label: 'uppercase-repo', value: 'registry.example.com/App:1' },
    { label: 'no-tag', value: 'registry.example.com/app' },
    { label: 'empty-tag', value: 'registry.example.com/app:' },
    { label: 'short-digest', value: 'registry.example.com/app@sha256:abc' },
    { label: 'two-tags', value: 'registry.example.com/app:1:2' },
    { label: 'tag-only', value: ':1' },
    { label: 'long-tag', value: `registry.example.com/app:${'t'.repeat(129)}` },
    { label: 'bad-port', value: 'registry.example.com:99999/app:1' },
    { label: 'long-host-label', value: `${'h'.repeat(64)}.example.com/app:1` },
    { label: 'cyrillic-host', value: 'rеgistry.example.com/app:1' },
    { label: 'option-in-ref', value: 'app:1 --privileged' },
    { label: 'scheme', value: 'https://registry.example.com/app:1' },
  ],
  'registry-host': [
    { label: 'scheme', value: 'https://registry.example.com' },
    { label: 'path', value: 'registry.example.com/team' },
    { label: 'port-zero', value: 'registry.example.com:0' },
    { label: 'port-too-big', value: 'registry.example.com:65536' },
    { label: 'long-label', value: `${'h'.repeat(64)}.example.com` },
    { label: 'leading-hyphen', value: '-registry.example.com' },
    { label: 'empty-label', value: 'registry..example.com' },
    { label: 'userinfo', value: `user:${SECRET_MARK}-pw@registry.example.com` },
    { label: 'fullwidth', value: 'ｒｅｇｉｓｔｒｙ.example.com' },
  ],
  repository: [
    { label: 'uppercase', value: 'Team/App' },
    { label: 'double-slash', value: 'team//app' },
    { label: 'leading-slash', value: '/team/app' },
    { label: 'trailing-slash', value: 'team/app/' },
    { label: 'with-tag', value: 'team/app:1' },
    { label: 'with-host', value: 'registry.example.com/team/app:1' },
    { label: 'cyrillic', value: 'tеam/app' },
  ],
  'yaml-map': [
    { label: 'list', value: '- a\n- b' },
    { label: 'scalar', value: 'just text' },
    { label: 'list-value', value: 'NAME: [1, 2]' },
    { label: 'bad-name', value: '"bad name": x' },
    { label: 'undefined-alias', value: 'A: *nope' },
    {
      label: 'alias-bomb',
      value: [
        'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      ].join('\n'),
    },
    { label: 'deep-nesting', value: `A: ${'['.repeat(20_000)}${']'.repeat(20_000)}` },
    {
      label: 'deep-nesting-block',
      value: `A:\n${Array.from({ length: 400 }, (_, i) => `${' '.repeat(i + 1)}- x`).join('\n')}`,
    },
    { label: 'js-tag', value: 'A: !!js/function "function(){}"' },
    { label: 'duplicate-keys', value: 'A: 1\nA: 2' },
    { label: 'unterminated', value: 'A: "unterminated' },
    { label: 'tab-indent', value: 'A:\n\tB: 1' },
    {
      label: 'secret-value-with-newline',
      value: `A:\n  value: "${SECRET_MARK}-setting\\n::error::${INJECTED_MARK}"\n  secret: true`,
      acceptable: true,
    },
  ],
  'yaml-list': [
    { label: 'map', value: 'a: 1' },
    { label: 'scalar', value: 'just text' },
    { label: 'number-item', value: '- 5' },
    { label: 'unknown-key', value: '- name: x\n  nope: 1' },
    { label: 'bad-status', value: '- expect-status: [999]' },
    { label: 'bad-latency', value: '- max-latency: 5x' },
    { label: 'bad-regex', value: '- expect-body-regex: "("' },
    { label: 'path-without-slash', value: '- path: healthz' },
    // Appended to the base URL, so it stays on the app's host.
    { label: 'absolute-url-path', value: '- path: "//evil.example.com/x"', acceptable: true },
    {
      label: 'alias-bomb',
      value: [
        '- name: &a xxxxxxxxxxxxxxxxxxxx',
        '  headers: &b {a: *a, b: *a, c: *a, d: *a, e: *a, f: *a, g: *a, h: *a, i: *a, j: *a}',
        '  body: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        '- body: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        '- body: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        '- body: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      ].join('\n'),
    },
    { label: 'deep-nesting', value: `- body: ${'['.repeat(20_000)}${']'.repeat(20_000)}` },
    { label: 'unterminated', value: '- name: "x' },
    {
      label: 'name-with-newline-command',
      value: `- name: "x\\n::error::${INJECTED_MARK}"`,
      acceptable: true,
    },
    { label: 'name-with-bidi', value: '- name: "abc\\u202etxt"', acceptable: true },
    {
      label: 'header-secret',
      value: `- headers: {X-Api-Key: "${SECRET_MARK}-check-header"}`,
      acceptable: true,
    },
  ],
  'dir-path': [
    { label: 'missing', value: 'no/such/folder' },
    { label: 'outside-absolute', value: '{{outside}}/no-such-folder' },
    { label: 'dotdot-deep', value: '../../../../../../../../etc/no-such-folder' },
    { label: 'a-file', value: 'Dockerfile' },
    { label: 'deep-path', value: 'a/'.repeat(3000) },
  ],
  'file-path': [
    { label: 'missing', value: 'no/such/file.yml' },
    { label: 'outside-absolute', value: '{{outside}}/no-such-file.yml' },
    { label: 'dotdot-deep', value: '../../../../../../../../etc/no-such-file' },
    { label: 'a-folder', value: '.' },
    { label: 'proc', value: '/proc/self/environ' },
    { label: 'deep-path', value: 'a/'.repeat(3000) },
  ],
  'output-path': [
    { label: 'dotdot-escape', value: '../../sweep-escape.sarif' },
    { label: 'outside-absolute', value: '{{outside}}/sweep-escape.sarif' },
    { label: 'a-folder', value: 'sub/' },
    { label: 'newline-in-name', value: 'x\n.sarif' },
    { label: 'missing-parent-outside', value: '{{outside}}/deeper/x.sarif' },
    { label: 'deep-path', value: `${'a/'.repeat(3000)}x.sarif` },
    { label: 'option-like-file', value: '-x.sarif', acceptable: true },
  ],
  enum: [
    { label: 'unknown', value: 'nope' },
    { label: 'two-values', value: 'auto,none' },
    { label: 'fullwidth', value: 'ａｕｔｏ' },
    { label: 'shell', value: 'auto; id' },
  ],
  uuid: [
    { label: 'short', value: '0000' },
    { label: 'braces', value: '{00000000-0000-0000-0000-000000000000}' },
    { label: 'no-dashes', value: '00000000000000000000000000000000' },
    { label: 'trailing-char', value: '00000000-0000-0000-0000-000000000000x' },
    { label: 'fullwidth', value: '０0000000-0000-0000-0000-000000000000' },
    { label: 'path', value: '00000000-0000-0000-0000-000000000000/../x' },
  ],
  tenant: [
    { label: 'single-label', value: 'contoso' },
    { label: 'empty-label', value: 'contoso..onmicrosoft.com' },
    { label: 'url', value: 'https://login.microsoftonline.com/contoso' },
    { label: 'path', value: 'contoso.onmicrosoft.com/../x' },
    { label: 'cyrillic', value: 'cоntoso.onmicrosoft.com' },
  ],
  'resource-group': [
    { label: 'trailing-period', value: 'rg.' },
    { label: 'too-long', value: 'r'.repeat(91) },
    { label: 'slash', value: 'rg/../x' },
    { label: 'space', value: 'rg name' },
    { label: 'percent', value: 'rg%2F..' },
    { label: 'cyrillic', value: 'rg-tеst' },
  ],
  'app-name': [
    { label: 'leading-hyphen', value: '-app' },
    { label: 'underscore', value: 'app_1' },
    { label: 'too-long', value: 'a'.repeat(61) },
    { label: 'dot', value: 'app.example' },
    { label: 'slash', value: 'app/../x' },
  ],
  'slot-name': [
    { label: 'space', value: 'stag ing' },
    { label: 'slash', value: 'staging/../x' },
    { label: 'too-long', value: 's'.repeat(61) },
    { label: 'underscore', value: 'stag_ing' },
  ],
  'free-text': [{ label: 'unicode', value: 'üser-名前', acceptable: true }],
  secret: [
    {
      label: 'with-newline-command',
      value: `${SECRET_MARK}-nl\n::error::${INJECTED_MARK}`,
      acceptable: true,
    },
    { label: 'with-quotes', value: `${SECRET_MARK}-q"'\t\\`, acceptable: true },
    { label: 'with-bidi', value: `${SECRET_MARK}-bidi\u202e`, acceptable: true },
    { label: 'long', value: `${SECRET_MARK}-${'s'.repeat(12_000)}`, acceptable: true },
    { label: 'secret-option-like', value: `--${SECRET_MARK}-opt`, acceptable: true },
  ],
  'kv-lines': [
    { label: 'no-equals', value: 'NOEQUALS' },
    { label: 'empty-key', value: '=value' },
    { label: 'key-with-space', value: 'A B=1' },
    { label: 'second-line-bad', value: 'A=1\n-x' },
  ],
  'tag-rules': [
    { label: 'unknown-type', value: 'type=nope' },
    { label: 'raw-without-value', value: 'type=raw' },
    { label: 'raw-bad-tag', value: 'type=raw,value=has space', acceptable: true },
    { label: 'raw-dotdot', value: 'type=raw,value=../x', acceptable: true },
    { label: 'raw-long', value: `type=raw,value=${'t'.repeat(200)}`, acceptable: true },
    { label: 'unknown-attribute', value: 'type=sha,nope=1' },
    { label: 'bad-priority', value: 'type=sha,priority=high' },
    { label: 'bad-enable', value: 'type=sha,enable=maybe' },
  ],
  'cache-ref': [
    { label: 'local-type', value: 'type=local,dest=/tmp/x' },
    { label: 'no-ref', value: 'type=registry' },
    { label: 'empty-ref', value: 'type=registry,ref=' },
    { label: 'unknown-attribute', value: 'type=registry,ref=registry.example.com/c,extra=1' },
    { label: 'space-in-ref', value: 'registry.example.com/c ache' },
  ],
  'stage-name': [
    { label: 'space', value: 'build stage' },
    { label: 'slash', value: '../x' },
  ],
  'status-list': [
    { label: 'out-of-range', value: '999' },
    { label: 'bad-class', value: '6xx' },
    { label: 'dangling-range', value: '200-' },
    { label: 'word', value: 'ok' },
    { label: 'empty-item', value: '200,,301' },
    { label: 'negative', value: '-1' },
  ],
  'name-list': [
    { label: 'space-in-name', value: 'A B' },
    { label: 'question-mark', value: 'A?' },
    { label: 'leading-digit', value: '1A' },
  ],
  'http-path': [
    { label: 'no-slash', value: 'healthz' },
    { label: 'protocol-relative', value: '//evil.example.com/x' },
    { label: 'absolute-url', value: 'http://evil.example.com/' },
    { label: 'space', value: '/a b' },
    { label: 'fragment', value: '/x#frag' },
  ],
  headers: [
    { label: 'no-colon', value: 'NoColon' },
    { label: 'bad-name', value: 'Bad Name: x' },
    { label: 'empty-value', value: 'X-A:' },
    { label: 'crlf-in-value', value: 'X-A: a\r\nInjected: b' },
    { label: 'host-header', value: 'Host: evil.example.com', acceptable: true },
    { label: 'secret-value', value: `X-Api-Key: ${SECRET_MARK}-header-trial`, acceptable: true },
  ],
  category: [
    { label: 'double-slash', value: 'a//b' },
    { label: 'leading-slash', value: '/a' },
    { label: 'space', value: 'a b' },
    { label: 'dotdot-part', value: 'a/../b', acceptable: true },
  ],
};

/** Kinds whose every value is valid text: the sweep only checks that it is handled cleanly. */
export const FREE_KINDS: ReadonlySet<Kind> = new Set(['free-text', 'secret']);

/**
 * Kinds that take any text in the common values' shape. Tag rules: a line without `type=` is a raw tag,
 * sanitized as docker/metadata-action does (invalid characters to `-`, at most 128), so any text is valid.
 */
export const FREE_TEXT_COMMON_KINDS: ReadonlySet<Kind> = new Set(['tag-rules']);

export interface InputSpec {
  kind: Kind;
  /** Changes to the action's base inputs for this input's trials (so the input is read and validated). */
  base?: Record<string, string>;
  /** Labels of bad values this input may legitimately accept, beyond those marked acceptable. */
  accepts?: readonly string[];
  /** Labels of bad values that do not apply to this input. */
  skip?: readonly string[];
}

export interface ActionPlan {
  /**
   * Valid inputs: with them alone the action gets past input validation and then stops quickly
   * without a network (every trial runs with none).
   */
  base: Record<string, string>;
  /** Files the workspace holds before each trial, by path relative to it. */
  workspace: Record<string, string>;
  /**
   * Serve `200 ok` on this port of the namespace's loopback during each step (nothing else is
   * reachable), so a valid run ends at once instead of retrying until its timeout.
   */
  loopbackPort?: number;
  inputs: Record<string, InputSpec>;
}

const GUID = '00000000-0000-0000-0000-0000000000a1';
const TENANT = '00000000-0000-0000-0000-0000000000b2';
const CLIENT = '00000000-0000-0000-0000-0000000000c3';

/** The six shared Azure inputs (src/lib/azure/inputs.ts), given a valid client-secret sign-in. */
const AZURE_BASE = {
  'subscription-id': GUID,
  'tenant-id': TENANT,
  'client-id': CLIENT,
  'client-secret': PLANTED.clientSecret,
};

function azureInputs(base?: Record<string, string>): Record<string, InputSpec> {
  const withBase = (spec: InputSpec): InputSpec => (base ? { ...spec, base } : spec);
  return {
    'subscription-id': withBase({ kind: 'uuid' }),
    'tenant-id': withBase({ kind: 'tenant' }),
    'client-id': withBase({ kind: 'uuid' }),
    'client-secret': withBase({ kind: 'secret' }),
    'arm-endpoint': withBase({ kind: 'https-url' }),
    'authority-host': withBase({ kind: 'https-url' }),
  };
}

/**
 * build-image's trials of the Azure inputs sign in by ACR OIDC, the only mode that reads them, to an ACR
 * login server with push on, so that no reading of the inputs can be skipped as needless.
 */
const ACR_OIDC_BASE = {
  ...AZURE_BASE,
  registry: 'sweep.azurecr.io',
  push: 'true',
  'registry-login': 'acr-oidc',
  username: '',
  password: '',
};

export const ACTION_PLANS: Record<string, ActionPlan> = {
  'build-image': {
    // No Docker engine answers in the sweep's network namespace, so `docker` fails fast after validation.
    base: {
      builder: 'docker',
      registry: 'registry.example.com',
      repository: 'team/app',
      push: 'false',
      username: 'sweep-user',
      password: PLANTED.password,
    },
    workspace: { Dockerfile: 'FROM scratch\nCOPY Dockerfile /\n' },
    inputs: {
      builder: { kind: 'enum' },
      context: { kind: 'dir-path', accepts: ['dotdot'] },
      // A Dockerfile outside the context is allowed, as docker build -f allows it.
      file: { kind: 'file-path', accepts: ['proc', 'dotdot-deep'] },
      target: { kind: 'stage-name' },
      'build-args': { kind: 'kv-lines' },
      registry: { kind: 'registry-host' },
      repository: { kind: 'repository' },
      tags: { kind: 'tag-rules' },
      labels: { kind: 'kv-lines' },
      push: { kind: 'boolean' },
      'tls-verify': { kind: 'boolean' },
      layers: { kind: 'boolean' },
      'cache-from': { kind: 'cache-ref' },
      'cache-to': { kind: 'cache-ref' },
      username: { kind: 'free-text' },
      password: { kind: 'secret' },
      'registry-login': { kind: 'enum' },
      ...azureInputs(ACR_OIDC_BASE),
    },
  },
  'deploy-slot': {
    base: {
      ...AZURE_BASE,
      'resource-group': 'rg-sweep',
      'app-name': 'app-sweep',
      image: 'registry.example.com/app:1.0.0',
      'registry-username': 'sweep-user',
      'registry-password': PLANTED.password,
      'health-timeout': '2s',
      'lock-timeout': '1s',
    },
    workspace: {},
    inputs: {
      ...azureInputs(),
      action: { kind: 'enum' },
      // ARM allows a resource group name to start with a hyphen.
      'resource-group': { kind: 'resource-group', accepts: ['option-like', 'option-like-long'] },
      'app-name': { kind: 'app-name' },
      slot: { kind: 'slot-name' },
      'target-slot': { kind: 'slot-name' },
      'swap-mode': { kind: 'enum' },
      image: { kind: 'image' },
      'registry-username': { kind: 'free-text' },
      'registry-password': { kind: 'secret' },
      // An unknown YAML tag leaves a plain string, which is a valid setting value.
      'app-settings': { kind: 'yaml-map', accepts: ['js-tag'] },
      // A line starting with # is a comment in a list input; ARM sets no length limit on setting names.
      'sticky-settings': { kind: 'name-list', accepts: ['newline-runner-command', 'very-long'] },
      // The path is appended to the slot's URL, so //host/x stays a path on the slot.
      'health-path': { kind: 'http-path', accepts: ['protocol-relative'] },
      'health-statuses': { kind: 'status-list', accepts: ['empty-item'] },
      'health-timeout': { kind: 'duration' },
      percentage: { kind: 'percentage', base: { action: 'ramp' } },
      'lock-timeout': { kind: 'duration' },
      'rollback-on-failure': { kind: 'boolean' },
      // A list (one per line or comma-separated) of registry hosts a rollback may restore an image from.
      'allowed-registries': { kind: 'registry-host' },
      // A token is sent as a header: one with a space or line break is refused (value hidden), any
      // other is used; with no network, recording the deployment is one warning.
      'github-token': { kind: 'secret' },
      // A GitHub environment name: any text of at most 255 characters without control or format characters.
      environment: { kind: 'free-text' },
    },
  },
  'gate-on-metrics': {
    // No network answers in the sweep, so a valid run fails at its first Azure call. One measurement a
    // second with no tolerated query errors keeps that failure within the trial's time.
    base: {
      ...AZURE_BASE,
      'resource-group': 'rg-sweep',
      'app-name': 'app-sweep',
      interval: '1s',
      count: '1',
      'consecutive-error-limit': '0',
    },
    workspace: {},
    inputs: {
      ...azureInputs(),
      // ARM allows a resource group name to start with a hyphen.
      'resource-group': { kind: 'resource-group', accepts: ['option-like', 'option-like-long'] },
      'app-name': { kind: 'app-name' },
      slot: { kind: 'slot-name' },
      baseline: { kind: 'enum' },
      checks: { kind: 'yaml-list' },
      interval: { kind: 'duration' },
      count: { kind: 'integer' },
      'initial-delay': { kind: 'duration' },
      window: { kind: 'duration' },
      // 0 is each limit's default: no failed, inconclusive or errored measurement tolerated.
      'failure-limit': { kind: 'integer', accepts: ['zero'] },
      'inconclusive-limit': { kind: 'integer', accepts: ['zero'] },
      'consecutive-error-limit': { kind: 'integer', accepts: ['zero'] },
      'ingestion-delay': { kind: 'duration' },
      grain: { kind: 'enum' },
      'on-inconclusive': { kind: 'enum' },
    },
  },
  'security-scan': {
    base: { scanners: 'shellcheck' },
    workspace: { 'run.sh': '#!/bin/sh\necho "hello"\n' },
    inputs: {
      path: { kind: 'dir-path', accepts: ['dotdot'] },
      scanners: { kind: 'enum' },
      // true, false or a list of scanner names, as scanners takes them.
      'require-scanners': { kind: 'enum' },
      // trivy takes a reference without a tag as :latest.
      image: { kind: 'image', base: { scanners: 'trivy-image' }, accepts: ['no-tag'] },
      'fail-on': { kind: 'enum' },
      'report-on': { kind: 'enum' },
      allowlist: { kind: 'file-path' },
      // Odd but legal file names inside the workspace; newlines, control characters and ../ are not.
      'sarif-file': {
        kind: 'output-path',
        accepts: [
          'option-like',
          'option-like-long',
          'expression-text',
          'shell-metachars',
          'percent-encoded-newline',
        ],
      },
      'category-prefix': { kind: 'category', accepts: ['very-long'] },
      timeout: { kind: 'duration' },
    },
  },
  'deploy-infra': {
    // No DNS answers in the sweep's network namespace: a valid run fails at sign-in, after validation.
    base: { ...AZURE_BASE, 'resource-group': 'rg-sweep', template: 'main.json' },
    workspace: {
      'main.json': JSON.stringify({
        $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
        contentVersion: '1.0.0.0',
        parameters: {
          name: { type: 'string' },
          count: { type: 'int', defaultValue: 1 },
          adminPassword: { type: 'securestring', defaultValue: '' },
        },
        resources: [],
      }),
      'params.json': JSON.stringify({
        $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
        contentVersion: '1.0.0.0',
        parameters: { name: { value: 'sweep' } },
      }),
    },
    inputs: {
      ...azureInputs(),
      // ARM allows a resource group name to start with a hyphen.
      'resource-group': { kind: 'resource-group', accepts: ['option-like', 'option-like-long'] },
      template: { kind: 'file-path' },
      parameters: { kind: 'file-path' },
      'parameter-overrides': { kind: 'yaml-map' },
      operation: { kind: 'enum' },
      // ARM's deployment names: 1-64 letters, digits, - _ . ( ), a leading hyphen included.
      'deployment-name': {
        kind: 'slot-name',
        accepts: ['too-long', 'underscore', 'option-like', 'option-like-long'],
      },
      // A comma or line list of what-if change types (Create, Delete, Modify, ...).
      'fail-on-change-types': { kind: 'enum' },
      timeout: { kind: 'duration' },
    },
  },
  'verify-autoscale': {
    // No DNS answers in the sweep's network namespace: a valid run fails at sign-in, after validation.
    base: { ...AZURE_BASE, 'resource-group': 'rg-sweep', 'app-name': 'app-sweep' },
    workspace: {},
    inputs: {
      ...azureInputs(),
      // ARM allows a resource group name to start with a hyphen.
      'resource-group': { kind: 'resource-group', accepts: ['option-like', 'option-like-long'] },
      'app-name': { kind: 'app-name' },
      mode: { kind: 'enum' },
      policy: { kind: 'yaml-map' },
      load: { kind: 'enum' },
      'target-url': { kind: 'url' },
      users: { kind: 'integer' },
      'think-time': { kind: 'duration' },
      'ramp-up': { kind: 'duration' },
      duration: { kind: 'duration' },
      'expect-capacity': { kind: 'integer' },
      'scale-out-within': { kind: 'duration' },
      'scale-in-within': { kind: 'duration' },
      'sample-interval': { kind: 'duration' },
    },
  },
  'smoke-test': {
    // The loopback server answers every check: a valid run passes at once, whatever wait-timeout says.
    // A short wait-timeout: a valid URL that does not answer (no DNS here) fails in a second.
    base: { url: 'http://127.0.0.1:8080/', 'wait-timeout': '1s', headers: `X-Api-Key: ${PLANTED.header}` },
    workspace: {},
    loopbackPort: 8080,
    inputs: {
      url: { kind: 'url' },
      checks: { kind: 'yaml-list' },
      'wait-timeout': { kind: 'duration' },
      // Each line is trimmed and split at the first colon: these parse as legal header lines.
      headers: { kind: 'headers', accepts: ['carriage-return', 'percent-encoded-newline', 'crlf-in-value'] },
      'page-load-budget': { kind: 'duration' },
      concurrency: { kind: 'integer' },
    },
  },
};
