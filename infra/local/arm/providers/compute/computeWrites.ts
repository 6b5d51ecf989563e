/**
 * The Compute RP's write lifecycle: PUT answers 201 (create) / 200 (update) and PATCH 200, with
 * `provisioningState` Creating/Updating and `Azure-AsyncOperation`; DELETE and POST actions answer 202
 * with `Location` too; etags count writes (`"1"`, `"2"`). A write that meets a running operation on
 * the same scale set (model, any of its instances) or VM answers 409 `Conflict`, the code Compute uses
 * ("The request failed due to conflict with a concurrent request", as seen by cloud-provider-azure).
 */
import { ArmError } from '../../core/armError.js';
import { idKey } from '../../core/resourceId.js';

export const VMSS_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';
export const INSTANCE_TYPE = 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines';
export const VM_TYPE = 'Microsoft.Compute/virtualMachines';

export function vmssLock(vmssId: string): string {
  return `vmss:${idKey(vmssId)}`;
}

export function instanceLock(vmssId: string, instanceId: string): string {
  return `vmssinst:${idKey(vmssId)}/${instanceId.toLowerCase()}`;
}

export function vmLock(vmId: string): string {
  return `vm:${idKey(vmId)}`;
}

/** Any running operation on the scale set model or one of its instances. */
export function touchesScaleSet(vmssId: string): (lock: string) => boolean {
  const model = vmssLock(vmssId);
  const instances = `vmssinst:${idKey(vmssId)}/`;
  return (l) => l === model || l.startsWith(instances);
}

/** A running operation on the scale set model or on this instance. */
export function touchesInstance(vmssId: string, instanceId: string): (lock: string) => boolean {
  const model = vmssLock(vmssId);
  const inst = instanceLock(vmssId, instanceId);
  return (l) => l === model || l === inst;
}

export function concurrentConflict(): ArmError {
  return new ArmError(
    409,
    'Conflict',
    'The request failed due to conflict with a concurrent request. To resolve it, please refer to https://aka.ms/activitylog to get more details on the conflicting requests.',
  );
}
