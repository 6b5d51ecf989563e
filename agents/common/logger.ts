/**
 * The agents' `Logger` (shared/ports/logger.ts, the one logger interface of the cloud and the cluster
 * code): one JSON object per line on stderr — what `kubectl logs` and the tests' failure output show.
 */
import type { LogFields, Logger } from '../../shared/ports/logger.js';

export type { Logger };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger for one component; lines below `level` are dropped. */
export function createLogger(
  component: string,
  options: {
    readonly level?: LogLevel;
    readonly write?: (line: string) => void;
    /** Fields on every line (what `with` adds). */
    readonly fields?: LogFields;
  } = {},
): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = options.fields ?? {};
  const log =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (ORDER[level] < min) return;
      write(
        JSON.stringify({ time: new Date().toISOString(), level, component, message, ...base, ...fields }),
      );
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    with: (fields) => createLogger(component, { ...options, fields: { ...base, ...fields } }),
  };
}
