/**
 * Custom-resource schema handling as the apiextensions API server does it, in request order:
 * prune unknown fields, apply `default`s, validate against `openAPIV3Schema`, then run the
 * `x-kubernetes-validations` CEL rules. Pure: values in, values and `FieldError`s out.
 *
 * Covered: type (incl. `x-kubernetes-int-or-string`, `nullable`), enum, minimum/maximum (+
 * exclusive), multipleOf, minLength/maxLength, pattern, the string formats Kubernetes checks
 * (see FORMATS), minItems/maxItems, required, minProperties/maxProperties, properties,
 * additionalProperties, items, `x-kubernetes-list-type` set/map uniqueness,
 * `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-embedded-resource` (keeps
 * apiVersion/kind/metadata), allOf/anyOf/oneOf/not as value validations, CEL rules with
 * message, messageExpression, reason, fieldPath and transition rules (oldSelf, correlated
 * through object properties, map values and listType=map items).
 */
import {
  compileSchemaCel,
  CelCompileError,
  CelRuntimeError,
  type CelProgram,
} from '../cel/compileSchemaCel.js';
import { isJsonObject, jsonEqual, type Json, type JsonObject } from '../json.js';
import { fieldError, type FieldError, type FieldErrorReason } from '../kubeStatus.js';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps the stand-in understands. */
export interface JSONSchemaProps {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: string;
  readonly description?: string;
  readonly nullable?: boolean;
  readonly default?: Json;
  readonly enum?: readonly Json[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, JSONSchemaProps>>;
  readonly additionalProperties?: JSONSchemaProps | boolean;
  readonly items?: JSONSchemaProps;
  readonly allOf?: readonly JSONSchemaProps[];
  readonly anyOf?: readonly JSONSchemaProps[];
  readonly oneOf?: readonly JSONSchemaProps[];
  readonly not?: JSONSchemaProps;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  readonly 'x-kubernetes-validations'?: readonly ValidationRule[];
}

/** One `x-kubernetes-validations` entry. */
export interface ValidationRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
}

interface CompiledRule {
  readonly source: ValidationRule;
  readonly rule: CelProgram;
  readonly message: CelProgram | undefined;
  readonly usesOldSelf: boolean;
}

/** A schema whose CEL rules compiled; produced by `compileSchema`, used by `validateCustomResource`. */
export interface CompiledSchema {
  readonly root: JSONSchemaProps;
  readonly rules: WeakMap<JSONSchemaProps, readonly CompiledRule[]>;
}

// ----------------------------------------------------------------------------- paths

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
function indexed(path: string, i: number | string): string {
  return `${path}[${i}]`;
}

function isPreserving(s: JSONSchemaProps): boolean {
  return s['x-kubernetes-preserve-unknown-fields'] === true;
}

// ----------------------------------------------------------------------------- compile

/**
 * Checks a CRD version's schema the way CRD creation does (structural enough, CEL rules
 * compile) and compiles its rules. `path` names the schema in errors
 * (`spec.versions[0].schema.openAPIV3Schema`).
 */
export function compileSchema(
  root: JSONSchemaProps,
  path: string,
): { schema: CompiledSchema; errors: FieldError[] } {
  const rules = new WeakMap<JSONSchemaProps, readonly CompiledRule[]>();
  const errors: FieldError[] = [];
  const cel = compileSchemaCel(root);
  if (root.type !== 'object')
    errors.push(fieldError.required(child(path, 'type'), 'must be object at the root'));
  const walk = (s: JSONSchemaProps, p: string, isRoot: boolean): void => {
    if (!isRoot && s.type === undefined && !s['x-kubernetes-int-or-string'] && !isPreserving(s) && p !== path)
      errors.push(fieldError.required(child(p, 'type'), 'must not be empty for specified object fields'));
    if (s.pattern !== undefined) {
      try {
        new RegExp(s.pattern, 'u');
      } catch {
        errors.push(fieldError.invalid(child(p, 'pattern'), s.pattern, 'must be a valid regular expression'));
      }
    }
    const compiled: CompiledRule[] = [];
    for (const [i, r] of (s['x-kubernetes-validations'] ?? []).entries()) {
      const rp = indexed(child(p, 'x-kubernetes-validations'), i);
      try {
        compiled.push({
          source: r,
          rule: cel.compile(s, r.rule, 'bool'),
          message:
            r.messageExpression === undefined ? undefined : cel.compile(s, r.messageExpression, 'string'),
          usesOldSelf: /\boldSelf\b/.test(r.rule),
        });
      } catch (e) {
        if (!(e instanceof CelCompileError)) throw e;
        errors.push(fieldError.invalid(child(rp, 'rule'), r.rule, `compilation failed: ${e.message}`));
      }
    }
    if (compiled.length > 0) rules.set(s, compiled);
    for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, child(child(p, 'properties'), k), false);
    if (s.items) walk(s.items, child(p, 'items'), false);
    if (isJsonObject(s.additionalProperties))
      walk(s.additionalProperties, child(p, 'additionalProperties'), false);
  };
  walk(root, path, true);
  return { schema: { root, rules }, errors };
}

