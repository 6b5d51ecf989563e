/**
 * The storage layer: objects by resource, one global resourceVersion counter (as etcd's
 * revision), and a bounded history of changes for watch replay and consistent paging.
 * A change older than the history window is "compacted": watching or continuing a list
 * from before it answers 410 Gone, as a real API server does after etcd compaction.
 */
import { metadataOf, stringAt, type JsonObject } from './json.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change. `object` is the state after it (for DELETED: the last state, with the deletion's RV). */
export interface Change {
  readonly rv: number;
  readonly type: ChangeType;
  /** `group/plural` of the object. */
  readonly resource: string;
  readonly object: JsonObject;
  /** The state before (undefined for ADDED). */
  readonly prev: JsonObject | undefined;
}

export interface ObjectStoreOptions {
  /** How many changes are kept for watch replay; older ones are compacted away. */
  readonly historyLimit?: number;
}

function keyOf(obj: JsonObject): string {
  const m = metadataOf(obj);
  return `${stringAt(m, 'namespace') ?? ''}/${stringAt(m, 'name') ?? ''}`;
}

export class ObjectStore {
  private rv = 0;
  private readonly objects = new Map<string, Map<string, JsonObject>>();
  private readonly uids = new Map<string, { resource: string; key: string }>();
  private history: Change[] = [];
  /** Every change with rv > this is still in `history`. */
  private compactedThrough = 0;
  private readonly listeners = new Set<(c: Change) => void>();
  private readonly historyLimit: number;

  constructor(options: ObjectStoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  /** The latest resourceVersion (etcd revision). */
  currentRv(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may start from without a 410. */
  oldestWatchableRv(): number {
    return this.compactedThrough;
  }

  /** The stored object (shared: callers clone before changing or returning it). */
  get(resource: string, namespace: string, name: string): JsonObject | undefined {
    return this.objects.get(resource)?.get(`${namespace}/${name}`);
  }

  /** Stored objects of a resource, optionally of one namespace, sorted by namespace then name. */
  list(resource: string, namespace?: string): JsonObject[] {
    const all = [...(this.objects.get(resource)?.entries() ?? [])];
    return all
      .filter(([k]) => namespace === undefined || k.startsWith(`${namespace}/`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
  }

  /** Every stored object with its resource key. */
  *entries(): Generator<{ resource: string; object: JsonObject }> {
    for (const [resource, objs] of this.objects)
      for (const object of objs.values()) yield { resource, object };
  }

  /** Whether an object with this uid exists (owner references). */
  hasUid(uid: string): boolean {
    return this.uids.has(uid);
  }

  /** The stored object with this uid. */
  byUid(uid: string): { resource: string; object: JsonObject } | undefined {
    const at = this.uids.get(uid);
    if (at === undefined) return undefined;
    const object = this.objects.get(at.resource)?.get(at.key);
    return object === undefined ? undefined : { resource: at.resource, object };
  }

  /**
   * Commits a change: stamps a new resourceVersion on `object` (stored as given), records it in
   * the history and notifies listeners synchronously. Returns the change.
   */
  commit(type: ChangeType, resource: string, object: JsonObject): Change {
    const key = keyOf(object);
    let objs = this.objects.get(resource);
    if (objs === undefined) {
      objs = new Map();
      this.objects.set(resource, objs);
    }
    const prev = objs.get(key);
    const rv = ++this.rv;
    metadataOf(object)['resourceVersion'] = String(rv);
    const uid = stringAt(metadataOf(object), 'uid');
    if (type === 'DELETED') {
      objs.delete(key);
      if (uid !== undefined) this.uids.delete(uid);
    } else {
      objs.set(key, object);
      if (uid !== undefined) this.uids.set(uid, { resource, key });
    }
    const change: Change = { rv, type, resource, object, prev };
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedThrough = dropped[dropped.length - 1]!.rv;
    }
    for (const l of [...this.listeners]) l(change);
    return change;
  }

  /** Changes after `rv`, or 'expired' when some were compacted away. */
  changesSince(rv: number): readonly Change[] | 'expired' {
    if (rv < this.compactedThrough) return 'expired';
    const i = this.history.findIndex((c) => c.rv > rv);
    return i < 0 ? [] : this.history.slice(i);
  }

  /** The objects of a resource as they were at `rv` (for paging), or 'expired'. */
  snapshot(resource: string, rv: number, namespace?: string): JsonObject[] | 'expired' {
    if (rv >= this.rv) return this.list(resource, namespace);
    if (rv < this.compactedThrough) return 'expired';
    const state = new Map(this.list(resource, namespace).map((o) => [keyOf(o), o] as const));
    for (let i = this.history.length - 1; i >= 0; i--) {
      const c = this.history[i]!;
      if (c.rv <= rv) break;
      if (c.resource !== resource) continue;
      const key = keyOf(c.object);
      if (namespace !== undefined && !key.startsWith(`${namespace}/`)) continue;
      if (c.prev === undefined) state.delete(key);
      else state.set(key, c.prev);
    }
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /** Forgets all history: any watch or continue token from before now gets 410 Gone. */
  compact(): void {
    this.compactedThrough = this.rv;
    this.history = [];
  }

  /** Calls `listener` synchronously for every change; returns the unsubscribe function. */
  subscribe(listener: (c: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
