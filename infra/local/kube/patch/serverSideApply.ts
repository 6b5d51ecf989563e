/**
 * Server-side apply (`application/apply-patch+yaml`), simplified. Each field manager's last
 * applied configuration is remembered (instead of `metadata.managedFields`, which the stand-in
 * does not serve). Applying:
 *  - merges the configuration into the live object (objects by key; lists by their list type:
 *    keyed maps by key, sets by value, other lists replaced whole);
 *  - removes fields this manager applied before and omits now, unless another applier still
 *    applies them;
 *  - reports a conflict when another applier applied a different value to a field this
 *    configuration changes (409 unless `force=true`; with force the field changes hands).
 * Fields changed by plain updates/patches are not tracked, so they never conflict. Pure.
 */
import { cloneJson, isJsonObject, jsonEqual, type Json, type JsonObject } from '../json.js';
import type { ListStrategyLookup } from './listStrategy.js';

type Segment = { readonly key: string } | { readonly item: JsonObject } | { readonly value: Json };

interface Leaf {
  readonly segments: readonly Segment[];
  readonly value: Json;
}

/** Fields identifying the object; every manager "applies" them, none owns them. */
const IDENTITY = new Set([
  'apiVersion',
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.resourceVersion',
]);

function render(segments: readonly Segment[]): string {
  return segments
    .map((s) => {
      if ('key' in s) return `.${s.key}`;
      if ('item' in s)
        return `[${Object.entries(s.item)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      return `[=${JSON.stringify(s.value)}]`;
    })
    .join('');
}

function keysOnly(segments: readonly Segment[]): string[] {
  return segments.flatMap((s) => ('key' in s ? [s.key] : []));
}

/** Every owned leaf of an apply configuration, keyed by its rendered path (`.spec.x`). */
export function leavesOf(config: JsonObject, lists: ListStrategyLookup): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const walk = (v: Json, segs: Segment[]): void => {
    const dotted = keysOnly(segs).join('.');
    if (IDENTITY.has(dotted)) return;
    if (isJsonObject(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(x, [...segs, { key: k }]);
      return;
    }
    if (Array.isArray(v)) {
      const strategy = lists(keysOnly(segs));
      if (strategy.kind === 'set') {
        for (const x of v)
          out.set(render([...segs, { value: x }]), { segments: [...segs, { value: x }], value: x });
        return;
      }
      if (strategy.kind === 'map') {
        for (const x of v) {
          if (!isJsonObject(x)) continue;
          const item: JsonObject = {};
          for (const k of strategy.keys) item[k] = x[k] ?? null;
          const base = [...segs, { item }];
          out.set(render(base), { segments: base, value: item });
          for (const [k, y] of Object.entries(x))
            if (!strategy.keys.includes(k)) walk(y, [...base, { key: k }]);
        }
        return;
      }
    }
    out.set(render(segs), { segments: segs, value: v });
  };
  walk(config, []);
  return out;
}

function matchesItem(x: Json, item: JsonObject): boolean {
  return isJsonObject(x) && Object.entries(item).every(([k, v]) => jsonEqual(x[k] ?? null, v));
}

function valueAt(obj: Json, segments: readonly Segment[]): Json | undefined {
  let cur: Json | undefined = obj;
  for (const s of segments) {
    if (cur === undefined) return undefined;
    if ('key' in s) cur = isJsonObject(cur) ? cur[s.key] : undefined;
    else if ('item' in s) cur = Array.isArray(cur) ? cur.find((x) => matchesItem(x, s.item)) : undefined;
    else cur = Array.isArray(cur) && cur.some((x) => jsonEqual(x, s.value)) ? s.value : undefined;
  }
  return cur;
}

function removeAt(obj: JsonObject, segments: readonly Segment[]): void {
  let cur: Json = obj;
  for (const [i, s] of segments.entries()) {
    const last = i === segments.length - 1;
    if ('key' in s) {
      if (!isJsonObject(cur)) return;
      if (last) {
        delete cur[s.key];
        return;
      }
      cur = cur[s.key] ?? null;
    } else if (!Array.isArray(cur)) {
      return;
    } else {
      const list: Json[] = cur;
      const idx =
        'item' in s
          ? list.findIndex((x) => matchesItem(x, s.item))
          : list.findIndex((x) => jsonEqual(x, (s as { value: Json }).value));
      if (idx < 0) return;
      if (last) {
        cur.splice(idx, 1);
        return;
      }
      cur = cur[idx]!;
    }
  }
}

function merge(
  live: Json | undefined,
  applied: Json,
  path: readonly string[],
  lists: ListStrategyLookup,
): Json {
  if (isJsonObject(applied)) {
    const out: JsonObject = isJsonObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) out[k] = merge(out[k], v, [...path, k], lists);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const strategy = lists(path);
    if (strategy.kind === 'set') {
      const out = [...live];
      for (const v of applied) if (!out.some((x) => jsonEqual(x, v))) out.push(cloneJson(v));
      return out;
    }
    if (strategy.kind === 'map') {
      const out = [...live];
      for (const v of applied) {
        const i = isJsonObject(v)
          ? out.findIndex((x) => strategy.keys.every((k) => isJsonObject(x) && jsonEqual(x[k], v[k])))
          : -1;
        if (i >= 0) out[i] = merge(out[i], v, path, lists);
        else out.push(cloneJson(v));
      }
      return out;
    }
  }
  return cloneJson(applied);
}

export interface ApplyConflict {
  readonly manager: string;
  /** Rendered path such as `.spec.gatewayNodepoolName`. */
  readonly field: string;
}

export interface ApplyOutcome {
  readonly object: JsonObject;
  readonly conflicts: readonly ApplyConflict[];
  /** The other managers' configurations after a forced apply took fields from them. */
  readonly others: ReadonlyMap<string, JsonObject>;
}

/**
 * Applies `applied` for one manager over `live` (undefined when creating). `previous` is what this
 * manager applied last; `others` what every other applier applied last.
 */
export function serverSideApply(input: {
  readonly live: JsonObject | undefined;
  readonly applied: JsonObject;
  readonly previous: JsonObject | undefined;
  readonly others: ReadonlyMap<string, JsonObject>;
  readonly force: boolean;
  readonly lists: ListStrategyLookup;
}): ApplyOutcome {
  const { applied, lists } = input;
  const live = cloneJson(input.live ?? {});
  const mine = leavesOf(applied, lists);
  const otherLeaves = new Map([...input.others].map(([m, c]) => [m, leavesOf(c, lists)] as const));

  const conflicts: ApplyConflict[] = [];
  const others = new Map([...input.others].map(([m, c]) => [m, cloneJson(c)] as const));
  for (const [field, leaf] of mine) {
    const current = valueAt(live, leaf.segments);
    if (current !== undefined && jsonEqual(current, leaf.value)) continue;
    for (const [manager, leaves] of otherLeaves) {
      const theirs = leaves.get(field);
      if (theirs === undefined || jsonEqual(theirs.value, leaf.value)) continue;
      conflicts.push({ manager, field });
      const config = others.get(manager);
      if (config !== undefined) removeAt(config, theirs.segments);
    }
  }
  if (conflicts.length > 0 && !input.force) return { object: live, conflicts, others: input.others };

  if (input.previous !== undefined) {
    for (const [field, leaf] of leavesOf(input.previous, lists)) {
      if (mine.has(field)) continue;
      if ([...otherLeaves.values()].some((l) => l.has(field))) continue;
      removeAt(live, leaf.segments);
    }
  }
  const object = merge(live, applied, [], lists) as JsonObject;
  return { object, conflicts: [], others };
}
