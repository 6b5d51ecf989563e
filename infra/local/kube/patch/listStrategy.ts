/**
 * How a list at a path merges: atomically (replaced whole, the default), as a set of scalars, or
 * as a map keyed by some fields. Built-in kinds take it from their Go `patchStrategy`/`patchMergeKey`
 * tags (a small table below); custom resources from `x-kubernetes-list-type` in the CRD schema.
 */
export type ListStrategy =
  | { readonly kind: 'atomic' }
  | { readonly kind: 'set' }
  | { readonly kind: 'map'; readonly keys: readonly string[] };

/** Looks up the strategy of the list at `path` (object keys only, no indices: `spec.containers`). */
export type ListStrategyLookup = (path: readonly string[]) => ListStrategy;

/**
 * Merge strategies of the built-in fields egret's kinds use (k8s.io/api core/v1 and meta/v1 struct
 * tags). Paths are written without list indices; `*` stands for any key of a list element.
 */
const BUILTIN_LIST_STRATEGIES: Readonly<Record<string, ListStrategy>> = {
  'metadata.finalizers': { kind: 'set' },
  'metadata.ownerReferences': { kind: 'map', keys: ['uid'] },
  'spec.containers': { kind: 'map', keys: ['name'] },
  'spec.initContainers': { kind: 'map', keys: ['name'] },
  'spec.ephemeralContainers': { kind: 'map', keys: ['name'] },
  'spec.containers.env': { kind: 'map', keys: ['name'] },
  'spec.initContainers.env': { kind: 'map', keys: ['name'] },
  'spec.containers.ports': { kind: 'map', keys: ['containerPort'] },
  'spec.containers.volumeMounts': { kind: 'map', keys: ['mountPath'] },
  'spec.volumes': { kind: 'map', keys: ['name'] },
  'spec.imagePullSecrets': { kind: 'map', keys: ['name'] },
  'status.conditions': { kind: 'map', keys: ['type'] },
  'status.addresses': { kind: 'map', keys: ['type'] },
  'status.podIPs': { kind: 'map', keys: ['ip'] },
  'spec.template.spec.containers': { kind: 'map', keys: ['name'] },
  'spec.template.spec.volumes': { kind: 'map', keys: ['name'] },
  'spec.template.spec.containers.env': { kind: 'map', keys: ['name'] },
};

/** The table lookup for built-in kinds. */
export const builtinListStrategy: ListStrategyLookup = (path) =>
  BUILTIN_LIST_STRATEGIES[path.join('.')] ?? { kind: 'atomic' };

/** A lookup for kinds without any keyed lists. */
export const atomicLists: ListStrategyLookup = () => ({ kind: 'atomic' });