// ----------------------------------------------------------------------------- prune + default

const ROOT_KEEP = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Removes fields the schema does not declare (unless preserved) and returns their paths, which
 * `fieldValidation=Strict|Warn` report. Works in place on a copy the caller owns.
 */
export function pruneUnknown(value: Json, s: JSONSchemaProps, path = '', root = true): string[] {
  const pruned: string[] = [];
  if (Array.isArray(value)) {
    if (s.items) value.forEach((x, i) => pruned.push(...pruneUnknown(x, s.items!, indexed(path, i), false)));
    return pruned;
  }
  if (
    !isJsonObject(value) ||
    (isPreserving(s) && s.properties === undefined && s.additionalProperties === undefined)
  )
    return pruned;
  const embedded = root || s['x-kubernetes-embedded-resource'] === true;
  for (const k of Object.keys(value)) {
    if (embedded && ROOT_KEEP.has(k)) continue;
    const prop = s.properties?.[k];
    if (prop !== undefined) pruned.push(...pruneUnknown(value[k]!, prop, child(path, k), false));
    else if (isJsonObject(s.additionalProperties))
      pruned.push(...pruneUnknown(value[k]!, s.additionalProperties, indexed(path, k), false));
    else if (!isPreserving(s) && s.additionalProperties !== true) {
      delete value[k];
      pruned.push(child(path, k));
    }
  }
  return pruned;
}

/**
 * Applies `default`s in place: an absent field (or a null one that is not nullable) whose schema
 * has a default gets a copy of it, then defaulting continues inside.
 */
export function applyDefaults(value: Json, s: JSONSchemaProps): void {
  if (Array.isArray(value)) {
    if (s.items) for (const x of value) applyDefaults(x, s.items);
    return;
  }
  if (!isJsonObject(value)) return;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    const absent = !Object.hasOwn(value, k) || (value[k] === null && prop.nullable !== true);
    if (absent && prop.default !== undefined) value[k] = structuredClone(prop.default);
    if (Object.hasOwn(value, k)) applyDefaults(value[k]!, prop);
  }
  if (isJsonObject(s.additionalProperties))
    for (const k of Object.keys(value)) {
      if (s.properties?.[k] === undefined) applyDefaults(value[k]!, s.additionalProperties);
    }
}

// ----------------------------------------------------------------------------- validate

const FORMATS: Readonly<Record<string, (s: string) => boolean>> = {
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s),
  ipv6: (s) =>
    s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) && !/:::/.test(s) && (s.match(/::/g) ?? []).length <= 1,
  cidr: (s) => {
    const m = /^(.+)\/(\d{1,3})$/.exec(s);
    if (!m) return false;
    const bits = Number(m[2]);
    return (FORMATS['ipv4']!(m[1]!) && bits <= 32) || (FORMATS['ipv6']!(m[1]!) && bits <= 128);
  },
  mac: (s) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s),
  hostname: (s) =>
    s.length <= 253 &&
    /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  email: (s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s),
  byte: (s) => /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  date: (s) => /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(s),
  'date-time': (s) =>
    /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) &&
    !Number.isNaN(Date.parse(s)),
  datetime: (s) => FORMATS['date-time']!(s),
  duration: (s) => /^(-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+|0)$/.test(s),
  hexcolor: (s) => /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  rgbcolor: (s) => /^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/.test(s),
};

