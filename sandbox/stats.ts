import { quantileSorted } from 'simple-statistics';

/** The p-th quantile (0..1) of the values, or undefined when there are none (the sandbox's own, not src/'s). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}
