/**
 * `kubectl get` output: the server renders lists as `meta.k8s.io/v1 Table` when asked
 * (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), with a Name column, the type's
 * printer columns (CRD `additionalPrinterColumns`) and PartialObjectMetadata rows.
 */
import { isJsonObject, metadataOf, type Json, type JsonObject } from './json.js';
import type { PrinterColumn, ResourceType } from './resourceTypes.js';

/** The Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const first = accept.split(',')[0] ?? '';
  return /;\s*as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

/** Evaluates the JSONPath subset printer columns use: `.a.b`, `[0]`, `[*]`, `[?(@.k=="v")]`. */
export function evalJsonPath(obj: Json, path: string): Json[] {
  const p = path.trim().replace(/^\{(.*)\}$/, '$1');
  const tokens = p.match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let cur: Json[] = [obj];
  for (const t of tokens) {
    const next: Json[] = [];
    for (const v of cur) {
      if (t.startsWith('.')) {
        if (isJsonObject(v) && Object.hasOwn(v, t.slice(1))) next.push(v[t.slice(1)]!);
        continue;
      }
      const inner = t.slice(1, -1);
      if (!Array.isArray(v)) {
        const key = inner.replace(/^['"]|['"]$/g, '');
        if (isJsonObject(v) && Object.hasOwn(v, key)) next.push(v[key]!);
        continue;
      }
      if (inner === '*') next.push(...v);
      else if (/^-?\d+$/.test(inner)) {
        const i = Number(inner);
        const x = v[i < 0 ? v.length + i : i];
        if (x !== undefined) next.push(x);
      } else {
        const m = /^\?\(@\.([\w.]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner);
        if (m) next.push(...v.filter((x) => evalJsonPath(x, `.${m[1]!}`)[0] === m[2]));
      }
    }
    cur = next;
  }
  return cur;
}

/** kubectl's age format (k8s.io/apimachinery/pkg/util/duration.HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8)
    return days % 365 === 0 ? `${days / 365}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

function cell(obj: JsonObject, c: PrinterColumn, now: Date): Json {
  const values = evalJsonPath(obj, c.jsonPath);
  if (values.length === 0) return c.type === 'date' ? '<unknown>' : null;
  const v = values[0]!;
  if (c.type === 'date' && typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
  }
  if (values.length > 1) return values.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',');
  if (c.type === 'string' && typeof v !== 'string') return JSON.stringify(v);
  return v;
}

function partialMetadata(obj: JsonObject): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadataOf(obj) };
}

/** Renders objects as a Table; `withColumns` false for watch events after the first. */
export function renderTable(
  type: ResourceType,
  objects: readonly JsonObject[],
  opts: {
    readonly now: Date;
    readonly resourceVersion?: string;
    readonly continueToken?: string;
    readonly includeObject?: string;
  },
): JsonObject {
  const columns: PrinterColumn[] = [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      jsonPath: '.metadata.name',
    },
    ...type.printerColumns,
  ];
  const meta: JsonObject = {};
  if (opts.resourceVersion !== undefined) meta['resourceVersion'] = opts.resourceVersion;
  if (opts.continueToken !== undefined) meta['continue'] = opts.continueToken;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'string' : c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => cell(o, c, opts.now)),
      object: opts.includeObject === 'Object' ? o : opts.includeObject === 'None' ? null : partialMetadata(o),
    })),
  };
}
