// The standard normal distribution, to full double precision in both tails.
// Hand-written because the npm options fall short: simple-statistics' probit(0.975) is 1.9572 (not
// 1.959964) and its CDF is a table that floors at 0.001, which would hide every small p-value.

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT_2 = Math.SQRT2;

/** erfc(x) for x ≥ 0, with a relative error near 1e-15 over the whole range. */
function erfcNonNegative(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x < 2) {
    // erf(x) = 2x·e^(−x²)/√π · Σ (2x²)^k / (1·3·…·(2k+1)): every term is positive, so nothing cancels.
    const t = 2 * x * x;
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 500 && term > sum * 1e-17; k++) {
      term *= t / (2 * k + 1);
      sum += term;
    }
    return 1 - ((2 * x * Math.exp(-x * x)) / SQRT_PI) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by the modified Lentz method.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (SQRT_PI * f);
}

/** The complementary error function. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x >= 0 ? erfcNonNegative(x) : 2 - erfcNonNegative(-x);
}

/** P(Z ≤ z) for a standard normal Z (R's pnorm(z)). Accurate in the lower tail down to ~1e-300. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return z < 0 ? erfcNonNegative(-z / SQRT_2) / 2 : 1 - erfcNonNegative(z / SQRT_2) / 2;
}

/** P(Z > z) (R's pnorm(z, lower.tail = FALSE)), computed without cancellation in the upper tail. */
export function normalSf(z: number): number {
  return normalCdf(-z);
}

// Wichura (1988), Algorithm AS 241 PPND16, Applied Statistics 37(3):477–484: about 1e-16 relative.
// The published 20-digit coefficients, written as the doubles they round to (the same runtime values).
const A = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
  67265.7709270087, 33430.57558358813, 2509.0809287301227,
];
const B = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
  28729.085735721943, 5226.495278852854,
];
const C = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
  0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
];
const D = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
];
const E = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 2.7115555687434876e-5, 2.0103343992922881e-7,
];
const F = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
  1.8463183175100548e-5, 1.421511758316446e-7, 2.0442631033899397e-15,
];

function polynomial(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) value = value * x + coefficients[i]!;
  return value;
}

/** The z with P(Z ≤ z) = p (R's qnorm(p)); −∞ at 0, +∞ at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * polynomial(A, r)) / polynomial(B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value = polynomial(C, r) / polynomial(D, r);
  } else {
    r -= 5;
    value = polynomial(E, r) / polynomial(F, r);
  }
  return q < 0 ? -value : value;
}
