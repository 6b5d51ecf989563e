/**
 * A tiny in-memory model of what ARM does to egret's resources when a plan is applied, strict about the
 * rules that make ordering matter: references must exist when written (backend pools, prefixes, public
 * IPs), a backend pool in use by a NIC cannot be removed, an attached public IP cannot be deleted, a
 * prefix with allocated addresses cannot be deleted, ETags must match. It allocates private IPs, frontend
 * IPs, prefixes and VMSS instance public IPs deterministically, and settles provisioningState.
 * Test-only: it is the "ARM" of the planner's property tests, not a stand-in for the real API.
 */
import { armIdKey, loadBalancerChildId, sameArmId } from '../../../shared/core/armId.js';
import type {
  LoadBalancer,
  NetworkInterface,
  NicIpConfiguration,
  ObservedPoolMembers,
  ObservedVmssInstance,
  PublicIpAddress,
  PublicIpPrefix,
  VmssIpConfiguration,
  VmssNetworkConfiguration,
} from '../../../shared/core/observed.js';
import type { Plan, PlanStep } from '../../../shared/core/plan.js';

/** Everything the planner observes, plus allocation counters. */
export interface World {
  readonly members: ObservedPoolMembers;
  readonly loadBalancer?: LoadBalancer;
  readonly prefixes: readonly PublicIpPrefix[];
  readonly publicIps: readonly PublicIpAddress[];
  readonly counter: number;
}

/** Thrown when a plan does something ARM would refuse. */
export class ArmRefusal extends Error {}

/** Applies every step in order; throws ArmRefusal on anything ARM would reject. */
export function applyPlan(world: World, plan: Plan): World {
  const written = new Set<string>();
  let w = world;
  for (const step of plan.steps) {
    const key = armIdKey(step.resourceId);
    if (written.has(key)) throw new ArmRefusal(`second write to ${step.resourceId} in one plan`);
    written.add(key);
    w = applyStep(w, step);
  }
  return w;
}

function next(w: World): [number, World] {
  return [w.counter + 1, { ...w, counter: w.counter + 1 }];
}

function etag(n: number): string {
  return `W/"${n}"`;
}

function checkEtag(current: string | undefined, ifMatch: string | undefined, id: string): void {
  if (ifMatch !== undefined && current !== ifMatch) throw new ArmRefusal(`412 PreconditionFailed on ${id}`);
}

