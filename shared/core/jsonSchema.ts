/**
 * The subset of OpenAPI v3 / structural-schema keywords a Kubernetes CRD uses, and a checker for it.
 *
 * The checker behaves like the API server on the keywords it knows: it applies `default`s first, prunes
 * unknown fields, then checks `type`, `enum`, ranges, lengths, `pattern` and `required`. It does NOT
 * evaluate `x-kubernetes-validations` (CEL); callers implement those rules in code next to the rule text
 * and a test evaluates the CEL against the code (see validateStaticGatewayConfiguration).
 */
import type { FieldProblem } from './errors.js';

/** A CEL validation rule as `x-kubernetes-validations` carries it. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  /** JSONPath-like path relative to the schema node, e.g. `.publicIpPrefixId`. */
  readonly fieldPath?: string;
  readonly reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A structural schema node. */
export interface JsonSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  readonly description?: string;
  readonly format?: 'int32' | 'int64' | 'date-time';
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly string[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** ECMA-262 and RE2 compatible (ASCII classes only), so the API server and egret agree. */
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** The outcome of {@link checkJsonSchema}: the value with defaults applied and unknown fields pruned. */
export interface SchemaCheck {
  readonly value: unknown;
  readonly problems: readonly FieldProblem[];
}

/** Checks `value` against `schema`, naming problems by path (`spec.vmNames[2]`). */
export function checkJsonSchema(value: unknown, schema: JsonSchema, path: string): SchemaCheck {
  const problems: FieldProblem[] = [];
  const checked = walk(value, schema, path, problems);
  return { value: checked, problems };
}

function walk(value: unknown, schema: JsonSchema, path: string, problems: FieldProblem[]): unknown {
  switch (schema.type) {
    case undefined:
      return value;
    case 'object':
      return walkObject(value, schema, path, problems);
    case 'array': {
      if (!Array.isArray(value)) {
        problems.push({ field: path, message: `must be a list, got ${describe(value)}` });
        return value;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        problems.push({ field: path, message: `must have at least ${schema.minItems} item(s)` });
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        problems.push({ field: path, message: `must have at most ${schema.maxItems} items` });
      }
      const items = schema.items;
      return items === undefined ? value : value.map((v, i) => walk(v, items, `${path}[${i}]`, problems));
    }
    case 'string':
      if (typeof value !== 'string') {
        problems.push({ field: path, message: `must be a string, got ${describe(value)}` });
        return value;
      }
      if (schema.enum !== undefined && !schema.enum.includes(value)) {
        problems.push({ field: path, message: `must be one of ${schema.enum.join(', ')}; got "${value}"` });
      }
      if (schema.minLength !== undefined && [...value].length < schema.minLength) {
        problems.push({ field: path, message: `must be at least ${schema.minLength} character(s) long` });
      }
      if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
        problems.push({ field: path, message: `must be at most ${schema.maxLength} characters long` });
      }
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
        problems.push({ field: path, message: `"${value}" does not match ${schema.pattern}` });
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean')
        problems.push({ field: path, message: `must be true or false, got ${describe(value)}` });
      return value;
    case 'integer':
    case 'number': {
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (schema.type === 'integer' && !Number.isInteger(value))
      ) {
        problems.push({
          field: path,
          message: `must be ${schema.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(value)}`,
        });
        return value;
      }
      if (schema.format === 'int32' && (value < INT32.min || value > INT32.max)) {
        problems.push({ field: path, message: 'must fit in 32 bits' });
      }
      if (schema.minimum !== undefined && value < schema.minimum) {
        problems.push({ field: path, message: `must be at least ${schema.minimum}, got ${value}` });
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        problems.push({ field: path, message: `must be at most ${schema.maximum}, got ${value}` });
      }
      return value;
    }
  }
}

function walkObject(value: unknown, schema: JsonSchema, path: string, problems: FieldProblem[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ field: path, message: `must be an object, got ${describe(value)}` });
    return value;
  }
  const input = value as Record<string, unknown>;
  const properties = schema.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input).sort()) {
    const child = properties[key];
    if (child === undefined) {
      if (schema['x-kubernetes-preserve-unknown-fields'] === true) out[key] = input[key];
      continue; // pruned, as the API server prunes unknown fields of a structural schema
    }
    if (input[key] === null) continue; // a JSON null is "unset" for optional fields
    out[key] = walk(input[key], child, `${path}.${key}`, problems);
  }
  for (const [key, child] of Object.entries(properties)) {
    if (out[key] === undefined && child.default !== undefined) out[key] = child.default;
  }
  for (const key of schema.required ?? []) {
    if (out[key] === undefined) problems.push({ field: `${path}.${key}`, message: 'is required' });
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
    ? String(value)
    : 'nothing';
}
