/**
 * The time source of the local host's timer triggers, injectable so tests fire schedules without
 * sleeping. `systemClock` uses real time; `createManualClock` only moves when told to.
 */

export interface HostClock {
  now(): number;
  /** Calls `fn` once `ms` have passed on this clock; returns a cancel function. */
  schedule(ms: number, fn: () => void): () => void;
}

// setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days); longer waits are chained.
const MAX_TIMEOUT = 2 ** 31 - 1;

export const systemClock: HostClock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    let handle: NodeJS.Timeout;
    const due = Date.now() + ms;
    const arm = (): void => {
      const left = due - Date.now();
      handle = setTimeout(left > MAX_TIMEOUT ? arm : fn, Math.min(Math.max(left, 0), MAX_TIMEOUT));
      handle.unref?.();
    };
    arm();
    return () => clearTimeout(handle);
  },
};

/**
 * A clock for tests. Time moves only through `advance`/`set`, which jump to the target time first and
 * then run every callback that is due, earliest first — like an event loop that was busy, so a
 * callback can observe that it runs late (a timer's `isPastDue`).
 */
export interface ManualClock extends HostClock {
  advance(ms: number): void;
  set(epochMs: number): void;
  /** Callbacks still waiting. */
  readonly pending: number;
}

export function createManualClock(startMs: number): ManualClock {
  let now = startMs;
  let seq = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  const jump = (target: number): void => {
    now = Math.max(now, target);
    for (;;) {
      const due = [...timers.entries()]
        .filter(([, t]) => t.due <= now)
        .sort(([ia, a], [ib, b]) => a.due - b.due || ia - ib)[0];
      if (!due) return;
      timers.delete(due[0]);
      due[1].fn();
    }
  };
  return {
    now: () => now,
    schedule(ms, fn) {
      const id = seq++;
      timers.set(id, { due: now + Math.max(0, ms), fn });
      return () => timers.delete(id);
    },
    advance: (ms) => jump(now + ms),
    set: (epochMs) => jump(epochMs),
    get pending() {
      return timers.size;
    },
  };
}
