/**
 * Standalone network interfaces (VM NICs, AKS VirtualMachines-pool NICs). PUT is a full replace of
 * the ipConfigurations. The `virtualMachine` back-reference, `macAddress` and `primary` appear once a
 * VM uses the NIC, and a NIC in use by a VM cannot be deleted (`NicInUse`).
 */
import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, obj, str } from '../../core/json.js';
import { isIdOfType, sameId } from '../../core/resourceId.js';
import type { Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { requireLocation } from '../context.js';
import { resourceType } from '../resourceType.js';
import { internalDomainNameSuffix, ipConsumers, NIC_TYPE, PIP_TYPE } from './addressing.js';
import { ipConfigurationBody, ipConfigurationsOf, planIpConfigurations } from './ipConfigurations.js';
import { networkWriteRoutes, renderChildren } from './networkWrites.js';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';

export function networkInterfaceRoutes(ctx: ProviderContext): Route[] {
  const nics = resourceType(ctx, {
    type: NIC_TYPE,
    api: 'network',
    nameParam: 'networkInterfaceName',
    render: (r) => renderNetworkInterface(ctx, r),
  });
  return [
    ...nics.readRoutes(),
    ...networkWriteRoutes(ctx, nics, {
      what: 'network interface',
      build: (id, input, existing) => buildNetworkInterface(ctx, id, input, existing),
      checkDeletable: (r) => {
        const vm = vmUsing(ctx, r.id);
        if (vm)
          throw new ArmError(
            400,
            'NicInUse',
            `Network Interface ${r.id} is used by existing resource ${vm.id}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
          );
      },
    }),
  ];
}

/** Validates a NIC PUT and allocates its addresses; throws ArmError. */
export function buildNetworkInterface(
  ctx: ProviderContext,
  id: string,
  input: JsonObject,
  existing: StoredResource | undefined,
): JsonObject {
  const location = requireLocation(input, existing);
  const props = clone(obj(input['properties']));
  const configs = ipConfigurationsOf(input);
  const plans = planIpConfigurations(ctx, {
    ownerId: id,
    configs,
    previous: ipConfigurationsOf(existing?.body),
  });
  const consumers = ipConsumers(ctx);
  const ipConfigurations = plans.map((plan) => {
    const body = ipConfigurationBody(plan);
    const pipId = str(obj(plan.input['publicIPAddress'])['id']);
    const ipConfigId = `${id}/ipConfigurations/${plan.name}`;
    if (pipId !== undefined) {
      const pip = isIdOfType(pipId, PIP_TYPE) ? ctx.store.get(pipId) : undefined;
      if (!pip) throw armErrors.invalidReference(pipId, ipConfigId);
      const other = consumers.find((c) => sameId(c.publicIPAddressId, pipId) && !sameId(c.owner.id, id));
      if (other)
        throw new ArmError(
          400,
          'PublicIPAddressInUse',
          `Resource ${pip.id} is already in use by ${other.ipConfigId} and cannot be referenced by ${ipConfigId}.`,
        );
      obj(body['properties'])['publicIPAddress'] = { id: pip.id };
    }
    return body;
  });
  const prev = obj(existing?.body['properties']);
  const body: JsonObject = {
    location,
    properties: {
      ...props,
      ipConfigurations,
      dnsSettings: {
        dnsServers: [],
        appliedDnsServers: [],
        internalDomainNameSuffix: internalDomainNameSuffix(plans[0]?.subnet.id),
        ...obj(props['dnsSettings']),
      },
      enableAcceleratedNetworking: props['enableAcceleratedNetworking'] ?? false,
      enableIPForwarding: props['enableIPForwarding'] ?? false,
      vnetEncryptionSupported: false,
      resourceGuid: str(prev['resourceGuid']) ?? randomUUID(),
    },
  };
  if (input['tags'] !== undefined) body['tags'] = clone(input['tags']);
  return body;
}

/** The VM whose networkProfile references this NIC, if any. */
export function vmUsing(ctx: ProviderContext, nicId: string): StoredResource | undefined {
  return ctx.store
    .list({ type: VM_TYPE })
    .find((vm) =>
      arr(obj(obj(vm.body['properties'])['networkProfile'])['networkInterfaces']).some((n) =>
        sameId(str(obj(n)['id']), nicId),
      ),
    );
}

/** A stable MAC address for a NIC id, in Azure's `00-0D-3A-..` form. */
export function macAddressOf(id: string): string {
  const h = createHash('sha256').update(id.toLowerCase()).digest();
  return [
    '00',
    '0D',
    '3A',
    ...[h[0], h[1], h[2]].map((b) => (b ?? 0).toString(16).padStart(2, '0').toUpperCase()),
  ].join('-');
}

export function renderNetworkInterface(ctx: ProviderContext, r: StoredResource): JsonObject {
  const body = clone(r.body);
  renderChildren(body, 'ipConfigurations', `${NIC_TYPE}/ipConfigurations`, r.id);
  const vm = vmUsing(ctx, r.id);
  if (vm) {
    const props = obj(body['properties']);
    const refs = arr(obj(obj(vm.body['properties'])['networkProfile'])['networkInterfaces']);
    const ref = refs.find((n) => sameId(str(obj(n)['id']), r.id));
    props['virtualMachine'] = { id: vm.id };
    props['macAddress'] = macAddressOf(r.id);
    props['primary'] = refs.length === 1 || obj(obj(ref)['properties'])['primary'] === true;
  }
  return body;
}
