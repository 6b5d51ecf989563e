/**
 * A level-triggered wake-up for the relay's loops, on the injected clock (shared/ports/clock.ts), so
 * tests drive lease expiry, backoff and periodic SYNC with a manual clock instead of real sleeps.
 */
import type { Clock } from '../../shared/ports/clock.js';

/**
 * A level-triggered wake-up: `notify()` before or during `wait()` makes the (next) wait return at
 * once; otherwise `wait` returns after `ms` on the clock or when `signal` aborts.
 */
export class Wakeup {
  private pending = false;
  private waiters: (() => void)[] = [];

  notify(): void {
    this.pending = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves `true` when notified, `false` on timeout or abort. */
  async wait(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return true;
    }
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let resolveNotified: () => void = () => undefined;
    const notified = new Promise<void>((resolve) => {
      resolveNotified = resolve;
    });
    this.waiters.push(resolveNotified);
    try {
      await Promise.race([notified, clock.sleep(ms, stop.signal)]);
    } finally {
      stop.abort();
      signal.removeEventListener('abort', onAbort);
      this.waiters = this.waiters.filter((w) => w !== resolveNotified);
    }
    const wasNotified = this.pending;
    this.pending = false;
    return wasNotified;
  }
}