function jsonType(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: Json, s: JSONSchemaProps): boolean {
  if (s['x-kubernetes-int-or-string'])
    return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  switch (s.type) {
    case undefined:
      return true;
    case 'object':
      return isJsonObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

function typeError(path: string, v: Json, s: JSONSchemaProps): FieldError {
  const want = s['x-kubernetes-int-or-string'] ? 'integer,string' : (s.type ?? 'object');
  const got = jsonType(v);
  return fieldError.invalid(path, got, `${path} in body must be of type ${want}: ${JSON.stringify(got)}`);
}

/** Value validations of one node that do not recurse (shared by properties and allOf/anyOf/oneOf/not). */
function validateValue(v: Json, s: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (s.enum !== undefined && !s.enum.some((e) => jsonEqual(e, v)))
    errs.push(fieldError.notSupported(path, v, s.enum));
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
      errs.push(
        fieldError.invalid(
          path,
          v,
          `${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`,
        ),
      );
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
      errs.push(
        fieldError.invalid(
          path,
          v,
          `${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`,
        ),
      );
    if (s.multipleOf !== undefined && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9)
      errs.push(fieldError.invalid(path, v, `${path} in body should be a multiple of ${s.multipleOf}`));
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.maxLength !== undefined && len > s.maxLength) errs.push(fieldError.tooLong(path, s.maxLength));
    if (s.minLength !== undefined && len < s.minLength)
      errs.push(fieldError.invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v))
      errs.push(fieldError.invalid(path, v, `${path} in body should match '${s.pattern}'`));
    const check = s.format === undefined ? undefined : FORMATS[s.format];
    if (check !== undefined && !check(v))
      errs.push(
        fieldError.invalid(path, v, `${path} in body must be of type ${s.format}: ${JSON.stringify(v)}`),
      );
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems)
      errs.push(fieldError.tooMany(path, v.length, s.maxItems));
    if (s.minItems !== undefined && v.length < s.minItems)
      errs.push(
        fieldError.invalid(path, v.length, `${path} in body should have at least ${s.minItems} items`),
      );
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set') {
      v.forEach((x, i) => {
        if (v.findIndex((y) => jsonEqual(x, y)) < i) errs.push(fieldError.duplicate(indexed(path, i), x));
      });
    } else if (listType === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const keyOf = (x: Json): Json => (isJsonObject(x) ? keys.map((k) => x[k] ?? null) : x);
      v.forEach((x, i) => {
        if (v.findIndex((y) => jsonEqual(keyOf(x), keyOf(y))) < i) {
          const dup: JsonObject = {};
          if (isJsonObject(x)) for (const k of keys) dup[k] = x[k] ?? null;
          errs.push(fieldError.duplicate(indexed(path, i), dup));
        }
      });
    }
  }
  if (isJsonObject(v)) {
    for (const r of s.required ?? [])
      if (!Object.hasOwn(v, r)) errs.push(fieldError.required(child(path, r)));
    const n = Object.keys(v).length;
    if (s.maxProperties !== undefined && n > s.maxProperties)
      errs.push(fieldError.tooMany(path, n, s.maxProperties));
    if (s.minProperties !== undefined && n < s.minProperties)
      errs.push(
        fieldError.invalid(path, n, `${path} in body should have at least ${s.minProperties} properties`),
      );
  }
  for (const sub of s.allOf ?? [])
    errs.push(...validateValue(v, sub, path), ...validateChildren(v, sub, path));
  if (
    s.anyOf !== undefined &&
    !s.anyOf.some((sub) => validateValue(v, sub, path).length + validateChildren(v, sub, path).length === 0)
  )
    errs.push(
      fieldError.invalid(path, jsonType(v), `${path} in body must match at least one schema in anyOf`),
    );
  if (s.oneOf !== undefined) {
    const ok = s.oneOf.filter(
      (sub) => validateValue(v, sub, path).length + validateChildren(v, sub, path).length === 0,
    ).length;
    if (ok !== 1)
      errs.push(
        fieldError.invalid(path, jsonType(v), `${path} in body must match exactly one schema in oneOf`),
      );
  }
  if (
    s.not !== undefined &&
    validateValue(v, s.not, path).length + validateChildren(v, s.not, path).length === 0
  )
    errs.push(fieldError.invalid(path, jsonType(v), `${path} in body should not match the schema in not`));
  return errs;
}

/** Nested value validations of the value-only schemas in allOf/anyOf/oneOf/not. */
function validateChildren(v: Json, s: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isJsonObject(v))
    for (const [k, p] of Object.entries(s.properties ?? {}))
      if (Object.hasOwn(v, k)) errs.push(...validateValue(v[k]!, p, child(path, k)));
  if (Array.isArray(v) && s.items)
    v.forEach((x, i) => errs.push(...validateValue(x, s.items!, indexed(path, i))));
  return errs;
}

