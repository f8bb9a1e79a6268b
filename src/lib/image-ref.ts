/**
 * Container image references, parsed once for every action, by the grammar of
 * github.com/distribution/reference (reference.go, regexp.go), which docker, podman, buildah and trivy
 * all follow:
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path
 *   domain    := host [ ":" port ]          host: domain-name | "[" IPv6 "]"
 *   path      := path-component [ "/" path-component ]*      at most 255 characters
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest    := algorithm ":" hex          sha256: 64 hex digits, sha512: 128
 *
 * Stricter than the grammar where registries and DNS are: a host label is at most 63 characters, a
 * host name at most 253, and a port is 1 to 65535 (the grammar takes any digits). Only the registered
 * OCI digest algorithms sha256 and sha512 are accepted.
 *
 * Which part is the registry follows docker's normalize.go (splitDockerDomain): the first component
 * names a registry when it holds a `.` or `:`, is `localhost`, or has an upper-case letter; otherwise
 * the whole name is a path on Docker Hub (`team/app`).
 */

export interface ImageRef {
  /** `host[:port]` as written, or undefined for a Docker Hub reference without a registry. */
  registry?: string;
  /** The repository path inside the registry: `team/app`. */
  path: string;
  /** The reference without tag or digest: `registry/team/app` (or `team/app`). */
  name: string;
  tag?: string;
  /** `algorithm:hex`. */
  digest?: string;
}

export type ImageRefResult = { ok: true; ref: ImageRef } | { ok: false; reason: string };

/** distribution's RepositoryNameTotalLengthMax, applied (as its reference.go does) to the path. */
export const MAX_PATH_LENGTH = 255;
/** RFC 1035: a label of at most 63 octets, a name of at most 253 characters as written. */
const MAX_LABEL_LENGTH = 63;
const MAX_HOST_LENGTH = 253;

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const IPV6 = /^\[[0-9A-Fa-f:]+\]$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9A-Fa-f]{32,})$/;
const DIGEST_HEX_LENGTH = new Map([
  ['sha256', 64],
  ['sha512', 128],
]);

/** Why `registry` (`host[:port]`, no scheme, no path) is not a registry, or undefined when it is one. */
export function registryProblem(registry: string): string | undefined {
  if (registry === '') return 'the registry is empty';
  if (registry.includes('@')) return 'a registry must not hold a user name or password';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(registry))
    return 'a registry is a host name without a scheme such as https://';
  if (registry.includes('/')) return 'a registry is a host name without a path';
  const bracketEnd = registry.startsWith('[') ? registry.indexOf(']') + 1 : 0;
  const colon = registry.indexOf(':', bracketEnd);
  const host = colon < 0 ? registry : registry.slice(0, colon);
  const port = colon < 0 ? undefined : registry.slice(colon + 1);
  if (host.startsWith('[')) {
    if (!IPV6.test(host)) return 'the registry host is not an IPv6 address in brackets such as [::1]';
  } else {
    if (host.length > MAX_HOST_LENGTH)
      return `the registry host name is longer than ${MAX_HOST_LENGTH} characters`;
    for (const label of host.split('.')) {
      if (label.length > MAX_LABEL_LENGTH)
        return `a part of the registry host name between dots is longer than ${MAX_LABEL_LENGTH} characters`;
      if (!LABEL.test(label))
        return 'the registry host name must be parts of letters, digits and inner hyphens, joined by single dots';
    }
  }
  if (port !== undefined) {
    const number = /^[0-9]{1,5}$/.test(port) ? Number(port) : Number.NaN;
    if (!(number >= 1 && number <= 65535)) return 'the registry port must be a number from 1 to 65535';
  }
  return undefined;
}

/** Why `path` (`team/app`) is not a repository path, or undefined when it is one. */
export function repositoryPathProblem(path: string): string | undefined {
  if (path === '') return 'it names no repository';
  if (path.length > MAX_PATH_LENGTH)
    return `the repository path is longer than ${MAX_PATH_LENGTH} characters`;
  const components = path.split('/');
  if (components.every((c) => PATH_COMPONENT.test(c))) return undefined;
  if (components.every((c) => PATH_COMPONENT.test(c.toLowerCase())))
    return 'the repository path must be lower-case';
  if (path.includes(':')) return 'it has more than one tag, or a port that is not on the registry';
  return 'the repository path must be lower-case letters and digits, separated by . _ __ - inside a part and / between parts';
}

function tagProblem(tag: string): string | undefined {
  if (tag === '') return 'the tag after ":" is empty';
  if (tag.length > 128) return 'the tag is longer than 128 characters';
  if (!TAG.test(tag)) return 'the tag must be letters, digits, _ . - (at most 128, not starting with . or -)';
  return undefined;
}

function digestProblem(digest: string): string | undefined {
  const match = DIGEST.exec(digest);
  const algorithm = match?.[1] ?? digest.split(':')[0] ?? '';
  const length = DIGEST_HEX_LENGTH.get(algorithm);
  if (length === undefined) return 'the digest must be sha256:<64 hex digits> or sha512:<128 hex digits>';
  if (!new RegExp(`^${algorithm}:[0-9a-f]{${length}}$`).test(digest))
    return `a ${algorithm} digest has exactly ${length} lower-case hex digits`;
  return undefined;
}

/** Parse an image reference; a reason (without the value) when it is not one. */
export function parseImageRef(value: string): ImageRefResult {
  const fail = (reason: string): ImageRefResult => ({ ok: false, reason });
  if (value === '') return fail('it is empty');
  if (/[\s\p{Cc}\p{Cf}]/u.test(value)) return fail('it holds a space or a control character');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value))
    return fail('an image reference has no scheme such as https://');

  const at = value.indexOf('@');
  let name = at < 0 ? value : value.slice(0, at);
  const digest = at < 0 ? undefined : value.slice(at + 1);
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    // `user:pw@host/app` is not a digest: say so without echoing what came before the @.
    if (problem)
      return fail(digest.includes('/') ? 'a registry must not hold a user name or password' : problem);
  }

  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    const problem = tagProblem(tag);
    if (problem) return fail(problem);
  }

  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasRegistry =
    slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  const registry = hasRegistry ? first : undefined;
  const path = hasRegistry ? name.slice(slash + 1) : name;
  if (registry !== undefined) {
    const problem = registryProblem(registry);
    if (problem) return fail(problem);
  }
  const problem = repositoryPathProblem(path);
  if (problem) return fail(problem);

  return {
    ok: true,
    ref: {
      ...(registry !== undefined ? { registry } : {}),
      path,
      name,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    },
  };
}
