/**
 * What every resource provider module gets, plus the helpers they share: resource-group checks,
 * If-Match / If-None-Match, starting an operation with its Event Grid event, and paging.
 */
import { ArmError, armErrors } from '../core/armError.js';
import type { Json, JsonObject } from '../core/json.js';
import { str, text } from '../core/json.js';
import { idKey, parseResourceId, resourceGroupId } from '../core/resourceId.js';
import type { ArmEventSpec, EventGridEmitter, EventKind } from '../engines/eventGridEmitter.js';
import type { LatencyModel, OperationKind } from '../engines/latencyModel.js';
import type { LroEngine, OperationFailure, OperationProvider } from '../engines/lroEngine.js';
import type { ArmReply, ArmRequest } from '../router.js';
import type { ResourceStore, StoredResource } from '../store.js';

export interface StandInConfig {
  readonly subscriptionId: string;
  /** Default location for seeded resources. */
  readonly location: string;
  /** Items per list page; small values exercise `nextLink`. */
  readonly pageSize: number;
  /** api-versions accepted per route family; anything else is rejected like ARM does. */
  readonly apiVersions: Readonly<Record<'compute' | 'network' | 'vmssNic' | 'resources', readonly string[]>>;
  /** RFC 5737 ranges public IP prefixes are carved from, in order. */
  readonly publicIpPrefixPools: readonly string[];
  /** Range for public IPs that do not come from a prefix. */
  readonly publicIpPool: string;
}

export interface ProviderContext {
  readonly store: ResourceStore;
  readonly lro: LroEngine;
  readonly latency: LatencyModel;
  readonly events: EventGridEmitter;
  readonly config: StandInConfig;
}

export const RESOURCE_GROUP_TYPE = 'Microsoft.Resources/resourceGroups';

/** The resource group, or 404 ResourceGroupNotFound. */
export function requireResourceGroup(
  ctx: ProviderContext,
  subscriptionId: string,
  rg: string,
): StoredResource {
  const found = ctx.store.get(resourceGroupId(subscriptionId, rg));
  if (!found) throw armErrors.resourceGroupNotFound(rg);
  return found;
}

/** The canonical id `/subscriptions/{s}/resourceGroups/{RG as created}/providers/...`. */
export function canonicalId(ctx: ProviderContext, subscriptionId: string, rg: string, rest: string): string {
  const group = requireResourceGroup(ctx, subscriptionId, rg);
  return `${group.id}/providers/${rest}`;
}

/** If-Match / If-None-Match as ARM applies them: 412 PreconditionFailed when not met. */
export function checkPreconditions(req: ArmRequest, existing: StoredResource | undefined): void {
  const ifMatch = header(req, 'if-match');
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifMatch !== undefined) {
    if (!existing || (ifMatch !== '*' && ifMatch !== existing.etag))
      throw armErrors.preconditionFailed('If-Match', ifMatch);
  }
  if (ifNoneMatch !== undefined && existing) {
    if (ifNoneMatch === '*' || ifNoneMatch === existing.etag)
      throw armErrors.preconditionFailed('If-None-Match', ifNoneMatch);
  }
}

