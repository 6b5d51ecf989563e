/** Timing and memory helpers of the control-plane bench. */
import { performance } from 'node:perf_hooks';

/** `global.gc` exists when node runs with `--expose-gc` (the bench scripts pass it). */
export function canCollect(): boolean {
  return typeof globalThis.gc === 'function';
}

/** Heap in use after a full GC (without `--expose-gc`, whatever is in use now). */
export function heapUsedAfterGc(): number {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  return process.memoryUsage().heapUsed;
}

/** What one timed loop gives. */
export interface LoopFigures {
  readonly iterations: number;
  /** Median time of one call, ms. */
  readonly medianMs: number;
  /** Slowest call, ms. */
  readonly maxMs: number;
  /** Calls per second over the whole loop. */
  readonly perSecond: number;
}

/**
 * Calls `fn` `warmup` times untimed, then until `budgetMs` has passed and at least `minIterations`
 * calls were made (at most `maxIterations`).
 */
export function measureLoop(
  fn: () => unknown,
  options: {
    readonly budgetMs: number;
    readonly minIterations: number;
    readonly warmup: number;
    readonly maxIterations?: number;
  },
): LoopFigures {
  for (let i = 0; i < options.warmup; i++) fn();
  const times: number[] = [];
  const max = options.maxIterations ?? 100_000;
  const start = performance.now();
  let now = start;
  while (times.length < max && (times.length < options.minIterations || now - start < options.budgetMs)) {
    const t0 = performance.now();
    fn();
    now = performance.now();
    times.push(now - t0);
  }
  const total = now - start;
  return {
    iterations: times.length,
    medianMs: median(times),
    maxMs: Math.max(...times),
    perSecond: (times.length / total) * 1000,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The p-th percentile (nearest rank) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}
