/**
 * The one version-ordering rule of forwarded configurations (what egret's state stores as a
 * configuration's `version`, shared/ports/stateStore.ts): compared lexicographically, generation
 * first, then sequence. Both derive from the object the relay forwards, so neither depends on the
 * relay's clock or on which relay replica, before or after a restart, observed it:
 * - `generation` is `metadata.generation`, bumped by every spec change and by the deletion request;
 * - `sequence` is `metadata.resourceVersion × 1000`. Kubernetes documents resourceVersion as opaque,
 *   but the API server hands out etcd revisions — decimal integers that grow with every write in the
 *   cluster (status-only writes included, which leave the generation alone) — which is what the relay
 *   forwards and what "idempotent by uid + resourceVersion" keys on. The factor leaves room below the
 *   next cluster version for the control plane's own revisions of a stored row (resolving a nodepool
 *   to its gateway pool rewrites the row with `sequence + 1`), so a later event from the cluster
 *   always wins over them. A resourceVersion that is not a decimal integer below 9·10¹² counts as 0:
 *   such objects are then ordered by generation alone.
 */

/** The version of one stored configuration. */
export interface ConfigVersion {
  readonly generation: number;
  readonly sequence: number;
}

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

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareVersions(a: ConfigVersion, b: ConfigVersion): number {
  return a.generation - b.generation || a.sequence - b.sequence;
}

/** The next control-plane revision of a stored version (same cluster version). */
export function nextLocalRevision(version: ConfigVersion): ConfigVersion {
  return { generation: version.generation, sequence: version.sequence + 1 };
}

/** True when `version` comes from a cluster version not newer than the one of `resourceVersionSequence`. */
export function isCoveredBy(version: ConfigVersion, resourceVersionSequence: number): boolean {
  return version.sequence < resourceVersionSequence + LOCAL_REVISIONS;
}
