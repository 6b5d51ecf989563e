/**
 * Use case behind `GET /api/relay/status?clusterId=…`: the status the control plane computed for each
 * configuration of a cluster, for the relay to patch into the custom resources' `/status`.
 *
 * Contract: same authentication as relayEvents (the signature covers the method, path, query,
 * cluster and the empty body) → `unauthorized`
 * (401); a missing or malformed `clusterId` → `invalid` (400); else `ok` with
 * `{"items": [{"namespace", "name", "uid", "status": {...}, "finalized": boolean}]}` sorted by namespace,
 * name and uid. Deleted configurations stay listed until their tombstone is purged; `finalized: true`
 * once all their Azure resources are gone (the relay then removes its finalizer). A configuration the
 * control plane has not reconciled yet has `status: {}`.
 */
import type { FieldProblem } from '../core/errors.js';
import { clusterIdProblem, type RelayStatusItem, type RelayStatusResponse } from '../core/relayContract.js';
import type { StaticGatewayConfigurationStatus } from '../core/staticGatewayConfiguration.js';
import type { Logger } from '../ports/logger.js';
import type { ConfigurationStore, EventDedupeStore, StatusStore } from '../ports/stateStore.js';
import { RELAY_CLUSTER_HEADER } from '../core/wellKnown.js';
import { authenticateRelayRequest, type RelayAuth, type SignedRequest } from './authenticateRelayRequest.js';

/** What the use case needs. */
export interface ReadRelayStatusDeps {
  readonly state: Pick<ConfigurationStore, 'listConfigurations'> &
    Pick<StatusStore, 'listStatuses'> &
    Pick<EventDedupeStore, 'markEventProcessed'>;
  readonly logger: Logger;
  readonly relay: RelayAuth;
}

/** The use case's answer. */
export type ReadRelayStatusResult =
  | { readonly kind: 'unauthorized'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly problems: readonly FieldProblem[] }
  | { readonly kind: 'ok'; readonly body: RelayStatusResponse };

/** Authenticates and answers a `relayStatus` request. */
export async function readRelayStatus(
  deps: ReadRelayStatusDeps,
  request: SignedRequest & { readonly clusterId: string | undefined },
  signal: AbortSignal,
): Promise<ReadRelayStatusResult> {
  const auth = await authenticateRelayRequest(deps, request, signal);
  if (auth.kind === 'rejected') return { kind: 'unauthorized', reason: auth.reason };
  const clusterId = request.clusterId;
  const problem = clusterIdProblem(clusterId);
  if (problem !== undefined || clusterId === undefined)
    return { kind: 'invalid', problems: [problem ?? { field: 'clusterId', message: 'is required' }] };
  // The signature names its cluster: one captured signature never reads another cluster's status.
  if (clusterId !== auth.clusterId)
    return {
      kind: 'invalid',
      problems: [
        { field: 'clusterId', message: `must equal the ${RELAY_CLUSTER_HEADER} header it was signed for` },
      ],
    };
  const [configs, statuses] = await Promise.all([
    deps.state.listConfigurations({ clusterId }, signal),
    deps.state.listStatuses({ clusterId }, signal),
  ]);
  const byUid = new Map(statuses.map((s) => [s.uid, s.status as StaticGatewayConfigurationStatus]));
  const items: RelayStatusItem[] = configs
    // A tombstone made by a DELETED that arrived before any upsert has no name: nothing to report.
    .filter((c) => c.namespace !== '' && c.name !== '')
    .map((c) => ({
      namespace: c.namespace,
      name: c.name,
      uid: c.uid,
      status: byUid.get(c.uid) ?? {},
      finalized: c.finalizedAt !== undefined,
    }))
    .sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name) || cmp(a.uid, b.uid));
  return { kind: 'ok', body: { items } };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
