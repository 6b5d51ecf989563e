/**
 * Uniform scale set instances and their NICs. An instance copies the scale set model when it is
 * created (or upgraded): its `networkProfileConfiguration` is the model's `networkProfile`, and one
 * NIC per NIC configuration gets a private address per ipConfiguration and, when the ipConfiguration
 * asks for one, a public IP from the referenced prefix (`PublicIpPrefixOutOfIpAddressesForVMScaleSet`
 * when the prefix is exhausted: the operation ends Failed and the instance stays `Failed`, the state
 * upstream issue kube-egress-gateway #981 was about).
 *
 * `latestModelApplied` is false once the model changed and the instance was neither upgraded
 * (manualupgrade) nor PUT to match the model.
 *
 * The NICs are readable through the Network API's scale set routes (api-version 2018-10-01) and
 * cannot be written there: changes go through the model or an instance PUT.
 */
import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, deepMerge, isObject, jsonEqual, num, obj, str, text } from '../../core/json.js';
import { isIdOfType, lastName, sameId } from '../../core/resourceId.js';
import type { OperationFailure } from '../../engines/lroEngine.js';
import type { ArmRequest, Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import { bumpEtag, newStoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { checkPreconditions, okResource, page, requireBody, startOperation } from '../context.js';
import {
  INSTANCE_NIC_TYPE,
  internalDomainNameSuffix,
  PREFIX_TYPE,
  takeFromPool,
  takeFromPrefix,
  usedPoolAddresses,
  usedPrefixAddresses,
} from '../network/addressing.js';
import { ipConfigurationBody, planIpConfigurations } from '../network/ipConfigurations.js';
import { macAddressOf } from '../network/networkInterfaces.js';
import { instancePipName } from '../network/publicIps.js';
import { idFromParams } from '../resourceType.js';
import {
  concurrentConflict,
  INSTANCE_TYPE,
  instanceLock,
  osTypeOf,
  touchesInstance,
  touchesScaleSet,
  VMSS_TYPE,
  vmssLock,
} from './computeWrites.js';

export function instancesOf(ctx: ProviderContext, vmss: StoredResource): StoredResource[] {
  return ctx.store.list({ type: INSTANCE_TYPE, parentId: vmss.id });
}

export function nicsOf(ctx: ProviderContext, instance: StoredResource): StoredResource[] {
  return ctx.store.list({ type: INSTANCE_NIC_TYPE, parentId: instance.id });
}

export function modelNetworkConfigs(vmss: StoredResource): JsonObject[] {
  return arr(
    obj(obj(obj(vmss.body['properties'])['virtualMachineProfile'])['networkProfile'])[
      'networkInterfaceConfigurations'
    ],
  ).filter(isObject);
}

export function instanceNetworkConfigs(instance: StoredResource): JsonObject[] {
  return arr(
    obj(obj(instance.body['properties'])['networkProfileConfiguration'])['networkInterfaceConfigurations'],
  ).filter(isObject);
}

/** Model and instance network configurations compared without defaults the RP fills in. */
export function sameNetworkConfig(a: readonly JsonObject[], b: readonly JsonObject[]): boolean {
  return jsonEqual(a.map(normalizeNicConfig), b.map(normalizeNicConfig));
}

function normalizeNicConfig(c: JsonObject): JsonObject {
  const p = obj(c['properties']);
  return {
    name: str(c['name'])?.toLowerCase() ?? '',
    primary: p['primary'] === true,
    ipConfigurations: arr(p['ipConfigurations']).map((ic) => {
      const ip = obj(obj(ic)['properties']);
      return {
        name: str(obj(ic)['name'])?.toLowerCase() ?? '',
        primary: ip['primary'] === true,
        subnet: str(obj(ip['subnet'])['id'])?.toLowerCase() ?? null,
        pip: isObject(ip['publicIPAddressConfiguration'])
          ? {
              name: str(obj(ip['publicIPAddressConfiguration'])['name']) ?? '',
              prefix:
                str(
                  obj(obj(obj(ip['publicIPAddressConfiguration'])['properties'])['publicIPPrefix'])['id'],
                )?.toLowerCase() ?? null,
            }
          : null,
        pools: arr(ip['loadBalancerBackendAddressPools'])
          .map((x) => str(obj(x)['id'])?.toLowerCase() ?? '')
          .sort(),
      };
    }),
  };
}

/** Defaults the Compute RP adds to NIC configurations of a model or an instance. */
export function withNicConfigDefaults(configs: readonly JsonObject[]): JsonObject[] {
  return configs.map((c) => {
    const p = clone(obj(c['properties']));
    p['dnsSettings'] = { dnsServers: [], ...obj(p['dnsSettings']) };
    p['enableAcceleratedNetworking'] = p['enableAcceleratedNetworking'] ?? false;
    p['ipConfigurations'] = arr(p['ipConfigurations']).map((ic) => {
      const icp = clone(obj(obj(ic)['properties']));
      icp['privateIPAddressVersion'] = str(icp['privateIPAddressVersion']) ?? 'IPv4';
      return { ...clone(obj(ic)), properties: icp };
    });
    return { ...clone(c), properties: p };
  });
}

/**
 * Validates a scale set network profile (model or instance): NIC configurations named once, one
 * primary among several, every subnet / backend pool / public IP prefix exists. Throws ArmError.
 */
export function validateNetworkConfigs(
  ctx: ProviderContext,
  ownerId: string,
  configs: readonly JsonObject[],
): void {
  if (configs.length > 1 && configs.filter((c) => obj(c['properties'])['primary'] === true).length !== 1)
    throw armErrors.invalidParameter(
      'Exactly one network interface configuration of a virtual machine scale set must be marked primary.',
      'networkInterfaceConfigurations',
    );
  for (const c of configs) {
    const ipcs = arr(obj(c['properties'])['ipConfigurations']).filter(isObject);
    if (ipcs.length === 0)
      throw armErrors.invalidParameter(
        `Network interface configuration ${text(c['name'])} has no IP configuration.`,
        'ipConfigurations',
      );
    for (const ic of ipcs) {
      const prefixId = str(
        obj(obj(obj(obj(ic['properties'])['publicIPAddressConfiguration'])['properties'])['publicIPPrefix'])[
          'id'
        ],
      );
      if (prefixId !== undefined && !(isIdOfType(prefixId, PREFIX_TYPE) && ctx.store.has(prefixId)))
        throw armErrors.invalidReference(prefixId, ownerId);
    }
  }
}

/**
 * (Re)builds the NICs of an instance from NIC configurations: keeps addresses of ipConfigurations that
 * stay, allocates new ones, drops the rest. Synchronous errors (subnet full, bad reference) throw
 * ArmError; an exhausted public IP prefix is returned as the operation's failure.
 */
export function applyInstanceNetwork(
  ctx: ProviderContext,
  instance: StoredResource,
  configs: readonly JsonObject[],
): OperationFailure | undefined {
  let failure: OperationFailure | undefined;
  const keep = new Set<string>();
  const nicRefs: JsonObject[] = [];
  for (const c of configs) {
    const nicName = str(c['name']) ?? 'nic';
    const nicId = `${instance.id}/networkInterfaces/${nicName}`;
    keep.add(nicId.toLowerCase());
    const existing = ctx.store.get(nicId);
    const cp = obj(c['properties']);
    const ipcs = arr(cp['ipConfigurations']).filter(isObject);
    const inputs = ipcs.map((ic) => {
      const ip = obj(ic['properties']);
      const props: JsonObject = {
        primary: ip['primary'] === true,
        privateIPAddressVersion: str(ip['privateIPAddressVersion']) ?? 'IPv4',
      };
      if (ip['subnet'] !== undefined) props['subnet'] = clone(ip['subnet']);
      if (ip['loadBalancerBackendAddressPools'] !== undefined)
        props['loadBalancerBackendAddressPools'] = clone(ip['loadBalancerBackendAddressPools']);
      if (ip['loadBalancerInboundNatPools'] !== undefined) props['loadBalancerInboundNatRules'] = [];
      return { name: str(ic['name']) ?? '', properties: props };
    });
    const previous = arr(obj(existing?.body['properties'])['ipConfigurations']).filter(isObject);
    const plans = planIpConfigurations(ctx, { ownerId: nicId, configs: inputs, previous });
    const oldPips = obj(existing?.internal['publicIps']);
    const newPips: JsonObject = {};
    const ipConfigurations = plans.map((plan, i) => {
      const body = ipConfigurationBody(plan);
      const pipConfig = obj(obj(ipcs[i])['properties'])['publicIPAddressConfiguration'];
      if (isObject(pipConfig)) {
        const pipName = str(pipConfig['name']) ?? plan.name;
        const prefixId = str(obj(obj(pipConfig['properties'])['publicIPPrefix'])['id']);
        const old = obj(oldPips[plan.name]);
        let ipAddress: string | undefined;
        if (
          str(old['ipAddress']) !== undefined &&
          (str(old['prefixId']) ?? '').toLowerCase() === (prefixId ?? '').toLowerCase()
        )
          ipAddress = str(old['ipAddress']);
        else if (prefixId !== undefined) {
          const prefix = ctx.store.get(prefixId);
          if (!prefix) throw armErrors.invalidReference(prefixId, `${nicId}/ipConfigurations/${plan.name}`);
          const used = usedPrefixAddresses(ctx, prefix.id, nicId);
          for (const v of Object.values(newPips))
            if (sameId(str(obj(v)['prefixId']), prefix.id)) used.add(ipNumber(str(obj(v)['ipAddress'])));
          ipAddress = takeFromPrefix(ctx, prefix, used);
          if (ipAddress === undefined)
            failure ??= {
              code: 'PublicIpPrefixOutOfIpAddressesForVMScaleSet',
              message: `Public IP prefix ${prefix.id} does not have enough free IP addresses for the public IP address configuration ${pipName} of virtual machine scale set instance ${instance.id}.`,
            };
        } else ipAddress = takeFromPool(ctx, usedPoolAddresses(ctx, nicId));
        if (ipAddress !== undefined) {
          newPips[plan.name] = {
            ipAddress,
            name: pipName,
            ...(prefixId === undefined ? {} : { prefixId: ctx.store.get(prefixId)?.id ?? prefixId }),
          };
          obj(body['properties'])['publicIPAddress'] = {
            id: `${nicId}/ipConfigurations/${plan.name}/publicIPAddresses/${pipName}`,
          };
        }
      }
      return body;
    });
    const nicBody: JsonObject = {
      name: nicName,
      id: nicId,
      properties: {
        provisioningState: 'Succeeded',
        ipConfigurations,
        dnsSettings: {
          dnsServers: [],
          appliedDnsServers: [],
          internalDomainNameSuffix: internalDomainNameSuffix(
            str(
              obj(obj(ipConfigurations[0])['properties'])['subnet'] &&
                obj(obj(obj(ipConfigurations[0])['properties'])['subnet'])['id'],
            ),
          ),
        },
        macAddress: macAddressOf(nicId),
        enableAcceleratedNetworking: cp['enableAcceleratedNetworking'] ?? false,
        enableIPForwarding: cp['enableIPForwarding'] ?? false,
        ...(cp['networkSecurityGroup'] === undefined
          ? {}
          : { networkSecurityGroup: clone(cp['networkSecurityGroup']) }),
        primary: configs.length === 1 || cp['primary'] === true,
        virtualMachine: { id: instance.id },
      },
    };
    const nic = existing ?? newStoredResource(nicId, INSTANCE_NIC_TYPE, nicBody, 'network');
    if (existing) {
      nic.body = nicBody;
      bumpEtag(nic, 'network');
    } else nic.body['etag'] = nic.etag;
    nic.internal = { publicIps: newPips };
    ctx.store.put(nic);
    nicRefs.push({ id: nicId });
  }
  for (const nic of nicsOf(ctx, instance)) if (!keep.has(nic.id.toLowerCase())) ctx.store.delete(nic.id);
  obj(instance.body['properties'])['networkProfile'] = { networkInterfaces: nicRefs };
  return failure;
}

function ipNumber(s: string | undefined): number {
  const parts = (s ?? '').split('.').map(Number);
  return (((parts[0] ?? 0) << 24) >>> 0) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0);
}

/** A new instance built from the model (provisioningState Creating); returns its network failure, if any. */
export function createInstance(
  ctx: ProviderContext,
  vmss: StoredResource,
  instanceId: number,
): { readonly instance: StoredResource; readonly failure: OperationFailure | undefined } {
  const vmssName = lastName(vmss.id);
  const id = `${vmss.id}/virtualMachines/${instanceId}`;
  const props = obj(vmss.body['properties']);
  const profile = obj(props['virtualMachineProfile']);
  const osProfile = clone(obj(profile['osProfile']));
  const prefix = str(osProfile['computerNamePrefix']) ?? vmssName;
  delete osProfile['computerNamePrefix'];
  delete osProfile['adminPassword'];
  delete osProfile['customData'];
  const storage = clone(obj(profile['storageProfile']));
  const osDisk = obj(storage['osDisk']);
  const diskName = `${vmssName}_${vmssName}_${instanceId}_OsDisk_1_${randomUUID().replace(/-/g, '')}`;
  const rgId = vmss.id.split('/providers/')[0] ?? '';
  storage['osDisk'] = {
    ...osDisk,
    osType: str(osDisk['osType']) ?? osTypeOf(storage),
    name: diskName,
    createOption: str(osDisk['createOption']) ?? 'FromImage',
    caching: str(osDisk['caching']) ?? 'ReadWrite',
    managedDisk: {
      storageAccountType: 'Standard_LRS',
      ...obj(osDisk['managedDisk']),
      id: `${rgId}/providers/Microsoft.Compute/disks/${diskName}`,
    },
    diskSizeGB: num(osDisk['diskSizeGB']) ?? 30,
  };
  storage['dataDisks'] = arr(storage['dataDisks']).map((d, n) => {
    const disk = obj(d);
    const name =
      str(disk['name']) ??
      `${vmssName}_${vmssName}_${instanceId}_disk${n + 2}_${randomUUID().replace(/-/g, '')}`;
    return {
      ...disk,
      name,
      managedDisk: {
        storageAccountType: 'Standard_LRS',
        ...obj(disk['managedDisk']),
        id: `${rgId}/providers/Microsoft.Compute/disks/${name}`,
      },
    };
  });
  const image = obj(storage['imageReference']);
  if (str(image['version']) !== undefined)
    storage['imageReference'] = {
      ...image,
      exactVersion: image['version'] === 'latest' ? '1.0.20250101' : (image['version'] ?? ''),
    };
  const sku = obj(vmss.body['sku']);
  const body: JsonObject = {
    name: `${vmssName}_${instanceId}`,
    id,
    type: INSTANCE_TYPE,
    location: vmss.body['location'] ?? ctx.config.location,
    instanceId: String(instanceId),
    sku: { name: sku['name'] ?? 'Standard_D2s_v3', tier: sku['tier'] ?? 'Standard' },
    properties: {
      latestModelApplied: true,
      modelDefinitionApplied: 'VirtualMachineScaleSet',
      vmId: randomUUID(),
      hardwareProfile: { vmSize: sku['name'] ?? 'Standard_D2s_v3', ...obj(profile['hardwareProfile']) },
      storageProfile: storage,
      osProfile: {
        computerName: `${prefix}${instanceId.toString(36).padStart(6, '0')}`,
        ...osProfile,
        secrets: arr(osProfile['secrets']),
        allowExtensionOperations: osProfile['allowExtensionOperations'] ?? true,
        requireGuestProvisionSignal: true,
      },
      networkProfile: { networkInterfaces: [] },
      networkProfileConfiguration: {
        networkInterfaceConfigurations: withNicConfigDefaults(modelNetworkConfigs(vmss)),
      },
      securityProfile: clone(obj(profile['securityProfile'] ?? { securityType: 'Standard' })),
      ...(profile['diagnosticsProfile'] === undefined
        ? {}
        : { diagnosticsProfile: clone(profile['diagnosticsProfile']) }),
      provisioningState: 'Creating',
      timeCreated: new Date().toISOString(),
    },
  };
  if (vmss.body['tags'] !== undefined) body['tags'] = clone(vmss.body['tags']);
  if (vmss.body['zones'] !== undefined) body['zones'] = clone(vmss.body['zones']);
  if (vmss.body['identity'] !== undefined) body['identity'] = clone(vmss.body['identity']);
  const instance = newStoredResource(id, INSTANCE_TYPE, body, 'compute');
  instance.internal = { modelVersionApplied: num(vmss.internal['modelVersion']) ?? 0 };
  ctx.store.put(instance);
  const failure = applyInstanceNetwork(ctx, instance, instanceNetworkConfigs(instance));
  return { instance, failure };
}

export function removeInstance(ctx: ProviderContext, instance: StoredResource): void {
  for (const nic of nicsOf(ctx, instance)) ctx.store.delete(nic.id);
  ctx.store.delete(instance.id);
}

export function setInstanceState(ctx: ProviderContext, instance: StoredResource, state: string): void {
  if (ctx.store.get(instance.id) !== instance) return;
  obj(instance.body['properties'])['provisioningState'] = state;
}

export function renderInstance(
  ctx: ProviderContext,
  vmss: StoredResource,
  instance: StoredResource,
): JsonObject {
  const body = clone(instance.body);
  const props = obj(body['properties']);
  props['latestModelApplied'] =
    num(instance.internal['modelVersionApplied']) === (num(vmss.internal['modelVersion']) ?? 0);
  return body;
}

export function renderInstanceNic(nic: StoredResource): JsonObject {
  const body = clone(nic.body);
  const props = obj(body['properties']);
  props['ipConfigurations'] = arr(props['ipConfigurations']).map((c) => {
    const ic = clone(obj(c));
    ic['id'] = `${nic.id}/ipConfigurations/${text(ic['name'])}`;
    ic['etag'] = nic.etag;
    obj(ic['properties'])['provisioningState'] = 'Succeeded';
    return ic;
  });
  return body;
}

const VMSS_BASE =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}';
const NIC_BASE = `${VMSS_BASE}/virtualMachines/{virtualmachineIndex}/networkInterfaces`;

