/**
 * Preparing a gateway pool for planning: every decision a reconcile round makes between loading the
 * pool's stored configurations and calling `planPool`, as pure functions over explicit inputs. The
 * round (shared/app/reconcilePool.ts) only does the I/O between the steps:
 *
 * 1. {@link checkConfigurations}: each stored configuration of the pool is validated ONCE for the
 *    round (a deleting one keeps its last spec when it was valid); sorted by namespace/name/uid.
 * 2. {@link needsNeighbours} / {@link scaleSetsNamedBy}: what else the round has to read (the live
 *    configurations of other pools, the scale sets the profiles name).
 * 3. {@link preparePool}: the rules between configurations (core `validateConfigurationSet`, over
 *    this pool's live configurations and the live ones of every other pool), the pool's identity from
 *    inventory, moves of nodepool configurations that resolve to another pool, the shared prefix
 *    length, and from all that the planner's input (`planned`, `owners`, orphan policy).
 *    {@link preparePendingPool} is the same for a pending `nodepool:` key: every configuration that
 *    resolves moves, the others get a problem.
 *
 * A configuration with a problem is left out of the plan (no Azure write for it) and its Azure
 * resources are kept (orphans `keep`). Otherwise the stored list is authoritative for the pool and
 * egret-named resources of unknown configurations are removed (orphans `delete`).
 */
import type { ReadyReason } from './conditions.js';
import type { FieldProblem } from './errors.js';
import type { PlannedConfiguration } from './planPool.js';
import { resolvePool, type PoolInventory, type PoolResolution, type ResolvedPool } from './pool.js';
import type { DesiredSpec, EgressSpec } from './staticGatewayConfiguration.js';
import {
  validateConfigurationSet,
  validateStaticGatewayConfiguration,
  type ValidationContext,
} from './validateStaticGatewayConfiguration.js';

/** A stored configuration as preparing a pool reads it (shared/ports/stateStore.ts `DesiredConfiguration`). */
export interface StoredConfiguration {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** The pool key it is stored under. */
  readonly poolKey: string;
  /** The spec JSON as stored; `null` for a tombstone created by a delete. */
  readonly spec: unknown;
  /** Set once deletion was requested. */
  readonly deletedAt?: Date;
  /** Set once Azure was cleaned up for it. */
  readonly finalizedAt?: Date;
}

/** A problem that keeps a configuration out of the plan, or that its status reports. */
export interface ConfigurationProblem {
  readonly reason: ReadyReason;
  readonly message: string;
}

/** A configuration of the pool, validated for the round. */
export interface CheckedConfiguration<C extends StoredConfiguration = StoredConfiguration> {
  readonly config: C;
  readonly deleting: boolean;
  /** The valid spec (for a deleting configuration: its last spec, if that was valid). */
  readonly spec?: DesiredSpec;
  /** Why a live configuration is left out of the plan (never set on a deleting one). */
  readonly problem?: ConfigurationProblem;
  /** What validation accepted but warns about (an `Accepted` condition in the status). */
  readonly warnings?: readonly FieldProblem[];
}

/** A configuration to store under another pool key (the control plane's next revision of it). */
export interface PoolMove<C extends StoredConfiguration = StoredConfiguration> {
  readonly config: C;
  /** The pool key it resolves to. */
  readonly to: string;
}

/** What {@link preparePool} looks at. */
export interface PreparePoolInput<C extends StoredConfiguration> {
  readonly poolKey: string;
  /** The pool's configurations, from {@link checkConfigurations}. */
  readonly configurations: readonly CheckedConfiguration<C>[];
  /**
   * Stored configurations of the whole table (or none when {@link needsNeighbours} is false): the live
   * ones of other pools take part in the set rules. Validated here, once.
   */
  readonly neighbours: readonly StoredConfiguration[];
  readonly context: ValidationContext;
  readonly inventory: PoolInventory;
  /** The identity the last successful reconcile remembered (used when no configuration resolves here). */
  readonly remembered?: ResolvedPool;
}

