// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** The PEM files the sandbox serves TLS with; `caCertPath` is what clients put in NODE_EXTRA_CA_CERTS. */
export interface TlsMaterial {
  caCertPath: string;
  cert: string;
  key: string;
  ca: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

function toPem(der: ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/**
 * A CA per state dir and a server certificate it signs for IP:127.0.0.1 and DNS:localhost. Created once
 * and reused on restart, so a client that trusted the CA keeps trusting the restarted sandbox. The CA key
 * stays in the state dir: anyone who can read it could mint certificates this machine's tests trust, which
 * is why the sandbox writes it with mode 0600 and nobody should trust this CA system-wide.
 */
export async function loadOrCreateTls(stateDir: string, now: Date = new Date()): Promise<TlsMaterial> {
  const caCertPath = join(stateDir, 'ca.pem');
  const certPath = join(stateDir, 'server.pem');
  const keyPath = join(stateDir, 'server-key.pem');
  if (existsSync(caCertPath) && existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    const notAfter = new x509.X509Certificate(cert).notAfter.getTime();
    // Regenerate a certificate close to expiry rather than fail TLS mid-run.
    if (notAfter - now.getTime() > DAY_MS) {
      return { caCertPath, cert, key: readFileSync(keyPath, 'utf8'), ca: readFileSync(caCertPath, 'utf8') };
    }
  }
  x509.cryptoProvider.set(webcrypto as never);
  const subtle = webcrypto.subtle;
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + 365 * DAY_MS);
  const caKeys = (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=slotline sandbox CA, O=slotline',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = (await subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=localhost, O=slotline sandbox',
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const ca = caCert.toString('pem');
  const cert = serverCert.toString('pem');
  const key = toPem(await subtle.exportKey('pkcs8', serverKeys.privateKey), 'PRIVATE KEY');
  const caKey = toPem(await subtle.exportKey('pkcs8', caKeys.privateKey), 'PRIVATE KEY');
  writeFileSync(caCertPath, `${ca}\n`);
  writeFileSync(join(stateDir, 'ca-key.pem'), caKey, { mode: 0o600 });
  writeFileSync(certPath, `${cert}\n`);
  writeFileSync(keyPath, key, { mode: 0o600 });
  return { caCertPath, cert, key, ca };
}

function randomSerial(): string {
  // Positive, non-zero: the high bit of the first byte clear.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** A signing key with a certificate the sandbox CA issued, for tokens that carry their chain (`x5c`). */
export interface CaIssuedSigningKey {
  /** The certificate, base64 DER, as a JWS `x5c` entry holds it. */
  certificateBase64: string;
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
}

/**
 * An ECDSA P-256 signing key and a certificate for it from the state dir's CA (`name`-key.pem, `name`.pem).
 * Kept across restarts; reissued when the CA changed (its certificate no longer verifies) or it nears expiry.
 * Used by the container registry token service: docker-registry trusts the CA (`rootcertbundle`) and
 * checks the `x5c` chain of every token.
 */
export async function loadOrIssueSigningKey(
  stateDir: string,
  name: string,
  subject: string,
  now: Date = new Date(),
): Promise<CaIssuedSigningKey> {
  x509.cryptoProvider.set(webcrypto as never);
  const subtle = webcrypto.subtle;
  const caCert = new x509.X509Certificate(readFileSync(join(stateDir, 'ca.pem'), 'utf8'));
  const certPath = join(stateDir, `${name}.pem`);
  const keyPath = join(stateDir, `${name}-key.pem`);
  const importKey = (pem: string) =>
    subtle.importKey('pkcs8', pemBody(pem), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = new x509.X509Certificate(readFileSync(certPath, 'utf8'));
    const fresh = cert.notAfter.getTime() - now.getTime() > DAY_MS;
    if (fresh && (await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true }))) {
      return {
        certificateBase64: Buffer.from(cert.rawData).toString('base64'),
        privateKey: await importKey(readFileSync(keyPath, 'utf8')),
        publicKey: await cert.publicKey.export(),
      };
    }
  }
  const caKey = await subtle.importKey(
    'pkcs8',
    pemBody(readFileSync(join(stateDir, 'ca-key.pem'), 'utf8')),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const keys = (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 365 * DAY_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  writeFileSync(certPath, `${cert.toString('pem')}\n`);
  writeFileSync(keyPath, toPem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'), {
    mode: 0o600,
  });
  return {
    certificateBase64: Buffer.from(cert.rawData).toString('base64'),
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
  };
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
