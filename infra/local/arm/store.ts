/**
 * The stand-in's whole world: an in-memory map from resource id (case-insensitive) to the resource as
 * the resource provider persisted it. Back-references (a pool's `backendIPConfigurations`, a prefix's
 * `publicIPAddresses`, a NIC's `virtualMachine`) are never stored: providers derive them when they
 * render a resource, so they cannot drift from the resources that own the reference.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from './core/json.js';
import { idKey, parseResourceId } from './core/resourceId.js';

export interface StoredResource {
  /** The id with the casing the resource was created with. */
  readonly id: string;
  /** Full type, e.g. `Microsoft.Network/networkInterfaces`. */
  readonly type: string;
  /** The persisted wire representation (name, id, type, location, tags, sku, properties, ...). */
  body: JsonObject;
  /** Compute RP etags count writes (`"1"`, `"2"`); Network RP etags are `W/"<guid>"`. */
  etagSeq: number;
  etag: string;
  /** State ARM keeps but never shows (scale set instance counter, model version, ...). */
  internal: JsonObject;
}

export type EtagStyle = 'compute' | 'network' | 'none';

export class ResourceStore {
  private readonly byKey = new Map<string, StoredResource>();

  get(id: string): StoredResource | undefined {
    return this.byKey.get(idKey(id));
  }

  has(id: string): boolean {
    return this.byKey.has(idKey(id));
  }

  put(resource: StoredResource): void {
    this.byKey.set(idKey(resource.id), resource);
  }

  delete(id: string): boolean {
    return this.byKey.delete(idKey(id));
  }

  /** Resources of a type, optionally within a subscription / resource group / parent, sorted by id. */
  list(filter: {
    readonly type: string;
    readonly subscriptionId?: string;
    readonly resourceGroup?: string;
    readonly parentId?: string;
  }): StoredResource[] {
    const type = filter.type.toLowerCase();
    const parent = filter.parentId === undefined ? undefined : idKey(filter.parentId) + '/';
    const out: StoredResource[] = [];
    for (const [key, r] of this.byKey) {
      if (r.type.toLowerCase() !== type) continue;
      if (parent !== undefined && !key.startsWith(parent)) continue;
      if (filter.subscriptionId !== undefined || filter.resourceGroup !== undefined) {
        const p = parseResourceId(r.id);
        if (!p) continue;
        if (
          filter.subscriptionId !== undefined &&
          p.subscriptionId.toLowerCase() !== filter.subscriptionId.toLowerCase()
        )
          continue;
        if (
          filter.resourceGroup !== undefined &&
          p.resourceGroup?.toLowerCase() !== filter.resourceGroup.toLowerCase()
        )
          continue;
      }
      out.push(r);
    }
    return out.sort((a, b) => compareIds(a.id, b.id));
  }

  all(): StoredResource[] {
    return [...this.byKey.values()];
  }

  clear(): void {
    this.byKey.clear();
  }

  /**
   * Runs `fn`; if it throws, every resource is put back as it was (same objects, old contents), so a
   * write that fails halfway leaves nothing half-written.
   */
  transaction<T>(fn: () => T): T {
    const saved = new Map(
      [...this.byKey].map(([k, r]) => [
        k,
        {
          r,
          body: structuredClone(r.body),
          internal: structuredClone(r.internal),
          etag: r.etag,
          etagSeq: r.etagSeq,
        },
      ]),
    );
    try {
      return fn();
    } catch (e) {
      this.byKey.clear();
      for (const [k, s] of saved) {
        s.r.body = s.body;
        s.r.internal = s.internal;
        s.r.etag = s.etag;
        s.r.etagSeq = s.etagSeq;
        this.byKey.set(k, s.r);
      }
      throw e;
    }
  }
}

/** Sorts ids case-insensitively, with numeric instance ids in numeric order. */
export function compareIds(a: string, b: string): number {
  return a.toLowerCase().localeCompare(b.toLowerCase(), 'en', { numeric: true });
}

/** A new stored resource with a first etag in the provider's style. */
export function newStoredResource(
  id: string,
  type: string,
  body: JsonObject,
  style: EtagStyle,
): StoredResource {
  const r: StoredResource = { id, type, body, etagSeq: 0, etag: '', internal: {} };
  bumpEtag(r, style);
  return r;
}

/** Gives the resource a new etag after a write and mirrors it in `body.etag`. */
export function bumpEtag(r: StoredResource, style: EtagStyle): void {
  r.etagSeq += 1;
  if (style === 'none') return;
  r.etag = style === 'compute' ? `"${r.etagSeq}"` : `W/"${randomUUID()}"`;
  r.body['etag'] = r.etag;
}