export function header(req: ArmRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The request body as an object, or 400 when absent. */
export function requireBody(req: ArmRequest): JsonObject {
  if (!req.body) throw armErrors.invalidRequestContent('The request body is required.');
  return req.body;
}

export function requireLocation(body: JsonObject, existing: StoredResource | undefined): string {
  const loc = str(body['location']) ?? str(existing?.body['location']);
  if (loc === undefined || loc === '') throw armErrors.locationRequired();
  return loc;
}

/** Builds the event a request's operation publishes when it completes. */
export function eventFor(
  req: ArmRequest,
  options: {
    readonly kind: EventKind;
    readonly operationName: string;
    readonly resourceUri: string;
    readonly provider: string;
    readonly subscriptionId: string;
    readonly resourceGroup: string;
  },
): ArmEventSpec {
  const query = req.query.toString();
  return {
    kind: options.kind,
    operationName: options.operationName,
    resourceUri: options.resourceUri,
    resourceProvider: options.provider,
    subscriptionId: options.subscriptionId,
    resourceGroup: options.resourceGroup,
    httpMethod: req.method,
    url: `https://management.azure.com${req.path}${query === '' ? '' : `?${query}`}`,
    clientRequestId: req.clientRequestId,
    correlationId: req.correlationId,
  };
}

/** The resource path the client addressed (its casing), without a trailing action segment. */
export function requestedResourceUri(req: ArmRequest, dropSegments = 0): string {
  const parts = req.path.replace(/\/+$/, '').split('/');
  return parts.slice(0, parts.length - dropSegments).join('/');
}

export interface BeginOptions {
  readonly provider: OperationProvider;
  readonly kind: OperationKind;
  readonly location: string;
  readonly locks: readonly string[];
  readonly event: ArmEventSpec | undefined;
  /** RP-side failure (e.g. prefix exhausted); a fault rule's failure wins. */
  readonly failure?: OperationFailure | undefined;
  readonly onSucceeded: () => void;
  readonly onFailed: (failure: OperationFailure) => void;
  /** 202 answers carry `Location` too. */
  readonly withLocation: boolean;
  readonly baseUrl: string;
  readonly lroFailure: OperationFailure | undefined;
}

/** Starts the operation and returns the headers to answer with. */
export function beginOperation(ctx: ProviderContext, o: BeginOptions): Record<string, string> {
  const op = ctx.lro.begin({
    provider: o.provider,
    location: o.location.replace(/\s+/g, '').toLowerCase(),
    durationMs: ctx.latency.lroMs(o.kind),
    locks: o.locks,
    failure: o.lroFailure ?? o.failure,
    onSucceeded: o.onSucceeded,
    onFailed: o.onFailed,
    event: o.event,
  });
  return ctx.lro.headers(op, o.baseUrl, ctx.config.subscriptionId, o.withLocation);
}

/** An operation on a resource in a resource group, as every Compute and Network write starts it. */
export interface ResourceOperation {
  readonly provider: 'Microsoft.Compute' | 'Microsoft.Network';
  readonly kind: OperationKind;
  /** The resource acted on: its subscription and resource group go into the event. */
  readonly resourceId: string;
  /** The resource's `location` (the operation URLs are regional); the stand-in's default when absent. */
  readonly location: Json | undefined;
  readonly locks: readonly string[];
  /**
   * The event published when it completes. A `delete` or an `action` answers 202 with `Location`
   * too; an action's URI drops the action segments of the path (`.../manualupgrade`).
   */
  readonly event: {
    readonly kind: EventKind;
    readonly operationName: string;
    readonly actionSegments?: number;
  };
  /** RP-side failure (e.g. prefix exhausted); a fault rule's failure wins. */
  readonly failure?: OperationFailure | undefined;
  readonly onSucceeded: () => void;
  readonly onFailed: (failure: OperationFailure) => void;
}

/** Starts `o` for `req` with its Event Grid event; returns the headers to answer with. */
export function startOperation(
  ctx: ProviderContext,
  req: ArmRequest,
  o: ResourceOperation,
): Record<string, string> {
  const p = parseResourceId(o.resourceId);
  return beginOperation(ctx, {
    provider: o.provider,
    kind: o.kind,
    location: text(o.location ?? ctx.config.location),
    locks: o.locks,
    event: eventFor(req, {
      kind: o.event.kind,
      operationName: o.event.operationName,
      resourceUri: requestedResourceUri(req, o.event.actionSegments ?? 0),
      provider: o.provider,
      subscriptionId: p?.subscriptionId ?? ctx.config.subscriptionId,
      resourceGroup: p?.resourceGroup ?? '',
    }),
    failure: o.failure,
    onSucceeded: o.onSucceeded,
    onFailed: o.onFailed,
    withLocation: o.event.kind !== 'write',
    baseUrl: req.baseUrl,
    lroFailure: req.lroFailure,
  });
}

/** One page of a list, with a `nextLink` carrying `$skiptoken` when more remain. */
export function page(ctx: ProviderContext, req: ArmRequest, items: readonly Json[]): ArmReply {
  const skip = Number(req.query.get('$skiptoken') ?? '0');
  const start = Number.isInteger(skip) && skip > 0 ? skip : 0;
  const value = items.slice(start, start + ctx.config.pageSize);
  const body: JsonObject = { value };
  if (start + ctx.config.pageSize < items.length) {
    const q = new URLSearchParams(req.query);
    q.set('$skiptoken', String(start + ctx.config.pageSize));
    body['nextLink'] = `${req.baseUrl}${req.path}?${q.toString()}`;
  }
  return { status: 200, body };
}

/** A 200 with the rendered resource and its ETag header. */
export function okResource(body: JsonObject, status = 200, headers: Record<string, string> = {}): ArmReply {
  const etag = str(body['etag']);
  return { status, body, headers: { ...(etag === undefined ? {} : { ETag: etag }), ...headers } };
}

/** The name in `params` must be a valid ARM name; 400 InvalidResourceName otherwise. */
export function checkName(name: string, what: string): void {
  if (name.length === 0 || name.length > 80 || /[<>%&:\\?/*#|]/.test(name))
    throw new ArmError(400, 'InvalidResourceName', `Resource name ${name} is invalid for ${what}.`);
}

export function keyOf(id: string): string {
  return idKey(id);
}
