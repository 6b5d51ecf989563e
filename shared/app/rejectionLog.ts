/**
 * Logging of refused requests at a bounded rate. Every refusal used to log a warning (7.5 MB during a
 * fuzz run: Application Insights cost, and a flood an attacker controls). Now, per worker and per
 * window, the first `warnPerWindow` refusals are warnings, the rest debug lines, and the next window
 * opens with one warning counting the refusals logged at debug.
 */
import type { Clock } from '../ports/clock.js';
import type { LogFields, Logger } from '../ports/logger.js';

/** Logs one refusal. */
export type RejectionLog = (logger: Logger, message: string, fields: LogFields) => void;

/** A rate-limited refusal log over the injected clock. */
export function createRejectionLog(options: {
  readonly clock: Pick<Clock, 'nowMs'>;
  readonly windowMs?: number;
  readonly warnPerWindow?: number;
}): RejectionLog {
  const windowMs = options.windowMs ?? 60_000;
  const perWindow = options.warnPerWindow ?? 10;
  let windowStart = -Infinity;
  let warned = 0;
  let quieted = 0;
  return (logger, message, fields) => {
    const now = options.clock.nowMs();
    if (now - windowStart >= windowMs) {
      if (quieted > 0)
        logger.warn('requests refused (logged at debug level)', { refused: quieted, windowMs });
      windowStart = now;
      warned = 0;
      quieted = 0;
    }
    if (warned < perWindow) {
      warned++;
      logger.warn(message, fields);
    } else {
      quieted++;
      logger.debug(message, fields);
    }
  };
}
