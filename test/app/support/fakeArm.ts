/* eslint-disable @typescript-eslint/require-await -- port methods return promises; the fake answers at once */
/**
 * A fake ARM for the use-case tests: the ArmInventory and ArmWriter ports over the planner's in-memory
 * ARM model (test/unit/support/armModel.ts — strict about ordering, references and ETags), for ONE
 * pool world. Faults can be queued per write; every write is counted per resource.
 */
import { armIdKey } from '../../../shared/core/armId.js';
import { ConflictError, TransientError, ValidationError } from '../../../shared/core/errors.js';
import type { PlanStep } from '../../../shared/core/plan.js';
import type { PoolInventory, TaggedResourceSummary } from '../../../shared/core/pool.js';
import { observePoolWorld } from '../../../shared/adapters/arm/observePoolWorld.js';
import type { ReconcileArm } from '../../../shared/app/reconcilePool.js';
import type { ArmInventory } from '../../../shared/ports/armInventory.js';
import type { ArmWriter } from '../../../shared/ports/armWriter.js';
import { applyPlan, type World } from '../../unit/support/armModel.js';
import { GW_RG } from '../../unit/support/worlds.js';

export type Fault = 'conflict' | 'throttled' | 'refused';

export class FakeArm {
  world: World;
  readonly writes: PlanStep[] = [];
  readonly faults: Fault[] = [];
  /** Extra tags on VirtualMachines-pool NICs and VMs (e.g. the prefix size tag). */
  nicTags: Record<string, string> = {};
  reads = 0;

  constructor(world: World) {
    this.world = world;
  }

  /** Writes per resource id (lower case). */
  writeCounts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.writes) m.set(armIdKey(s.resourceId), (m.get(armIdKey(s.resourceId)) ?? 0) + 1);
    return m;
  }

  readonly inventory: ArmInventory = {
    listPoolInventory: async (scope): Promise<PoolInventory> => {
      this.reads++;
      const m = this.world.members;
      const scaleSets =
        m.kind === 'vmss' && m.vmss !== undefined
          ? [
              {
                resourceGroup: GW_RG,
                name: m.vmss.name,
                ...(m.vmss.uniqueId === undefined ? {} : { uniqueId: m.vmss.uniqueId }),
                ...(m.vmss.tags === undefined ? {} : { tags: m.vmss.tags }),
              },
            ]
          : [];
      const nics: TaggedResourceSummary[] =
        m.kind === 'aks-vm-pool'
          ? m.nics.map((n) => ({ resourceGroup: GW_RG, name: n.name, tags: { ...n.tags, ...this.nicTags } }))
          : [];
      return { gatewayResourceGroup: scope.gatewayResourceGroup, scaleSets, nics, vms: [] };
    },
    observePoolMembers: async () => {
      this.reads++;
      return this.world.members;
    },
    getLoadBalancer: async () => this.world.loadBalancer,
    getPublicIpPrefix: async (id) => this.world.prefixes.find((p) => armIdKey(p.id) === armIdKey(id)),
    listPublicIpPrefixes: async (_rg, prefix) =>
      this.world.prefixes.filter((p) => p.name.toLowerCase().startsWith(prefix.toLowerCase())),
    listPrefixPublicIps: async () => this.world.publicIps,
    getNetworkInterface: async () => undefined,
  };

  /** The ARM side of the use cases: the inventory, the shared observation over it, the writer. */
  get pools(): ReconcileArm & ArmInventory {
    return {
      ...this.inventory,
      observePoolWorld: (query, signal) => observePoolWorld(query, this.inventory, signal),
      apply: (step, signal) => this.writer.apply(step, signal),
    };
  }

  readonly writer: ArmWriter = {
    apply: async (step) => {
      const fault = this.faults.shift();
      if (fault === 'conflict')
        throw new ConflictError(`412 on ${step.resourceId}`, { detail: 'PreconditionFailed' });
      if (fault === 'throttled')
        throw new TransientError(`429 on ${step.resourceId}`, {
          retryAfterMs: 7000,
          detail: 'TooManyRequests',
        });
      if (fault === 'refused')
        throw new ValidationError([{ field: 'subnet', message: 'Subnet aks-subnet has no free address' }], {
          detail: 'SubnetIsFull',
        });
      this.writes.push(step);
      this.world = applyPlan(this.world, { poolKey: 'x', steps: [step], ports: [], outcomes: [] });
      return { resourceId: step.resourceId };
    },
  };
}