/** The prepared pool: what the round plans, writes and reports. */
export interface PreparedPool<C extends StoredConfiguration> {
  /** Every configuration, sorted by namespace/name/uid, with its final problem. */
  readonly configurations: readonly CheckedConfiguration<C>[];
  /** Nodepool configurations that resolve to another pool, to be stored there. */
  readonly moves: readonly PoolMove<C>[];
  /** Undefined when nothing resolves and nothing was remembered: there is nothing to plan against. */
  readonly pool?: ResolvedPool;
  /** What `planPool` plans: configurations without a problem (present, or deleting). */
  readonly planned: readonly PlannedConfiguration[];
  /** Every configuration, excluded ones too, as the observation sees it: their prefixes must be seen (and kept). */
  readonly owners: readonly Pick<PlannedConfiguration, 'uid' | 'state'>[];
  /** `keep` while a live configuration is excluded (its resources must survive), else `delete`. */
  readonly orphans: 'delete' | 'keep';
}

/** The prepared pending (`nodepool:`) key. */
export interface PreparedPendingPool<C extends StoredConfiguration> {
  /** Every configuration not moved, sorted, with its problem: their status is written where they are. */
  readonly stay: readonly CheckedConfiguration<C>[];
  readonly moves: readonly PoolMove<C>[];
}

/**
 * Validates each configuration once (finalized ones are dropped) and sorts them by namespace/name/uid.
 * A live configuration with an invalid spec gets `InvalidSpec`; a deleting one keeps its last spec when
 * that was valid (it tells which prefix and public IPs to remove).
 */
export function checkConfigurations<C extends StoredConfiguration>(
  configs: readonly C[],
  context: ValidationContext,
): readonly CheckedConfiguration<C>[] {
  return configs
    .filter((c) => c.finalizedAt === undefined)
    .sort((a, b) => cmp(`${a.namespace}/${a.name}/${a.uid}`, `${b.namespace}/${b.name}/${b.uid}`))
    .map((config) => checkOne(config, context));
}

/**
 * True when the set rules need the live configurations of other pools: a live configuration of this
 * pool selects standalone VMs (two partly overlapping VM sets are two pool keys) or names a BYO prefix
 * (one Azure resource whichever pool names it).
 */
export function needsNeighbours(configurations: readonly CheckedConfiguration[]): boolean {
  return configurations.some(
    ({ deleting, spec }) =>
      !deleting &&
      spec !== undefined &&
      (spec.pool.kind === 'standalone-vms' ||
        (spec.egress.kind === 'public' && spec.egress.prefix.kind === 'byo')),
  );
}

/** The scale sets the configurations' VMSS profiles name (inventory lists them besides the gateway resource group's). */
export function scaleSetsNamedBy(
  configurations: readonly CheckedConfiguration[],
): readonly { readonly resourceGroup: string; readonly name: string }[] {
  return configurations.flatMap(({ spec }) =>
    spec?.pool.kind === 'vmss' ? [{ resourceGroup: spec.pool.resourceGroup, name: spec.pool.vmssName }] : [],
  );
}

/**
 * Applies the set rules, resolves the pool's identity and the moves, and derives the planner's input.
 *
 * Identity: resolved from inventory through the first (by namespace/name) live configuration whose
 * spec resolves to this pool, else a deleting one, else `remembered` (so deletions still clean up the
 * ILB of a pool whose VMSS is gone). A live configuration that does not resolve here gets a problem; a
 * nodepool configuration that now resolves to another pool moves there (`Reconciling` until it has).
 * The prefix length is the first public configuration's; public configurations asking another length
 * get `InvalidSpec`.
 */
