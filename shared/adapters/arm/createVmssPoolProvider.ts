/**
 * The VMSS (Uniform) gateway pool: ipConfigs are written on the scale set model AND on every instance,
 * because under upgrade policy `Manual` (what AKS uses) a model change does not reach existing
 * instances by itself (upstream `reconcileVMSS`).
 *
 * Observation: the model (GET), every instance (one paged list: it carries
 * `networkProfileConfiguration`, `etag`, `provisioningState`) and the Network RP view of every
 * instance's NICs (ONE paged list over the scale set, `…/virtualMachineScaleSets/{v}/networkInterfaces`,
 * api-version 2018-10-01): the allocated private IPs the planner's "IP missing" check reads. Upstream
 * GETs each instance's NIC; the list gives the same views in one call per page.
 * An instance's primary NIC is its NIC view marked `primary` (the only one when there is one); an
 * instance without a NIC view gets none (the planner then does not force it).
 *
 * Writes: model PUT (`createOrUpdate`, whole model, `ifMatch`) and instance PUT (`update`, whole
 * instance, `ifMatch`), each awaited to the end of its long-running operation. Azure answers 409
 * Conflict to a write on a scale set while another operation on it or its instances runs; the plan
 * phases keep ours apart (model before instances), and a 409 from someone else's operation becomes a
 * ConflictError (re-observe, re-plan).
 */
import type { VirtualMachineScaleSet as SdkScaleSet, VirtualMachineScaleSetVM } from '@azure/arm-compute';
import type { AppliedStep, MemberPlanStep } from '../../ports/armWriter.js';
import type { GatewayPoolProvider } from '../../ports/armInventory.js';
import { armIdKey, sameArmId } from '../../core/armId.js';
import { InvariantError } from '../../core/errors.js';
import type {
  NetworkInterface,
  ObservedPoolMembers,
  ObservedVmssInstance,
  VirtualMachineScaleSet,
  VirtualMachineScaleSetVm,
} from '../../core/observed.js';
import type { PoolRef } from '../../core/pool.js';
import type { ArmSdkClients } from './createArmClientsFromConfig.js';
import { armGet, armList, armWrite, asObserved, asSdkModel, requireArmId } from './armCalls.js';

/** Builds the VMSS provider. */
export function createVmssPoolProvider(clients: ArmSdkClients): GatewayPoolProvider {
  const { compute, network } = clients;
  return {
    kind: 'vmss',

    async observe(pool: PoolRef, signal: AbortSignal): Promise<ObservedPoolMembers> {
      if (pool.kind !== 'vmss')
        throw new InvariantError(`the VMSS provider cannot observe a ${pool.kind} pool`);
      const { resourceGroup: rg, vmssName } = pool;
      const where = `${rg}/${vmssName}`;
      const model = await armGet(
        () => compute.virtualMachineScaleSets.get(rg, vmssName, { abortSignal: signal }),
        { action: 'GET scale set', resourceId: where },
      );
      if (model === undefined) return { kind: 'vmss', instances: [] };
      const vmss = asObserved<VirtualMachineScaleSet>(model, 'scale set');
      const [vms, nics] = await Promise.all([
        armList(() => compute.virtualMachineScaleSetVMs.list(rg, vmssName, { abortSignal: signal }), {
          action: 'list instances of',
          resourceId: vmss.id,
        }),
        armList(
          () =>
            network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(rg, vmssName, {
              abortSignal: signal,
            }),
          { action: 'list network interfaces of', resourceId: vmss.id },
        ),
      ]);
      const nicViews = nics.map((n) => asObserved<NetworkInterface>(n, 'scale set network interface'));
      const instances = vms
        .map((vm) => asObserved<VirtualMachineScaleSetVm>(vm, 'scale set instance', { name: false }))
        .map((vm): ObservedVmssInstance => {
          const primaryNic = primaryNicOf(vm, nicViews);
          return primaryNic === undefined ? { vm } : { vm, primaryNic };
        })
        .sort((a, b) => compare(armIdKey(a.vm.id), armIdKey(b.vm.id)));
      return { kind: 'vmss', vmss, instances };
    },

    handles: (step: MemberPlanStep) => step.kind === 'put-vmss' || step.kind === 'put-vmss-instance',

    async apply(step: MemberPlanStep, signal: AbortSignal): Promise<AppliedStep> {
      const at = requireArmId(step.resourceId);
      const context = { action: 'PUT', resourceId: step.resourceId };
      const condition = {
        abortSignal: signal,
        ...(step.ifMatch === undefined ? {} : { ifMatch: step.ifMatch }),
      };
      switch (step.kind) {
        case 'put-vmss': {
          const written = await armWrite(
            () =>
              compute.virtualMachineScaleSets.createOrUpdate(
                at.resourceGroup,
                at.name,
                asSdkModel<SdkScaleSet>(step.body),
                condition,
              ),
            context,
          );
          return applied(step.resourceId, written.etag);
        }
        case 'put-vmss-instance': {
          const written = await armWrite(
            () =>
              compute.virtualMachineScaleSetVMs.update(
                at.resourceGroup,
                step.vmssName,
                step.instanceId,
                asSdkModel<VirtualMachineScaleSetVM>(step.body),
                condition,
              ),
            context,
          );
          return applied(step.resourceId, written.etag);
        }
        case 'put-network-interface':
          throw new InvariantError(`the VMSS provider does not write standalone NICs: ${step.resourceId}`);
      }
    },
  };
}

/** The instance's NIC view marked primary, or its only NIC view. */
function primaryNicOf(
  vm: VirtualMachineScaleSetVm,
  nics: readonly NetworkInterface[],
): NetworkInterface | undefined {
  const prefix = `${armIdKey(vm.id)}/networkinterfaces/`;
  const own = nics.filter((n) => armIdKey(n.id).startsWith(prefix) || sameArmId(n.virtualMachine?.id, vm.id));
  return own.find((n) => n.primary === true) ?? (own.length === 1 ? own[0] : undefined);
}

function applied(resourceId: string, etag: string | undefined): AppliedStep {
  return etag === undefined ? { resourceId } : { resourceId, etag };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
