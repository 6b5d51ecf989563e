/**
 * Small builders for ARM template-language expressions, so the renderer never hand-quotes a string.
 *
 * An ARM string value is an expression when it starts with `[` and ends with `]`; a literal that
 * happens to start with `[` must be written `[[` (ARM strips one). String literals inside an
 * expression are single-quoted, with `''` for a quote.
 */

/** JSON as ARM templates hold it. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** Wraps expression text as an ARM string value: `[...]`. */
export function expr(text: string): string {
  return `[${text}]`;
}

/** A single-quoted string literal for use inside an expression. */
export function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A plain (non-expression) string value: escapes a leading `[` so ARM does not evaluate it. */
export function literalValue(value: string): string {
  return value.startsWith('[') ? `[${value}` : value;
}

/** `parameters('name')` */
export function param(name: string): string {
  return `parameters(${lit(name)})`;
}

/** `variables('name')` */
export function variable(name: string): string {
  return `variables(${lit(name)})`;
}

/** `fn(arg, ...)` */
export function call(fn: string, ...args: readonly string[]): string {
  return `${fn}(${args.join(', ')})`;
}