const REASON_PREFIX: Readonly<Record<string, (msg: string) => string>> = {
  FieldValueForbidden: (m) => `Forbidden: ${m}`,
  FieldValueRequired: (m) => `Required value: ${m}`,
  FieldValueDuplicate: (m) => `Duplicate value: ${m}`,
};

function runRules(
  v: Json,
  old: Json | undefined,
  s: JSONSchemaProps,
  path: string,
  compiled: CompiledSchema,
  root: boolean,
): FieldError[] {
  const rules = compiled.rules.get(s);
  if (rules === undefined) return [];
  const errs: FieldError[] = [];
  for (const r of rules) {
    if (r.usesOldSelf && old === undefined) continue;
    const fieldPath =
      r.source.fieldPath === undefined
        ? path
        : path + r.source.fieldPath.replace(/^\.?/, path === '' ? '' : '.');
    const typeShown = s.type ?? 'object';
    let detail: string | undefined;
    try {
      if (r.rule(v, old) !== true) {
        detail = r.source.message ?? `failed rule: ${r.source.rule}`;
        if (r.message !== undefined) {
          try {
            const m = r.message(v, old);
            if (typeof m === 'string' && m.trim() !== '') detail = m;
          } catch {
            // the real server falls back to message (or the default) when messageExpression fails
          }
        }
      }
    } catch (e) {
      if (!(e instanceof CelRuntimeError)) throw e;
      detail = `${e.message} evaluating rule: ${r.source.rule}`;
    }
    if (detail === undefined) continue;
    void root;
    const reason: FieldErrorReason = r.source.reason ?? 'FieldValueInvalid';
    const prefix = REASON_PREFIX[reason];
    errs.push(
      prefix !== undefined
        ? { reason, field: fieldPath, message: prefix(detail) }
        : {
            reason: 'FieldValueInvalid',
            field: fieldPath,
            message: `Invalid value: ${JSON.stringify(typeShown)}: ${detail}`,
          },
    );
  }
  return errs;
}

function oldListItem(s: JSONSchemaProps, item: Json, old: Json | undefined): Json | undefined {
  if (!Array.isArray(old) || s['x-kubernetes-list-type'] !== 'map' || !isJsonObject(item)) return undefined;
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  return old.find((o) => isJsonObject(o) && keys.every((k) => jsonEqual(o[k] ?? null, item[k] ?? null)));
}

function validateNode(
  v: Json,
  old: Json | undefined,
  s: JSONSchemaProps,
  path: string,
  compiled: CompiledSchema,
  root: boolean,
): FieldError[] {
  if (v === null) {
    if (s.nullable) return [];
    return [typeError(path, v, s)];
  }
  if (!typeMatches(v, s)) return [typeError(path, v, s)];
  const errs = validateValue(v, s, path);
  if (Array.isArray(v) && s.items) {
    v.forEach((x, i) =>
      errs.push(...validateNode(x, oldListItem(s, x, old), s.items!, indexed(path, i), compiled, false)),
    );
  }
  if (isJsonObject(v)) {
    const oldObj = isJsonObject(old ?? null) ? (old as JsonObject) : undefined;
    for (const [k, x] of Object.entries(v)) {
      if (root && ROOT_KEEP.has(k)) continue;
      const prop = s.properties?.[k];
      if (prop !== undefined)
        errs.push(...validateNode(x, oldObj?.[k], prop, child(path, k), compiled, false));
      else if (isJsonObject(s.additionalProperties))
        errs.push(...validateNode(x, oldObj?.[k], s.additionalProperties, indexed(path, k), compiled, false));
    }
  }
  if (errs.length === 0) errs.push(...runRules(v, old, s, path, compiled, root));
  return errs;
}

/**
 * Validates a (pruned, defaulted) custom resource against its compiled schema; `old` is the
 * stored object on update (for transition rules). Field paths start at the object root
 * (`spec.x`, `metadata.name`).
 */
export function validateCustomResource(
  obj: JsonObject,
  old: JsonObject | undefined,
  compiled: CompiledSchema,
): FieldError[] {
  return validateNode(obj, old, compiled.root, '', compiled, true);
}
