/**
 * Every ARM operation egret's control plane performs, the Azure RBAC action each needs and where (which
 * scope the deployment template assigns it on). The template's custom roles are DERIVED from this table
 * (`EGRET_ROLES`), so a role holds exactly the actions of the calls made at its scope and nothing else;
 * test/azure/armPermissions.test.ts ties the table to the code both ways (every SDK call in
 * shared/adapters/arm is listed, every listed call is made) and replays the ARM stand-in's request log
 * of real pool scenarios against the deployed roles.
 *
 * An action's name is its REST path's provider and resource types plus the verb
 * (learn.microsoft.com/azure/role-based-access-control/resource-provider-operations): GET and list are
 * `/read`, PUT `/write`, DELETE `/delete`. A PUT body that references another resource also needs that
 * resource's `join/action` there (ARM's linked access check), and polling a long-running operation reads
 * the provider's `locations/operations` (and, for Network DELETEs, `locations/operationResults`).
 */

/**
 * Where egret acts, as the template maps it to Azure scopes:
 * - `gatewayResourceGroup`: the gateway (AKS node) resource group: pools are discovered there, and the
 *   managed prefixes `egressgateway-<uid>` and the per-NIC public IPs are created there;
 * - `vmssPool`: the gateway VMSS (`gatewayPoolId`), or the gateway resource group without one;
 * - `nicPool`: NIC-based pools: the AKS VirtualMachines pool's NICs (gateway resource group, when no
 *   VMSS pool id is given) and the standalone VMs' primary NICs (`standaloneVmResourceGroup`);
 * - `loadBalancer`: the resource group of the internal load balancer egret creates and deletes;
 * - `virtualNetwork`: the cluster's virtual network (the ILB frontend subnet and the node subnets);
 * - `byoPrefixes`: the resource group of bring-your-own public IP prefixes.
 */
export const PERMISSION_SCOPES = [
  'gatewayResourceGroup',
  'vmssPool',
  'nicPool',
  'loadBalancer',
  'virtualNetwork',
  'byoPrefixes',
] as const;
export type PermissionScope = (typeof PERMISSION_SCOPES)[number];

/** One SDK method egret calls. */
export interface ArmCall {
  /** `<client>.<operation group>.<method>` as written in shared/adapters/arm (`compute`/`network`). */
  readonly sdk: string;
  readonly method: 'GET' | 'PUT' | 'DELETE';
  /** The REST path after `.../providers/`, names as `{}` (a list ends with a type). */
  readonly path: string;
  readonly action: string;
  /** Where egret makes the call. */
  readonly scopes: readonly PermissionScope[];
  /** The provider whose long-running operation a write waits for (its status is polled). */
  readonly lro?: 'Microsoft.Compute' | 'Microsoft.Network';
  /** The SDK reads the resource back when the operation ends (a GET: the type's `/read` there). */
  readonly finalGet?: true;
  /** Resources the body may reference (each needs its join action where the resource lives). */
  readonly references?: readonly ReferenceKind[];
}

/** What a written body can point at, and the linked access check Azure makes for it. */
export const REFERENCES = {
  subnet: {
    action: 'Microsoft.Network/virtualNetworks/subnets/join/action',
    // ipConfigurations (NIC, VMSS) sit in node subnets of the cluster VNet; the ILB frontend in its subnet.
    scopes: ['virtualNetwork'],
  },
  backendAddressPool: {
    action: 'Microsoft.Network/loadBalancers/backendAddressPools/join/action',
    // egret's ILB pool, and AKS's own `kubernetes` load balancer pools carried through unchanged.
    scopes: ['loadBalancer', 'gatewayResourceGroup'],
  },
  publicIpPrefix: {
    action: 'Microsoft.Network/publicIPPrefixes/join/action',
    scopes: ['gatewayResourceGroup', 'byoPrefixes'],
  },
  publicIpAddress: {
    action: 'Microsoft.Network/publicIPAddresses/join/action',
    scopes: ['gatewayResourceGroup'],
  },
  networkSecurityGroup: {
    action: 'Microsoft.Network/networkSecurityGroups/join/action',
    // AKS attaches its node NSG to the NICs of a bring-your-own-VNet cluster; carried through unchanged.
    scopes: ['gatewayResourceGroup'],
  },
} as const satisfies Record<string, { action: string; scopes: readonly PermissionScope[] }>;
export type ReferenceKind = keyof typeof REFERENCES;

/**
 * Status reads of a provider's long-running operations: the Azure-AsyncOperation URL
 * (`locations/{l}/operations/{id}`), and for Network the Location URL (`locations/{l}/operationResults/{id}`)
 * the SDK reads at the end of a DELETE that Azure answers 202 with both headers.
 */
export const LRO_ACTIONS = {
  'Microsoft.Compute': ['Microsoft.Compute/locations/operations/read'],
  'Microsoft.Network': [
    'Microsoft.Network/locations/operations/read',
    'Microsoft.Network/locations/operationResults/read',
  ],
} as const;

