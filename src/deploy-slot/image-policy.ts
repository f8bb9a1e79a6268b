import { parseImageRef } from '../lib/image-ref.js';

/**
 * Which images a rollback may put on production. The deployment record lives in tags, and tag write
 * access is meant to grant no control of the app, so an image read from the record is only deployed when
 * it is a valid reference and is another tag or digest of the repository production runs now (read from
 * the site config, which a tag writer cannot change), or comes from a registry the workflow lists in
 * `allowed-registries`. Matching the repository, not just the host, matters on shared registries: on
 * ghcr.io or docker.io anyone can publish an image under the same host.
 */

/** The registry host of a reference (`ghcr.io`, `127.0.0.1:5000`), lowercased; Docker Hub is `docker.io`. */
export function registryHost(image: string): string {
  const parsed = parseImageRef(image);
  const host = (parsed.ok ? parsed.ref.registry : undefined)?.toLowerCase() ?? 'docker.io';
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** `host/path` of a reference, Docker Hub's short names expanded (`nginx` is `docker.io/library/nginx`). */
function repositoryOf(image: string): string | undefined {
  const parsed = parseImageRef(image);
  if (!parsed.ok) return undefined;
  const host = registryHost(image);
  const path =
    host === 'docker.io' && !parsed.ref.path.includes('/') ? `library/${parsed.ref.path}` : parsed.ref.path;
  return `${host}/${path}`;
}

/** Why `image` (read from the record) may not be deployed, or undefined when it may. */
export function refuseRecordImage(
  image: string,
  policy: { productionImage: string | undefined; allowedRegistries: readonly string[] },
): string | undefined {
  const repository = repositoryOf(image);
  if (!repository) return `${JSON.stringify(image.slice(0, 300))} is not a valid image reference`;
  if (policy.productionImage && repository === repositoryOf(policy.productionImage)) return undefined;
  const host = registryHost(image);
  const allowed = new Set(policy.allowedRegistries.map((r) => registryHost(`${r.toLowerCase()}/x`)));
  if (allowed.has(host)) return undefined;
  return `${image} is not from ${policy.productionImage ? repositoryOf(policy.productionImage) : 'any repository'}, the repository production runs now${policy.allowedRegistries.length > 0 ? `, nor from allowed-registries (${policy.allowedRegistries.join(', ')})` : ''}; list ${host} in allowed-registries if it is yours`;
}

/**
 * Whether the slot's image is the one a `swap` was told to expect. A digest reference matches the same
 * repository with exactly that digest (a tag written beside the digest changes nothing: the digest names
 * the content); a tag reference matches only the same text, since a tag may have been pushed again.
 */
export function holdsExpectedImage(expected: string, slotImage: string | undefined): boolean {
  if (slotImage === undefined) return false;
  const want = parseImageRef(expected);
  if (!want.ok || !want.ref.digest) return slotImage === expected;
  const have = parseImageRef(slotImage);
  return have.ok && have.ref.digest === want.ref.digest && repositoryOf(slotImage) === repositoryOf(expected);
}