function applyStep(world: World, step: PlanStep): World {
  switch (step.kind) {
    case 'put-public-ip-prefix': {
      if (world.prefixes.some((p) => sameArmId(p.id, step.resourceId)))
        throw new ArmRefusal('prefix exists (egret only creates)');
      const [n, w] = next(world);
      const prefix: PublicIpPrefix = {
        ...step.body,
        id: step.resourceId,
        etag: etag(n),
        ipPrefix: `20.${n % 250}.${Math.floor(n / 250)}.0/${step.body.prefixLength ?? 31}`,
        publicIPAddresses: [],
        provisioningState: 'Succeeded',
      };
      return { ...w, prefixes: [...w.prefixes, prefix] };
    }
    case 'delete-public-ip-prefix': {
      const prefix = world.prefixes.find((p) => sameArmId(p.id, step.resourceId));
      if (prefix === undefined) throw new ArmRefusal('delete of a missing prefix');
      checkEtag(prefix.etag, step.ifMatch, step.resourceId);
      if ((prefix.publicIPAddresses ?? []).length > 0)
        throw new ArmRefusal(`InUsePublicIpPrefixCannotBeDeleted ${prefix.name}`);
      if (allMemberIpConfigs(world).some((c) => sameArmId(vmssPrefixRef(c), prefix.id))) {
        throw new ArmRefusal(`prefix ${prefix.name} is referenced by a VMSS ipConfig`);
      }
      return { ...world, prefixes: world.prefixes.filter((p) => p !== prefix) };
    }
    case 'put-public-ip': {
      if (world.publicIps.some((p) => sameArmId(p.id, step.resourceId)))
        throw new ArmRefusal('public IP exists (egret only creates)');
      const prefix = world.prefixes.find((p) => sameArmId(p.id, step.body.publicIPPrefix?.id));
      if (prefix === undefined) throw new ArmRefusal(`public IP ${step.resourceId} from a missing prefix`);
      const capacity = 2 ** (32 - (prefix.prefixLength ?? 31));
      if ((prefix.publicIPAddresses ?? []).length >= capacity)
        throw new ArmRefusal(`prefix ${prefix.name} is full`);
      const [n, w] = next(world);
      const pip: PublicIpAddress = {
        ...step.body,
        id: step.resourceId,
        etag: etag(n),
        ipAddress: `20.9.${n % 250}.1`,
      };
      return {
        ...w,
        publicIps: [...w.publicIps, pip],
        prefixes: w.prefixes.map((p) =>
          p === prefix ? { ...p, publicIPAddresses: [...(p.publicIPAddresses ?? []), { id: pip.id }] } : p,
        ),
      };
    }
    case 'delete-public-ip': {
      const pip = world.publicIps.find((p) => sameArmId(p.id, step.resourceId));
      if (pip === undefined) throw new ArmRefusal('delete of a missing public IP');
      checkEtag(pip.etag, step.ifMatch, step.resourceId);
      if (pip.ipConfiguration !== undefined) throw new ArmRefusal(`public IP ${pip.name} is attached`);
      return {
        ...world,
        publicIps: world.publicIps.filter((p) => p !== pip),
        prefixes: world.prefixes.map((p) => ({
          ...p,
          publicIPAddresses: (p.publicIPAddresses ?? []).filter((r) => !sameArmId(r.id, pip.id)),
        })),
      };
    }
    case 'put-load-balancer': {
      checkEtag(world.loadBalancer?.etag, step.ifMatch, step.resourceId);
      if (world.loadBalancer === undefined && step.ifMatch !== undefined)
        throw new ArmRefusal('If-Match on a missing LB');
      let [n, w] = next(world);
      const lbId = step.resourceId;
      const child = (type: string, name: string | undefined): string =>
        loadBalancerChildId(lbId, type, name ?? '');
      const frontends = (step.body.frontendIPConfigurations ?? []).map((f) => {
        if (f.privateIPAddress !== undefined) return { ...f, id: child('frontendIPConfigurations', f.name) };
        n++;
        return { ...f, id: child('frontendIPConfigurations', f.name), privateIPAddress: `10.2.0.${n % 250}` };
      });
      const backends = (step.body.backendAddressPools ?? []).map((b) => ({
        ...b,
        id: child('backendAddressPools', b.name),
      }));
      const probes = (step.body.probes ?? []).map((p) => ({ ...p, id: child('probes', p.name) }));
      const rules = (step.body.loadBalancingRules ?? []).map((r) => ({
        ...r,
        id: child('loadBalancingRules', r.name),
      }));
      for (const r of rules) {
        if (!frontends.some((f) => sameArmId(f.id, r.frontendIPConfiguration?.id)))
          throw new ArmRefusal(`rule ${r.name}: no such frontend`);
        if (!backends.some((b) => sameArmId(b.id, r.backendAddressPool?.id)))
          throw new ArmRefusal(`rule ${r.name}: no such backend pool`);
        if (r.probe !== undefined && !probes.some((p) => sameArmId(p.id, r.probe?.id)))
          throw new ArmRefusal(`rule ${r.name}: no such probe`);
        const clash = rules.find(
          (o) =>
            o !== r &&
            sameArmId(o.frontendIPConfiguration?.id, r.frontendIPConfiguration?.id) &&
            o.frontendPort === r.frontendPort,
        );
        if (clash !== undefined)
          throw new ArmRefusal(`rules ${r.name} and ${clash.name} share frontend port ${r.frontendPort}`);
      }
      for (const before of world.loadBalancer?.backendAddressPools ?? []) {
        if (backends.some((b) => sameArmId(b.id, before.id))) continue;
        if (memberBackendRefs(world).some((id) => sameArmId(id, before.id)))
          throw new ArmRefusal(`backend pool ${before.name} is in use`);
      }
      w = { ...w, counter: n };
      const lb: LoadBalancer = {
        ...step.body,
        id: lbId,
        name: step.body.name,
        etag: etag(n),
        frontendIPConfigurations: frontends,
        backendAddressPools: backends,
        loadBalancingRules: rules,
        probes,
      };
      return { ...w, loadBalancer: lb };
    }
    case 'delete-load-balancer': {
      const lb = world.loadBalancer;
      if (lb === undefined) throw new ArmRefusal('delete of a missing LB');
      checkEtag(lb.etag, step.ifMatch, step.resourceId);
      if (
        (lb.backendAddressPools ?? []).some((b) => memberBackendRefs(world).some((id) => sameArmId(id, b.id)))
      ) {
        throw new ArmRefusal('LB backend pools are in use');
      }
      const { loadBalancer: _gone, ...rest } = world;
      return rest;
    }
    case 'put-vmss': {
      if (world.members.kind !== 'vmss' || world.members.vmss === undefined) throw new ArmRefusal('no VMSS');
      checkEtag(world.members.vmss.etag, step.ifMatch, step.resourceId);
      const lists = (
        step.body.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? []
      ).map((c) => c.ipConfigurations ?? []);
      checkVmssRefs(world, lists.flat());
      const [n, w] = next(world);
      return { ...w, members: { ...world.members, vmss: { ...step.body, etag: etag(n) } } };
    }
    case 'put-vmss-instance': {
      const members = world.members;
      if (members.kind !== 'vmss' || members.vmss === undefined) throw new ArmRefusal('no VMSS');
      const index = members.instances.findIndex((i) => sameArmId(i.vm.id, step.resourceId));
      const current = members.instances[index];
      if (current === undefined) throw new ArmRefusal('no such instance');
      checkEtag(current.vm.etag, step.ifMatch, step.resourceId);
      const configs = step.body.networkProfileConfiguration?.networkInterfaceConfigurations ?? [];
      checkVmssRefs(
        world,
        configs.flatMap((c) => c.ipConfigurations ?? []),
      );
      let w = world;
      const primary = configs.find((c) => c.primary === true) ?? configs[0];
      const oldView = current.primaryNic;
      const viewIpcs: NicIpConfiguration[] = [];
      const oldPipIds: string[] = (oldView?.ipConfigurations ?? [])
        .map((c) => c.publicIPAddress?.id)
        .filter((x): x is string => x !== undefined);
      const newPips: { id: string; prefixId: string }[] = [];
      for (const ipc of primary?.ipConfigurations ?? []) {
        const old = oldView?.ipConfigurations?.find((o) => o.name === ipc.name);
        let ip = old?.privateIPAddress;
        if (ip === undefined || ip === '') {
          let n: number;
          [n, w] = next(w);
          ip = `10.1.${Math.floor(n / 250)}.${n % 250}`;
        }
        const prefixId = vmssPrefixRef(ipc);
        let pipRef: { id: string } | undefined;
        if (prefixId !== undefined) {
          const pipId = `${members.vmss.id}/virtualMachines/${current.vm.instanceId}/networkInterfaces/${primary?.name ?? 'nic'}/ipConfigurations/${ipc.name}/publicIPAddresses/${ipc.publicIPAddressConfiguration?.name ?? ipc.name}`;
          pipRef = { id: pipId };
          newPips.push({ id: pipId, prefixId });
        }
        viewIpcs.push({
          name: ipc.name,
          primary: ipc.primary ?? false,
          privateIPAddress: ip,
          ...(ipc.subnet === undefined ? {} : { subnet: ipc.subnet }),
          ...(pipRef === undefined ? {} : { publicIPAddress: pipRef }),
          ...(ipc.loadBalancerBackendAddressPools === undefined
            ? {}
            : { loadBalancerBackendAddressPools: ipc.loadBalancerBackendAddressPools }),
        });
      }
      // VMSS-allocated public IPs. An address whose ipConfig keeps its public IP configuration (same
      // name, same prefix) stays. Whether ARM releases removed addresses before it allocates new ones
      // within ONE instance PUT is not documented: the model assumes the unsafe order (allocate first,
      // then release), so a planner relying on release-first fails here.
      const prefixOfAddress = (id: string): string | undefined =>
        w.prefixes.find((p) => (p.publicIPAddresses ?? []).some((r) => sameArmId(r.id, id)))?.id;
      const kept = newPips.filter(
        (pip) =>
          oldPipIds.some((o) => sameArmId(o, pip.id)) && sameArmId(prefixOfAddress(pip.id), pip.prefixId),
      );
      const isKept = (id: string): boolean => kept.some((k) => sameArmId(k.id, id));
      const added = newPips.filter((pip) => !isKept(pip.id));
      const released = oldPipIds.filter((id) => !isKept(id));
      const prefixes = w.prefixes.map((p) => {
        const adds = added.filter((pip) => sameArmId(pip.prefixId, p.id)).map((pip) => ({ id: pip.id }));
        if (adds.length === 0 && released.length === 0) return p;
        const before = p.publicIPAddresses ?? [];
        if (before.length + adds.length > 2 ** (32 - (p.prefixLength ?? 31)))
          throw new ArmRefusal(`prefix ${p.name} is full`);
        const after = before.filter((r) => !released.some((id) => sameArmId(id, r.id)));
        return { ...p, publicIPAddresses: [...after, ...adds] };
      });
      const [n, settled] = next({ ...w, prefixes });
      w = settled;
      const instance: ObservedVmssInstance = {
        vm: { ...step.body, etag: etag(n), provisioningState: 'Succeeded' },
        primaryNic: {
          id: `${current.vm.id}/networkInterfaces/${primary?.name ?? 'nic'}`,
          name: primary?.name ?? 'nic',
          ipConfigurations: viewIpcs,
        },
      };
      const instances = [...members.instances];
      instances[index] = instance;
      return { ...w, members: { ...members, instances } };
    }
    case 'put-network-interface': {
      const members = world.members;
      const nics = nicsOf(members);
      const current = nics.find((n) => sameArmId(n.id, step.resourceId));
      if (current === undefined) throw new ArmRefusal('no such NIC');
      checkEtag(current.etag, step.ifMatch, step.resourceId);
      const lbBackends = (world.loadBalancer?.backendAddressPools ?? []).map((b) => b.id);
      // A public IP is associated with at most one ipConfiguration (its `ipConfiguration` is singular).
      // Moving one from an ipConfig to another in a single NIC PUT is not documented: refused here, so the
      // planner must detach it in one write and attach it in a later one.
      const body = step.body.ipConfigurations ?? [];
      for (const ipc of body) {
        const pipId = ipc.publicIPAddress?.id;
        if (pipId === undefined) continue;
        if (body.some((o) => o !== ipc && sameArmId(o.publicIPAddress?.id, pipId)))
          throw new ArmRefusal(`NIC ${current.name}: public IP ${pipId} on two ipConfigurations`);
        const at = attachmentOf(world, pipId);
        if (
          at !== undefined &&
          at.toLowerCase().startsWith(`${armIdKey(current.id)}/`) &&
          !sameArmId(at, `${current.id}/ipConfigurations/${ipc.name ?? ''}`)
        )
          throw new ArmRefusal(
            `NIC ${current.name}: public IP ${pipId} moved to ${ipc.name ?? ''} in one PUT`,
          );
      }
      let w = world;
      const ipcs: NicIpConfiguration[] = [];
      for (const ipc of step.body.ipConfigurations ?? []) {
        for (const b of ipc.loadBalancerBackendAddressPools ?? []) {
          if (!isEgretLbRef(b.id)) continue;
          if (!lbBackends.some((id) => sameArmId(id, b.id)))
            throw new ArmRefusal(`NIC ${current.name}: no backend pool ${b.id ?? ''}`);
        }
        const pipId = ipc.publicIPAddress?.id;
        if (pipId !== undefined) {
          const pip = w.publicIps.find((p) => sameArmId(p.id, pipId));
          if (pip === undefined) throw new ArmRefusal(`NIC ${current.name}: no public IP ${pipId}`);
          const at = pip.ipConfiguration?.id;
          if (at !== undefined && !at.toLowerCase().startsWith(`${armIdKey(current.id)}/`))
            throw new ArmRefusal(`public IP ${pip.name} is attached elsewhere`);
        }
        let ip = ipc.privateIPAddress;
        if (ip === undefined || ip === '') {
          let n: number;
          [n, w] = next(w);
          ip = `10.1.${Math.floor(n / 250)}.${n % 250}`;
        }
        ipcs.push({ ...ipc, id: `${current.id}/ipConfigurations/${ipc.name ?? ''}`, privateIPAddress: ip });
      }
      // Attach/detach public IPs.
      const publicIps = w.publicIps.map((p) => {
        const user = ipcs.find((c) => sameArmId(c.publicIPAddress?.id, p.id));
        const wasOurs = p.ipConfiguration?.id?.toLowerCase().startsWith(`${armIdKey(current.id)}/`) === true;
        if (user !== undefined) return { ...p, ipConfiguration: { id: user.id as string } };
        if (wasOurs) {
          const { ipConfiguration: _detached, ...rest } = p;
          return rest;
        }
        return p;
      });
      const [n, settled] = next({ ...w, publicIps });
      w = settled;
      const nic: NetworkInterface = {
        ...step.body,
        etag: etag(n),
        provisioningState: 'Succeeded',
        ipConfigurations: ipcs,
      };
      return { ...w, members: replaceNic(members, nic) };
    }
  }
}