const NIC_REFS: readonly ReferenceKind[] = [
  'subnet',
  'backendAddressPool',
  'publicIpAddress',
  'networkSecurityGroup',
];
const VMSS_REFS: readonly ReferenceKind[] = [
  'subnet',
  'backendAddressPool',
  'publicIpPrefix',
  'networkSecurityGroup',
];

/** Every ARM call of shared/adapters/arm (test/azure/armPermissions.test.ts keeps this complete). */
export const ARM_CALLS: readonly ArmCall[] = [
  // Pool discovery in the gateway resource group (createArmInventory.listPoolInventory).
  {
    sdk: 'compute.virtualMachineScaleSets.list',
    method: 'GET',
    path: 'Microsoft.Compute/virtualMachineScaleSets',
    action: 'Microsoft.Compute/virtualMachineScaleSets/read',
    scopes: ['gatewayResourceGroup'],
  },
  {
    sdk: 'compute.virtualMachines.list',
    method: 'GET',
    path: 'Microsoft.Compute/virtualMachines',
    action: 'Microsoft.Compute/virtualMachines/read',
    scopes: ['gatewayResourceGroup'],
  },
  {
    sdk: 'network.networkInterfaces.list',
    method: 'GET',
    path: 'Microsoft.Network/networkInterfaces',
    action: 'Microsoft.Network/networkInterfaces/read',
    // discovery, and the VirtualMachines pool's members
    scopes: ['gatewayResourceGroup', 'nicPool'],
  },
  // VMSS pools (createVmssPoolProvider; a VMSS profile's scale set is read by GET).
  {
    sdk: 'compute.virtualMachineScaleSets.get',
    method: 'GET',
    path: 'Microsoft.Compute/virtualMachineScaleSets/{}',
    action: 'Microsoft.Compute/virtualMachineScaleSets/read',
    scopes: ['vmssPool'],
  },
  {
    sdk: 'compute.virtualMachineScaleSetVMs.list',
    method: 'GET',
    path: 'Microsoft.Compute/virtualMachineScaleSets/{}/virtualMachines',
    action: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read',
    scopes: ['vmssPool'],
  },
  {
    sdk: 'network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces',
    method: 'GET',
    path: 'Microsoft.Compute/virtualMachineScaleSets/{}/networkInterfaces',
    action: 'Microsoft.Compute/virtualMachineScaleSets/networkInterfaces/read',
    scopes: ['vmssPool'],
  },
  {
    sdk: 'compute.virtualMachineScaleSets.createOrUpdate',
    method: 'PUT',
    path: 'Microsoft.Compute/virtualMachineScaleSets/{}',
    action: 'Microsoft.Compute/virtualMachineScaleSets/write',
    scopes: ['vmssPool'],
    lro: 'Microsoft.Compute',
    finalGet: true,
    references: VMSS_REFS,
  },
  {
    sdk: 'compute.virtualMachineScaleSetVMs.update',
    method: 'PUT',
    path: 'Microsoft.Compute/virtualMachineScaleSets/{}/virtualMachines/{}',
    action: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write',
    scopes: ['vmssPool'],
    lro: 'Microsoft.Compute',
    finalGet: true,
    references: VMSS_REFS,
  },
  // A stray NIC (in the ILB's backend pool but no pool member) is read by id (observePoolWorld).
  {
    sdk: 'network.networkInterfaces.getVirtualMachineScaleSetNetworkInterface',
    method: 'GET',
    path: 'Microsoft.Compute/virtualMachineScaleSets/{}/virtualMachines/{}/networkInterfaces/{}',
    action: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces/read',
    scopes: ['gatewayResourceGroup'],
  },
  {
    sdk: 'network.networkInterfaces.get',
    method: 'GET',
    path: 'Microsoft.Network/networkInterfaces/{}',
    action: 'Microsoft.Network/networkInterfaces/read',
    // strays, and the standalone VMs' primary NICs
    scopes: ['gatewayResourceGroup', 'nicPool'],
  },
  // NIC pools: the AKS VirtualMachines pool and standalone VMs (createNicPoolProviders).
  {
    sdk: 'compute.virtualMachines.get',
    method: 'GET',
    path: 'Microsoft.Compute/virtualMachines/{}',
    action: 'Microsoft.Compute/virtualMachines/read',
    scopes: ['nicPool'],
  },
  {
    sdk: 'network.networkInterfaces.createOrUpdate',
    method: 'PUT',
    path: 'Microsoft.Network/networkInterfaces/{}',
    action: 'Microsoft.Network/networkInterfaces/write',
    scopes: ['nicPool'],
    lro: 'Microsoft.Network',
    finalGet: true,
    references: NIC_REFS,
  },
  // The internal load balancer (createArmInventory.getLoadBalancer, applySharedResourceStep).
  {
    sdk: 'network.loadBalancers.get',
    method: 'GET',
    path: 'Microsoft.Network/loadBalancers/{}',
    action: 'Microsoft.Network/loadBalancers/read',
    scopes: ['loadBalancer'],
  },
  {
    sdk: 'network.loadBalancers.createOrUpdate',
    method: 'PUT',
    path: 'Microsoft.Network/loadBalancers/{}',
    action: 'Microsoft.Network/loadBalancers/write',
    scopes: ['loadBalancer'],
    lro: 'Microsoft.Network',
    finalGet: true,
    references: ['subnet'],
  },
  {
    sdk: 'network.loadBalancers.delete',
    method: 'DELETE',
    path: 'Microsoft.Network/loadBalancers/{}',
    action: 'Microsoft.Network/loadBalancers/delete',
    scopes: ['loadBalancer'],
    lro: 'Microsoft.Network',
  },
  // Public IP prefixes: egret's managed ones (gateway resource group) and BYO ones (read only).
  {
    sdk: 'network.publicIPPrefixes.get',
    method: 'GET',
    path: 'Microsoft.Network/publicIPPrefixes/{}',
    action: 'Microsoft.Network/publicIPPrefixes/read',
    scopes: ['gatewayResourceGroup', 'byoPrefixes'],
  },
  {
    sdk: 'network.publicIPPrefixes.list',
    method: 'GET',
    path: 'Microsoft.Network/publicIPPrefixes',
    action: 'Microsoft.Network/publicIPPrefixes/read',
    scopes: ['gatewayResourceGroup'],
  },
  {
    sdk: 'network.publicIPPrefixes.createOrUpdate',
    method: 'PUT',
    path: 'Microsoft.Network/publicIPPrefixes/{}',
    action: 'Microsoft.Network/publicIPPrefixes/write',
    scopes: ['gatewayResourceGroup'],
    lro: 'Microsoft.Network',
    finalGet: true,
  },
  {
    sdk: 'network.publicIPPrefixes.delete',
    method: 'DELETE',
    path: 'Microsoft.Network/publicIPPrefixes/{}',
    action: 'Microsoft.Network/publicIPPrefixes/delete',
    scopes: ['gatewayResourceGroup'],
    lro: 'Microsoft.Network',
  },
  // Per-NIC public IPs of NIC pools, allocated from a prefix in the gateway resource group.
  {
    sdk: 'network.publicIPAddresses.list',
    method: 'GET',
    path: 'Microsoft.Network/publicIPAddresses',
    action: 'Microsoft.Network/publicIPAddresses/read',
    scopes: ['gatewayResourceGroup'],
  },
  {
    sdk: 'network.publicIPAddresses.createOrUpdate',
    method: 'PUT',
    path: 'Microsoft.Network/publicIPAddresses/{}',
    action: 'Microsoft.Network/publicIPAddresses/write',
    scopes: ['gatewayResourceGroup'],
    lro: 'Microsoft.Network',
    finalGet: true,
    references: ['publicIpPrefix'],
  },
  {
    sdk: 'network.publicIPAddresses.delete',
    method: 'DELETE',
    path: 'Microsoft.Network/publicIPAddresses/{}',
    action: 'Microsoft.Network/publicIPAddresses/delete',
    scopes: ['gatewayResourceGroup'],
    lro: 'Microsoft.Network',
  },
  // The ILB frontend subnet check (createArmInventory.getSubnetId).
  {
    sdk: 'network.subnets.get',
    method: 'GET',
    path: 'Microsoft.Network/virtualNetworks/{}/subnets/{}',
    action: 'Microsoft.Network/virtualNetworks/subnets/read',
    scopes: ['virtualNetwork'],
  },
];

