/**
 * The whole loop against the ARM stand-in, for each gateway pool kind: observe → planPool → applyPlan →
 * observe → planPool gives an EMPTY plan (the convergence property, against the real SDKs and the
 * stand-in's ARM semantics, not an in-memory model), with the Azure state upstream would build
 * (ipConfig `egressgateway-<uid>` on every member, the primary ipConfig in the pool's backend pool,
 * managed prefixes of the pool's length, per-NIC public IPs named as upstream, ILB frontend/backend/
 * rule/probe), a batching bound measured from the stand-in's request log (N configurations in one pass
 * → at most one write per touched resource), and deletion leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { armIdKey, parseArmId, sameArmId } from '../../../shared/core/armId.js';
import { fnv1a64Hex } from '../../../shared/core/fnv1a64.js';
import type { NetworkInterface, VmssIpConfiguration } from '../../../shared/core/observed.js';
import type { PlannedConfiguration } from '../../../shared/core/planPool.js';
import type { ResolvedPool } from '../../../shared/core/pool.js';
import type { DesiredSpec } from '../../../shared/core/staticGatewayConfiguration.js';
import type { ApplyPlanReport } from '../../../shared/ports/armWriter.js';
import type { ArmPoolWorld } from './support/armPoolWorld.js';
import {
  deleting,
  FRONTEND_SUBNET,
  nodepoolSpec,
  present,
  standaloneSpec,
  startArmPoolWorld,
  uid,
} from './support/armPoolWorld.js';

const N = 5;
const ILB = 'kubeegressgateway-ilb';

interface PoolCase {
  readonly title: string;
  readonly spec: (w: ArmPoolWorld) => DesiredSpec;
  readonly prefixLength: number;
  readonly members: number;
  readonly firstUid: number;
}

const CASES: readonly PoolCase[] = [
  {
    title: 'VMSS (model + every instance)',
    spec: () => nodepoolSpec('gw'),
    prefixLength: 30,
    members: 3,
    firstUid: 100,
  },
  {
    title: 'AKS VirtualMachines pool (pre-created NICs, with or without VM)',
    spec: () => nodepoolSpec('vmgw'),
    prefixLength: 30,
    members: 3,
    firstUid: 200,
  },
  {
    title: 'standalone VMs (primary NICs)',
    spec: (w) => standaloneSpec(w.rg, ['sa-1', 'sa-2'], 31),
    prefixLength: 31,
    members: 2,
    firstUid: 300,
  },
];

/** Resources written in the last pass, by ARM type, with the most writes any single one got. */
function writeSummary(w: ArmPoolWorld): {
  readonly byType: Record<string, number>;
  readonly maxPerResource: number;
} {
  const counts = w.standIn.admin.writeCounts();
  const byType: Record<string, number> = {};
  for (const c of counts) {
    const parsed = parseArmId(c.resourceId);
    const type = parsed.kind === 'ok' ? parsed.resource.types.join('/') : c.resourceId;
    byType[type] = (byType[type] ?? 0) + c.total;
  }
  return { byType, maxPerResource: Math.max(0, ...counts.map((c) => c.total)) };
}

function assertCompleted(report: ApplyPlanReport): void {
  const failed = report.steps.filter((s) => s.outcome.kind !== 'ok');
  assert.ok(report.completed, `stopped at ${report.stoppedAt}: ${JSON.stringify(failed, null, 1)}`);
}