export function vmssInstanceRoutes(ctx: ProviderContext): Route[] {
  const vmssIdOf = idFromParams(ctx, VMSS_TYPE, 'vmScaleSetName');
  const vmssOf = (req: ArmRequest): StoredResource => {
    const vmss = ctx.store.get(vmssIdOf(req.params));
    if (!vmss) throw armErrors.parentNotFound(req.params['vmScaleSetName'] ?? '');
    return vmss;
  };
  const instanceOf = (req: ArmRequest, vmss: StoredResource, key: string): StoredResource => {
    const instance = ctx.store.get(`${vmss.id}/virtualMachines/${req.params[key] ?? ''}`);
    if (!instance) throw armErrors.notFound(`${vmss.id}/virtualMachines/${req.params[key] ?? ''}`);
    return instance;
  };
  const nicOf = (req: ArmRequest): StoredResource => {
    const vmss = vmssOf(req);
    const instance = instanceOf(req, vmss, 'virtualmachineIndex');
    const nic = ctx.store.get(`${instance.id}/networkInterfaces/${req.params['networkInterfaceName'] ?? ''}`);
    if (!nic)
      throw armErrors.notFound(
        `${instance.id}/networkInterfaces/${req.params['networkInterfaceName'] ?? ''}`,
      );
    return nic;
  };
  const ipConfigOf = (req: ArmRequest): JsonObject => {
    const nic = nicOf(req);
    const name = (req.params['ipConfigurationName'] ?? '').toLowerCase();
    const ic = arr(obj(renderInstanceNic(nic)['properties'])['ipConfigurations']).find(
      (c) => str(obj(c)['name'])?.toLowerCase() === name,
    );
    if (!isObject(ic))
      throw armErrors.notFound(`${nic.id}/ipConfigurations/${req.params['ipConfigurationName'] ?? ''}`);
    return ic;
  };
  const instancePublicIp = (nic: StoredResource, ipConfigName: string): JsonObject | undefined => {
    const pip = obj(obj(nic.internal['publicIps'])[ipConfigName]);
    if (str(pip['ipAddress']) === undefined) return undefined;
    const ipConfigId = `${nic.id}/ipConfigurations/${ipConfigName}`;
    const props: JsonObject = {
      provisioningState: 'Succeeded',
      ipAddress: str(pip['ipAddress']) ?? '',
      publicIPAddressVersion: 'IPv4',
      publicIPAllocationMethod: 'Static',
      idleTimeoutInMinutes: 4,
      ipConfiguration: { id: ipConfigId },
    };
    if (str(pip['prefixId']) !== undefined) props['publicIPPrefix'] = { id: str(pip['prefixId']) ?? '' };
    return {
      name: instancePipName(nic, ipConfigId),
      id: `${ipConfigId}/publicIPAddresses/${instancePipName(nic, ipConfigId)}`,
      sku: { name: 'Standard', tier: 'Regional' },
      properties: props,
    };
  };
  const writeDisallowed = (): never => {
    throw new ArmError(
      405,
      'MethodNotAllowed',
      "The operation 'write' on resource type 'virtualMachineScaleSets/virtualMachines/networkInterfaces' is disallowed. Change the scale set model or PUT the scale set VM instead.",
    );
  };
  return [
    {
      method: 'GET',
      pattern: `${VMSS_BASE}/virtualMachines`,
      api: 'compute',
      handler: (req) => {
        const vmss = vmssOf(req);
        return page(
          ctx,
          req,
          instancesOf(ctx, vmss).map((i) => renderInstance(ctx, vmss, i)),
        );
      },
    },
    {
      method: 'GET',
      pattern: `${VMSS_BASE}/virtualMachines/{instanceId}`,
      api: 'compute',
      handler: (req) => {
        const vmss = vmssOf(req);
        return okResource(renderInstance(ctx, vmss, instanceOf(req, vmss, 'instanceId')));
      },
    },
    {
      method: 'PUT',
      pattern: `${VMSS_BASE}/virtualMachines/{instanceId}`,
      api: 'compute',
      resourceId: (p) => `${vmssIdOf(p)}/virtualMachines/${p['instanceId'] ?? ''}`,
      computePolicy: () => 'UpdateVMScaleSetVMs',
      handler: (req) => updateInstance(ctx, req, vmssOf(req), instanceOf(req, vmssOf(req), 'instanceId')),
    },
    {
      method: 'DELETE',
      pattern: `${VMSS_BASE}/virtualMachines/{instanceId}`,
      api: 'compute',
      resourceId: (p) => `${vmssIdOf(p)}/virtualMachines/${p['instanceId'] ?? ''}`,
      computePolicy: () => 'DeleteVMScaleSetVMs',
      handler: (req) => {
        const vmss = ctx.store.get(vmssIdOf(req.params));
        const instance = vmss
          ? ctx.store.get(`${vmss.id}/virtualMachines/${req.params['instanceId'] ?? ''}`)
          : undefined;
        checkPreconditions(req, instance);
        if (!vmss || !instance) return { status: 204 };
        return deleteInstances(ctx, req, vmss, [instance], 'instance');
      },
    },
    {
      method: 'GET',
      pattern: `${VMSS_BASE}/networkInterfaces`,
      api: 'vmssNic',
      handler: (req) => {
        const vmss = vmssOf(req);
        const nics = instancesOf(ctx, vmss).flatMap((i) => nicsOf(ctx, i));
        return page(ctx, req, nics.map(renderInstanceNic));
      },
    },
    {
      method: 'GET',
      pattern: NIC_BASE,
      api: 'vmssNic',
      handler: (req) => {
        const vmss = vmssOf(req);
        return page(
          ctx,
          req,
          nicsOf(ctx, instanceOf(req, vmss, 'virtualmachineIndex')).map(renderInstanceNic),
        );
      },
    },
    {
      method: 'GET',
      pattern: `${NIC_BASE}/{networkInterfaceName}`,
      api: 'vmssNic',
      handler: (req) => okResource(renderInstanceNic(nicOf(req))),
    },
    {
      method: 'PUT',
      pattern: `${NIC_BASE}/{networkInterfaceName}`,
      api: 'vmssNic',
      handler: writeDisallowed,
    },
    {
      method: 'PATCH',
      pattern: `${NIC_BASE}/{networkInterfaceName}`,
      api: 'vmssNic',
      handler: writeDisallowed,
    },
    {
      method: 'DELETE',
      pattern: `${NIC_BASE}/{networkInterfaceName}`,
      api: 'vmssNic',
      handler: writeDisallowed,
    },
    {
      method: 'GET',
      pattern: `${NIC_BASE}/{networkInterfaceName}/ipConfigurations`,
      api: 'vmssNic',
      handler: (req) =>
        page(ctx, req, arr(obj(renderInstanceNic(nicOf(req))['properties'])['ipConfigurations'])),
    },
    {
      method: 'GET',
      pattern: `${NIC_BASE}/{networkInterfaceName}/ipConfigurations/{ipConfigurationName}`,
      api: 'vmssNic',
      handler: (req) => okResource(ipConfigOf(req)),
    },
    {
      method: 'GET',
      pattern: `${NIC_BASE}/{networkInterfaceName}/ipConfigurations/{ipConfigurationName}/publicIPAddresses`,
      api: 'vmssNic',
      handler: (req) => {
        const nic = nicOf(req);
        const name = text(ipConfigOf(req)['name']);
        const pip = instancePublicIp(nic, name);
        return page(ctx, req, pip ? [pip] : []);
      },
    },
    {
      method: 'GET',
      pattern: `${NIC_BASE}/{networkInterfaceName}/ipConfigurations/{ipConfigurationName}/publicIPAddresses/{publicIpAddressName}`,
      api: 'vmssNic',
      handler: (req) => {
        const nic = nicOf(req);
        const name = text(ipConfigOf(req)['name']);
        const pip = instancePublicIp(nic, name);
        if (
          !pip ||
          str(pip['name'])?.toLowerCase() !== (req.params['publicIpAddressName'] ?? '').toLowerCase()
        )
          throw armErrors.notFound(
            `${nic.id}/ipConfigurations/${name}/publicIPAddresses/${req.params['publicIpAddressName'] ?? ''}`,
          );
        return okResource(pip);
      },
    },
  ];
}

