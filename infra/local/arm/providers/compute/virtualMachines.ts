/**
 * Standalone virtual machines (and AKS VirtualMachines-pool nodes). A VM references existing NICs by
 * id; a NIC serves one VM at a time. PUT/PATCH merge like the rest of Compute; deleting a VM keeps its
 * NICs unless the reference says `deleteOption: Delete`.
 */
import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, deepMerge, isObject, obj, str, text } from '../../core/json.js';
import { isIdOfType, parseResourceId, sameId } from '../../core/resourceId.js';
import type { ArmReply, ArmRequest, Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import { bumpEtag, newStoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import {
  beginOperation,
  canonicalId,
  checkName,
  checkPreconditions,
  eventFor,
  okResource,
  page,
  requestedResourceUri,
  requireBody,
  requireResourceGroup,
} from '../context.js';
import { NIC_TYPE } from '../network/addressing.js';
import { vmUsing } from '../network/networkInterfaces.js';
import { concurrentConflict, VM_TYPE, vmLock } from './computeWrites.js';
import { osTypeOf } from './vmssInstances.js';

const RG =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines';

export function virtualMachineRoutes(ctx: ProviderContext): Route[] {
  const vmId = (p: Readonly<Record<string, string>>) =>
    canonicalId(
      ctx,
      p['subscriptionId'] ?? '',
      p['resourceGroupName'] ?? '',
      `Microsoft.Compute/virtualMachines/${p['vmName'] ?? ''}`,
    );
  const get = (req: ArmRequest): StoredResource => {
    const r = ctx.store.get(vmId(req.params));
    if (!r)
      throw armErrors.resourceNotFound(
        VM_TYPE,
        req.params['vmName'] ?? '',
        req.params['resourceGroupName'] ?? '',
      );
    return r;
  };
  const list = (req: ArmRequest, filter: { resourceGroup?: string; location?: string }) => {
    if (filter.resourceGroup !== undefined)
      requireResourceGroup(ctx, req.params['subscriptionId'] ?? '', filter.resourceGroup);
    const items = ctx.store
      .list({
        type: VM_TYPE,
        subscriptionId: req.params['subscriptionId'] ?? '',
        ...(filter.resourceGroup === undefined ? {} : { resourceGroup: filter.resourceGroup }),
      })
      .filter(
        (r) =>
          filter.location === undefined ||
          normalizeLocation(str(r.body['location'])) === normalizeLocation(filter.location),
      );
    return page(ctx, req, items.map(renderVirtualMachine));
  };
  return [
    {
      method: 'GET',
      pattern: RG,
      api: 'compute',
      handler: (req) => list(req, { resourceGroup: req.params['resourceGroupName'] ?? '' }),
    },
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/providers/Microsoft.Compute/virtualMachines',
      api: 'compute',
      handler: (req) => list(req, {}),
    },
    {
      method: 'GET',
      pattern:
        '/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/virtualMachines',
      api: 'compute',
      handler: (req) => list(req, { location: req.params['location'] ?? '' }),
    },
    {
      method: 'GET',
      pattern: `${RG}/{vmName}`,
      api: 'compute',
      handler: (req) => okResource(renderVirtualMachine(get(req))),
    },
    {
      method: 'PUT',
      pattern: `${RG}/{vmName}`,
      api: 'compute',
      resourceId: vmId,
      computePolicy: (req) => (ctx.store.has(vmId(req.params)) ? 'UpdateVM' : 'PutVM'),
      handler: (req) => {
        checkName(req.params['vmName'] ?? '', 'virtual machine');
        return writeVirtualMachine(ctx, req, vmId(req.params), requireBody(req), 'PUT');
      },
    },
    {
      method: 'PATCH',
      pattern: `${RG}/{vmName}`,
      api: 'compute',
      resourceId: vmId,
      computePolicy: () => 'UpdateVM',
      handler: (req) => {
        get(req);
        return writeVirtualMachine(ctx, req, vmId(req.params), requireBody(req), 'PATCH');
      },
    },
    {
      method: 'DELETE',
      pattern: `${RG}/{vmName}`,
      api: 'compute',
      resourceId: vmId,
      computePolicy: () => 'DeleteVM',
      handler: (req) => deleteVirtualMachine(ctx, req, vmId(req.params)),
    },
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
  const patch: JsonObject = {};
  for (const k of ['location', 'tags', 'properties', 'identity', 'plan', 'zones'] as const)
    if (input[k] !== undefined) patch[k] = clone(input[k]);
  const pp = obj(patch['properties']);
  for (const readOnly of ['provisioningState', 'vmId', 'instanceView', 'timeCreated']) delete pp[readOnly];
  const body = existing ? deepMerge(existing.body, patch) : patch;
  if (existing && input['tags'] !== undefined) body['tags'] = clone(input['tags']);
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
  const os = obj(props['osProfile']);
  delete os['adminPassword'];
  delete os['customData'];
  if (Object.keys(os).length > 0) {
    os['secrets'] = arr(os['secrets']);
    const storage = obj(props['storageProfile']);
    if (
      os['linuxConfiguration'] === undefined &&
      os['windowsConfiguration'] === undefined &&
      osTypeOf(storage) === 'Windows'
    )
      os['windowsConfiguration'] = { provisionVMAgent: true, enableAutomaticUpdates: true };
    props['osProfile'] = os;
  }
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
  const p = parseResourceId(id);
  const headers = beginOperation(ctx, {
    provider: 'Microsoft.Compute',
    kind: 'vmWrite',
    location: text(body['location'] ?? ctx.config.location),
    locks: [vmLock(id)],
    event: eventFor(req, {
      kind: 'write',
      operationName: `${VM_TYPE}/write`,
      resourceUri: requestedResourceUri(req),
      provider: 'Microsoft.Compute',
      subscriptionId: p?.subscriptionId ?? ctx.config.subscriptionId,
      resourceGroup: p?.resourceGroup ?? '',
    }),
    onSucceeded: () => setState(ctx, vm, 'Succeeded'),
    onFailed: () => setState(ctx, vm, 'Failed'),
    withLocation: false,
    baseUrl: req.baseUrl,
    lroFailure: req.lroFailure,
  });
  return okResource(renderVirtualMachine(vm), existing || method === 'PATCH' ? 200 : 201, headers);
}

export function deleteVirtualMachine(ctx: ProviderContext, req: ArmRequest, id: string): ArmReply {
  const vm = ctx.store.get(id);
  checkPreconditions(req, vm);
  if (!vm) return { status: 204 };
  if (ctx.lro.isLocked((l) => l === vmLock(id))) throw concurrentConflict();
  obj(vm.body['properties'])['provisioningState'] = 'Deleting';
  const p = parseResourceId(id);
  const headers = beginOperation(ctx, {
    provider: 'Microsoft.Compute',
    kind: 'vmDelete',
    location: text(vm.body['location'] ?? ctx.config.location),
    locks: [vmLock(id)],
    event: eventFor(req, {
      kind: 'delete',
      operationName: `${VM_TYPE}/delete`,
      resourceUri: requestedResourceUri(req),
      provider: 'Microsoft.Compute',
      subscriptionId: p?.subscriptionId ?? ctx.config.subscriptionId,
      resourceGroup: p?.resourceGroup ?? '',
    }),
    onSucceeded: () => {
      if (ctx.store.get(id) !== vm) return;
      ctx.store.delete(id);
      for (const ref of arr(obj(obj(vm.body['properties'])['networkProfile'])['networkInterfaces'])) {
        if (str(obj(obj(ref)['properties'])['deleteOption']) === 'Delete')
          ctx.store.delete(str(obj(ref)['id']) ?? '');
      }
    },
    onFailed: () => setState(ctx, vm, 'Failed'),
    withLocation: true,
    baseUrl: req.baseUrl,
    lroFailure: req.lroFailure,
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
