/** Durations as users write them in workflow inputs: `30s`, `5m`, `1h30m`, `250ms` or ISO 8601 `PT5M`. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const COMPACT = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d))+$/;
const COMPACT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const ISO = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (COMPACT.test(value)) {
    let total = 0;
    for (const [, amount, unit] of value.matchAll(COMPACT_PART)) total += Number(amount) * UNIT_MS[unit!]!;
    return Math.round(total);
  }
  const iso = ISO.exec(value.toUpperCase());
  if (iso && value.length > 1 && !value.toUpperCase().endsWith('T')) {
    const [, d, h, m, s] = iso;
    if (d === undefined && h === undefined && m === undefined && s === undefined) return undefined;
    return Math.round(
      Number(d ?? 0) * UNIT_MS['d']! +
        Number(h ?? 0) * UNIT_MS['h']! +
        Number(m ?? 0) * UNIT_MS['m']! +
        Number(s ?? 0) * UNIT_MS['s']!,
    );
  }
  return undefined;
}

/** Human form for logs and summaries: 1500 → `1.5s`, 90000 → `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}