function attachmentOf(world: World, pipId: string): string | undefined {
  return world.publicIps.find((p) => sameArmId(p.id, pipId))?.ipConfiguration?.id;
}

/** Backend pools of other load balancers (e.g. the cluster's outbound pool) are outside this model. */
function isEgretLbRef(id: string | undefined): boolean {
  return id !== undefined && id.toLowerCase().includes('/loadbalancers/kubeegressgateway-ilb/');
}

function checkVmssRefs(world: World, ipcs: readonly VmssIpConfiguration[]): void {
  for (const ipc of ipcs) {
    for (const b of ipc.loadBalancerBackendAddressPools ?? []) {
      if (!isEgretLbRef(b.id)) continue;
      if (!(world.loadBalancer?.backendAddressPools ?? []).some((x) => sameArmId(x.id, b.id)))
        throw new ArmRefusal(`no backend pool ${b.id ?? ''}`);
    }
    const prefix = vmssPrefixRef(ipc);
    if (prefix !== undefined && !world.prefixes.some((p) => sameArmId(p.id, prefix)))
      throw new ArmRefusal(`no prefix ${prefix}`);
  }
}

function vmssPrefixRef(ipc: VmssIpConfiguration | NicIpConfiguration): string | undefined {
  const cfg = ipc.publicIPAddressConfiguration as VmssIpConfiguration['publicIPAddressConfiguration'];
  return cfg?.publicIPPrefix?.id;
}

