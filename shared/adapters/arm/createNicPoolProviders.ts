/**
 * The two gateway pool kinds whose members are standalone network interfaces, written with a NIC PUT
 * (a full replace of the NIC, `If-Match` as a request header: the Network SDK has no ifMatch option):
 *
 * - AKS VirtualMachines pool: the NICs AKS pre-creates for the pool's maximum size, tagged
 *   `aks-managed-static-gateway-nic` and `aks-managed-poolName=<pool>`, in the pool's resource group —
 *   whether or not a VM uses them yet, so their private IPs exist before the VMs do (upstream
 *   `agentPoolVMs.Reconcile`). One paged NIC list per observation.
 * - Standalone VMs: the primary NIC of each named VM (`networkProfile.networkInterfaces[]` marked
 *   `primary`, or the only one), which may live in another resource group. A VM or NIC that does not
 *   exist is reported without it (the planner leaves it out).
 */
import type { NetworkInterface as SdkNetworkInterface } from '@azure/arm-network';
import type { AppliedStep, MemberPlanStep } from '../../ports/armWriter.js';
import type { GatewayPoolProvider } from '../../ports/armInventory.js';
import { armIdKey } from '../../core/armId.js';
import { InvariantError } from '../../core/errors.js';
import type {
  NetworkInterface,
  ObservedPoolMembers,
  ObservedStandaloneVm,
  VirtualMachine,
} from '../../core/observed.js';
import type { PoolRef } from '../../core/pool.js';
import { AKS_POOL_NAME_TAG, AKS_STATIC_GATEWAY_NIC_TAG } from '../../core/wellKnown.js';
import type { ArmSdkClients } from './createArmClientsFromConfig.js';
import {
  armGet,
  armList,
  armWrite,
  asObserved,
  asSdkModel,
  conditionHeaders,
  requireArmId,
} from './armCalls.js';

/** Builds the AKS VirtualMachines-pool provider. */
export function createAksVmPoolProvider(clients: ArmSdkClients): GatewayPoolProvider {
  const { network } = clients;
  return {
    kind: 'aks-vm-pool',
    async observe(pool: PoolRef, signal: AbortSignal): Promise<ObservedPoolMembers> {
      if (pool.kind !== 'aks-vm-pool')
        throw new InvariantError(`the VirtualMachines-pool provider cannot observe a ${pool.kind} pool`);
      const all = await armList(
        () => network.networkInterfaces.list(pool.resourceGroup, { abortSignal: signal }),
        { action: 'list network interfaces in', resourceId: pool.resourceGroup },
      );
      const name = pool.poolName.toLowerCase();
      const nics = all
        .map((n) => asObserved<NetworkInterface>(n, 'network interface'))
        .filter(
          (n) =>
            n.tags?.[AKS_STATIC_GATEWAY_NIC_TAG] !== undefined &&
            n.tags[AKS_POOL_NAME_TAG]?.toLowerCase() === name,
        )
        .sort((a, b) => compare(armIdKey(a.id), armIdKey(b.id)));
      return { kind: 'aks-vm-pool', nics };
    },
    handles: (step) => step.kind === 'put-network-interface',
    apply: (step, signal) => putNetworkInterface(clients, step, signal),
  };
}

/** Builds the standalone-VMs provider. */
export function createStandaloneVmsPoolProvider(clients: ArmSdkClients): GatewayPoolProvider {
  const { compute, network } = clients;
  return {
    kind: 'standalone-vms',
    async observe(pool: PoolRef, signal: AbortSignal): Promise<ObservedPoolMembers> {
      if (pool.kind !== 'standalone-vms')
        throw new InvariantError(`the standalone-VMs provider cannot observe a ${pool.kind} pool`);
      const vms = await Promise.all(
        pool.vmNames.map(async (name): Promise<ObservedStandaloneVm> => {
          const found = await armGet(
            () => compute.virtualMachines.get(pool.resourceGroup, name, { abortSignal: signal }),
            { action: 'GET virtual machine', resourceId: `${pool.resourceGroup}/${name}` },
          );
          if (found === undefined) return { name };
          const vm = asObserved<VirtualMachine>(found, 'virtual machine');
          const nicId = primaryNicId(found.networkProfile?.networkInterfaces ?? []);
          if (nicId === undefined) return { name, vm };
          const at = requireArmId(nicId);
          const nic = await armGet(
            () => network.networkInterfaces.get(at.resourceGroup, at.name, { abortSignal: signal }),
            { action: 'GET', resourceId: nicId },
          );
          return nic === undefined
            ? { name, vm }
            : { name, vm, primaryNic: asObserved<NetworkInterface>(nic, 'network interface') };
        }),
      );
      return { kind: 'standalone-vms', vms };
    },
    handles: (step) => step.kind === 'put-network-interface',
    apply: (step, signal) => putNetworkInterface(clients, step, signal),
  };
}

/** A NIC PUT (full replace) with `If-Match`, awaited to the end of its operation. */
async function putNetworkInterface(
  clients: ArmSdkClients,
  step: MemberPlanStep,
  signal: AbortSignal,
): Promise<AppliedStep> {
  if (step.kind !== 'put-network-interface')
    throw new InvariantError(`a NIC pool provider does not write ${step.kind}: ${step.resourceId}`);
  const at = requireArmId(step.resourceId);
  const written = await armWrite(
    () =>
      clients.network.networkInterfaces.createOrUpdate(
        at.resourceGroup,
        at.name,
        asSdkModel<SdkNetworkInterface>(step.body),
        {
          abortSignal: signal,
          requestOptions: {
            headers: conditionHeaders(step.ifMatch === undefined ? {} : { ifMatch: step.ifMatch }),
          },
        },
      ),
    { action: 'PUT', resourceId: step.resourceId },
  );
  return written.etag === undefined
    ? { resourceId: step.resourceId }
    : { resourceId: step.resourceId, etag: written.etag };
}

function primaryNicId(
  refs: readonly { readonly id?: string; readonly primary?: boolean }[],
): string | undefined {
  const withId = refs.filter((r) => r.id !== undefined && r.id !== '');
  return (withId.find((r) => r.primary === true) ?? (withId.length === 1 ? withId[0] : undefined))?.id;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
