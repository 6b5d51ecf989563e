/**
 * Timer triggers, as the host's TimerListener runs them:
 * - the schedule (NCRONTAB or TimeSpan; `%Setting%` already resolved) fires on the host clock;
 * - `runOnStartup` fires once when the host starts;
 * - a timer never overlaps itself: the next occurrence is computed after the invocation finishes;
 * - occurrences missed while the host was busy or the clock jumped collapse into one invocation with
 *   `isPastDue: true`;
 * - `scheduleStatus { last, next, lastUpdated }` is kept in memory (the real host keeps it in the
 *   storage account when `useMonitor` is on, so it survives restarts; this host does not) and is
 *   `null` when `useMonitor` is false — by default it is on only for schedules that recur at most once
 *   a minute, as in Azure;
 * - `retry` options (fixedDelay / exponentialBackoff) are applied with `retryContext`, as for timers
 *   in Azure.
 */
import type { FunctionRegistration } from './describeRegistration.js';
import type { HostClock } from './hostClock.js';
import type { HostRuntime } from './hostRuntime.js';
import { parseTimerSchedule, type TimerSchedule } from './ncrontab.js';

/** DateTime.MinValue, what the host reports as `last` before a first run. */
const NEVER = '0001-01-01T00:00:00.000Z';

interface TimerState {
  readonly reg: FunctionRegistration;
  readonly schedule: TimerSchedule;
  readonly useMonitor: boolean;
  next: number;
  last: number | undefined;
  cancel: (() => void) | undefined;
}

export class TimerTriggers {
  readonly #timers = new Map<string, TimerState>();
  #stopped = false;
  readonly #waits = new Set<() => void>();

  constructor(
    private readonly rt: HostRuntime,
    private readonly clock: HostClock,
    schedules: ReadonlyMap<string, string>,
  ) {
    for (const reg of rt.registrations.values()) {
      if (reg.trigger.kind !== 'timer') continue;
      const expression = schedules.get(reg.name) ?? reg.trigger.schedule;
      const schedule = parseTimerSchedule(expression);
      const first = schedule.next(clock.now());
      this.#timers.set(reg.name, {
        reg,
        schedule,
        useMonitor: reg.trigger.useMonitor ?? schedule.next(first) - first >= 60_000,
        next: 0,
        last: undefined,
        cancel: undefined,
      });
    }
  }

  start(): void {
    for (const t of this.#timers.values()) {
      if (t.reg.trigger.kind === 'timer' && t.reg.trigger.runOnStartup)
        void this.rt.track(this.#run(t, false).catch(() => undefined)).then(() => this.#arm(t));
      else this.#arm(t);
    }
  }

  /** Cancels every schedule; a retry waiting for its delay gives up (its last error stands). */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) t.cancel?.();
    for (const wake of [...this.#waits]) wake();
  }

  #wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#waits.delete(wake);
        cancel();
        resolve();
      };
      const cancel = this.clock.schedule(ms, wake);
      this.#waits.add(wake);
    });
  }

  /** Fires the timer function now, outside its schedule; rejects with the handler's error. */
  invokeNow(name: string): Promise<void> {
    const t = [...this.#timers.values()].find((x) => x.reg.name.toLowerCase() === name.toLowerCase());
    if (!t) throw new Error(`no timer function named '${name}'`);
    return this.#run(t, false);
  }

  has(name: string): boolean {
    return [...this.#timers.keys()].some((k) => k.toLowerCase() === name.toLowerCase());
  }

  #arm(t: TimerState): void {
    if (this.#stopped) return;
    const now = this.clock.now();
    t.next = t.schedule.next(now);
    t.cancel = this.clock.schedule(t.next - now, () => {
      t.cancel = undefined;
      const fired = this.clock.now();
      const isPastDue = t.schedule.next(t.next) <= fired;
      void this.rt.track(this.#run(t, isPastDue).catch(() => undefined)).then(() => this.#arm(t));
    });
  }

  async #run(t: TimerState, isPastDue: boolean): Promise<void> {
    const retry = t.reg.retryOptions;
    const maxRetryCount = retry?.maxRetryCount ?? 0;
    for (let attempt = 0; ; attempt++) {
      const now = this.clock.now();
      const info = {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: t.useMonitor
          ? {
              Last: t.last === undefined ? NEVER : new Date(t.last).toISOString(),
              Next: new Date(t.schedule.next(now)).toISOString(),
              LastUpdated: new Date(now).toISOString(),
            }
          : null,
        IsPastDue: isPastDue,
      };
      try {
        await this.rt.invoke(this.rt.find(t.reg.name)!, 'timer', {
          triggerData: { json: JSON.stringify(info) },
          ...(retry ? { retryContext: { retryCount: attempt, maxRetryCount } } : {}),
        });
        t.last = now;
        return;
      } catch (e) {
        if (!retry || (maxRetryCount !== -1 && attempt >= maxRetryCount) || this.#stopped) {
          t.last = now;
          throw e;
        }
        await this.#wait(retryDelayMs(retry, attempt));
        if (this.#stopped) throw e;
      }
    }
  }
}

function retryDelayMs(retry: NonNullable<FunctionRegistration['retryOptions']>, attempt: number): number {
  if (retry.retryStrategy === 'exponentialBackoff') {
    const min = (retry.minimumInterval?.seconds ?? 1) * 1000;
    const max = (retry.maximumInterval?.seconds ?? 900) * 1000;
    return Math.min(max, min * 2 ** attempt);
  }
  return (retry.delayInterval?.seconds ?? 0) * 1000;
}