/** The RBAC action of a REST call: provider, resource types, verb (the rule the table follows). */
export function actionOfRestCall(method: string, providerPath: string): string {
  const segments = providerPath.split('/').filter((s) => s !== '');
  if (segments.length < 2) throw new Error(`not a provider path: ${providerPath}`);
  const [namespace, ...rest] = segments;
  const types = rest.filter((_, i) => i % 2 === 0);
  const verb =
    method === 'GET'
      ? 'read'
      : method === 'PUT' || method === 'PATCH'
        ? 'write'
        : method === 'DELETE'
          ? 'delete'
          : '';
  if (verb === '') throw new Error(`no RBAC verb for ${method} ${providerPath}`);
  return [namespace, ...types, verb].join('/');
}

/** A custom role: the actions of every call, reference and operation poll egret makes at one scope. */
export interface EgretRole {
  readonly scope: PermissionScope;
  readonly actions: readonly string[];
}

/** The actions egret needs at one scope, derived from ARM_CALLS (sorted, unique). */
export function actionsAt(scope: PermissionScope, calls: readonly ArmCall[] = ARM_CALLS): string[] {
  const actions = new Set<string>();
  for (const c of calls) {
    if (c.scopes.includes(scope)) {
      actions.add(c.action);
      if (c.finalGet === true) actions.add(actionOfRestCall('GET', c.path));
      if (c.lro !== undefined) for (const a of LRO_ACTIONS[c.lro]) actions.add(a);
    }
    for (const r of c.references ?? []) {
      const ref: { action: string; scopes: readonly PermissionScope[] } = REFERENCES[r];
      if (ref.scopes.includes(scope)) actions.add(ref.action);
    }
  }
  return [...actions].sort();
}

/** One custom role per scope kind, each with exactly the actions egret needs there. */
export const EGRET_ROLES: readonly EgretRole[] = PERMISSION_SCOPES.map((scope) => ({
  scope,
  actions: actionsAt(scope),
}));
