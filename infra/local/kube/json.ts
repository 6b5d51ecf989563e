/** JSON values as the API server stores and serves them. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy: stored objects are never shared with callers. */
export function cloneJson<T extends Json>(v: T): T {
  return structuredClone(v);
}

/** Structural equality of two JSON values (key order does not matter). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** `obj[key]` as an object, or undefined when absent or not an object. */
export function objectAt(obj: JsonObject, key: string): JsonObject | undefined {
  const v = obj[key];
  return isJsonObject(v) ? v : undefined;
}

/** `obj[key]` as a string, or undefined. */
export function stringAt(obj: JsonObject | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** The `metadata` object of a Kubernetes object, created when missing. */
export function metadataOf(obj: JsonObject): JsonObject {
  const m = obj['metadata'];
  if (isJsonObject(m)) return m;
  const fresh: JsonObject = {};
  obj['metadata'] = fresh;
  return fresh;
}

/** `metadata.labels` (or annotations) as a string map; empty when absent. */
export function stringMapAt(meta: JsonObject, key: string): Record<string, string> {
  const v = meta[key];
  const out: Record<string, string> = {};
  if (!isJsonObject(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}
