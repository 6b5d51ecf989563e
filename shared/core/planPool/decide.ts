/**
 * What the plan does with each configuration, once prefixes, the BYO hand-over and ports are decided:
 * `apply` (active: its ipConfigs, rule and probe are wanted), `hold` (blocked: what exists is kept,
 * nothing is added) or `remove` (being deleted, or releasing a BYO prefix another one waits for).
 */
import type { PlannedConfiguration } from '../planPool.js';
import { managedResourceName } from '../wellKnown.js';
import type { HandOver } from './planByoHandOver.js';
import type { Blocked, PlanContext, PrefixChoice } from './planContext.js';
import type { PortAssignment } from './assignPorts.js';

/** The role of a configuration in this plan. */
export type Role = 'apply' | 'hold' | 'remove';

/** One configuration as the member edits see it, under the lower-case name of its ipConfig. */
export interface IntentEntry {
  /** Its position in `IntentTable.ordered`. */
  readonly index: number;
  /** `egressgateway-<uid>`, lower case. */
  readonly key: string;
  /** `egressgateway-<uid>` as egret writes it. */
  readonly name: string;
  readonly config: PlannedConfiguration;
  readonly role: Role;
  readonly prefix: PrefixChoice | undefined;
  /** An active configuration has this ipConfig name: its private IPs must be allocated. */
  readonly wanted: boolean;
}

/** Every decision the resource sub-planners act on. */
export interface Decisions {
  readonly prefixOf: ReadonlyMap<string, PrefixChoice>;
  /** Final: pool and prefix problems, hand-over waits (with release notes), exhausted ports; by uid. */
  readonly blocked: ReadonlyMap<string, Blocked>;
  /** By uid. */
  readonly ports: ReadonlyMap<string, number>;
  /** Present and not blocked, in uid order. */
  readonly active: readonly PlannedConfiguration[];
  /** Present and blocked, in uid order. */
  readonly held: readonly PlannedConfiguration[];
  /** Being deleted, in uid order. */
  readonly leaving: readonly PlannedConfiguration[];
  /** Intents by exact ipConfig name (fast path) and by lower-case name; sorted by lower-case name. */
  readonly intents: IntentTable;
}

/** The configurations' ipConfig intents, looked up by an observed ipConfig name. */
export interface IntentTable {
  readonly byExact: ReadonlyMap<string, IntentEntry>;
  readonly byLower: ReadonlyMap<string, IntentEntry>;
  /** Sorted by `key`. */
  readonly ordered: readonly IntentEntry[];
}

/** The entry an `egressgateway-*` ipConfig name belongs to, if a configuration given owns it. */
export function intentOf(table: IntentTable, name: string): IntentEntry | undefined {
  return table.byExact.get(name) ?? table.byLower.get(name.toLowerCase());
}

/** Merges the sub-decisions into the final ones. */
export function decide(
  ctx: PlanContext,
  parts: {
    readonly prefixOf: ReadonlyMap<string, PrefixChoice>;
    /** Pool, prefix and hand-over blocks (release notes appended). */
    readonly blocked: ReadonlyMap<string, Blocked>;
    readonly handOver: HandOver;
    readonly ports: PortAssignment;
  },
): Decisions {
  const blocked = new Map([...parts.blocked, ...parts.ports.exhausted]);
  const present = ctx.configs.filter((c) => c.state.kind === 'present');
  const active = present.filter((c) => !blocked.has(c.uid));
  const activeKeys = new Set(active.map((c) => managedResourceName(c.uid).toLowerCase()));
  const roleOf = (c: PlannedConfiguration): Role =>
    c.state.kind === 'deleting' || parts.handOver.releasing.has(c.uid)
      ? 'remove'
      : blocked.has(c.uid)
        ? 'hold'
        : 'apply';
  const byKey = new Map<string, Omit<IntentEntry, 'index'>>();
  for (const c of ctx.configs) {
    const key = managedResourceName(c.uid).toLowerCase();
    // The configuration of that name: the last of uids equal but for case, as `byUid` has it.
    const owner = ctx.byUid.get(c.uid.toLowerCase()) ?? c;
    byKey.set(key, {
      key,
      name: managedResourceName(owner.uid),
      config: owner,
      role: roleOf(owner),
      prefix: parts.prefixOf.get(owner.uid),
      wanted: activeKeys.has(key),
    });
  }
  const ordered: IntentEntry[] = [...byKey.values()]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e, index) => ({ ...e, index }));
  const byLower = new Map(ordered.map((e) => [e.key, e]));
  return {
    prefixOf: parts.prefixOf,
    blocked,
    ports: parts.ports.ports,
    active,
    held: present.filter((c) => blocked.has(c.uid)),
    leaving: ctx.configs.filter((c) => c.state.kind === 'deleting'),
    intents: { byExact: new Map(ordered.map((e) => [e.name, e])), byLower, ordered },
  };
}

/** Merges the pool and prefix blocks with the hand-over's waits and release notes. */
export function withHandOver(
  blocked: ReadonlyMap<string, Blocked>,
  handOver: HandOver,
): Map<string, Blocked> {
  const out = new Map([...blocked, ...handOver.waiting]);
  for (const [uid, why] of handOver.releasing) {
    const b = out.get(uid);
    if (b !== undefined) out.set(uid, { reason: b.reason, message: b.message + why });
  }
  return out;
}
