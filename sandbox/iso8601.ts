/**
 * The sandbox's own strict ISO 8601 reading of durations, instants and timespans, as ARM and Azure Monitor
 * take them. It shares nothing with the parsers in src/: the sandbox is the oracle the tests trust, so a bug
 * in the code under test must not be mirrored here.
 *
 * Strict means: no `Date.parse` guessing (it reads `Nov 26 2026` and reads a zoneless time in the
 * machine's local zone). A time without a zone is UTC, as Azure reads it.
 */

const UNIT_MS = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const;

// Years and months have no fixed length, and ARM's grains, windows and cooldowns never use them.
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Milliseconds of a duration such as `PT5M`, `P1D`, `PT1H30M`, `PT0.5S`, `P1W`; undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const [, w, d, h, m, s] = match;
  if ([w, d, h, m, s].every((part) => part === undefined)) return undefined; // `P`, `PT`
  if (/T$/i.test(text)) return undefined; // `P1DT`
  return Math.round(
    Number(w ?? 0) * UNIT_MS.W +
      Number(d ?? 0) * UNIT_MS.D +
      Number(h ?? 0) * UNIT_MS.H +
      Number(m ?? 0) * UNIT_MS.M +
      Number(s ?? 0) * UNIT_MS.S,
  );
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Milliseconds since the epoch of a calendar date or date-time: `2026-11-26`, `2026-11-26T11:00`,
 * `2026-11-26T11:00:00.123Z`, `2026-11-26T22:00:00+11:00`. Without a zone it is UTC. Undefined when the text
 * is not one, or names a day or time that does not exist (month 13, February 30, 24:01).
 */
export function parseInstant(text: string): number | undefined {
  const match = INSTANT.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(`0.${fraction || '0'}`) * 1000);
  if (new Date(utc).getUTCDate() !== day) return undefined; // February 30 rolls over into March
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const [, sign, oh, om] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  }
  return utc - offsetMinutes * 60_000;
}

/**
 * A timespan as Metrics_List takes it: `start/end`, `start/duration`, `duration/end`, or a duration that
 * ends now. Undefined when it is none of these or ends before it starts.
 */
export function parseTimespan(text: string, nowMs: number): { start: number; end: number } | undefined {
  const parts = text.split('/');
  if (parts.length === 1) {
    const duration = parseDuration(parts[0]!);
    return duration === undefined ? undefined : { start: nowMs - duration, end: nowMs };
  }
  if (parts.length !== 2) return undefined;
  const [first, second] = parts as [string, string];
  const startInstant = parseInstant(first);
  const endInstant = parseInstant(second);
  let span: { start: number; end: number } | undefined;
  if (startInstant !== undefined && endInstant !== undefined) span = { start: startInstant, end: endInstant };
  else if (startInstant !== undefined) {
    const duration = parseDuration(second);
    if (duration !== undefined) span = { start: startInstant, end: startInstant + duration };
  } else if (endInstant !== undefined) {
    const duration = parseDuration(first);
    if (duration !== undefined) span = { start: endInstant - duration, end: endInstant };
  }
  return span && span.end > span.start ? span : undefined;
}
