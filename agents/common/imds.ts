/**
 * Azure Instance Metadata Service client: who this node is. The endpoint is configurable so tests
 * (and the sandbox) can serve a stand-in; Azure's is http://169.254.169.254.
 */
import { errorMessage, TransientError, ValidationError } from '../../shared/core/errors.js';

/** The node's identity as the gateway daemon matches configurations against it. */
export interface NodeIdentity {
  /** `compute.osProfile.computerName`: VMSS instances' Kubernetes node name / status `nodeName`. */
  readonly computerName: string;
  /** `compute.name`: the VM (or VMSS instance) name. */
  readonly vmName: string;
  /** `compute.vmScaleSetName` (empty for standalone VMs). */
  readonly vmScaleSetName: string;
  readonly resourceGroupName: string;
  /** `compute.tags`, e.g. `aks-managed-poolName`, `aks-managed-nic-name`. */
  readonly tags: Readonly<Record<string, string>>;
}

/** IMDS api-version upstream uses for `/metadata/instance`. */
export const IMDS_API_VERSION = '2021-10-01';

/** Parses IMDS `/metadata/instance` JSON; tags come as `tagsList` or as the `k1:v1;k2:v2` string. */
export function parseInstanceMetadata(body: unknown): NodeIdentity {
  const compute = (body as { compute?: Record<string, unknown> } | null)?.compute;
  if (compute === undefined || compute === null || typeof compute !== 'object')
    throw new ValidationError([{ field: 'compute', message: 'IMDS answer has no compute section' }]);
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const tags: Record<string, string> = {};
  if (Array.isArray(compute.tagsList)) {
    for (const t of compute.tagsList as { name?: unknown; value?: unknown }[])
      if (typeof t.name === 'string') tags[t.name] = str(t.value);
  } else if (typeof compute.tags === 'string' && compute.tags !== '') {
    for (const pair of compute.tags.split(';')) {
      const i = pair.indexOf(':');
      if (i > 0) tags[pair.slice(0, i)] = pair.slice(i + 1);
    }
  }
  const osProfile = compute.osProfile as { computerName?: unknown } | undefined;
  const identity: NodeIdentity = {
    computerName: str(osProfile?.computerName),
    vmName: str(compute.name),
    vmScaleSetName: str(compute.vmScaleSetName),
    resourceGroupName: str(compute.resourceGroupName),
    tags,
  };
  if (identity.computerName === '' && identity.vmName === '')
    throw new ValidationError([
      { field: 'compute.osProfile.computerName', message: 'IMDS names no computer' },
    ]);
  return identity;
}

/** Reads the node's identity once. @throws TransientError when IMDS cannot be reached. */
export async function fetchNodeIdentity(endpoint: string, signal?: AbortSignal): Promise<NodeIdentity> {
  const url = `${endpoint.replace(/\/$/, '')}/metadata/instance?api-version=${IMDS_API_VERSION}&format=json`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Metadata: 'true' },
      signal:
        signal === undefined
          ? AbortSignal.timeout(5000)
          : AbortSignal.any([signal, AbortSignal.timeout(5000)]),
    });
  } catch (e) {
    throw new TransientError(`IMDS ${url} unreachable: ${errorMessage(e)}`, {
      cause: e,
    });
  }
  if (!response.ok) throw new TransientError(`IMDS ${url} answered ${response.status}`);
  return parseInstanceMetadata(await response.json());
}
