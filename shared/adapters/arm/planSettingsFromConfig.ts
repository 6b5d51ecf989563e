/**
 * The planner's settings from the app settings: where the ILB, its frontend subnet, and the managed
 * prefixes and per-NIC public IPs live. Upstream puts prefixes and public IPs in the cloud config's
 * `resourceGroup`, which is the gateway (node) resource group, so egret does too.
 */
import { formatArmId } from '../../core/armId.js';
import type { PlanSettings } from '../../core/planPool.js';
import type { EgretConfig } from '../../config.js';

/** `orphans`: 'delete' only when the caller's configuration list is authoritative (core report). */
export function planSettingsFromConfig(
  config: Pick<
    EgretConfig,
    'subscriptionId' | 'location' | 'gatewayResourceGroup' | 'loadBalancer' | 'network'
  >,
  options: { readonly orphans: PlanSettings['orphans'] },
): PlanSettings {
  return {
    subscriptionId: config.subscriptionId,
    location: config.location,
    loadBalancerResourceGroup: config.loadBalancer.resourceGroup,
    loadBalancerName: config.loadBalancer.name,
    frontendSubnetId: formatArmId({
      subscriptionId: config.subscriptionId,
      resourceGroup: config.network.resourceGroup,
      provider: 'Microsoft.Network',
      types: ['virtualNetworks', 'subnets'],
      names: [config.network.vnetName, config.network.subnetName],
    }),
    publicIpResourceGroup: config.gatewayResourceGroup,
    orphans: options.orphans,
  };
}
