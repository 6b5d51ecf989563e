/**
 * Standalone virtual machines (and AKS VirtualMachines-pool nodes). A VM references existing NICs by
 * id; a NIC serves one VM at a time. PUT/PATCH merge like the rest of Compute; deleting a VM keeps its
 * NICs unless the reference says `deleteOption: Delete`.
 */
import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, isObject, obj, str } from '../../core/json.js';
import { isIdOfType, sameId } from '../../core/resourceId.js';
import type { ArmReply, ArmRequest, Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import { bumpEtag, newStoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { checkPreconditions, okResource, startOperation } from '../context.js';
import { NIC_TYPE } from '../network/addressing.js';
import { vmUsing } from '../network/networkInterfaces.js';
import { resourceType } from '../resourceType.js';
import {
  computeWriteRoutes,
  concurrentConflict,
  mergeComputeWrite,
  normalizeOsProfile,
  osTypeOf,
  VM_TYPE,
  vmLock,
} from './computeWrites.js';

export function virtualMachineRoutes(ctx: ProviderContext): Route[] {
  const vms = resourceType(ctx, {
    type: VM_TYPE,
    api: 'compute',
    nameParam: 'vmName',
    render: renderVirtualMachine,
  });
  return [
    ...vms.readRoutes(),
    {
      method: 'GET',
      pattern:
        '/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/virtualMachines',
      api: 'compute',
      handler: (req) =>
        vms.list(
          req,
          {},
          (r) => normalizeLocation(str(r.body['location'])) === normalizeLocation(req.params['location']),
        ),
    },
    ...computeWriteRoutes(ctx, vms, {
      what: 'virtual machine',
      policies: { create: 'PutVM', update: 'UpdateVM', delete: 'DeleteVM' },
      write: (req, id, input, method) => writeVirtualMachine(ctx, req, id, input, method),
      remove: (req, id) => deleteVirtualMachine(ctx, req, id),
    }),
  ];
}

function normalizeLocation(l: string | undefined): string {
  return (l ?? '').replace(/\s+/g, '').toLowerCase();
}

/** PUT/PATCH of a VM (also used by the admin API to replace a VM). */
export function writeVirtualMachine(
  ctx: ProviderContext,
  req: ArmRequest,
  id: string,
  input: JsonObject,
  method: 'PUT' | 'PATCH',
): ArmReply {
  const existing = ctx.store.get(id);
  checkPreconditions(req, existing);
  if (ctx.lro.isLocked((l) => l === vmLock(id))) throw concurrentConflict();
  if (!existing && input['location'] === undefined) throw armErrors.locationRequired();
  const body = mergeComputeWrite(existing, input, {
    writable: ['location', 'tags', 'properties', 'identity', 'plan', 'zones'],
    readOnlyProperties: ['provisioningState', 'vmId', 'instanceView', 'timeCreated'],
  });
  const props = obj(body['properties']);
  const network = obj(props['networkProfile']);
  if (network['networkInterfaceConfigurations'] !== undefined)
    throw armErrors.invalidParameter(
      'networkProfile.networkInterfaceConfigurations (NICs created by the VM) is not modelled by the ARM stand-in; create the NIC and reference it in networkProfile.networkInterfaces.',
      'networkProfile.networkInterfaceConfigurations',
    );
  const refs = arr(network['networkInterfaces']).filter(isObject);
  for (const ref of refs) {
    const nicId = str(ref['id']);
    const nic = nicId !== undefined && isIdOfType(nicId, NIC_TYPE) ? ctx.store.get(nicId) : undefined;
    if (!nic || nicId === undefined) throw armErrors.invalidReference(nicId ?? '(none)', id);
    const other = vmUsing(ctx, nic.id);
    if (other && !sameId(other.id, id))
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${nic.id} is used by existing resource ${other.id}. A network interface can be attached to one virtual machine only.`,
      );
    ref['id'] = nic.id;
  }
  if (refs.length > 1 && refs.filter((r) => obj(r['properties'])['primary'] === true).length !== 1)
    throw armErrors.invalidParameter(
      'Exactly one network interface of a virtual machine must be marked primary.',
      'networkProfile',
    );
  normalizeOsProfile(props, ['adminPassword', 'customData']);
  const storage = obj(props['storageProfile']);
  if (Object.keys(storage).length > 0) {
    const osDisk = obj(storage['osDisk']);
    if (storage['imageReference'] !== undefined)
      osDisk['osType'] = str(osDisk['osType']) ?? osTypeOf(storage);
    storage['osDisk'] = osDisk;
    storage['dataDisks'] = arr(storage['dataDisks']).map((d) => ({
      caching: 'None',
      managedDisk: { storageAccountType: 'Standard_LRS' },
      ...obj(d),
    }));
    props['storageProfile'] = storage;
  }
  props['securityProfile'] = props['securityProfile'] ?? { securityType: 'Standard' };
  props['vmId'] = str(obj(existing?.body['properties'])['vmId']) ?? randomUUID();
  props['timeCreated'] = str(obj(existing?.body['properties'])['timeCreated']) ?? new Date().toISOString();
  props['provisioningState'] = existing ? 'Updating' : 'Creating';
  body['properties'] = props;
  body['id'] = id;
  body['name'] = id.split('/').pop() ?? '';
  body['type'] = VM_TYPE;
  let vm: StoredResource;
  if (existing) {
    vm = existing;
    vm.body = body;
    bumpEtag(vm, 'compute');
  } else {
    vm = newStoredResource(id, VM_TYPE, body, 'compute');
    vm.body['etag'] = vm.etag;
  }
  ctx.store.put(vm);
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Compute',
    kind: 'vmWrite',
    resourceId: id,
    location: body['location'],
    locks: [vmLock(id)],
    event: { kind: 'write', operationName: `${VM_TYPE}/write` },
    onSucceeded: () => setState(ctx, vm, 'Succeeded'),
    onFailed: () => setState(ctx, vm, 'Failed'),
  });
  return okResource(renderVirtualMachine(vm), existing || method === 'PATCH' ? 200 : 201, headers);
}

export function deleteVirtualMachine(ctx: ProviderContext, req: ArmRequest, id: string): ArmReply {
  const vm = ctx.store.get(id);
  checkPreconditions(req, vm);
  if (!vm) return { status: 204 };
  if (ctx.lro.isLocked((l) => l === vmLock(id))) throw concurrentConflict();
  obj(vm.body['properties'])['provisioningState'] = 'Deleting';
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Compute',
    kind: 'vmDelete',
    resourceId: id,
    location: vm.body['location'],
    locks: [vmLock(id)],
    event: { kind: 'delete', operationName: `${VM_TYPE}/delete` },
    onSucceeded: () => {
      if (ctx.store.get(id) !== vm) return;
      ctx.store.delete(id);
      for (const ref of arr(obj(obj(vm.body['properties'])['networkProfile'])['networkInterfaces'])) {
        if (str(obj(obj(ref)['properties'])['deleteOption']) === 'Delete')
          ctx.store.delete(str(obj(ref)['id']) ?? '');
      }
    },
    onFailed: () => setState(ctx, vm, 'Failed'),
  });
  return { status: 202, headers };
}

function setState(ctx: ProviderContext, vm: StoredResource, state: string): void {
  if (ctx.store.get(vm.id) !== vm) return;
  obj(vm.body['properties'])['provisioningState'] = state;
}

export function renderVirtualMachine(r: StoredResource): JsonObject {
  return clone(r.body);
}
