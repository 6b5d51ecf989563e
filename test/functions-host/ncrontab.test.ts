/** NCRONTAB schedules of timer triggers: next occurrences in UTC, NCrontab's day AND day-of-week rule. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTimerSchedule } from '../../infra/local/functions-host/ncrontab.js';

const next = (expr: string, from: string): string =>
  new Date(parseTimerSchedule(expr).next(Date.parse(from))).toISOString();

describe('NCRONTAB schedules', () => {
  const cases: [string, string, string][] = [
    ['0 */5 * * * *', '2026-03-01T10:02:30Z', '2026-03-01T10:05:00.000Z'],
    ['0 */5 * * * *', '2026-03-01T10:05:00Z', '2026-03-01T10:10:00.000Z'], // strictly after
    ['*/10 * * * * *', '2026-03-01T10:00:59Z', '2026-03-01T10:01:00.000Z'],
    ['30 15 9 * * MON-FRI', '2026-03-06T10:00:00Z', '2026-03-09T09:15:30.000Z'], // Fri after 9:15 → Mon
    ['0 0 0 1 JAN *', '2026-06-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 12 * * 0', '2026-03-02T00:00:00Z', '2026-03-08T12:00:00.000Z'], // Sunday as 0
    ['0 0 12 * * 7', '2026-03-02T00:00:00Z', '2026-03-08T12:00:00.000Z'], // Sunday as 7
    ['0 0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0,30 8-9 * * *', '2026-03-01T08:31:00Z', '2026-03-01T09:00:00.000Z'],
    ['0 5/20 * * * *', '2026-03-01T08:26:00Z', '2026-03-01T08:45:00.000Z'],
    // NCrontab matches day-of-month AND day-of-week (Vixie cron would take either).
    ['0 0 0 13 * FRI', '2026-01-01T00:00:00Z', '2026-02-13T00:00:00.000Z'],
  ];
  for (const [expr, from, want] of cases)
    it(`${expr} after ${from} is ${want}`, () => assert.equal(next(expr, from), want));

  it('accepts a TimeSpan as an interval since the previous run', () => {
    const s = parseTimerSchedule('00:05:00');
    assert.equal(s.kind, 'interval');
    assert.equal(s.next(1_000), 301_000);
  });

  it('names the field and the problem of a bad expression', () => {
    assert.throws(() => parseTimerSchedule('0 */5 * * *'), /expected 6 fields .* got 5/);
    assert.throws(() => parseTimerSchedule('0 61 * * * *'), /minute field: 61 is outside 0-59/);
    assert.throws(() => parseTimerSchedule('0 0 0 * FOO *'), /month field: "FOO" is not a number/);
    assert.throws(() => parseTimerSchedule('0 0 0 31 2 *'), /never fires/);
    assert.throws(() => parseTimerSchedule('*/0 * * * * *'), /step "0" must be a positive number/);
  });
});
