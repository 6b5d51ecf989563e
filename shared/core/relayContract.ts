/**
 * The HTTP contract between the in-cluster relay and the control plane, and its parsers. Both sides
 * use these so the contract cannot drift; parsers return every problem with its path
 * (`events[3].object.metadata.uid`).
 *
 * `relayEvents` (POST, HMAC-signed, see relaySignature.ts):
 *   `{"clusterId": "<id>", "events": [{"type": "ADDED"|"MODIFIED"|"DELETED"|"SYNC", "object": <StaticGatewayConfiguration>}]}`
 * ADDED/MODIFIED/SYNC upsert the configuration (SYNC: sent for every object after the relay's (re)list);
 * DELETED says the object is gone from the cluster. A configuration with `metadata.deletionTimestamp` is
 * being deleted: the control plane cleans Azure up and reports `finalized`.
 *
 * Full SYNC (egret's extension of the fixed body shape, the least surprising one): a request with the
 * top-level marker `"fullSync": true` carries the COMPLETE list of the cluster's configurations, one
 * SYNC event each, so configurations the control plane knows but the list lacks are deleted. A request
 * whose events are all SYNC (at least one) is read the same way, as the issue words it. An empty
 * cluster sends `{"clusterId": "...", "fullSync": true, "events": []}`. A `fullSync` request may carry
 * only SYNC events.
 *
 * Ordering and replays: versions of one configuration are ordered by `metadata.generation`, then by
 * `metadata.resourceVersion` read as a decimal integer (what the API server hands out in practice;
 * anything else counts as 0; the rule is configVersion.ts). An event older than the stored version is ignored, the same version is
 * a no-op, so duplicates, reordering and replays are harmless. Deletion is final for a uid.
 * Only the object's shape is checked here; a spec with bad values is accepted and becomes an
 * `InvalidSpec` condition, so nothing a user wrote is dropped on the floor.
 *
 * `relayStatus` (GET, HMAC-signed) answers:
 *   `{"items": [{"namespace", "name", "uid", "status": {…}, "finalized": boolean}]}`
 * `finalized: true` means nothing of the configuration is left in Azure: the relay may remove its finalizer.
 */
import type { FieldProblem } from './errors.js';
import {
  jsonShapeProblem,
  keyProblem,
  MAX_CLUSTER_ID,
  MAX_SHORT_TEXT,
  MAX_SPEC_DEPTH,
  MAX_SPEC_JSON,
  objectNameProblem,
  textProblem,
  uidProblem,
} from './inputLimits.js';
import type {
  StaticGatewayConfiguration,
  StaticGatewayConfigurationStatus,
} from './staticGatewayConfiguration.js';
import { API_GROUP_VERSION, STATIC_GATEWAY_CONFIGURATION_KIND } from './wellKnown.js';

/** Watch event types the relay forwards (SYNC: the object was listed during a (re)list). */
export const RELAY_EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED', 'SYNC'] as const;
/** A relay event type. */
export type RelayEventType = (typeof RELAY_EVENT_TYPES)[number];

/** Most events one request may carry (keeps a request well under the Functions body limit). */
export const MAX_RELAY_EVENTS = 500;

/**
 * Largest `relayEvents` body (bytes): 500 events of up to ~8 KiB each. A larger request is refused
 * with 413 before it is decoded; the relay's batches stay far below it.
 */
export const MAX_RELAY_BODY_BYTES = 4 * 1024 * 1024;

/** One forwarded watch event. */
export interface RelayEvent {
  readonly type: RelayEventType;
  readonly object: StaticGatewayConfiguration;
}

/** The body of `relayEvents`. */
export interface RelayEventsRequest {
  /** Identifies the cluster (a Table-safe key: no `/ \ # ?`). */
  readonly clusterId: string;
  readonly events: readonly RelayEvent[];
  /** True: `events` (all SYNC) is the complete list of the cluster's configurations. */
  readonly fullSync?: boolean;
}

