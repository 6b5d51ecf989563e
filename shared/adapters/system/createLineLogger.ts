/**
 * The `Logger` port (shared/ports/logger.ts) over a line sink: each call becomes one line, the message
 * followed by its fields as JSON. Functions pass the InvocationContext's level methods (so lines land in
 * Application Insights with the invocation id); tests pass a collector.
 */
import type { LogFields, Logger } from '../../ports/logger.js';

/** Where lines go, by level (an InvocationContext has exactly these methods). */
export interface LineSink {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

/** A logger writing to `sink`, adding `base` fields to every line. */
export function createLineLogger(sink: LineSink, base: LogFields = {}): Logger {
  const line = (message: string, fields: LogFields | undefined): string => {
    const all = { ...base, ...fields };
    return Object.keys(all).length === 0 ? message : `${message} ${safeJson(all)}`;
  };
  return {
    debug: (m, f) => sink.debug(line(m, f)),
    info: (m, f) => sink.info(line(m, f)),
    warn: (m, f) => sink.warn(line(m, f)),
    error: (m, f) => sink.error(line(m, f)),
    with: (fields) => createLineLogger(sink, { ...base, ...fields }),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '"<unserialisable fields>"';
  }
}
