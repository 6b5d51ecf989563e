/**
 * The loop under the conditions a control plane meets: pools sharing the ILB (and racing to create
 * it), partial deletion, out-of-band drift (upstream #1381), scale-out, a concurrent writer between
 * observe and apply (412), failed operations and outages, private-IP mode and bring-your-own prefixes.
 * Each ends converged (planning again is empty) with nothing lost — the re-observe/re-plan recovery
 * the use case performs, driven here by `converge`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../../shared/adapters/arm/applyPlan.js';
import { sameArmId } from '../../../shared/core/armId.js';
import { fnv1a64Hex } from '../../../shared/core/fnv1a64.js';
import type { NetworkInterface } from '../../../shared/core/observed.js';
import type { PlannedConfiguration } from '../../../shared/core/planPool.js';
import type { ResolvedPool } from '../../../shared/core/pool.js';
import type { ApplyPlanReport, StepReport } from '../../../shared/ports/armWriter.js';
import type { ArmPoolWorld } from './support/armPoolWorld.js';
import {
  deleting,
  nodepoolSpec,
  present,
  standaloneSpec,
  startArmPoolWorld,
  uid,
} from './support/armPoolWorld.js';

const ILB = 'kubeegressgateway-ilb';

function failures(report: ApplyPlanReport): readonly StepReport[] {
  return report.steps.filter((s) => s.outcome.kind !== 'ok');
}

describe('pool loop scenarios against the ARM stand-in', () => {
  let w: ArmPoolWorld;
  let vmss: ResolvedPool;
  let vmPool: ResolvedPool;
  let standalone: ResolvedPool;
  before(async () => {
    w = await startArmPoolWorld({
      scaleSets: [
        { name: 'aks-gw-12345-vmss', capacity: 3, poolName: 'gw', gatewayPrefixSize: 30 },
        { name: 'aks-gone-12345-vmss', capacity: 2, poolName: 'gone', gatewayPrefixSize: 31 },
      ],
      vmPools: [{ poolName: 'vmgw', nicCount: 3, vmCount: 2, gatewayPrefixSize: 30 }],
      vms: [{ name: 'sa-1' }, { name: 'sa-2' }],
    });
    vmss = await w.resolve(nodepoolSpec('gw'));
    vmPool = await w.resolve(nodepoolSpec('vmgw'));
    standalone = await w.resolve(standaloneSpec(w.rg, ['sa-1', 'sa-2'], 31));
  });
  after(() => w.stop());

  /** Reconciles until the plan is empty (at most `max` passes); returns the passes' reports. */
  async function converge(
    pool: ResolvedPool,
    configs: readonly PlannedConfiguration[],
    max = 4,
  ): Promise<readonly ApplyPlanReport[]> {
    const reports: ApplyPlanReport[] = [];
    for (let i = 0; i < max; i++) {
      const { plan, report } = await w.reconcileOnce(pool, configs);
      if (plan.steps.length === 0) return reports;
      reports.push(report);
    }
    const left = await w.plan(pool, configs);
    assert.deepEqual(left.plan.steps, [], `not converged after ${max} passes`);
    return reports;
  }

  const nicsOf = async (pool: ResolvedPool): Promise<readonly NetworkInterface[]> => {
    const m = await w.pools.observePoolMembers(pool.ref, w.signal);
    if (m.kind === 'vmss') return m.instances.map((i) => i.primaryNic as NetworkInterface);
    if (m.kind === 'aks-vm-pool') return m.nics;
    return m.vms.map((v) => v.primaryNic as NetworkInterface);
  };
  const ipConfigNames = async (pool: ResolvedPool) =>
    (await nicsOf(pool)).map((n) => (n.ipConfigurations ?? []).map((c) => c.name).sort());

  it('two pools racing to create the shared ILB: the loser gets 412 (If-None-Match), re-plans, and both frontends end up on it', async () => {
    const a = [present(uid(1))];
    const b = [present(uid(2))];
    const [first, second] = await Promise.all([w.reconcileOnce(vmss, a), w.reconcileOnce(vmPool, b)]);
    const lbOutcomes = [first, second].map(
      (r) => r.report.steps.find((s) => s.kind === 'put-load-balancer')?.outcome.kind,
    );
    assert.deepEqual([...lbOutcomes].sort(), ['conflict', 'ok'], JSON.stringify(lbOutcomes));
    const loser = first.report.completed ? second : first;
    assert.equal(loser.report.stoppedAt, 'lb-before-members');
    assert.ok(
      loser.report.steps.filter((s) => s.phase === 'members').every((s) => s.outcome.kind === 'skipped'),
      'no member referenced a backend pool that was not created',
    );
    await converge(vmss, a);
    await converge(vmPool, b);
    const lb = await w.pools.getLoadBalancer(w.rg, ILB, w.signal);
    assert.deepEqual(
      lb?.frontendIPConfigurations?.map((f) => f.name).sort(),
      [vmss.uniqueId, vmPool.uniqueId].sort(),
    );
    assert.deepEqual((await w.plan(vmss, a)).plan.steps, []);
    assert.deepEqual((await w.plan(vmPool, b)).plan.steps, []);
  });

  it('one pool leaving the shared ILB updates it (other pools untouched); the last one deletes it', async () => {
    const reports = await converge(vmss, [deleting(uid(1))]);
    assert.equal(reports.length, 1);
    const lb = await w.pools.getLoadBalancer(w.rg, ILB, w.signal);
    assert.deepEqual(
      lb?.frontendIPConfigurations?.map((f) => f.name),
      [vmPool.uniqueId],
    );
    assert.deepEqual(
      lb?.loadBalancingRules?.map((r) => r.name),
      [uid(2)],
    );
    assert.deepEqual(
      (await w.plan(vmPool, [present(uid(2))])).plan.steps,
      [],
      'the other pool is still converged',
    );
    await converge(vmPool, [deleting(uid(2))]);
    assert.equal(await w.pools.getLoadBalancer(w.rg, ILB, w.signal), undefined);
  });

  it('VMSS: deleting one of three configurations in one pass releases its instance IPs and deletes its prefix; the others stay', async () => {
    const three = [present(uid(11)), present(uid(12)), present(uid(13))];
    await converge(vmss, three);
    w.standIn.admin.clearRequests();
    const reports = await converge(vmss, [three[0]!, deleting(uid(12)), three[2]!]);
    assert.equal(reports.length, 1, 'one pass');
    assert.ok(w.standIn.admin.writeCounts().every((c) => c.total === 1));
    assert.deepEqual(
      (await w.pools.listPublicIpPrefixes(w.rg, 'egressgateway-', w.signal)).map((p) => p.name),
      [`egressgateway-${uid(11)}`, `egressgateway-${uid(13)}`],
    );
    for (const names of await ipConfigNames(vmss))
      assert.deepEqual(names, [`egressgateway-${uid(11)}`, `egressgateway-${uid(13)}`, 'ipconfig1']);
  });

  it('VMSS drift: an out-of-band rollout strips the secondary ipConfigs without an event; the next reconcile puts them back in one pass', async () => {
    const two = [present(uid(11)), present(uid(13))];
    await w.standIn.admin.stripSecondaryIpConfigs({ vmssId: w.world.scaleSets['aks-gw-12345-vmss']!.id });
    for (const names of await ipConfigNames(vmss)) assert.deepEqual(names, ['ipconfig1']);
    const reports = await converge(vmss, two);
    assert.equal(reports.length, 1);
    for (const names of await ipConfigNames(vmss))
      assert.deepEqual(names, [`egressgateway-${uid(11)}`, `egressgateway-${uid(13)}`, 'ipconfig1']);
  });

  it('VMSS scale-out takes the model (already carrying the ipConfigs); beyond the prefix size the configurations are blocked, not looped on', async () => {
    const two = [present(uid(11)), present(uid(13))];
    await w.standIn.admin.scaleVmss({ vmssId: w.world.scaleSets['aks-gw-12345-vmss']!.id, capacity: 4 });
    assert.deepEqual(
      (await w.plan(vmss, two)).plan.steps,
      [],
      'the new instance took the model: nothing to do',
    );
    const names = await ipConfigNames(vmss);
    assert.equal(names.length, 4);
    for (const n of names)
      assert.deepEqual(n, [`egressgateway-${uid(11)}`, `egressgateway-${uid(13)}`, 'ipconfig1']);

    await w.standIn.admin.scaleVmss({ vmssId: w.world.scaleSets['aks-gw-12345-vmss']!.id, capacity: 5 });
    const { plan, report } = await w.reconcileOnce(vmss, two);
    assert.deepEqual(
      plan.outcomes.map((o) => (o.kind === 'blocked' ? o.reason : o.kind)),
      ['PrefixSizeMismatch', 'PrefixSizeMismatch'],
    );
    // The fifth instance got no address (Azure failed it); the forced re-PUT (upstream #981) is refused as
    // user-caused — one write per reconcile, reported, not a hot loop.
    assert.deepEqual(
      plan.steps.map((s) => [s.kind, s.resourceId.split('/').pop(), 'force' in s ? s.force : undefined]),
      [['put-vmss-instance', '4', 'provisioning-failed']],
    );
    assert.deepEqual(
      failures(report).map((s) => [s.outcome.kind, 'code' in s.outcome ? s.outcome.code : undefined]),
      [['refused', 'PublicIpPrefixOutOfIpAddressesForVMScaleSet']],
    );
    await w.standIn.admin.scaleVmss({ vmssId: w.world.scaleSets['aks-gw-12345-vmss']!.id, capacity: 3 });
    await converge(vmss, two);
  });

  it('a concurrent writer between observe and apply: 412 on that NIC only, later phases skipped; re-plan converges and keeps the other writer’s change', async () => {
    const configs = [present(uid(21))];
    const { plan } = await w.plan(vmPool, configs);
    const nic = (await nicsOf(vmPool))[1]!;
    await w.clients.network.networkInterfaces.createOrUpdate(w.rg, nic.name, {
      ...(nic as object),
      tags: { ...nic.tags, 'owner-note': 'written by someone else' },
    });
    const report = await applyPlan(plan, { writer: w.pools, signal: w.signal });
    const bad = failures(report).filter((s) => s.outcome.kind !== 'skipped');
    assert.deepEqual(
      bad.map((s) => [s.resourceId.toLowerCase(), s.outcome.kind]),
      [[nic.id.toLowerCase(), 'conflict']],
    );
    assert.equal(report.stoppedAt, 'members');
    assert.ok(
      report.steps
        .filter((s) => s.phase === 'members' && s.resourceId !== nic.id)
        .every((s) => s.outcome.kind === 'ok'),
    );
    assert.ok(
      report.steps.filter((s) => s.phase === 'lb-after-members').every((s) => s.outcome.kind === 'skipped'),
    );
    const passes = await converge(vmPool, configs);
    assert.equal(passes.length, 1);
    const after = (await nicsOf(vmPool))[1]!;
    assert.equal(after.tags?.['owner-note'], 'written by someone else');
    assert.ok(after.ipConfigurations?.some((c) => c.name === `egressgateway-${uid(21)}`));
  });

  it('a failed instance operation is reported transient; the next plan force-re-PUTs the Failed instance (upstream #981) and converges', async () => {
    const configs = [present(uid(11)), present(uid(13)), present(uid(31))];
    w.standIn.admin.addFault({
      method: 'PUT',
      path: '/virtualMachineScaleSets/aks-gw-12345-vmss/virtualMachines/1$',
      lroFailure: true,
      code: 'AllocationFailed',
      message: 'Allocation failed.',
      count: 1,
    });
    const { report } = await w.reconcileOnce(vmss, configs);
    assert.deepEqual(
      failures(report)
        .filter((s) => s.outcome.kind !== 'skipped')
        .map((s) => [s.kind, s.outcome.kind, 'code' in s.outcome ? s.outcome.code : undefined]),
      [['put-vmss-instance', 'transient', 'AllocationFailed']],
    );
    const { plan } = await w.plan(vmss, configs);
    const forced = plan.steps.find((s) => s.kind === 'put-vmss-instance');
    assert.equal(forced && 'force' in forced ? forced.force : undefined, 'provisioning-failed');
    await converge(vmss, configs);
    w.standIn.admin.clearFaults();
  });

  it('an outage on the ILB write stops before the members (nothing references a missing backend pool); after it, one pass converges', async () => {
    const configs = [present(uid(41))];
    const fault = w.standIn.admin.addFault({
      method: 'PUT',
      path: `/loadBalancers/${ILB}$`,
      status: 500,
      code: 'InternalServerError',
    });
    const { report } = await w.reconcileOnce(standalone, configs);
    assert.equal(report.stoppedAt, 'lb-before-members');
    assert.ok(report.steps.filter((s) => s.phase === 'members').every((s) => s.outcome.kind === 'skipped'));
    const lbStep = report.steps.find((s) => s.kind === 'put-load-balancer');
    assert.equal(lbStep?.outcome.kind, 'transient');
    w.standIn.admin.removeFault(fault.id);
    assert.equal((await converge(standalone, configs)).length, 1);
    await converge(standalone, [deleting(uid(41))]);
  });

  it('private-IP mode on a VirtualMachines pool: ipConfigs without public IPs; switching from public deletes the public IPs and the managed prefix', async () => {
    const u = uid(51);
    await converge(vmPool, [present(u)]);
    assert.equal(
      (await w.pools.listPrefixPublicIps(w.rg, w.signal)).filter((p) =>
        p.name.startsWith(`egressgateway-${u}`),
      ).length,
      3,
    );
    const reports = await converge(vmPool, [present(u, { kind: 'private' })]);
    assert.equal(reports.length, 1, 'one pass: NIC PUTs, then public IP deletes, then the prefix delete');
    assert.deepEqual(
      (await w.pools.listPrefixPublicIps(w.rg, w.signal)).filter((p) =>
        p.name.startsWith(`egressgateway-${u}`),
      ),
      [],
    );
    assert.equal(
      await w.pools.getPublicIpPrefix(
        `${w.world.resourceGroupId}/providers/Microsoft.Network/publicIPPrefixes/egressgateway-${u}`,
        w.signal,
      ),
      undefined,
    );
    for (const nic of await nicsOf(vmPool)) {
      const ipc = nic.ipConfigurations?.find((c) => c.name === `egressgateway-${u}`);
      assert.match(ipc?.privateIPAddress ?? '', /^10\.224\.0\./);
      assert.equal(ipc?.publicIPAddress, undefined);
    }
    await converge(vmPool, [deleting(u, { kind: 'private' }), deleting(uid(21))]);
  });

  it('bring-your-own prefix: per-NIC public IPs come from it; deletion removes them and keeps the prefix', async () => {
    const byo = await w.clients.network.publicIPPrefixes.createOrUpdate(w.rg, 'customer-prefix', {
      location: w.world.location,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 31,
      publicIPAddressVersion: 'IPv4',
    });
    const egress = { kind: 'public', prefix: { kind: 'byo', id: byo.id! } } as const;
    const u = uid(61);
    await converge(standalone, [present(u, egress)]);
    const nics = await nicsOf(standalone);
    const pips = await w.pools.listPrefixPublicIps(w.rg, w.signal);
    for (const nic of nics) {
      const pip = pips.find((p) => p.name === `customer-prefix-${fnv1a64Hex(nic.name)}`);
      assert.ok(pip !== undefined && sameArmId(pip.publicIPPrefix?.id, byo.id));
    }
    await converge(standalone, [deleting(u, egress)]);
    assert.deepEqual(
      (await w.pools.listPrefixPublicIps(w.rg, w.signal)).filter((p) =>
        p.name.startsWith('customer-prefix-'),
      ),
      [],
    );
    assert.ok(
      (await w.pools.getPublicIpPrefix(byo.id!, w.signal)) !== undefined,
      'a BYO prefix is the user’s: kept',
    );
  });

  it('a VirtualMachines-pool VM replaced on the same NIC changes nothing (the NIC keeps its IPs)', async () => {
    const configs = [present(uid(71))];
    await converge(vmPool, configs);
    const before = (await nicsOf(vmPool)).map((n) => n.ipConfigurations?.map((c) => c.privateIPAddress));
    await w.standIn.admin.replaceVm({ vmId: w.world.vmPools['vmgw']!.vmIds[0]! });
    assert.deepEqual((await w.plan(vmPool, configs)).plan.steps, []);
    assert.deepEqual(
      (await nicsOf(vmPool)).map((n) => n.ipConfigurations?.map((c) => c.privateIPAddress)),
      before,
    );
    await converge(vmPool, [deleting(uid(71))]);
  });

  it('a standalone VM deleted by its owner leaves its NIC: the stray NIC is cleaned (ipConfig, public IP, membership) and deletion still finishes', async () => {
    const u = uid(81);
    await converge(standalone, [present(u)]);
    const leftNic = w.world.vms['sa-2']!.nicId;
    await w.clients.compute.virtualMachines.delete(w.rg, 'sa-2');
    const nicAfterVmDelete = await w.pools.getNetworkInterface(leftNic, w.signal);
    assert.ok(
      nicAfterVmDelete?.ipConfigurations?.some((c) => c.name === `egressgateway-${u}`),
      'Azure kept the NIC with egret’s ipConfig',
    );
    const { plan } = await w.plan(standalone, [present(u)]);
    const stray = plan.steps.find((s) => sameArmId(s.resourceId, leftNic));
    assert.ok(
      stray?.reasons.includes('not a member of the gateway pool'),
      JSON.stringify(plan.steps.map((s) => s.reasons)),
    );
    assert.equal((await converge(standalone, [present(u)])).length, 1);
    const cleaned = await w.pools.getNetworkInterface(leftNic, w.signal);
    assert.deepEqual(
      cleaned?.ipConfigurations?.map((c) => c.name),
      ['ipconfig1'],
    );
    assert.deepEqual(cleaned?.ipConfigurations?.[0]?.loadBalancerBackendAddressPools ?? [], []);
    assert.deepEqual(
      (await w.pools.listPrefixPublicIps(w.rg, w.signal))
        .filter((p) => p.name.startsWith(`egressgateway-${u}`))
        .map((p) => p.name),
      [`egressgateway-${u}-${fnv1a64Hex('sa-1-nic')}`],
      'only the remaining member keeps a public IP',
    );
    assert.equal((await converge(standalone, [deleting(u)])).length, 1);
    const { plan: done } = await w.plan(standalone, [deleting(u)]);
    assert.deepEqual(
      done.outcomes.map((o) => o.kind),
      ['removed'],
    );
  });

  it('VMSS: switching a configuration from its managed prefix to a BYO one moves every instance IP and deletes the managed prefix in one pass', async () => {
    const u = uid(91);
    await converge(vmss, [present(u)]);
    const byo = await w.clients.network.publicIPPrefixes.createOrUpdate(w.rg, 'customer-vmss-prefix', {
      location: w.world.location,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 30,
      publicIPAddressVersion: 'IPv4',
    });
    const egress = { kind: 'public', prefix: { kind: 'byo', id: byo.id! } } as const;
    assert.equal((await converge(vmss, [present(u, egress)])).length, 1);
    assert.equal(
      await w.pools.getPublicIpPrefix(
        `${w.world.resourceGroupId}/providers/Microsoft.Network/publicIPPrefixes/egressgateway-${u}`,
        w.signal,
      ),
      undefined,
    );
    assert.equal(
      (await w.pools.getPublicIpPrefix(byo.id!, w.signal))?.publicIPAddresses?.length,
      3,
      'one address per instance',
    );
    await converge(vmss, [deleting(u, egress)]);
    const released = await w.pools.getPublicIpPrefix(byo.id!, w.signal);
    assert.ok(released !== undefined, 'a BYO prefix is kept');
    assert.equal((released.publicIPAddresses ?? []).length, 0, 'its addresses are released');
  });

  it('a whole scale set deleted under a configuration: the configuration is blocked (PoolNotFound); deleting it still finishes', async () => {
    const gone = await w.resolve(nodepoolSpec('gone'));
    const u = uid(92);
    await converge(gone, [present(u)]);
    await w.clients.compute.virtualMachineScaleSets.delete(w.rg, 'aks-gone-12345-vmss');
    const { plan } = await w.plan(gone, [present(u)]);
    assert.deepEqual(
      plan.outcomes.map((o) => (o.kind === 'blocked' ? o.reason : o.kind)),
      ['PoolNotFound'],
    );
    assert.equal((await converge(gone, [deleting(u)])).length, 1);
    assert.deepEqual(
      (await w.plan(gone, [deleting(u)])).plan.outcomes.map((o) => o.kind),
      ['removed'],
    );
  });
});