/** PUT of one instance: Compute merges the body into the instance and re-applies its network profile. */
function updateInstance(
  ctx: ProviderContext,
  req: ArmRequest,
  vmss: StoredResource,
  instance: StoredResource,
) {
  checkPreconditions(req, instance);
  if (ctx.lro.isLocked(touchesInstance(vmss.id, text(instance.body['instanceId']))))
    throw concurrentConflict();
  const input = requireBody(req);
  const patch: JsonObject = {};
  for (const k of ['tags', 'properties', 'plan', 'identity'] as const)
    if (input[k] !== undefined) patch[k] = clone(input[k]);
  const patchProps = obj(patch['properties']);
  for (const readOnly of [
    'latestModelApplied',
    'vmId',
    'provisioningState',
    'instanceView',
    'networkProfile',
    'timeCreated',
  ])
    delete patchProps[readOnly];
  const failure = ctx.store.transaction(() => {
    instance.body = deepMerge(instance.body, patch);
    const configs = withNicConfigDefaults(instanceNetworkConfigs(instance));
    validateNetworkConfigs(ctx, instance.id, configs);
    obj(instance.body['properties'])['networkProfileConfiguration'] = {
      networkInterfaceConfigurations: configs,
    };
    const f = applyInstanceNetwork(ctx, instance, configs);
    if (sameNetworkConfig(configs, modelNetworkConfigs(vmss)))
      instance.internal['modelVersionApplied'] = num(vmss.internal['modelVersion']) ?? 0;
    obj(instance.body['properties'])['provisioningState'] = 'Updating';
    bumpEtag(instance, 'compute');
    return f;
  });
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Compute',
    kind: 'vmssVmWrite',
    resourceId: vmss.id,
    location: vmss.body['location'],
    locks: [instanceLock(vmss.id, text(instance.body['instanceId']))],
    event: { kind: 'write', operationName: `${INSTANCE_TYPE}/write` },
    failure,
    onSucceeded: () => setInstanceState(ctx, instance, 'Succeeded'),
    onFailed: () => setInstanceState(ctx, instance, 'Failed'),
  });
  return okResource(renderInstance(ctx, vmss, instance), 200, headers);
}

