/** Time, injected (shared/core never reads the clock itself). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Waits `ms` (tests pass a clock whose sleep returns at once); rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}
