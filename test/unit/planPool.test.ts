/** Example-based checks of the planner against upstream's names, bodies and quirks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planPool, pipName } from '../../shared/core/planPool.js';
import { projectStatus } from '../../shared/core/projectStatus.js';
import type { Plan } from '../../shared/core/plan.js';
import type { World } from './support/armModel.js';
import { allMemberIpConfigs, applyPlan } from './support/armModel.js';
import {
  GW_RG,
  LB_ID,
  SETTINGS,
  byoPrefix,
  deleting,
  foreignLoadBalancer,
  inputFor,
  poolWorld,
  present,
  resolvedPool,
  world,
} from './support/worlds.js';

const U = [
  'aaaaaaaa-0000-4000-8000-000000000001',
  'bbbbbbbb-0000-4000-8000-000000000002',
  'cccccccc-0000-4000-8000-000000000003',
] as const;

describe('planPool examples', () => {
  it('batches three new configurations into one write per NIC, one LB write, one prefix and public IP each', () => {
    const w = world(poolWorld('aks-vm-pool', 2));
    const pool = resolvedPool('aks-vm-pool', 30, 2);
    const plan = planPool(
      inputFor(w, pool, [present(U[0], 'managed'), present(U[1], 'managed'), present(U[2], 'private')]),
    );
    const count = (kind: string) => plan.steps.filter((s) => s.kind === kind).length;
    assert.equal(count('put-network-interface'), 2);
    assert.equal(count('put-load-balancer'), 1);
    assert.equal(count('put-public-ip-prefix'), 2);
    assert.equal(count('put-public-ip'), 4);
    assert.deepEqual(
      plan.ports.map((p) => p.port),
      [6000, 6001, 6002],
    );
    const nic = plan.steps.find((s) => s.kind === 'put-network-interface');
    assert.ok(nic?.kind === 'put-network-interface');
    const names = (nic.body.ipConfigurations ?? []).map((c) => c.name);
    assert.deepEqual(names, [
      'ipconfig1',
      `egressgateway-${U[0]}`,
      `egressgateway-${U[1]}`,
      `egressgateway-${U[2]}`,
    ]);
    const first = nic.body.ipConfigurations?.[1];
    assert.equal(
      first?.publicIPAddress?.id,
      `/subscriptions/${SETTINGS.subscriptionId}/resourceGroups/${GW_RG}/providers/Microsoft.Network/publicIPAddresses/${pipName(`egressgateway-${U[0]}`, nic.body.name)}`,
    );
    assert.equal(nic.body.ipConfigurations?.[3]?.publicIPAddress, undefined, 'private mode has no public IP');
    assert.deepEqual(nic.body['dnsSettings'], { dnsServers: [] }, 'unknown NIC fields are carried through');
    assert.ok(
      nic.body.ipConfigurations?.[0]?.loadBalancerBackendAddressPools?.some((b) =>
        b.id?.endsWith(`/backendAddressPools/${pool.uniqueId}`),
      ),
    );
  });

  it('builds upstream’s LB rule and probe for a configuration', () => {
    const w = world(poolWorld('vmss', 1), { lb: foreignLoadBalancer() });
    const plan = planPool(inputFor(w, resolvedPool('vmss', 31, 1), [present(U[0], 'managed')]));
    const lb = plan.steps.find((s) => s.kind === 'put-load-balancer');
    assert.ok(lb?.kind === 'put-load-balancer');
    assert.equal(lb.phase, 'lb-before-members', 'the frontend/backend pool must exist before members join');
    assert.equal(lb.ifMatch, 'W/"lb0"');
    const rule = lb.body.loadBalancingRules.find((r) => r.name === U[0]);
    assert.deepEqual(rule, {
      name: U[0],
      frontendIPConfiguration: {
        id: `${LB_ID}/frontendIPConfigurations/5e0cbd5c-0a6e-4a5e-9ddd-000000000001`,
      },
      backendAddressPool: { id: `${LB_ID}/backendAddressPools/5e0cbd5c-0a6e-4a5e-9ddd-000000000001` },
      probe: { id: `${LB_ID}/probes/${U[0]}` },
      protocol: 'Udp',
      frontendPort: 6000,
      backendPort: 6000,
      enableFloatingIP: true,
    });
    assert.deepEqual(
      lb.body.probes.find((p) => p.name === U[0]),
      {
        name: U[0],
        protocol: 'Http',
        port: 8082,
        requestPath: `/gw/${U[0]}`,
        intervalInSeconds: 5,
        probeThreshold: 1,
      },
    );
    const model = plan.steps.find((s) => s.kind === 'put-vmss');
    assert.ok(model?.kind === 'put-vmss');
    const ipc =
      model.body.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0]
        ?.ipConfigurations?.[1];
    assert.deepEqual(ipc?.publicIPAddressConfiguration, {
      name: `egressgateway-${U[0]}`,
      publicIPPrefix: {
        id: `/subscriptions/${SETTINGS.subscriptionId}/resourceGroups/${GW_RG}/providers/Microsoft.Network/publicIPPrefixes/egressgateway-${U[0]}`,
      },
    });
    assert.equal(
      model.body['sku'] !== undefined,
      true,
      'the full model is sent (issue #645: a partial PUT lacked sku)',
    );
  });

  it('re-PUTs a Failed member unchanged, and a member whose IP is missing (upstream #981)', () => {
    const pool = resolvedPool('vmss', 31, 2);
    const w0 = world(poolWorld('vmss', 2));
    const w1 = applyPlan(w0, planPool(inputFor(w0, pool, [present(U[0], 'managed')])));
    const m = w1.members;
    assert.ok(m.kind === 'vmss');
    const failed = {
      ...w1,
      members: {
        ...m,
        instances: m.instances.map((i, n) =>
          n === 1 ? { ...i, vm: { ...i.vm, provisioningState: 'Failed' } } : i,
        ),
      },
    };
    const plan = planPool(
      inputFor(failed, pool, [present(U[0], 'managed')], { claims: [{ configUid: U[0], port: 6000 }] }),
    );
    assert.deepEqual(
      plan.steps.map((s) => [s.kind, 'force' in s ? s.force : undefined]),
      [['put-vmss-instance', 'provisioning-failed']],
    );
    const noIp = {
      ...w1,
      members: {
        ...m,
        instances: m.instances.map((i, n) =>
          n === 0 && i.primaryNic
            ? {
                ...i,
                primaryNic: {
                  ...i.primaryNic,
                  ipConfigurations: (i.primaryNic.ipConfigurations ?? []).slice(0, 1),
                },
              }
            : i,
        ),
      },
    };
    const plan2 = planPool(
      inputFor(noIp, pool, [present(U[0], 'managed')], { claims: [{ configUid: U[0], port: 6000 }] }),
    );
    assert.deepEqual(
      plan2.steps.map((s) => [s.kind, 'force' in s ? s.force : undefined]),
      [['put-vmss-instance', 'ip-missing']],
    );
  });

  it('blocks a configuration whose BYO prefix is missing or of the wrong length, and keeps what exists', () => {
    const pool = resolvedPool('aks-vm-pool', 30, 1);
    const missing = planPool(inputFor(world(poolWorld('aks-vm-pool', 1)), pool, [present(U[0], 'byo')]));
    assert.deepEqual(missing.steps, []);
    assert.equal(missing.outcomes[0]?.kind === 'blocked' && missing.outcomes[0].reason, 'PrefixNotFound');
    const wrong = planPool(
      inputFor(world(poolWorld('aks-vm-pool', 1), { prefixes: [byoPrefix(29)] }), pool, [
        present(U[0], 'byo'),
      ]),
    );
    assert.ok(
      wrong.outcomes[0]?.kind === 'blocked' &&
        wrong.outcomes[0].reason === 'PrefixSizeMismatch' &&
        /\/29 but the gateway pool asks for \/30/.test(wrong.outcomes[0].message),
    );
  });

  it('runs out of ports after 1000 configurations of one pool', () => {
    const claims = Array.from({ length: 1000 }, (_, i) => ({ configUid: `other-${i}`, port: 6000 + i }));
    const plan = planPool(
      inputFor(
        world(poolWorld('aks-vm-pool', 1)),
        resolvedPool('aks-vm-pool', 30, 1),
        [present(U[0], 'private')],
        { claims, orphans: 'keep' },
      ),
    );
    assert.ok(plan.outcomes[0]?.kind === 'blocked' && plan.outcomes[0].reason === 'PortsExhausted');
  });

  it('deletes in a safe order and removes the LB with its last frontend', () => {
    const pool = resolvedPool('aks-vm-pool', 31, 2);
    const w0 = world(poolWorld('aks-vm-pool', 2));
    const w1 = applyPlan(w0, planPool(inputFor(w0, pool, [present(U[0], 'managed')])));
    const plan = planPool(
      inputFor(w1, pool, [deleting(U[0], 'managed')], { claims: [{ configUid: U[0], port: 6000 }] }),
    );
    assert.deepEqual(
      plan.steps.map((s) => `${s.phase}:${s.kind}`),
      [
        'members:put-network-interface',
        'members:put-network-interface',
        'lb-after-members:delete-load-balancer',
        'delete-public-ips:delete-public-ip',
        'delete-public-ips:delete-public-ip',
        'delete-prefixes:delete-public-ip-prefix',
      ],
    );
    const w2 = applyPlan(w1, plan);
    assert.equal(w2.loadBalancer, undefined);
    assert.deepEqual(planPool(inputFor(w2, pool, [deleting(U[0], 'managed')])).outcomes, [
      { uid: U[0], kind: 'removed' },
    ]);
  });
});

describe('planPool: a BYO prefix changing hands', () => {
  // Two members and a /31: the prefix is full while the leaving configuration holds its addresses.
  const KINDS = ['vmss', 'aks-vm-pool', 'standalone-vms'] as const;
  const ipConfig = (uid: string): string => `egressgateway-${uid}`;
  const carries = (w: World, uid: string): boolean =>
    allMemberIpConfigs(w).some((c) => c.name === ipConfig(uid));
  const outcome = (plan: Plan, uid: string) => plan.outcomes.find((o) => o.uid === uid);

  /** A pool of two members whose configuration U[0] uses a full /31 BYO prefix. */
  function byoHeld(kind: (typeof KINDS)[number]) {
    const pool = resolvedPool(kind, 31, 2);
    const w0 = world(poolWorld(kind, 2), { prefixes: [byoPrefix(31)] });
    const plan0 = planPool(inputFor(w0, pool, [present(U[0], 'byo')]));
    const w1 = applyPlan(w0, plan0);
    assert.equal(w1.prefixes.find((p) => p.name === 'byo-prefix')?.publicIPAddresses?.length, 2);
    return { pool, w1, claims: plan0.ports };
  }

  for (const kind of KINDS) {
    it(`${kind}: the new configuration waits one pass, then takes the prefix the deleted one released`, () => {
      const { pool, w1, claims } = byoHeld(kind);
      const configs = [deleting(U[0], 'byo'), present(U[2], 'byo')];

      const first = planPool(inputFor(w1, pool, configs, { claims }));
      const waiting = outcome(first, U[2]);
      assert.ok(waiting?.kind === 'blocked', JSON.stringify(waiting));
      assert.equal(waiting.reason, 'Reconciling');
      assert.match(waiting.message, new RegExp(`byo-prefix still holds addresses of ${ipConfig(U[0])} on `));
      assert.deepEqual(outcome(first, U[0]), { uid: U[0], kind: 'removing' });
      assert.ok(!first.steps.some((s) => s.kind === 'put-public-ip'), 'nothing is allocated from the prefix');
      assert.ok(
        !first.steps.some((s) => s.kind === 'delete-public-ip'),
        'per-NIC IPs stay for the new owner',
      );
      assert.equal(first.ports.find((p) => p.configUid === U[2])?.port, undefined, 'no port while waiting');
      const w2 = applyPlan(w1, first); // the ARM model allocates before it releases: a same-pass swap fails
      assert.ok(!carries(w2, U[0]) && !carries(w2, U[2]));
      assert.equal(
        w2.prefixes.find((p) => p.name === 'byo-prefix')?.publicIPAddresses?.length ?? 0,
        kind === 'vmss' ? 0 : 2,
        'VMSS addresses are released; per-NIC public IPs are detached, kept',
      );
      for (const pip of w2.publicIps) assert.equal(pip.ipConfiguration, undefined, pip.name);

      const second = planPool(inputFor(w2, pool, configs, { claims: first.ports }));
      assert.deepEqual(outcome(second, U[0]), { uid: U[0], kind: 'removed' });
      assert.equal(outcome(second, U[2])?.kind, 'active');
      assert.ok(!second.steps.some((s) => s.kind === 'put-public-ip'), 'the detached per-NIC IPs are reused');
      const w3 = applyPlan(w2, second);
      assert.ok(carries(w3, U[2]));
      const byoIps = (w3.prefixes.find((p) => p.name === 'byo-prefix')?.publicIPAddresses ?? []).map(
        (r) => r.id,
      );
      assert.equal(byoIps.length, 2);
      if (kind === 'vmss')
        assert.ok(byoIps.every((id) => id?.includes(`/ipConfigurations/${ipConfig(U[2])}/`)));
      else {
        for (const pip of w3.publicIps)
          assert.match(pip.ipConfiguration?.id ?? '', new RegExp(`/ipConfigurations/${ipConfig(U[2])}$`));
      }

      const third = planPool(inputFor(w3, pool, configs, { claims: second.ports }));
      assert.deepEqual(third.steps, []);
      assert.equal(outcome(third, U[2])?.kind, 'active');
    });
  }

  for (const kind of KINDS) {
    it(`${kind}: two configurations swap their full BYO prefixes in two plans (neither waits for the other)`, () => {
      const pool = resolvedPool(kind, 31, 2);
      const w0 = world(poolWorld(kind, 2), { prefixes: [byoPrefix(31), byoPrefix(31, 'byo2')] });
      const plan0 = planPool(inputFor(w0, pool, [present(U[0], 'byo'), present(U[1], 'byo2')]));
      const w1 = applyPlan(w0, plan0);
      const swapped = [present(U[0], 'byo2'), present(U[1], 'byo')];

      const first = planPool(inputFor(w1, pool, swapped, { claims: plan0.ports }));
      for (const uid of [U[0], U[1]]) {
        const o = outcome(first, uid);
        assert.ok(o?.kind === 'blocked' && o.reason === 'Reconciling', JSON.stringify(o));
        assert.match(o.message, /meanwhile its addresses from public IP prefix byo-prefix(-2)? are released/);
      }
      assert.ok(!first.steps.some((s) => s.kind === 'put-public-ip' || s.kind === 'delete-public-ip'));
      const w2 = applyPlan(w1, first);
      assert.ok(!carries(w2, U[0]) && !carries(w2, U[1]), 'both released their old prefix');

      const second = planPool(inputFor(w2, pool, swapped, { claims: first.ports }));
      assert.equal(outcome(second, U[0])?.kind, 'active');
      assert.equal(outcome(second, U[1])?.kind, 'active');
      assert.deepEqual(second.ports, plan0.ports, 'ports survive the swap');
      const w3 = applyPlan(w2, second);
      assert.deepEqual(planPool(inputFor(w3, pool, swapped, { claims: second.ports })).steps, []);
      const holdersOf = (name: string): string[] => {
        const refs = w3.prefixes.find((p) => p.name === name)?.publicIPAddresses ?? [];
        return refs.map((r) => {
          const at = kind === 'vmss' ? r.id : w3.publicIps.find((p) => p.id === r.id)?.ipConfiguration?.id;
          return /ipConfigurations\/(egressgateway-[^/]+)/.exec(at ?? '')?.[1] ?? '';
        });
      };
      assert.deepEqual(holdersOf('byo-prefix'), [ipConfig(U[1]), ipConfig(U[1])]);
      assert.deepEqual(holdersOf('byo-prefix-2'), [ipConfig(U[0]), ipConfig(U[0])]);
    });
  }

  it('a forgotten configuration still holding the prefix: Conflict while orphans are kept, hand-over once they are deleted', () => {
    const { pool, w1, claims } = byoHeld('vmss');
    const configs = [present(U[2], 'byo')];
    const kept = planPool(inputFor(w1, pool, configs, { claims, orphans: 'keep' }));
    const o = outcome(kept, U[2]);
    assert.ok(o?.kind === 'blocked' && o.reason === 'Conflict', JSON.stringify(o));
    assert.match(o.message, /a prefix serves one configuration at a time/);
    assert.deepEqual(kept.steps, [], 'the forgotten configuration is left alone and nothing is added');

    const first = planPool(inputFor(w1, pool, configs, { claims, orphans: 'delete' }));
    const waiting = outcome(first, U[2]);
    assert.ok(waiting?.kind === 'blocked' && waiting.reason === 'Reconciling', JSON.stringify(waiting));
    const w2 = applyPlan(w1, first);
    const second = planPool(inputFor(w2, pool, configs, { claims: first.ports, orphans: 'delete' }));
    assert.equal(outcome(second, U[2])?.kind, 'active');
    const w3 = applyPlan(w2, second);
    assert.deepEqual(planPool(inputFor(w3, pool, configs, { claims: second.ports })).steps, []);
  });

  it('a configuration that waited for the prefix and is deleted finalizes, leaving the holder’s public IPs alone', () => {
    const { pool, w1, claims } = byoHeld('aks-vm-pool');
    const waiting = planPool(inputFor(w1, pool, [present(U[2], 'byo')], { claims, orphans: 'keep' }));
    assert.ok(outcome(waiting, U[2])?.kind === 'blocked');
    // Deleted while it waited: its last spec names the prefix, whose per-NIC IPs carry U[0]'s ipConfigs.
    const gone = planPool(inputFor(w1, pool, [deleting(U[2], 'byo')], { claims, orphans: 'keep' }));
    assert.deepEqual(gone.outcomes, [{ uid: U[2], kind: 'removed' }]);
    assert.deepEqual(gone.steps, []);
  });

  it('managed prefixes are per configuration: deleting one and creating another is one pass', () => {
    for (const kind of KINDS) {
      const pool = resolvedPool(kind, 31, 2);
      const w0 = world(poolWorld(kind, 2));
      const w1 = applyPlan(w0, planPool(inputFor(w0, pool, [present(U[0], 'managed')])));
      const configs = [deleting(U[0], 'managed'), present(U[2], 'managed')];
      const plan = planPool(inputFor(w1, pool, configs));
      assert.equal(outcome(plan, U[2])?.kind, 'active', kind);
      const w2 = applyPlan(w1, plan);
      const again = planPool(inputFor(w2, pool, configs, { claims: plan.ports }));
      assert.deepEqual(again.steps, [], kind);
      assert.deepEqual(outcome(again, U[0]), { uid: U[0], kind: 'removed' });
    }
  });
});

