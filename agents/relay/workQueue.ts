/**
 * A de-duplicating queue of keys to reconcile (controller-runtime's workqueue, reduced to what one
 * worker needs): a key added several times before it is processed is processed once; failures are
 * counted per key for backoff and forgotten on success.
 */
import type { Clock } from '../../shared/ports/clock.js';
import { Wakeup } from './wakeup.js';

/** Keys to process, in the order they were first added. */
export class WorkQueue {
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly wake = new Wakeup();

  add(key: string): void {
    this.dirty.add(key);
    this.wake.notify();
  }

  /** Adds `key` after `ms` on the clock, unless `signal` aborts first. */
  addAfter(key: string, ms: number, clock: Clock, signal: AbortSignal): void {
    void clock.sleep(ms, signal).then(() => {
      if (!signal.aborted) this.add(key);
    });
  }

  /** The next key, removed from the queue; waits up to `idleMs` for one (undefined then or on abort). */
  async next(clock: Clock, idleMs: number, signal: AbortSignal): Promise<string | undefined> {
    if (this.dirty.size === 0) await this.wake.wait(clock, idleMs, signal);
    const first = this.dirty.values().next();
    if (first.done === true) return undefined;
    this.dirty.delete(first.value);
    return first.value;
  }

  /** Records a failure of `key`; returns how many in a row. */
  failed(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return n;
  }

  /** Forgets the failures of `key` (it succeeded). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Drops every key (the term ended). */
  clear(): void {
    this.dirty.clear();
    this.failures.clear();
  }

  get size(): number {
    return this.dirty.size;
  }
}
