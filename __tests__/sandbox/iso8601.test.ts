import { describe, expect, test } from '@jest/globals';
import { parseDuration, parseInstant, parseTimespan } from '../../sandbox/iso8601.js';

// The sandbox's own strict ISO 8601 parser (it shares none with src/). Run in-process; the zone of the
// jest worker must not matter, which client-gaps.test.ts checks end to end under Australia/Sydney.

describe('parseDuration', () => {
  test.each([
    ['PT1M', 60_000],
    ['PT5M', 300_000],
    ['PT1H30M', 5_400_000],
    ['P1D', 86_400_000],
    ['P7D', 604_800_000],
    ['P1W', 604_800_000],
    ['P1DT12H', 129_600_000],
    ['PT0.5S', 500],
    ['pt1m', 60_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(['', 'P', 'PT', 'P1DT', '5m', 'PT1.5M', 'P1M', 'P1Y', 'PT-1M', ' PT1M', 'PT1M '])(
    '%j is not a duration',
    (text) => expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('parseInstant', () => {
  const utc = Date.UTC(2026, 10, 26, 11, 0, 0);
  test.each([
    ['2026-11-26T11:00:00Z', utc],
    ['2026-11-26T11:00:00', utc],
    ['2026-11-26T11:00', utc],
    ['2026-11-26T11:00:00.250Z', utc + 250],
    ['2026-11-26T22:00:00+11:00', utc],
    ['2026-11-26T06:30:00-0430', utc],
    ['2026-11-26', Date.UTC(2026, 10, 26)],
  ])('%s', (text, ms) => expect(parseInstant(text)).toBe(ms));

  test.each([
    'Nov 26 2026',
    '2026-13-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-11-26T24:00:00Z',
    '2026-11-26T11:60:00Z',
    '2026-11-26 11:00:00Z',
    '26/11/2026',
    '2026-11-26T11:00:00+25:00',
    '1764154800000',
  ])('%s is refused', (text) => expect(parseInstant(text)).toBeUndefined());
});

describe('parseTimespan', () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  const start = Date.UTC(2026, 10, 26, 11, 0, 0);
  test.each([
    ['2026-11-26T11:00:00Z/2026-11-26T11:04:00Z', { start, end: start + 240_000 }],
    ['2026-11-26T11:00:00/PT4M', { start, end: start + 240_000 }],
    ['PT4M/2026-11-26T11:04:00Z', { start, end: start + 240_000 }],
    ['PT1H', { start: now - 3_600_000, end: now }],
  ])('%s', (text, span) => expect(parseTimespan(text, now)).toEqual(span));

  test.each(['', 'PT1H/PT1H', '2026-11-26T11:04:00Z/2026-11-26T11:00:00Z', 'a/b/c', '2026-11-26T11:00:00Z'])(
    '%j is refused',
    (text) => expect(parseTimespan(text, now)).toBeUndefined(),
  );
});
