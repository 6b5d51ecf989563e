/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC (the host's default when
 * WEBSITE_TIME_ZONE is unset).
 *
 * Field syntax: `*`, `n`, `a-b`, `*\/n`, `a-b/n`, `n/s` and comma lists; months `JAN`-`DEC`, days
 * `SUN`-`SAT` (0 or 7 = Sunday). Unlike Vixie cron, NCrontab (the library the host uses) requires the
 * day-of-month AND the day-of-week to match when both are restricted, which is why no off-the-shelf
 * cron parser is used here. The host's other form, a TimeSpan such as `00:05:00` (App Service plans
 * only), is accepted too and means "every interval since the previous run".
 */

export type TimerSchedule =
  | { readonly kind: 'cron'; readonly expression: string; next(afterMs: number): number }
  | {
      readonly kind: 'interval';
      readonly expression: string;
      readonly intervalMs: number;
      next(afterMs: number): number;
    };

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Why a schedule is invalid, naming the field and the bad part. */
export class ScheduleError extends Error {
  constructor(expression: string, problem: string) {
    super(`invalid timer schedule ${JSON.stringify(expression)}: ${problem}`);
    this.name = 'ScheduleError';
  }
}

/**
 * Parses a six-field NCRONTAB expression or a `[d.]hh:mm:ss` TimeSpan.
 * @throws ScheduleError naming the offending field.
 */
export function parseTimerSchedule(expression: string): TimerSchedule {
  const trimmed = expression.trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(trimmed);
  if (span) {
    const [, d, h, m, s] = span;
    const intervalMs = (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
    if (intervalMs <= 0) throw new ScheduleError(expression, 'a TimeSpan schedule must be positive');
    return { kind: 'interval', expression: trimmed, intervalMs, next: (after) => after + intervalMs };
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 6)
    throw new ScheduleError(
      expression,
      `expected 6 fields (second minute hour day month day-of-week), got ${parts.length}`,
    );
  const sets = parts.map((p, i) => parseField(expression, p, FIELDS[i]!));
  const [seconds, minutes, hours, days, months, dows] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (dows.has(7)) dows.add(0);
  const dayRestricted = parts[3] !== '*' && parts[3] !== '?';
  const dowRestricted = parts[5] !== '*' && parts[5] !== '?';
  const matchesDay = (d: Date): boolean =>
    (!dayRestricted || days.has(d.getUTCDate())) && (!dowRestricted || dows.has(d.getUTCDay()));

  const next = (afterMs: number): number => {
    // Start at the next whole second, then move field by field, coarsest first.
    const t = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
    const limit = t.getUTCFullYear() + 8; // leap-day schedules may wait 8 years (e.g. 29 Feb on a Monday)
    while (t.getUTCFullYear() <= limit) {
      if (!months.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!matchesDay(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!hours.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        continue;
      }
      if (!minutes.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      if (!seconds.has(t.getUTCSeconds())) {
        t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
        continue;
      }
      return t.getTime();
    }
    throw new ScheduleError(expression, 'the schedule never fires');
  };
  next(Date.UTC(2000, 0, 1)); // throws now for a schedule that can never fire (e.g. 31 February)
  return { kind: 'cron', expression: trimmed, next };
}

function parseField(expression: string, text: string, field: Field): Set<number> {
  const out = new Set<number>();
  const value = (s: string): number => {
    const named = field.names?.indexOf(s.toUpperCase()) ?? -1;
    if (named >= 0) return named + (field.name === 'month' ? 1 : 0);
    if (!/^\d+$/.test(s))
      throw new ScheduleError(expression, `${field.name} field: ${JSON.stringify(s)} is not a number`);
    const n = Number(s);
    if (n < field.min || n > field.max)
      throw new ScheduleError(expression, `${field.name} field: ${n} is outside ${field.min}-${field.max}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '')
      throw new ScheduleError(expression, `${field.name} field: ${JSON.stringify(item)} is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        throw new ScheduleError(
          expression,
          `${field.name} field: step ${JSON.stringify(stepText)} must be a positive number`,
        );
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = field.min;
      hi = field.name === 'day-of-week' ? 6 : field.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = value(a);
      hi = value(b);
      if (hi < lo) throw new ScheduleError(expression, `${field.name} field: range ${range} is reversed`);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : field.name === 'day-of-week' ? 6 : field.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}
