/**
 * Virtual machine scale sets (Uniform). PUT and PATCH merge into the existing scale set (Compute keeps
 * what a partial body leaves out: upstream PUTs only `location` + the network profile). A PUT that
 * creates a scale set must carry `sku`: without it Compute answers 400 InvalidParameter "Required
 * parameter 'sku' is missing (null)." (kube-egress-gateway #645 hit exactly this by PUTting to a
 * resource group where the scale set did not exist).
 *
 * Capacity changes create instances from the model (highest instance ids go first on scale-in);
 * model changes reach existing instances only with upgradePolicy Automatic/Rolling, or via
 * `manualupgrade` / an instance PUT under Manual.
 */
import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, jsonEqual, num, obj, str, text } from '../../core/json.js';
import type { OperationFailure } from '../../engines/lroEngine.js';
import type { ArmReply, ArmRequest, Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import { bumpEtag, newStoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { checkPreconditions, okResource, startOperation } from '../context.js';
import { resourceType } from '../resourceType.js';
import {
  computeWriteRoutes,
  concurrentConflict,
  mergeComputeWrite,
  normalizeOsProfile,
  touchesScaleSet,
  VMSS_TYPE,
  vmssLock,
} from './computeWrites.js';
import {
  applyInstanceNetwork,
  createInstance,
  deleteInstances,
  instancesOf,
  modelNetworkConfigs,
  removeInstance,
  renderInstance,
  setInstanceState,
  validateNetworkConfigs,
  withNicConfigDefaults,
} from './vmssInstances.js';

export function virtualMachineScaleSetRoutes(ctx: ProviderContext): Route[] {
  const scaleSets = resourceType(ctx, {
    type: VMSS_TYPE,
    api: 'compute',
    nameParam: 'vmScaleSetName',
    render: renderScaleSet,
  });
  return [
    ...scaleSets.readRoutes(),
    ...computeWriteRoutes(ctx, scaleSets, {
      what: 'virtual machine scale set',
      policies: { create: 'PutVMScaleSet', update: 'UpdateVMScaleSet', delete: 'DeleteVMScaleSet' },
      write: (req, id, input, method) => writeScaleSet(ctx, req, id, input, method),
      remove: (req, id) => deleteScaleSet(ctx, req, id),
    }),
    {
      method: 'POST',
      pattern: `${scaleSets.itemPattern}/delete`,
      api: 'compute',
      resourceId: scaleSets.idOf,
      computePolicy: () => 'DeleteVMScaleSet',
      handler: (req) => {
        const vmss = scaleSets.get(req);
        return deleteInstances(
          ctx,
          req,
          vmss,
          instancesFromBody(ctx, req, vmss, 'vmInstanceIDs.instanceIds'),
          'action',
        );
      },
    },
    {
      method: 'POST',
      pattern: `${scaleSets.itemPattern}/manualupgrade`,
      api: 'compute',
      resourceId: scaleSets.idOf,
      computePolicy: () => 'UpdateVMScaleSet',
      handler: (req) => manualUpgrade(ctx, req, scaleSets.get(req)),
    },
  ];
}

function instancesFromBody(
  ctx: ProviderContext,
  req: ArmRequest,
  vmss: StoredResource,
  paramName: string,
): StoredResource[] {
  const ids = arr(obj(req.body)['instanceIds']).map((x) => text(x));
  if (req.body?.['instanceIds'] === undefined)
    throw armErrors.invalidParameter(`Required parameter '${paramName}' is missing (null).`, paramName);
  const instances = instancesOf(ctx, vmss);
  return ids.map((id) => {
    const found = instances.find((i) => text(i.body['instanceId']) === id);
    if (!found || obj(found.body['properties'])['provisioningState'] === 'Deleting')
      throw armErrors.invalidParameter(
        `The provided instanceId ${id} is not an active Virtual Machine Scale Set VM instanceId.`,
        'instanceIds',
      );
    return found;
  });
}

/** Adds what Compute fills in on a scale set model and drops what it never returns (secrets). */
function withModelDefaults(body: JsonObject, existing: StoredResource | undefined): JsonObject {
  const props = obj(body['properties']);
  const profile = obj(props['virtualMachineProfile']);
  normalizeOsProfile(profile, ['adminPassword']);
  const network = obj(profile['networkProfile']);
  if (network['networkInterfaceConfigurations'] !== undefined)
    network['networkInterfaceConfigurations'] = withNicConfigDefaults(
      modelNetworkConfigs({ body } as StoredResource),
    );
  if (Object.keys(network).length > 0) profile['networkProfile'] = network;
  profile['securityProfile'] = profile['securityProfile'] ?? { securityType: 'Standard' };
  const extensionProfile = obj(profile['extensionProfile']);
  if (Array.isArray(extensionProfile['extensions'])) {
    const vmssId = str(body['id']) ?? existing?.id ?? '';
    extensionProfile['extensions'] = arr(extensionProfile['extensions']).map((e) => {
      const ext = obj(e);
      return {
        ...ext,
        id: `${vmssId}/extensions/${str(ext['name']) ?? ''}`,
        type: 'Microsoft.Compute/virtualMachineScaleSets/extensions',
        properties: { ...obj(ext['properties']), provisioningState: 'Succeeded' },
      };
    });
    profile['extensionProfile'] = extensionProfile;
  }
  props['virtualMachineProfile'] = profile;
  props['upgradePolicy'] = props['upgradePolicy'] ?? { mode: 'Manual' };
  props['singlePlacementGroup'] = props['singlePlacementGroup'] ?? true;
  props['overprovision'] = props['overprovision'] ?? true;
  props['orchestrationMode'] = props['orchestrationMode'] ?? 'Uniform';
  props['uniqueId'] = str(obj(existing?.body['properties'])['uniqueId']) ?? randomUUID();
  props['timeCreated'] = str(obj(existing?.body['properties'])['timeCreated']) ?? new Date().toISOString();
  body['properties'] = props;
  return body;
}

/**
 * PUT/PATCH of a scale set, also used by the admin API for platform-side changes (autoscale PATCHes
 * `sku.capacity` through ARM, so it emits the same event).
 */
export function writeScaleSet(
  ctx: ProviderContext,
  req: ArmRequest,
  id: string,
  input: JsonObject,
  method: 'PUT' | 'PATCH',
): ArmReply {
  const existing = ctx.store.get(id);
  checkPreconditions(req, existing);
  if (ctx.lro.isLocked(touchesScaleSet(id))) throw concurrentConflict();
  if (!existing) {
    if (input['location'] === undefined) throw armErrors.locationRequired();
    if (input['sku'] === undefined)
      throw armErrors.invalidParameter("Required parameter 'sku' is missing (null).", 'sku');
  }
  const oldProfile = clone(obj(obj(existing?.body['properties'])['virtualMachineProfile']));
  let body = mergeComputeWrite(existing, input, {
    writable: ['location', 'tags', 'sku', 'properties', 'identity', 'plan', 'zones', 'extendedLocation'],
    readOnlyProperties: ['provisioningState', 'uniqueId', 'timeCreated'],
  });
  body['id'] = id;
  body = withModelDefaults(body, existing);
  validateNetworkConfigs(ctx, id, modelNetworkConfigs({ body } as StoredResource));
  const capacity = num(obj(body['sku'])['capacity']) ?? 0;
  if (!Number.isInteger(capacity) || capacity < 0)
    throw armErrors.invalidParameter('sku.capacity must be a non-negative integer.', 'sku.capacity');

  const failures: OperationFailure[] = [];
  const created: StoredResource[] = [];
  const removed: StoredResource[] = [];
  const upgraded: StoredResource[] = [];
  const vmss = ctx.store.transaction(() => {
    const vmss = existing ?? newStoredResource(id, VMSS_TYPE, {}, 'compute');
    const modelChanged = !jsonEqual(oldProfile, obj(obj(body['properties'])['virtualMachineProfile']));
    vmss.body = body;
    vmss.body['id'] = id;
    vmss.body['name'] = id.split('/').pop() ?? '';
    vmss.body['type'] = VMSS_TYPE;
    obj(vmss.body['properties'])['provisioningState'] = existing ? 'Updating' : 'Creating';
    if (existing) bumpEtag(vmss, 'compute');
    else vmss.body['etag'] = vmss.etag;
    if (!existing) vmss.internal = { modelVersion: 1, nextInstanceId: 0 };
    else if (modelChanged) vmss.internal['modelVersion'] = (num(vmss.internal['modelVersion']) ?? 0) + 1;
    ctx.store.put(vmss);
    const live = instancesOf(ctx, vmss).filter(
      (i) => obj(i.body['properties'])['provisioningState'] !== 'Deleting',
    );
    const mode = str(obj(obj(vmss.body['properties'])['upgradePolicy'])['mode']) ?? 'Manual';
    if (existing && modelChanged && mode !== 'Manual') {
      for (const i of live) {
        const configs = withNicConfigDefaults(modelNetworkConfigs(vmss));
        obj(i.body['properties'])['networkProfileConfiguration'] = {
          networkInterfaceConfigurations: configs,
        };
        const f = applyInstanceNetwork(ctx, i, configs);
        if (f) failures.push(f);
        i.internal['modelVersionApplied'] = vmss.internal['modelVersion'] ?? 0;
        setInstanceState(ctx, i, 'Updating');
        bumpEtag(i, 'compute');
        upgraded.push(i);
      }
    }
    for (let n = live.length; n < capacity; n++) {
      const next = num(vmss.internal['nextInstanceId']) ?? 0;
      vmss.internal['nextInstanceId'] = next + 1;
      const { instance, failure } = createInstance(ctx, vmss, next);
      if (failure) failures.push(failure);
      created.push(instance);
    }
    if (live.length > capacity) {
      const byIdDesc = [...live].sort((a, b) => Number(b.body['instanceId']) - Number(a.body['instanceId']));
      for (const i of byIdDesc.slice(0, live.length - capacity)) {
        setInstanceState(ctx, i, 'Deleting');
        removed.push(i);
      }
    }
    return vmss;
  });
  const finish = (state: 'Succeeded' | 'Failed') => {
    if (ctx.store.get(id) !== vmss) return;
    obj(vmss.body['properties'])['provisioningState'] = state;
    for (const i of [...created, ...upgraded]) setInstanceState(ctx, i, state);
    for (const i of removed) if (ctx.store.get(i.id) === i) removeInstance(ctx, i);
  };
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Compute',
    kind: 'vmssWrite',
    resourceId: id,
    location: vmss.body['location'],
    locks: [vmssLock(id)],
    event: { kind: 'write', operationName: `${VMSS_TYPE}/write` },
    failure: failures[0],
    onSucceeded: () => finish('Succeeded'),
    onFailed: () => finish('Failed'),
  });
  return okResource(renderScaleSet(vmss), existing || method === 'PATCH' ? 200 : 201, headers);
}