export function preparePool<C extends StoredConfiguration>(input: PreparePoolInput<C>): PreparedPool<C> {
  const withRules = applySetRules(input);
  const identity = resolveIdentity(input.poolKey, withRules, input.inventory);
  const configurations = identity.configurations;
  const base = identity.pool ?? input.remembered;
  return {
    configurations,
    moves: identity.moves,
    ...(base === undefined ? {} : { pool: base }),
    planned: configurations
      .filter((e) => e.problem === undefined && (e.deleting || e.spec !== undefined))
      .map((e) => ({
        uid: e.config.uid,
        namespace: e.config.namespace,
        name: e.config.name,
        state: e.deleting
          ? { kind: 'deleting', ...egressOf(e.spec) }
          : { kind: 'present', egress: (e.spec as DesiredSpec).egress },
      })),
    owners: configurations.map((e) => ({
      uid: e.config.uid,
      state: { kind: 'deleting', ...egressOf(e.spec) },
    })),
    orphans: configurations.some((e) => !e.deleting && e.problem !== undefined) ? 'keep' : 'delete',
  };
}

/**
 * A pending (`nodepool:`) key: each live configuration without a problem that resolves is moved to its
 * pool; one that does not gets `PoolNotFound` (or `InvalidSpec`). Deleting ones stay (a pool-less
 * deletion: see shared/core/planLeftovers.ts).
 */
export function preparePendingPool<C extends StoredConfiguration>(input: {
  readonly configurations: readonly CheckedConfiguration<C>[];
  readonly inventory: PoolInventory;
}): PreparedPendingPool<C> {
  const stay: CheckedConfiguration<C>[] = [];
  const moves: PoolMove<C>[] = [];
  for (const e of input.configurations) {
    if (e.deleting || e.spec === undefined || e.problem !== undefined) {
      stay.push(e);
      continue;
    }
    const r = resolvePool(e.spec, input.inventory);
    if (r.kind === 'resolved') moves.push({ config: e.config, to: r.pool.key });
    else stay.push({ ...e, problem: unresolvedProblem(r) });
  }
  return { stay, moves };
}

/** The `InvalidSpec` problem of a spec's field problems (every one, `field: message; …`). */
export function invalidSpecProblem(problems: readonly FieldProblem[]): ConfigurationProblem {
  return {
    reason: 'InvalidSpec',
    message: problems.map((p) => `${p.field}: ${p.message}`).join('; ') || 'the spec is invalid',
  };
}

function checkOne<C extends StoredConfiguration>(
  config: C,
  context: ValidationContext,
): CheckedConfiguration<C> {
  const deleting = config.deletedAt !== undefined;
  if (deleting) {
    const spec = validStoredSpec(config.spec, context);
    return { config, deleting, ...(spec === undefined ? {} : { spec }) };
  }
  const v = validateStaticGatewayConfiguration(config.spec, context);
  if (v.kind === 'invalid') return { config, deleting, problem: invalidSpecProblem(v.problems) };
  return { config, deleting, spec: v.spec, ...(v.warnings.length === 0 ? {} : { warnings: v.warnings }) };
}

/**
 * The set rules over the pool's live valid configurations together with the live configurations of
 * other pools. Every pool applies them to the same set in the same order, so they agree on which
 * configuration keeps a contested VM or prefix.
 */
function applySetRules<C extends StoredConfiguration>(
  input: PreparePoolInput<C>,
): readonly CheckedConfiguration<C>[] {
  const own = new Set(input.configurations.map((e) => e.config.uid));
  const others = input.neighbours.flatMap((config) => {
    if (own.has(config.uid) || config.poolKey === input.poolKey) return [];
    if (config.deletedAt !== undefined || config.finalizedAt !== undefined) return [];
    const spec = validStoredSpec(config.spec, input.context);
    return spec === undefined ? [] : [{ config, spec }];
  });
  const valid = input.configurations.flatMap((e) =>
    !e.deleting && e.spec !== undefined && e.problem === undefined
      ? [{ config: e.config, spec: e.spec }]
      : [],
  );
  const problems = new Map(
    validateConfigurationSet(
      [...valid, ...others].map((e) => ({
        uid: e.config.uid,
        namespace: e.config.namespace,
        name: e.config.name,
        spec: e.spec,
      })),
    ).map((p) => [p.uid, p.problems] as const),
  );
  return input.configurations.map((e) => {
    const found = problems.get(e.config.uid);
    return found === undefined ? e : { ...e, problem: invalidSpecProblem(found) };
  });
}

