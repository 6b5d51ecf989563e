/** The real clock behind the `Clock` port (shared/ports/clock.ts). */
import type { Clock } from '../../ports/clock.js';
import type { StateClock } from '../../ports/stateStore.js';

/** Wall-clock time and a timer-based sleep that rejects with the signal's reason on abort. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const timer = setTimeout(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/** The same time as a `StateClock` (what the state store and work queue stamp rows with). */
export function stateClockOf(clock: Clock): StateClock {
  return { now: () => new Date(clock.nowMs()) };
}
