import type { webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: webcrypto.CryptoKey;
  publicJwk: JWK;
}

export interface SigningKeys {
  /** Signs the access tokens Entra ID issues and ARM verifies. */
  entra: SigningKey;
  /** Signs the GitHub Actions OIDC tokens the emulated token service issues. */
  github: SigningKey;
}

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return {
    kid: jwk.kid!,
    privateKey: (await importJWK(jwk, 'RS256')) as webcrypto.CryptoKey,
    publicJwk: { ...publicJwk, use: 'sig', alg: 'RS256' },
  };
}

async function newPrivateJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256' };
}

/** RS256 keys per state dir, kept across restarts so tokens issued before a restart still verify. */
export async function loadOrCreateSigningKeys(stateDir: string): Promise<SigningKeys> {
  const file = join(stateDir, 'signing-keys.json');
  let jwks: { entra: JWK; github: JWK };
  if (existsSync(file)) {
    jwks = JSON.parse(readFileSync(file, 'utf8'));
  } else {
    const [entra, github] = await Promise.all([
      newPrivateJwk(`entra-${Date.now()}`),
      newPrivateJwk(`github-${Date.now()}`),
    ]);
    jwks = { entra, github };
    writeFileSync(file, `${JSON.stringify(jwks)}\n`, { mode: 0o600 });
  }
  return { entra: await fromPrivateJwk(jwks.entra), github: await fromPrivateJwk(jwks.github) };
}
