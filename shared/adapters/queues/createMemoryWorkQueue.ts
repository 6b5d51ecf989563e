/**
 * An in-memory `WorkQueue` for unit tests: the same validation and message format as the Storage
 * adapter; tests read what became visible on the injected clock.
 */
import type { StateClock } from '../../ports/stateStore.js';
import type { ReconcileRequest, WorkQueue } from '../../ports/workQueue.js';
import { buildReconcileRequest } from './reconcileMessage.js';

export interface MemoryWorkQueue extends WorkQueue {
  /** Removes and returns the requests visible now, oldest first. */
  takeVisible(): ReconcileRequest[];
  /** How many requests wait, visible or not. */
  readonly size: number;
}

export function createMemoryWorkQueue(options: { readonly clock?: StateClock } = {}): MemoryWorkQueue {
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const items: { request: ReconcileRequest; visibleAt: number; seq: number }[] = [];
  let seq = 0;
  return {
    enqueue(input, signal) {
      try {
        signal.throwIfAborted();
        const now = new Date(clock.nowMs());
        const request = buildReconcileRequest(input, now);
        items.push({ request, visibleAt: now.getTime() + (input.delayMs ?? 0), seq: seq++ });
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    takeVisible() {
      const now = clock.nowMs();
      const visible = items
        .filter((i) => i.visibleAt <= now)
        .sort((a, b) => a.visibleAt - b.visibleAt || a.seq - b.seq);
      for (const v of visible) items.splice(items.indexOf(v), 1);
      return visible.map((v) => v.request);
    },
    get size() {
      return items.length;
    },
  };
}