describe('planPool: load balancer under kept orphans', () => {
  it('keeps the pool frontend (and so the ILB) while a kept orphan ipConfig is still in the backend pool', () => {
    const pool = resolvedPool('vmss', 28, 1);
    const w0 = world(poolWorld('vmss', 1));
    const w1 = applyPlan(w0, planPool(inputFor(w0, pool, [present(U[0], 'managed')])));
    const lb = w1.loadBalancer;
    assert.ok(lb !== undefined);
    // Someone deletes the rule; the configuration is no longer given and orphans are kept.
    const drifted: World = { ...w1, loadBalancer: { ...lb, loadBalancingRules: [] } };
    const plan = planPool(inputFor(drifted, pool, [], { orphans: 'keep' }));
    assert.ok(!plan.steps.some((s) => s.kind === 'delete-load-balancer'), 'members still reference it');
    assert.deepEqual(plan.steps, []);
    assert.ok(allMemberIpConfigs(drifted).some((c) => c.name === `egressgateway-${U[0]}`));
  });
});

describe('projectStatus', () => {
  const settings = {
    subscriptionId: SETTINGS.subscriptionId,
    loadBalancerResourceGroup: 'rg-net',
    publicIpResourceGroup: GW_RG,
  };

  it('projects prefix, ILB IP, port and sorted nodes, and keeps lastTransitionTime across identical reconciles', () => {
    const pool = resolvedPool('vmss', 31, 2);
    const configs = [present(U[0], 'managed')];
    const w0 = world(poolWorld('vmss', 2));
    const w1 = applyPlan(w0, planPool(inputFor(w0, pool, configs)));
    const after = planPool(inputFor(w1, pool, configs, { claims: [{ configUid: U[0], port: 6000 }] }));
    assert.deepEqual(after.steps, []);
    const project = (now: string, previous?: Parameters<typeof projectStatus>[0]['previous']) =>
      projectStatus({
        uid: U[0],
        generation: 3,
        egress: { kind: 'public', prefix: { kind: 'managed' } },
        pool,
        outcome: after.outcomes[0] as NonNullable<(typeof after.outcomes)[0]>,
        members: w1.members,
        ...(w1.loadBalancer ? { loadBalancer: w1.loadBalancer } : {}),
        prefixes: w1.prefixes,
        settings,
        now,
        ...(previous ? { previous } : {}),
      });
    const first = project('2025-01-01T00:00:00Z');
    assert.match(first.status.egressIpPrefix ?? '', /^20\.\d+\.\d+\.0\/31$/);
    assert.match(first.status.gatewayServerProfile?.ip ?? '', /^10\.2\.0\.\d+$/);
    assert.equal(first.status.gatewayServerProfile?.port, 6000);
    assert.deepEqual(
      first.status.gatewayVMProfiles?.map((n) => n.nodeName),
      ['gw000000', 'gw000001'],
    );
    assert.equal(first.status.conditions?.[0]?.reason, 'Reconciled');
    assert.equal(first.status.observedGeneration, 3);
    const second = project('2025-01-01T00:05:00Z', first.status);
    assert.deepEqual(second.status, first.status, 'no flapping: identical reconcile, identical status');
    const failing = projectStatus({
      uid: U[0],
      problem: { reason: 'AzureError', message: '429' },
      settings,
      now: '2025-01-01T00:10:00Z',
      previous: first.status,
    });
    assert.equal(failing.status.conditions?.[0]?.lastTransitionTime, '2025-01-01T00:10:00Z');
    assert.equal(
      failing.status.egressIpPrefix,
      first.status.egressIpPrefix,
      'a transient failure keeps what pods use',
    );
  });

  it('private mode: egressIpPrefix is the sorted comma list of secondary IPs; deletion reports Finalized', () => {
    const pool = resolvedPool('aks-vm-pool', undefined, 3);
    const w0 = world(poolWorld('aks-vm-pool', 3));
    const w1 = applyPlan(w0, planPool(inputFor(w0, pool, [present(U[1], 'private')])));
    const outcome = planPool(
      inputFor(w1, pool, [present(U[1], 'private')], { claims: [{ configUid: U[1], port: 6000 }] }),
    ).outcomes[0];
    const p = projectStatus({
      uid: U[1],
      egress: { kind: 'private' },
      pool,
      outcome: outcome!,
      members: w1.members,
      ...(w1.loadBalancer ? { loadBalancer: w1.loadBalancer } : {}),
      prefixes: [],
      settings,
      now: 't',
    });
    const ips = p.status.egressIpPrefix?.split(',') ?? [];
    assert.equal(ips.length, 3);
    assert.deepEqual(
      ips,
      [...(p.status.gatewayVMProfiles ?? [])]
        .map((n) => n.secondaryIP)
        .sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3])),
    );
    assert.deepEqual(
      p.status.gatewayVMProfiles?.map((n) => n.nodeName),
      ['aks-gwpool-0-nic', 'aks-gwpool-1-nic', 'aks-gwpool-2-nic'],
    );
    const done = projectStatus({
      uid: U[1],
      pool,
      outcome: { uid: U[1], kind: 'removed' },
      members: w1.members,
      settings,
      now: 't',
    });
    assert.equal(done.finalized, true);
    assert.equal(done.status.conditions?.[0]?.reason, 'Finalized');
  });
});