/**
 * Deletes instances (one instance DELETE, or the scale set's `delete` action). The scale set's
 * capacity shrinks with them, as Compute does.
 */
export function deleteInstances(
  ctx: ProviderContext,
  req: ArmRequest,
  vmss: StoredResource,
  instances: readonly StoredResource[],
  mode: 'instance' | 'action',
) {
  const lockTest =
    mode === 'instance'
      ? touchesInstance(vmss.id, text(instances[0]?.body['instanceId']))
      : touchesScaleSet(vmss.id);
  if (ctx.lro.isLocked(lockTest)) throw concurrentConflict();
  for (const i of instances) setInstanceState(ctx, i, 'Deleting');
  const sku = obj(vmss.body['sku']);
  sku['capacity'] = Math.max(0, (num(sku['capacity']) ?? 0) - instances.length);
  vmss.body['sku'] = sku;
  bumpEtag(vmss, 'compute');
  const headers = startOperation(ctx, req, {
    provider: 'Microsoft.Compute',
    kind: mode === 'instance' ? 'vmssVmDelete' : 'vmssAction',
    resourceId: vmss.id,
    location: vmss.body['location'],
    locks:
      mode === 'instance'
        ? [instanceLock(vmss.id, text(instances[0]?.body['instanceId']))]
        : instances.map((i) => instanceLock(vmss.id, text(i.body['instanceId']))).concat(vmssLock(vmss.id)),
    event:
      mode === 'instance'
        ? { kind: 'delete', operationName: `${INSTANCE_TYPE}/delete` }
        : { kind: 'action', operationName: `${VMSS_TYPE}/delete/action`, actionSegments: 1 },
    onSucceeded: () => {
      for (const i of instances) if (ctx.store.get(i.id) === i) removeInstance(ctx, i);
    },
    onFailed: () => {
      for (const i of instances) setInstanceState(ctx, i, 'Failed');
    },
  });
  return { status: 202, headers };
}
