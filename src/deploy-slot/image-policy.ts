import { isValidImage } from './inputs.js';

/**
 * Which images a rollback may put on production. The deployment record lives in tags, and tag write
 * access is meant to grant no control of the app, so an image read from the record is only deployed when
 * it is a valid reference and comes from the registry production runs from now (read from the site
 * config, which a tag writer cannot change) or from a registry the workflow lists in `allowed-registries`.
 */

/** The registry host of a reference (`ghcr.io`, `127.0.0.1:5000`), lowercased; Docker Hub is `docker.io`. */
export function registryHost(image: string): string {
  const first = image.split('/')[0] ?? '';
  const isHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = isHost ? first.toLowerCase() : 'docker.io';
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** Why `image` (read from the record) may not be deployed, or undefined when it may. */
export function refuseRecordImage(
  image: string,
  policy: { productionImage: string | undefined; allowedRegistries: readonly string[] },
): string | undefined {
  if (!isValidImage(image)) return `${JSON.stringify(image.slice(0, 300))} is not a valid image reference`;
  const allowed = new Set(policy.allowedRegistries.map((r) => registryHost(`${r.toLowerCase()}/x`)));
  if (policy.productionImage) allowed.add(registryHost(policy.productionImage));
  const host = registryHost(image);
  if (allowed.has(host)) return undefined;
  return `${image} is from registry ${host}, and production runs from ${policy.productionImage ? registryHost(policy.productionImage) : 'no registry'}${policy.allowedRegistries.length > 0 ? ` (allowed-registries: ${policy.allowedRegistries.join(', ')})` : ''}; list ${host} in allowed-registries if it is yours`;
}
