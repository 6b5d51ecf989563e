/**
 * Building `relayEvents` request bodies from informer objects (pure).
 *
 * What is forwarded: an object's ADDED and DELETED, and a MODIFIED only when something the control
 * plane acts on changed — the spec (and so `metadata.generation`) or `metadata.deletionTimestamp`.
 * Status-only and finalizer-only updates are the relay's own writes; forwarding them would echo every
 * status patch back to the control plane.
 *
 * SYNC (shared/core/relayContract.ts): one request whose `events` are a SYNC event per object, plus
 * the top-level marker `"fullSync": true`, is the complete list of the cluster's configurations;
 * configurations missing from it are gone. An empty cluster sends `{"clusterId", "fullSync": true,
 * "events": []}`. The control plane also reads any all-SYNC request as complete, so the relay never
 * sends SYNC events in any other request.
 */
import {
  MAX_RELAY_EVENTS,
  type RelayEvent,
  type RelayEventsRequest,
} from '../../shared/core/relayContract.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';

/** The object as forwarded: as the API serves it, minus `managedFields` (bookkeeping, often large). */
export function forwardedObject(object: StaticGatewayConfiguration): StaticGatewayConfiguration {
  const { managedFields: _managed, ...metadata } =
    object.metadata as StaticGatewayConfiguration['metadata'] & {
      readonly managedFields?: unknown;
    };
  return { ...object, metadata };
}

/**
 * What the control plane acts on; a MODIFIED whose fingerprint equals the last forwarded one is not
 * forwarded.
 */
export function forwardFingerprint(object: StaticGatewayConfiguration): string {
  return JSON.stringify([
    object.metadata.generation ?? null,
    object.metadata.deletionTimestamp ?? null,
    object.spec,
  ]);
}

/** A request carrying ordinary watch events. */
export function eventsRequest(clusterId: string, events: readonly RelayEvent[]): RelayEventsRequest {
  return { clusterId, events };
}

/**
 * The SYNC of `objects`, sorted by namespace and name. One request when it fits the contract's
 * {@link MAX_RELAY_EVENTS}; a larger cluster gets `kind: 'too-large'` with the objects as MODIFIED
 * batches instead — upserts still arrive, but nothing can be inferred as deleted (the contract has no
 * multi-request SYNC yet).
 */
export function syncRequests(
  clusterId: string,
  objects: readonly StaticGatewayConfiguration[],
):
  | { readonly kind: 'sync'; readonly request: RelayEventsRequest }
  | { readonly kind: 'too-large'; readonly requests: readonly RelayEventsRequest[] } {
  const sorted = [...objects].sort((a, b) =>
    compare(`${a.metadata.namespace}/${a.metadata.name}`, `${b.metadata.namespace}/${b.metadata.name}`),
  );
  if (sorted.length <= MAX_RELAY_EVENTS) {
    return {
      kind: 'sync',
      request: {
        clusterId,
        fullSync: true,
        events: sorted.map((o) => ({ type: 'SYNC', object: forwardedObject(o) })),
      },
    };
  }
  const requests: RelayEventsRequest[] = [];
  for (let i = 0; i < sorted.length; i += MAX_RELAY_EVENTS) {
    requests.push(
      eventsRequest(
        clusterId,
        sorted.slice(i, i + MAX_RELAY_EVENTS).map((o) => ({ type: 'MODIFIED', object: forwardedObject(o) })),
      ),
    );
  }
  return { kind: 'too-large', requests };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