function deleteScaleSet(ctx: ProviderContext, req: ArmRequest, id: string): ArmReply {
  const vmss = ctx.store.get(id);
  checkPreconditions(req, vmss);
  if (!vmss) return { status: 204 };
  if (ctx.lro.isLocked(touchesScaleSet(id))) throw concurrentConflict();
  obj(vmss.body['properties'])['provisioningState'] = 'Deleting';
  const instances = instancesOf(ctx, vmss);
  for (const i of instances) setInstanceState(ctx, i, 'Deleting');
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Compute',
    kind: 'vmssDelete',
    resourceId: id,
    location: vmss.body['location'],
    locks: [vmssLock(id)],
    event: { kind: 'delete', operationName: `${VMSS_TYPE}/delete` },
    onSucceeded: () => {
      if (ctx.store.get(id) !== vmss) return;
      for (const i of instancesOf(ctx, vmss)) removeInstance(ctx, i);
      ctx.store.delete(id);
    },
    onFailed: () => {
      obj(vmss.body['properties'])['provisioningState'] = 'Failed';
    },
  });
  return { status: 202, headers };
}

/** `manualupgrade`: the listed instances take the model's network profile and become up to date. */
function manualUpgrade(ctx: ProviderContext, req: ArmRequest, vmss: StoredResource): ArmReply {
  if (ctx.lro.isLocked(touchesScaleSet(vmss.id))) throw concurrentConflict();
  const instances = instancesFromBody(ctx, req, vmss, 'upgradePolicies.instanceIds');
  const failures: OperationFailure[] = [];
  ctx.store.transaction(() => {
    for (const i of instances) {
      const configs = withNicConfigDefaults(modelNetworkConfigs(vmss));
      obj(i.body['properties'])['networkProfileConfiguration'] = { networkInterfaceConfigurations: configs };
      const f = applyInstanceNetwork(ctx, i, configs);
      if (f) failures.push(f);
      i.internal['modelVersionApplied'] = vmss.internal['modelVersion'] ?? 0;
      setInstanceState(ctx, i, 'Updating');
      bumpEtag(i, 'compute');
    }
  });
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Compute',
    kind: 'vmssAction',
    resourceId: vmss.id,
    location: vmss.body['location'],
    locks: [vmssLock(vmss.id)],
    event: { kind: 'action', operationName: `${VMSS_TYPE}/manualUpgrade/action`, actionSegments: 1 },
    failure: failures[0],
    onSucceeded: () => instances.forEach((i) => setInstanceState(ctx, i, 'Succeeded')),
    onFailed: () => instances.forEach((i) => setInstanceState(ctx, i, 'Failed')),
  });
  return { status: 202, headers };
}

export function renderScaleSet(r: StoredResource): JsonObject {
  return clone(r.body);
}

/** Instances of a scale set as the instance list renders them (admin helpers and tests). */
export function renderScaleSetInstances(ctx: ProviderContext, vmss: StoredResource): JsonObject[] {
  return instancesOf(ctx, vmss).map((i) => renderInstance(ctx, vmss, i));
}

export function assertScaleSet(r: StoredResource | undefined, id: string): StoredResource {
  if (!r || r.type !== VMSS_TYPE)
    throw new ArmError(404, 'ResourceNotFound', `Scale set ${id} was not found.`);
  return r;
}