/**
 * True when a parsed request is the complete list of the cluster's configurations: it says
 * `fullSync: true`, or it carries at least one event and every event is a SYNC.
 */
export function isFullSync(request: RelayEventsRequest): boolean {
  return (
    request.fullSync === true || (request.events.length > 0 && request.events.every((e) => e.type === 'SYNC'))
  );
}

/** One configuration's status in the `relayStatus` answer. */
export interface RelayStatusItem {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly status: StaticGatewayConfigurationStatus;
  readonly finalized: boolean;
}

/** The body of the `relayStatus` answer. */
export interface RelayStatusResponse {
  readonly items: readonly RelayStatusItem[];
}

/** A parse result. */
export type Parsed<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'invalid'; readonly problems: readonly FieldProblem[] };

type Json = Readonly<Record<string, unknown>>;

/** Parses a `relayEvents` body (already JSON-decoded). */
export function parseRelayEventsRequest(body: unknown): Parsed<RelayEventsRequest> {
  const problems: FieldProblem[] = [];
  if (!isObject(body))
    return { kind: 'invalid', problems: [{ field: 'body', message: 'must be a JSON object' }] };
  const clusterId = body['clusterId'];
  const clusterProblem = clusterIdProblem(clusterId);
  if (clusterProblem !== undefined) problems.push(clusterProblem);
  const events = body['events'];
  if (!Array.isArray(events)) {
    problems.push({ field: 'events', message: 'must be a list' });
    return { kind: 'invalid', problems };
  }
  if (events.length > MAX_RELAY_EVENTS)
    problems.push({ field: 'events', message: `must have at most ${MAX_RELAY_EVENTS} events` });
  events.forEach((event, i) => checkEvent(event, `events[${i}]`, problems));
  const fullSync = body['fullSync'];
  if (fullSync !== undefined && typeof fullSync !== 'boolean')
    problems.push({ field: 'fullSync', message: 'must be true or false' });
  if (fullSync === true) {
    events.forEach((event: unknown, i) => {
      if (isObject(event) && typeof event['type'] === 'string' && event['type'] !== 'SYNC')
        problems.push({ field: `events[${i}].type`, message: 'must be SYNC in a fullSync request' });
    });
  }
  if (problems.length > 0) return { kind: 'invalid', problems };
  return {
    kind: 'ok',
    value: {
      clusterId: clusterId as string,
      events: events as RelayEvent[],
      ...(typeof fullSync === 'boolean' ? { fullSync } : {}),
    },
  };
}

