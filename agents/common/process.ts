/** Process plumbing shared by the agents' entry points. */
import { errorMessage } from '../../shared/core/errors.js';
import type { Logger } from './logger.js';

/** Calls `fn` until it succeeds, waiting `delayMs` (doubling, up to 30 s) between tries; stops on abort. */
export async function retryUntil<T>(
  fn: () => Promise<T>,
  options: {
    readonly what: string;
    readonly log: Logger;
    readonly signal: AbortSignal;
    readonly delayMs?: number;
  },
): Promise<T> {
  let delay = options.delayMs ?? 1000;
  for (;;) {
    options.signal.throwIfAborted();
    try {
      return await fn();
    } catch (e) {
      options.log.warn(`${options.what} failed; retrying`, {
        error: errorMessage(e),
        retryMs: delay,
      });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

/** Resolves on the first SIGTERM or SIGINT. */
export function terminationSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}
