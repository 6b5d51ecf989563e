/** Structured logging (Functions: InvocationContext; agents: stdout JSON). */

/** Fields attached to a log line; values must be JSON-serialisable. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger. Secrets never go into fields. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ poolKey }`). */
  with(fields: LogFields): Logger;
}
