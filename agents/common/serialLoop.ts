/**
 * Runs an async pass one at a time: triggers that arrive during a pass coalesce into one more pass
 * (an informer burst becomes at most two passes), and a failed pass is retried with backoff.
 */
export interface SerialLoop {
  /** Asks for a pass soon (after `debounceMs`). */
  trigger(): void;
  /** Resolves when no pass is running or pending. */
  idle(): Promise<void>;
  /** No more passes; resolves once a pass that is running has finished. */
  stop(): Promise<void>;
}

export function createSerialLoop(options: {
  /** One pass; returns false when it should be retried (something is left to do). */
  readonly pass: () => Promise<boolean>;
  readonly debounceMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly onError: (e: unknown) => void;
}): SerialLoop {
  let running = false;
  let pending = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let retryMs = options.retryMinMs;
  let idleWaiters: (() => void)[] = [];
  let current: Promise<void> = Promise.resolve();

  const schedule = (ms: number): void => {
    if (stopped) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      current = run();
    }, ms);
  };

  async function run(): Promise<void> {
    if (running) {
      pending = true;
      return;
    }
    running = true;
    let ok = false;
    try {
      ok = await options.pass();
    } catch (e) {
      options.onError(e);
    }
    running = false;
    if (stopped) return;
    if (pending) {
      pending = false;
      schedule(0);
    } else if (!ok) {
      schedule(retryMs);
      retryMs = Math.min(retryMs * 2, options.retryMaxMs);
    } else {
      retryMs = options.retryMinMs;
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  }

  return {
    trigger() {
      schedule(options.debounceMs);
    },
    idle() {
      if (!running && timer === undefined) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      idleWaiters.forEach((f) => f());
      await current;
    },
  };
}