/** Every ipConfig of every member (model, instances, NICs). */
export function allMemberIpConfigs(world: World): readonly (VmssIpConfiguration | NicIpConfiguration)[] {
  const m = world.members;
  if (m.kind === 'vmss') {
    const fromConfigs = (cs: readonly VmssNetworkConfiguration[] | undefined): VmssIpConfiguration[] =>
      (cs ?? []).flatMap((c) => c.ipConfigurations ?? []);
    return [
      ...fromConfigs(m.vmss?.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations),
      ...m.instances.flatMap((i) =>
        fromConfigs(i.vm.networkProfileConfiguration?.networkInterfaceConfigurations),
      ),
    ];
  }
  return nicsOf(m).flatMap((n) => n.ipConfigurations ?? []);
}

function memberBackendRefs(world: World): readonly string[] {
  return allMemberIpConfigs(world).flatMap((c) =>
    (c.loadBalancerBackendAddressPools ?? []).map((b) => b.id ?? ''),
  );
}

/** The NICs of a NIC-based pool. */
export function nicsOf(members: ObservedPoolMembers): readonly NetworkInterface[] {
  switch (members.kind) {
    case 'vmss':
      return [];
    case 'aks-vm-pool':
      return members.nics;
    case 'standalone-vms':
      return members.vms.flatMap((v) => (v.primaryNic === undefined ? [] : [v.primaryNic]));
  }
}

function replaceNic(members: ObservedPoolMembers, nic: NetworkInterface): ObservedPoolMembers {
  switch (members.kind) {
    case 'vmss':
      return members;
    case 'aks-vm-pool':
      return { ...members, nics: members.nics.map((n) => (sameArmId(n.id, nic.id) ? nic : n)) };
    case 'standalone-vms':
      return {
        ...members,
        vms: members.vms.map((v) =>
          v.primaryNic !== undefined && sameArmId(v.primaryNic.id, nic.id) ? { ...v, primaryNic: nic } : v,
        ),
      };
  }
}