function resolveIdentity<C extends StoredConfiguration>(
  poolKey: string,
  configurations: readonly CheckedConfiguration<C>[],
  inventory: PoolInventory,
): {
  readonly configurations: readonly CheckedConfiguration<C>[];
  readonly moves: readonly PoolMove<C>[];
  readonly pool?: ResolvedPool;
} {
  const moves: PoolMove<C>[] = [];
  let live: ResolvedPool | undefined;
  let deleting: ResolvedPool | undefined;
  let length: { readonly value: number; readonly owner: StoredConfiguration } | undefined;
  const out = configurations.map((e): CheckedConfiguration<C> => {
    if (e.spec === undefined || e.problem !== undefined) return e;
    const r = resolvePool(e.spec, inventory);
    if (r.kind !== 'resolved') return e.deleting ? e : { ...e, problem: unresolvedProblem(r) };
    if (r.pool.key !== poolKey) {
      if (e.deleting) return e;
      if (e.spec.pool.kind !== 'nodepool')
        return {
          ...e,
          problem: { reason: 'PoolNotFound', message: `the spec resolves to gateway pool ${r.pool.key}` },
        };
      moves.push({ config: e.config, to: r.pool.key });
      return { ...e, problem: { reason: 'Reconciling', message: `moving to gateway pool ${r.pool.key}` } };
    }
    if (e.deleting) {
      deleting ??= r.pool;
      return e;
    }
    live ??= r.pool;
    const spec = e.spec;
    if (r.warning !== undefined) e = { ...e, warnings: [...(e.warnings ?? []), r.warning] };
    if (spec.egress.kind !== 'public' || r.pool.prefixLength === undefined) return e;
    if (length === undefined) {
      length = { value: r.pool.prefixLength, owner: e.config };
      return e;
    }
    if (length.value === r.pool.prefixLength) return e;
    const field =
      spec.pool.field === 'spec.gatewayNodepoolName'
        ? spec.pool.field
        : `${spec.pool.field}.publicIpPrefixSize`;
    return {
      ...e,
      problem: {
        reason: 'InvalidSpec',
        message:
          `${field}: asks for /${r.pool.prefixLength} but ${length.owner.namespace}/${length.owner.name} ` +
          `on the same gateway pool uses /${length.value}; configurations of one pool share one prefix length`,
      },
    };
  });
  const base = live ?? deleting;
  const prefixLength = length?.value;
  return {
    configurations: out,
    moves,
    ...(base === undefined
      ? {}
      : {
          pool: {
            ref: base.ref,
            key: base.key,
            uniqueId: base.uniqueId,
            ...(prefixLength === undefined ? {} : { prefixLength }),
          },
        }),
  };
}

function unresolvedProblem(r: Exclude<PoolResolution, { readonly kind: 'resolved' }>): ConfigurationProblem {
  return r.kind === 'not-found'
    ? { reason: 'PoolNotFound', message: r.message }
    : { reason: 'InvalidSpec', message: `${r.field}: ${r.message}` };
}

/** A stored spec, validated: undefined when it is absent (a tombstone) or not a valid spec. */
export function validStoredSpec(spec: unknown, context: ValidationContext): DesiredSpec | undefined {
  if (spec === null || spec === undefined) return undefined;
  const v = validateStaticGatewayConfiguration(spec, context);
  return v.kind === 'valid' ? v.spec : undefined;
}

function egressOf(spec: DesiredSpec | undefined): { readonly egress?: EgressSpec } {
  return spec === undefined ? {} : { egress: spec.egress };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
