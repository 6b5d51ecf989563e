/**
 * Every request the stand-in served, in order. Tests assert batching bounds from it: how many
 * PUT/PATCH/POST/DELETE requests touched each resource (`writeCounts`), and that a throttled request
 * was retried (same `clientRequestId`, first 429 then 2xx).
 */
import { idKey } from '../core/resourceId.js';

export type RequestCategory = 'arm' | 'operation' | 'admin';

export interface LoggedRequest {
  readonly seq: number;
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | undefined;
  /** The resource the request acts on (an action's resource, e.g. the scale set for `delete`). */
  readonly resourceId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly category: RequestCategory;
  status: number;
  errorCode: string | undefined;
}

export interface WriteCount {
  readonly resourceId: string;
  /** All PUT/PATCH/POST/DELETE requests, including rejected ones (throttled, conflicts, faults). */
  total: number;
  /** Those answered 2xx. */
  accepted: number;
  readonly byMethod: Record<string, number>;
}

const WRITE_METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

export class RequestLog {
  private items: LoggedRequest[] = [];
  private seq = 0;

  start(entry: Omit<LoggedRequest, 'seq' | 'at' | 'status' | 'errorCode'>): LoggedRequest {
    const e: LoggedRequest = {
      ...entry,
      seq: ++this.seq,
      at: new Date().toISOString(),
      status: 0,
      errorCode: undefined,
    };
    this.items.push(e);
    return e;
  }

  entries(filter: { readonly category?: RequestCategory } = {}): readonly LoggedRequest[] {
    return filter.category === undefined
      ? [...this.items]
      : this.items.filter((e) => e.category === filter.category);
  }

  clear(): void {
    this.items = [];
  }

  /** PUT/PATCH/POST/DELETE counts per resource id (ARM requests only, operation polls excluded). */
  writeCounts(): WriteCount[] {
    const counts = new Map<string, WriteCount>();
    for (const e of this.items) {
      if (e.category !== 'arm' || !WRITE_METHODS.has(e.method) || e.resourceId === undefined) continue;
      const key = idKey(e.resourceId);
      let c = counts.get(key);
      if (!c) {
        c = { resourceId: e.resourceId, total: 0, accepted: 0, byMethod: {} };
        counts.set(key, c);
      }
      c.total += 1;
      if (e.status >= 200 && e.status < 300) c.accepted += 1;
      c.byMethod[e.method] = (c.byMethod[e.method] ?? 0) + 1;
    }
    return [...counts.values()].sort((a, b) => a.resourceId.localeCompare(b.resourceId));
  }
}
