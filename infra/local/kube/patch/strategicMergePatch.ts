/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds, the
 * subset kubectl produces: keyed lists merge by their merge key, scalar sets union,
 * `$patch: replace|delete`, `$retainKeys`, `$deleteFromPrimitiveList/<key>`, and
 * `$setElementOrder/<key>` (accepted; element order is not rearranged). Custom resources never
 * get here: the real API server rejects this content type for them with 415. Pure.
 */
import { cloneJson, isJsonObject, jsonEqual, type Json, type JsonObject } from '../json.js';
import type { ListStrategyLookup } from './listStrategy.js';

/** A patch using a directive in a way the server rejects (400). */
export class StrategicPatchError extends Error {}

export function applyStrategicMergePatch(
  target: Json | undefined,
  patch: Json,
  lists: ListStrategyLookup,
): Json {
  return mergeValue(target, patch, [], lists);
}

function mergeValue(
  target: Json | undefined,
  patch: Json,
  path: readonly string[],
  lists: ListStrategyLookup,
): Json {
  if (!isJsonObject(patch)) return cloneJson(patch);
  return mergeObject(isJsonObject(target) ? target : {}, patch, path, lists);
}

function mergeObject(
  target: JsonObject,
  patch: JsonObject,
  path: readonly string[],
  lists: ListStrategyLookup,
): JsonObject {
  const directive = patch['$patch'];
  if (directive === 'replace') {
    const copy = cloneJson(patch);
    delete copy['$patch'];
    return copy;
  }
  if (directive !== undefined && directive !== 'merge')
    throw new StrategicPatchError(`Unknown patch type: ${JSON.stringify(directive)} in map`);
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const key = k.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(v)) throw new StrategicPatchError('$deleteFromPrimitiveList must be a list');
      const cur = out[key];
      if (Array.isArray(cur)) out[key] = cur.filter((x) => !v.some((d) => jsonEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const sub = [...path, k];
    const strategy = lists(sub);
    if (Array.isArray(v) && strategy.kind !== 'atomic') {
      out[k] = mergeList(Array.isArray(out[k]) ? out[k] : [], v, sub, lists);
    } else if (isJsonObject(v) && v['$patch'] === 'delete') {
      delete out[k];
    } else {
      out[k] = mergeValue(out[k], v, sub, lists);
    }
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(
  target: Json[],
  patch: Json[],
  path: readonly string[],
  lists: ListStrategyLookup,
): Json[] {
  const strategy = lists(path);
  if (strategy.kind === 'set') {
    const out = [...target];
    for (const v of patch) if (!out.some((x) => jsonEqual(x, v))) out.push(cloneJson(v));
    return out;
  }
  if (strategy.kind !== 'map') return cloneJson(patch);
  if (patch.some((p) => isJsonObject(p) && p['$patch'] === 'replace'))
    return patch.filter((p) => !(isJsonObject(p) && p['$patch'] === 'replace')).map((p) => cloneJson(p));
  const out = [...target];
  const sameKey = (a: Json, b: JsonObject): boolean =>
    isJsonObject(a) && strategy.keys.every((key) => jsonEqual(a[key], b[key]));
  for (const p of patch) {
    if (!isJsonObject(p))
      throw new StrategicPatchError(`list ${path.join('.')} merges by key: elements must be objects`);
    const i = out.findIndex((x) => sameKey(x, p));
    if (p['$patch'] === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = mergeObject(out[i] as JsonObject, p, path, lists);
    else out.push(mergeObject({}, p, path, lists));
  }
  return out;
}
