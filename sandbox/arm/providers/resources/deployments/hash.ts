import { createHash } from 'node:crypto';

/**
 * The 64-bit hash ARM's `uniqueString()` and a deployment's `templateHash` use: a MurmurHash3-style
 * x86 two-lane variant (Microsoft.WindowsAzure.ResourceStack.Common.Algorithms.ComputeHash in
 * Microsoft.PowerPlatform.ResourceStack, MIT). Written from the description and port in
 * https://gist.github.com/maskati/23f329e7db43c00184143f04498e537c (derived from
 * Azure.Deployments.Expression's UniqueStringFunction) and a public bash port (`uniquestring.sh`) whose
 * test vectors, said to be checked against Bicep, are in __tests__/unit/arm-template.test.ts.
 * Note: PowerShell/DSC's `uniqueString` (standard MurmurHash64A) gives different values.
 */
export function armHash64(bytes: Uint8Array): bigint {
  const C1 = 0x239b961b;
  const C2 = 0xab0e9789;
  const C3 = 0x85ebca6b;
  const C4 = 0xc2b2ae35;
  const length = bytes.length;
  const le32 = (i: number) =>
    (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
  let h1 = 0;
  let h2 = 0;
  let i = 0;
  for (; i + 7 < length; i += 8) {
    const k1 = mul(rotl(mul(le32(i), C1), 15), C2);
    const k2 = mul(rotl(mul(le32(i + 4), C2), 17), C1);
    h1 = (rotl((h1 ^ k1) >>> 0, 19) + h2) >>> 0;
    h1 = (mul(h1, 5) + 0x561ccd1b) >>> 0;
    h2 = (rotl((h2 ^ k2) >>> 0, 13) + h1) >>> 0;
    h2 = (mul(h2, 5) + 0x0bcaa747) >>> 0;
  }
  const rest = length - i;
  if (rest > 0) {
    const tail = (from: number, n: number) => {
      let k = 0;
      for (let j = n - 1; j >= 0; j--) k = ((k << 8) | bytes[from + j]!) >>> 0;
      return k;
    };
    const k1 = mul(rotl(mul(tail(i, Math.min(rest, 4)), C1), 15), C2);
    h1 = (h1 ^ k1) >>> 0;
    if (rest > 4) {
      const k2 = mul(rotl(mul(tail(i + 4, rest - 4), C2), 17), C1);
      h2 = (h2 ^ k2) >>> 0;
    }
  }
  const fmix = (h: number) => {
    let x = mul((h ^ (h >>> 16)) >>> 0, C3);
    x = mul((x ^ (x >>> 13)) >>> 0, C4);
    return (x ^ (x >>> 16)) >>> 0;
  };
  h2 = (h2 ^ length) >>> 0;
  h1 = (((h1 ^ length) >>> 0) + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  return (BigInt(h2) << 32n) | BigInt(h1);
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `uniqueString(a, b, …)`: the arguments joined with '-', hashed, 13 base32 characters from the top bit down. */
export function uniqueString(args: string[]): string {
  let h = armHash64(new TextEncoder().encode(args.join('-')));
  let out = '';
  for (let i = 0; i < 13; i++) {
    out += BASE32[Number((h >> 59n) & 31n)];
    h = (h << 5n) & 0xffffffffffffffffn;
  }
  return out;
}

/** A name-based (RFC 4122 §4.3, version 5, SHA-1) UUID. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `guid(a, b, …)`: a version-5 UUID of the arguments joined with '-' (UTF-8) in the namespace
 * 11fb06fb-712d-4ddd-98c7-e71bbd588830, as Terraform's and Python ports of ARM's guid() compute it. Not
 * checked against a value Azure returned.
 */
export function armGuid(args: string[]): string {
  return uuidV5('11fb06fb-712d-4ddd-98c7-e71bbd588830', args.join('-'));
}

/** A deployment's `templateHash`: the same hash over the template's minified JSON, upper-cased, in decimal. */
export function templateHash(template: unknown): string {
  return armHash64(new TextEncoder().encode(JSON.stringify(template).toUpperCase())).toString();
}
