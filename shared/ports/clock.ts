/**
 * Time, injected: the one clock of the cloud and the cluster code (shared/core never reads the clock
 * itself; tests pass a manual clock). The real one is shared/adapters/system/systemClock.ts.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /**
   * Waits `ms`; resolves early (it does not reject) when `signal` aborts, so a loop simply checks its
   * signal after waking.
   */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}
