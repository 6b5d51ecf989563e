/** JSON values as they travel on the ARM wire, and small helpers to read them without casts everywhere. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `v`, or an empty object (never shared: callers may write to it only after `ensureObject`). */
export function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

export function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A string or number as text; anything else as ''. */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `parent[key]` as an object, creating it when absent. */
export function ensureObject(parent: JsonObject, key: string): JsonObject {
  const cur = parent[key];
  if (isObject(cur)) return cur;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

export function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

/**
 * Compute RP PUT/PATCH semantics: objects merge key by key, arrays and scalars replace, an explicit
 * `null` removes the key. (kube-egress-gateway and cloud-provider-azure rely on this: they PUT a VMSS
 * with only `location` and `properties.virtualMachineProfile.networkProfile`.)
 */
export function deepMerge(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = deepMerge(out[k], v);
    else out[k] = clone(v);
  }
  return out;
}

/** Canonical JSON (sorted keys) for equality checks. */
export function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k] ?? null)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function jsonEqual(a: Json, b: Json): boolean {
  return canonical(a) === canonical(b);
}
