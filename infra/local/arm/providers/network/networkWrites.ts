/**
 * The Network RP's write lifecycle, shared by every network resource: PUT answers 201 (create) or 200
 * (update) with `provisioningState: Updating` and `Azure-AsyncOperation`; DELETE answers 202 with
 * `Location` too, or 204 when the resource is absent; a second write while one runs answers 409
 * AnotherOperationInProgress; If-Match / If-None-Match are honoured; etags are `W/"<guid>"`.
 */
import { ArmError } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { ensureObject, text } from '../../core/json.js';
import { idKey, lastName } from '../../core/resourceId.js';
import type { ArmReply, ArmRequest, Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import { bumpEtag, newStoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { checkName, checkPreconditions, okResource, requireBody, startOperation } from '../context.js';
import type { ResourceType } from '../resourceType.js';

export interface NetworkPutOptions {
  readonly id: string;
  readonly type: string;
  /** e.g. `Microsoft.Network/networkInterfaces` (the event's operation is `<it>/write`). */
  readonly operationType: string;
  /** Validates and builds the body to persist (without etag); throws ArmError. */
  readonly build: (existing: StoredResource | undefined) => JsonObject;
  readonly render: (r: StoredResource) => JsonObject;
  /** Extra state to keep beside the body (e.g. allocations). */
  readonly internal?: (existing: StoredResource | undefined) => JsonObject;
}

export function lockOf(id: string): string {
  return `res:${idKey(id)}`;
}

function conflict(id: string): ArmError {
  return new ArmError(
    409,
    'AnotherOperationInProgress',
    `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${id}`,
  );
}

export function networkPut(ctx: ProviderContext, req: ArmRequest, o: NetworkPutOptions): ArmReply {
  const existing = ctx.store.get(o.id);
  checkPreconditions(req, existing);
  if (ctx.lro.isLocked((l) => l === lockOf(o.id))) throw conflict(o.id);
  const body = o.build(existing);
  const props = ensureObject(body, 'properties');
  props['provisioningState'] = 'Updating';
  body['id'] = o.id;
  body['name'] = lastName(o.id);
  body['type'] = o.type;
  let r: StoredResource;
  if (existing) {
    r = existing;
    r.body = body;
    bumpEtag(r, 'network');
  } else {
    r = newStoredResource(o.id, o.type, body, 'network');
  }
  if (o.internal) r.internal = o.internal(existing);
  ctx.store.put(r);
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Network',
    kind: 'networkWrite',
    resourceId: o.id,
    location: body['location'],
    locks: [lockOf(o.id)],
    event: { kind: 'write', operationName: `${o.operationType}/write` },
    onSucceeded: () => setState(ctx, r, 'Succeeded'),
    onFailed: () => setState(ctx, r, 'Failed'),
  });
  return okResource(o.render(r), existing ? 200 : 201, headers);
}

export interface NetworkDeleteOptions {
  readonly id: string;
  readonly operationType: string;
  /** Throws when the resource may not be deleted (in use). */
  readonly checkDeletable?: (r: StoredResource) => void;
}

export function networkDelete(ctx: ProviderContext, req: ArmRequest, o: NetworkDeleteOptions): ArmReply {
  const existing = ctx.store.get(o.id);
  checkPreconditions(req, existing);
  if (!existing) return { status: 204 };
  if (ctx.lro.isLocked((l) => l === lockOf(o.id))) throw conflict(o.id);
  o.checkDeletable?.(existing);
  ensureObject(existing.body, 'properties')['provisioningState'] = 'Deleting';
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Network',
    kind: 'networkDelete',
    resourceId: o.id,
    location: existing.body['location'],
    locks: [lockOf(o.id)],
    event: { kind: 'delete', operationName: `${o.operationType}/delete` },
    onSucceeded: () => {
      if (ctx.store.get(o.id) === existing) ctx.store.delete(o.id);
    },
    onFailed: () => setState(ctx, existing, 'Failed'),
  });
  return { status: 202, headers };
}

/**
 * PUT and DELETE of a top-level network resource: `build` validates a PUT's body and returns what to
 * persist; `checkDeletable` refuses a DELETE of a resource still in use.
 */
export function networkWriteRoutes(
  ctx: ProviderContext,
  t: ResourceType,
  o: {
    /** The type as `InvalidResourceName` names it, e.g. `load balancer`. */
    readonly what: string;
    readonly build: (id: string, input: JsonObject, existing: StoredResource | undefined) => JsonObject;
    readonly checkDeletable?: (r: StoredResource) => void;
  },
): Route[] {
  return [
    {
      method: 'PUT',
      pattern: t.itemPattern,
      api: t.api,
      resourceId: t.idOf,
      handler: (req) => {
        const id = t.idOf(req.params);
        checkName(req.params[t.nameParam] ?? '', o.what);
        const input = requireBody(req);
        return networkPut(ctx, req, {
          id,
          type: t.type,
          operationType: t.type,
          build: (existing) => o.build(id, input, existing),
          render: t.render,
        });
      },
    },
    {
      method: 'DELETE',
      pattern: t.itemPattern,
      api: t.api,
      resourceId: t.idOf,
      handler: (req) =>
        networkDelete(ctx, req, {
          id: t.idOf(req.params),
          operationType: t.type,
          ...(o.checkDeletable === undefined ? {} : { checkDeletable: o.checkDeletable }),
        }),
    },
  ];
}

function setState(ctx: ProviderContext, r: StoredResource, state: string): void {
  if (ctx.store.get(r.id) !== r) return;
  ensureObject(r.body, 'properties')['provisioningState'] = state;
}

/** Copies the parent's etag and provisioningState onto child objects and gives them id and type. */
export function renderChildren(
  parent: JsonObject,
  key: string,
  childType: string,
  parentIdValue: string,
): void {
  const props = ensureObject(parent, 'properties');
  const list = props[key];
  if (!Array.isArray(list)) return;
  props[key] = list.map((c) => {
    const child = { ...(c as JsonObject) };
    const name = text(child['name'] ?? '');
    child['id'] = `${parentIdValue}/${key}/${name}`;
    if (parent['etag'] !== undefined) child['etag'] = parent['etag'];
    child['type'] = childType;
    const cp = { ...((child['properties'] as JsonObject | undefined) ?? {}) };
    cp['provisioningState'] = props['provisioningState'] ?? 'Succeeded';
    child['properties'] = cp;
    return child;
  });
}