describe('observe → plan → apply → plan is empty, per pool kind, against the ARM stand-in', () => {
  let w: ArmPoolWorld;
  before(async () => {
    w = await startArmPoolWorld({
      scaleSets: [{ name: 'aks-gw-12345-vmss', capacity: 3, poolName: 'gw', gatewayPrefixSize: 30 }],
      vmPools: [{ poolName: 'vmgw', nicCount: 3, vmCount: 1, gatewayPrefixSize: 30 }],
      vms: [{ name: 'sa-1' }, { name: 'sa-2' }],
    });
  });
  after(() => w.stop());

  /** The NICs (Network RP view) of the pool's members, from ARM directly. */
  async function memberNics(pool: ResolvedPool): Promise<readonly NetworkInterface[]> {
    const m = await w.pools.observePoolMembers(pool.ref, w.signal);
    switch (m.kind) {
      case 'vmss':
        return m.instances.map((i) => i.primaryNic as NetworkInterface);
      case 'aks-vm-pool':
        return m.nics;
      case 'standalone-vms':
        return m.vms.map((v) => v.primaryNic as NetworkInterface);
    }
  }

  for (const c of CASES) {
    describe(c.title, () => {
      let pool: ResolvedPool;
      const configs: PlannedConfiguration[] = Array.from({ length: N }, (_, i) =>
        present(uid(c.firstUid + i)),
      );
      const lbId = () => `${w.world.resourceGroupId}/providers/Microsoft.Network/loadBalancers/${ILB}`;
      const backendId = () => `${lbId()}/backendAddressPools/${pool.uniqueId}`;
      const prefixName = (u: string) => `egressgateway-${u}`;

      before(async () => {
        pool = await w.resolve(c.spec(w));
      });

      it(`${N} configurations converge in ONE pass with at most one write per resource; planning again is empty`, async () => {
        w.standIn.admin.clearRequests();
        const { plan, report, audit } = await w.reconcileOnce(pool, configs);
        assertCompleted(report);
        assert.deepEqual(
          plan.outcomes.map((o) => o.kind),
          configs.map(() => 'active'),
        );
        const { byType, maxPerResource } = writeSummary(w);
        assert.equal(maxPerResource, 1, JSON.stringify(w.standIn.admin.writeCounts(), null, 1));
        const expected: Record<string, number> =
          pool.ref.kind === 'vmss'
            ? {
                publicIPPrefixes: N,
                loadBalancers: 1,
                virtualMachineScaleSets: 1,
                'virtualMachineScaleSets/virtualMachines': c.members,
              }
            : {
                publicIPPrefixes: N,
                publicIPAddresses: N * c.members,
                loadBalancers: 1,
                networkInterfaces: c.members,
              };
        assert.deepEqual(byType, expected);
        assert.equal(audit.length, plan.steps.length, 'one audit record per write');
        assert.ok(audit.every((r) => r.outcome === 'succeeded'));

        const again = await w.plan(pool, configs);
        assert.deepEqual(again.plan.steps, [], 'apply then plan is empty');
        assert.deepEqual(
          again.plan.ports.map((p) => p.port),
          configs.map((_, i) => 6000 + i),
        );
      });

      it('Azure holds what upstream builds: ipConfigs with private IPs, backend membership, prefixes, public IPs, ILB parts', async () => {
        const nics = await memberNics(pool);
        assert.equal(nics.length, c.members);
        for (const nic of nics) {
          const primary = nic.ipConfigurations?.find((x) => x.primary === true);
          assert.ok(
            primary?.loadBalancerBackendAddressPools?.some((p) => sameArmId(p.id, backendId())),
            `${nic.name}: primary ipConfig is in the pool's backend pool`,
          );
          for (const cfg of configs) {
            const ipc = nic.ipConfigurations?.find((x) => x.name === prefixName(cfg.uid));
            assert.match(
              ipc?.privateIPAddress ?? '',
              /^10\.224\.0\.\d+$/,
              `${nic.name}: ${prefixName(cfg.uid)} has a private IP`,
            );
            assert.ok(
              sameArmId(ipc?.subnet?.id, primary?.subnet?.id),
              'on the subnet of the primary ipConfig',
            );
            assert.notEqual(ipc?.primary, true);
          }
        }
        for (const cfg of configs) {
          const prefix = await w.pools.getPublicIpPrefix(
            `${w.world.resourceGroupId}/providers/Microsoft.Network/publicIPPrefixes/${prefixName(cfg.uid)}`,
            w.signal,
          );
          assert.equal(prefix?.prefixLength, c.prefixLength);
          assert.equal(
            prefix?.publicIPAddresses?.length,
            c.members,
            'one address per member from the prefix',
          );
        }
        if (pool.ref.kind === 'vmss') {
          const m = await w.pools.observePoolMembers(pool.ref, w.signal);
          assert.ok(m.kind === 'vmss');
          const lists: (readonly VmssIpConfiguration[])[] = [
            m.vmss?.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0]
              ?.ipConfigurations ?? [],
            ...m.instances.map(
              (i) =>
                i.vm.networkProfileConfiguration?.networkInterfaceConfigurations?.[0]?.ipConfigurations ?? [],
            ),
          ];
          for (const list of lists)
            for (const cfg of configs)
              assert.equal(
                list
                  .find((x) => x.name === prefixName(cfg.uid))
                  ?.publicIPAddressConfiguration?.publicIPPrefix?.id?.toLowerCase(),
                `${w.world.resourceGroupId}/providers/Microsoft.Network/publicIPPrefixes/${prefixName(cfg.uid)}`.toLowerCase(),
                'model and every instance: one IP per instance from the prefix',
              );
        } else {
          const pips = await w.pools.listPrefixPublicIps(w.rg, w.signal);
          for (const nic of nics)
            for (const cfg of configs) {
              const name = `${prefixName(cfg.uid)}-${fnv1a64Hex(nic.name)}`;
              const pip = pips.find((p) => p.name === name);
              assert.ok(pip !== undefined, `public IP ${name} (upstream's <prefix>-<fnv64a(nic)> name)`);
              assert.ok(
                armIdKey(pip.ipConfiguration?.id ?? '').startsWith(armIdKey(nic.id)),
                'attached to that NIC',
              );
              assert.ok(
                sameArmId(
                  nic.ipConfigurations?.find((x) => x.name === prefixName(cfg.uid))?.publicIPAddress?.id,
                  pip.id,
                ),
              );
            }
        }
        const lb = await w.pools.getLoadBalancer(w.rg, ILB, w.signal);
        const frontend = lb?.frontendIPConfigurations?.find((f) => f.name === pool.uniqueId);
        assert.ok(sameArmId(frontend?.subnet?.id, w.world.subnetIds[FRONTEND_SUBNET]));
        assert.match(frontend?.privateIPAddress ?? '', /^10\.224\.1\.\d+$/);
        assert.ok(lb?.backendAddressPools?.some((b) => b.name === pool.uniqueId));
        for (const [i, cfg] of configs.entries()) {
          const rule = lb?.loadBalancingRules?.find((r) => r.name === cfg.uid);
          assert.deepEqual(
            [rule?.protocol, rule?.frontendPort, rule?.backendPort, rule?.enableFloatingIP],
            ['Udp', 6000 + i, 6000 + i, true],
          );
          assert.ok(sameArmId(rule?.backendAddressPool?.id, backendId()));
          const probe = lb?.probes?.find((p) => p.name === cfg.uid);
          assert.deepEqual(
            [
              probe?.protocol,
              probe?.port,
              probe?.requestPath,
              probe?.intervalInSeconds,
              probe?.probeThreshold,
            ],
            ['Http', 8082, `/gw/${cfg.uid}`, 5, 1],
          );
        }
      });

      it('deleting every configuration leaves nothing behind (public IPs before prefixes, the ILB when no frontend is left)', async () => {
        w.standIn.admin.clearRequests();
        const gone = configs.map((cfg) => deleting(cfg.uid));
        const { plan, report } = await w.reconcileOnce(pool, gone);
        assertCompleted(report);
        assert.equal(writeSummary(w).maxPerResource, 1, 'deletion batches too');
        const order = plan.steps.map((s) => s.kind);
        const lastPipDelete = order.lastIndexOf('delete-public-ip');
        assert.ok(lastPipDelete < order.indexOf('delete-public-ip-prefix'), 'public IPs before their prefix');
        const again = await w.plan(pool, gone);
        assert.deepEqual(again.plan.steps, []);
        assert.deepEqual(
          again.plan.outcomes.map((o) => o.kind),
          gone.map(() => 'removed'),
        );
        for (const nic of await memberNics(pool)) {
          assert.deepEqual(
            nic.ipConfigurations?.map((x) => x.name),
            [nic.ipConfigurations?.[0]?.name],
            `${nic.name}: only the primary ipConfig`,
          );
          assert.ok(
            !(nic.ipConfigurations?.[0]?.loadBalancerBackendAddressPools ?? []).some((p) =>
              sameArmId(p.id, backendId()),
            ),
          );
        }
        assert.deepEqual(await w.pools.listPublicIpPrefixes(w.rg, 'egressgateway-', w.signal), []);
        assert.deepEqual(await w.pools.listPrefixPublicIps(w.rg, w.signal), []);
        assert.equal(
          await w.pools.getLoadBalancer(w.rg, ILB, w.signal),
          undefined,
          'the ILB had only this pool',
        );
      });
    });
  }
});
