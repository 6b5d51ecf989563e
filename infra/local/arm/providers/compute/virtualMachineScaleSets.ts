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
import { arr, clone, deepMerge, jsonEqual, num, obj, str, text } from '../../core/json.js';
import { parseResourceId } from '../../core/resourceId.js';
import type { OperationFailure } from '../../engines/lroEngine.js';
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
import { concurrentConflict, touchesScaleSet, VMSS_TYPE, vmssLock } from './computeWrites.js';
import {
  applyInstanceNetwork,
  createInstance,
  deleteInstances,
  instancesOf,
  modelNetworkConfigs,
  osTypeOf,
  removeInstance,
  renderInstance,
  setInstanceState,
  validateNetworkConfigs,
  withNicConfigDefaults,
} from './vmssInstances.js';

const RG =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachineScaleSets';

export function virtualMachineScaleSetRoutes(ctx: ProviderContext): Route[] {
  const vmssId = (p: Readonly<Record<string, string>>) =>
    canonicalId(
      ctx,
      p['subscriptionId'] ?? '',
      p['resourceGroupName'] ?? '',
      `Microsoft.Compute/virtualMachineScaleSets/${p['vmScaleSetName'] ?? ''}`,
    );
  const get = (req: ArmRequest): StoredResource => {
    const r = ctx.store.get(vmssId(req.params));
    if (!r)
      throw armErrors.resourceNotFound(
        VMSS_TYPE,
        req.params['vmScaleSetName'] ?? '',
        req.params['resourceGroupName'] ?? '',
      );
    return r;
  };
  const list = (req: ArmRequest, all: boolean) => {
    if (!all)
      requireResourceGroup(ctx, req.params['subscriptionId'] ?? '', req.params['resourceGroupName'] ?? '');
    const items = ctx.store.list({
      type: VMSS_TYPE,
      subscriptionId: req.params['subscriptionId'] ?? '',
      ...(all ? {} : { resourceGroup: req.params['resourceGroupName'] ?? '' }),
    });
    return page(
      ctx,
      req,
      items.map((r) => renderScaleSet(r)),
    );
  };
  return [
    { method: 'GET', pattern: RG, api: 'compute', handler: (req) => list(req, false) },
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/providers/Microsoft.Compute/virtualMachineScaleSets',
      api: 'compute',
      handler: (req) => list(req, true),
    },
    {
      method: 'GET',
      pattern: `${RG}/{vmScaleSetName}`,
      api: 'compute',
      handler: (req) => okResource(renderScaleSet(get(req))),
    },
    {
      method: 'PUT',
      pattern: `${RG}/{vmScaleSetName}`,
      api: 'compute',
      resourceId: vmssId,
      computePolicy: (req) => (ctx.store.has(vmssId(req.params)) ? 'UpdateVMScaleSet' : 'PutVMScaleSet'),
      handler: (req) => {
        checkName(req.params['vmScaleSetName'] ?? '', 'virtual machine scale set');
        return writeScaleSet(ctx, req, vmssId(req.params), requireBody(req), 'PUT');
      },
    },
    {
      method: 'PATCH',
      pattern: `${RG}/{vmScaleSetName}`,
      api: 'compute',
      resourceId: vmssId,
      computePolicy: () => 'UpdateVMScaleSet',
      handler: (req) => {
        get(req);
        return writeScaleSet(ctx, req, vmssId(req.params), requireBody(req), 'PATCH');
      },
    },
    {
      method: 'DELETE',
      pattern: `${RG}/{vmScaleSetName}`,
      api: 'compute',
      resourceId: vmssId,
      computePolicy: () => 'DeleteVMScaleSet',
      handler: (req) => deleteScaleSet(ctx, req, vmssId(req.params)),
    },
    {
      method: 'POST',
      pattern: `${RG}/{vmScaleSetName}/delete`,
      api: 'compute',
      resourceId: vmssId,
      computePolicy: () => 'DeleteVMScaleSet',
      handler: (req) => {
        const vmss = get(req);
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
      pattern: `${RG}/{vmScaleSetName}/manualupgrade`,
      api: 'compute',
      resourceId: vmssId,
      computePolicy: () => 'UpdateVMScaleSet',
      handler: (req) => manualUpgrade(ctx, req, get(req)),
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
  const os = obj(profile['osProfile']);
  delete os['adminPassword'];
  if (Object.keys(os).length > 0) {
    os['secrets'] = arr(os['secrets']);
    const storage = obj(profile['storageProfile']);
    if (
      os['linuxConfiguration'] === undefined &&
      os['windowsConfiguration'] === undefined &&
      osTypeOf(storage) === 'Windows'
    )
      os['windowsConfiguration'] = { provisionVMAgent: true, enableAutomaticUpdates: true };
    profile['osProfile'] = os;
  }
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
  const patch: JsonObject = {};
  for (const k of [
    'location',
    'tags',
    'sku',
    'properties',
    'identity',
    'plan',
    'zones',
    'extendedLocation',
  ] as const)
    if (input[k] !== undefined) patch[k] = clone(input[k]);
  const patchProps = obj(patch['properties']);
  for (const readOnly of ['provisioningState', 'uniqueId', 'timeCreated']) delete patchProps[readOnly];
  const oldProfile = clone(obj(obj(existing?.body['properties'])['virtualMachineProfile']));
  let body = existing ? deepMerge(existing.body, patch) : patch;
  if (existing && input['tags'] !== undefined) body['tags'] = clone(input['tags']);
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
  const p = parseResourceId(id);
  const finish = (state: 'Succeeded' | 'Failed') => {
    if (ctx.store.get(id) !== vmss) return;
    obj(vmss.body['properties'])['provisioningState'] = state;
    for (const i of [...created, ...upgraded]) setInstanceState(ctx, i, state);
    for (const i of removed) if (ctx.store.get(i.id) === i) removeInstance(ctx, i);
  };
  const headers = beginOperation(ctx, {
    provider: 'Microsoft.Compute',
    kind: 'vmssWrite',
    location: text(vmss.body['location'] ?? ctx.config.location),
    locks: [vmssLock(id)],
    event: eventFor(req, {
      kind: 'write',
      operationName: `${VMSS_TYPE}/write`,
      resourceUri: requestedResourceUri(req),
      provider: 'Microsoft.Compute',
      subscriptionId: p?.subscriptionId ?? ctx.config.subscriptionId,
      resourceGroup: p?.resourceGroup ?? '',
    }),
    failure: failures[0],
    onSucceeded: () => finish('Succeeded'),
    onFailed: () => finish('Failed'),
    withLocation: false,
    baseUrl: req.baseUrl,
    lroFailure: req.lroFailure,
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
  const p = parseResourceId(id);
  const headers = beginOperation(ctx, {
    provider: 'Microsoft.Compute',
    kind: 'vmssDelete',
    location: text(vmss.body['location'] ?? ctx.config.location),
    locks: [vmssLock(id)],
    event: eventFor(req, {
      kind: 'delete',
      operationName: `${VMSS_TYPE}/delete`,
      resourceUri: requestedResourceUri(req),
      provider: 'Microsoft.Compute',
      subscriptionId: p?.subscriptionId ?? ctx.config.subscriptionId,
      resourceGroup: p?.resourceGroup ?? '',
    }),
    onSucceeded: () => {
      if (ctx.store.get(id) !== vmss) return;
      for (const i of instancesOf(ctx, vmss)) removeInstance(ctx, i);
      ctx.store.delete(id);
    },
    onFailed: () => {
      obj(vmss.body['properties'])['provisioningState'] = 'Failed';
    },
    withLocation: true,
    baseUrl: req.baseUrl,
    lroFailure: req.lroFailure,
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
  const p = parseResourceId(vmss.id);
  const headers = beginOperation(ctx, {
    provider: 'Microsoft.Compute',
    kind: 'vmssAction',
    location: text(vmss.body['location'] ?? ctx.config.location),
    locks: [vmssLock(vmss.id)],
    event: eventFor(req, {
      kind: 'action',
      operationName: `${VMSS_TYPE}/manualUpgrade/action`,
      resourceUri: requestedResourceUri(req, 1),
      provider: 'Microsoft.Compute',
      subscriptionId: p?.subscriptionId ?? ctx.config.subscriptionId,
      resourceGroup: p?.resourceGroup ?? '',
    }),
    failure: failures[0],
    onSucceeded: () => instances.forEach((i) => setInstanceState(ctx, i, 'Succeeded')),
    onFailed: () => instances.forEach((i) => setInstanceState(ctx, i, 'Failed')),
    withLocation: true,
    baseUrl: req.baseUrl,
    lroFailure: req.lroFailure,
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