function checkEvent(event: unknown, path: string, problems: FieldProblem[]): void {
  if (!isObject(event)) {
    problems.push({ field: path, message: 'must be an object' });
    return;
  }
  const type = event['type'];
  if (typeof type !== 'string' || !(RELAY_EVENT_TYPES as readonly string[]).includes(type)) {
    problems.push({ field: `${path}.type`, message: `must be one of ${RELAY_EVENT_TYPES.join(', ')}` });
  }
  const object = event['object'];
  const at = `${path}.object`;
  if (!isObject(object)) {
    problems.push({ field: at, message: 'must be a StaticGatewayConfiguration object' });
    return;
  }
  if (object['apiVersion'] !== API_GROUP_VERSION)
    problems.push({ field: `${at}.apiVersion`, message: `must be ${API_GROUP_VERSION}` });
  if (object['kind'] !== STATIC_GATEWAY_CONFIGURATION_KIND)
    problems.push({ field: `${at}.kind`, message: `must be ${STATIC_GATEWAY_CONFIGURATION_KIND}` });
  const metadata = object['metadata'];
  if (!isObject(metadata)) {
    problems.push({ field: `${at}.metadata`, message: 'must be an object' });
  } else {
    for (const key of ['name', 'namespace', 'uid'] as const) {
      const value = metadata[key];
      const field = `${at}.metadata.${key}`;
      const problem =
        typeof value !== 'string' || value === ''
          ? { field, message: 'is required (a non-empty string)' }
          : key === 'uid'
            ? uidProblem(field, value)
            : objectNameProblem(field, value, key);
      if (problem !== undefined) problems.push(problem);
    }
    const generation = metadata['generation'];
    if (
      generation !== undefined &&
      (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0)
    ) {
      problems.push({ field: `${at}.metadata.generation`, message: 'must be a non-negative integer' });
    }
    const resourceVersion = metadata['resourceVersion'];
    if (resourceVersion !== undefined && typeof resourceVersion !== 'string')
      problems.push({ field: `${at}.metadata.resourceVersion`, message: 'must be a string' });
    else if (typeof resourceVersion === 'string')
      pushDefined(problems, textProblem(`${at}.metadata.resourceVersion`, resourceVersion, MAX_SHORT_TEXT));
    const deletion = metadata['deletionTimestamp'];
    if (deletion !== undefined && deletion !== null && typeof deletion !== 'string') {
      problems.push({ field: `${at}.metadata.deletionTimestamp`, message: 'must be an RFC 3339 string' });
    } else if (typeof deletion === 'string')
      pushDefined(problems, textProblem(`${at}.metadata.deletionTimestamp`, deletion, MAX_SHORT_TEXT));
  }
  const spec = object['spec'];
  if (spec !== undefined && !isObject(spec))
    problems.push({ field: `${at}.spec`, message: 'must be an object' });
  else if (spec !== undefined) pushDefined(problems, specProblem(`${at}.spec`, spec));
  const status = object['status'];
  if (status !== undefined && status !== null && !isObject(status))
    problems.push({ field: `${at}.status`, message: 'must be an object' });
}

/** Parses a `relayStatus` answer (the relay's side). */
export function parseRelayStatusResponse(body: unknown): Parsed<RelayStatusResponse> {
  if (!isObject(body) || !Array.isArray(body['items'])) {
    return { kind: 'invalid', problems: [{ field: 'items', message: 'must be a list' }] };
  }
  const problems: FieldProblem[] = [];
  body['items'].forEach((item: unknown, i: number) => {
    const path = `items[${i}]`;
    if (!isObject(item)) {
      problems.push({ field: path, message: 'must be an object' });
      return;
    }
    for (const key of ['namespace', 'name', 'uid']) {
      if (typeof item[key] !== 'string' || item[key] === '')
        problems.push({ field: `${path}.${key}`, message: 'is required (a non-empty string)' });
    }
    if (!isObject(item['status'])) problems.push({ field: `${path}.status`, message: 'must be an object' });
    if (typeof item['finalized'] !== 'boolean')
      problems.push({ field: `${path}.finalized`, message: 'must be true or false' });
  });
  if (problems.length > 0) return { kind: 'invalid', problems };
  return { kind: 'ok', value: { items: body['items'] as RelayStatusItem[] } };
}

/**
 * The problem with a cluster id (a Table PartitionKey, also in queue reasons), or undefined.
 * Shared by relayEvents (body) and relayStatus (query).
 */
export function clusterIdProblem(clusterId: unknown): FieldProblem | undefined {
  if (typeof clusterId !== 'string' || clusterId === '')
    return { field: 'clusterId', message: 'is required (a non-empty string)' };
  return keyProblem('clusterId', clusterId, MAX_CLUSTER_ID);
}

/** Depth first (iteratively: a 5,000-deep spec must not overflow a stack), then the stored size. */
function specProblem(field: string, spec: unknown): FieldProblem | undefined {
  const shape = jsonShapeProblem(field, spec, MAX_SPEC_DEPTH);
  if (shape !== undefined) return shape;
  return JSON.stringify(spec).length > MAX_SPEC_JSON
    ? { field, message: `must be at most ${MAX_SPEC_JSON} characters as JSON` }
    : undefined;
}

function pushDefined(problems: FieldProblem[], problem: FieldProblem | undefined): void {
  if (problem !== undefined) problems.push(problem);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
