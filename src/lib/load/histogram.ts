/**
 * A latency histogram in the manner of HdrHistogram: fixed memory (about 13 KB) whatever the number of
 * values, recorded in O(1), with every value kept to within 1/256 (0.4%) of itself (the middle of a bucket). Values are
 * milliseconds, stored as whole microseconds from 1 µs to about 35 minutes: below 256 µs exactly, above
 * in 128 log-linear sub-buckets per power of two. Values outside the range are clamped into it.
 */

const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS; // 128 sub-buckets per power of two
const EXACT_BELOW = SUB_COUNT * 2; // 256 µs: one bucket per microsecond
const MAX_MICROS = 2 ** 31 - 1;
const BUCKETS = EXACT_BELOW + (31 - SUB_BITS - 1) * SUB_COUNT;

function bucketOf(micros: number): number {
  if (micros < EXACT_BELOW) return micros;
  const msb = 31 - Math.clz32(micros);
  const shift = msb - SUB_BITS;
  return EXACT_BELOW + (shift - 1) * SUB_COUNT + ((micros >>> shift) - SUB_COUNT);
}

/** The middle of a bucket's range, in microseconds. */
function bucketMiddle(bucket: number): number {
  if (bucket < EXACT_BELOW) return bucket;
  const shift = Math.floor((bucket - EXACT_BELOW) / SUB_COUNT) + 1;
  const mantissa = ((bucket - EXACT_BELOW) % SUB_COUNT) + SUB_COUNT;
  return mantissa * 2 ** shift + (2 ** shift - 1) / 2;
}

export interface LatencySummary {
  /** How many values were recorded. */
  count: number;
  /** Milliseconds, rounded to the microsecond; null when nothing was recorded. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** The largest value, exact. */
  maxMs: number | null;
  meanMs: number | null;
}

const roundMicros = (ms: number): number => Math.round(ms * 1000) / 1000;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private sumMs = 0;
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = Number.NEGATIVE_INFINITY;

  record(ms: number): void {
    const micros = Math.min(MAX_MICROS, Math.max(0, Math.round(ms * 1000)));
    this.counts[bucketOf(micros)]!++;
    this.total++;
    this.sumMs += ms;
    if (ms < this.minMs) this.minMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.total;
  }

  /**
   * The p-th quantile (0..1) by nearest rank, in milliseconds: the value of the bucket holding the
   * ceil(p·n)-th smallest value, kept within the exact minimum and maximum. Undefined when empty.
   */
  quantile(p: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, p)) * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(this.maxMs, Math.max(this.minMs, bucketMiddle(bucket) / 1000));
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    const q = (p: number): number | null => {
      const value = this.quantile(p);
      return value === undefined ? null : roundMicros(value);
    };
    const empty = this.total === 0;
    return {
      count: this.total,
      p50Ms: q(0.5),
      p95Ms: q(0.95),
      p99Ms: q(0.99),
      maxMs: empty ? null : roundMicros(this.maxMs),
      meanMs: empty ? null : roundMicros(this.sumMs / this.total),
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sumMs = 0;
    this.minMs = Number.POSITIVE_INFINITY;
    this.maxMs = Number.NEGATIVE_INFINITY;
  }
}
