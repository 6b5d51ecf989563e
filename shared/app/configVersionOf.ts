/**
 * How forwarded objects are ordered in egret's state (shared/ports/stateStore.ts `ConfigVersion`).
 *
 * `generation` is `metadata.generation` (bumped by every spec change and by the deletion request).
 * `sequence` is `metadata.resourceVersion × 1000`: Kubernetes documents resourceVersion as opaque, but
 * the API server hands out etcd revisions — decimal integers that grow for every write in the cluster —
 * which is what the relay forwards and what "idempotent by uid + resourceVersion" (issue §5) keys on.
 * The factor leaves room below the next real version for the control plane's own revisions of a
 * stored configuration (resolving a nodepool to its gateway pool rewrites the row with `sequence + 1`),
 * so a later event from the cluster always wins over them. A resourceVersion that is not a decimal
 * integer below 9·10¹² counts as 0: such objects are then ordered by generation alone.
 */
import type { ConfigVersion } from '../ports/stateStore.js';

/** Room for the control plane's own revisions between two cluster versions. */
export const LOCAL_REVISIONS = 1000;
const MAX_RESOURCE_VERSION = Math.floor(Number.MAX_SAFE_INTEGER / LOCAL_REVISIONS);

/** The version of a forwarded object. */
export function configVersionOf(metadata: {
  readonly generation?: number;
  readonly resourceVersion?: string;
}): ConfigVersion {
  const rv = metadata.resourceVersion;
  const n = rv !== undefined && /^[0-9]{1,16}$/.test(rv) ? Number(rv) : 0;
  return {
    generation: metadata.generation ?? 0,
    sequence: n <= MAX_RESOURCE_VERSION ? n * LOCAL_REVISIONS : 0,
  };
}

/** The next control-plane revision of a stored version (same cluster version). */
export function nextLocalRevision(version: ConfigVersion): ConfigVersion {
  return { generation: version.generation, sequence: version.sequence + 1 };
}

/** True when `version` comes from a cluster version not newer than `resourceVersion`. */
export function isCoveredBy(version: ConfigVersion, resourceVersionSequence: number): boolean {
  return version.sequence < resourceVersionSequence + LOCAL_REVISIONS;
}
