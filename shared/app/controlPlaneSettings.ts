/**
 * What the use cases need to know about where egret's Azure resources live, derived once from the
 * validated app settings (shared/config.ts).
 */
import type { EgretConfig } from '../config.js';
import { loadBalancerId } from '../core/armId.js';
import type { PlanSettings } from '../core/planPool.js';

/** Where egret's shared Azure resources live. */
export interface ControlPlaneSettings {
  readonly subscriptionId: string;
  readonly location: string;
  /** The AKS node resource group: nodepool names are searched here; managed prefixes and public IPs go here. */
  readonly gatewayResourceGroup: string;
  readonly loadBalancer: { readonly name: string; readonly resourceGroup: string };
  /** The subnet ILB frontends take their private IP from. */
  readonly frontendSubnetId: string;
}

/** Derives the settings from the app configuration. */
export function controlPlaneSettings(config: EgretConfig): ControlPlaneSettings {
  const { network } = config;
  return {
    subscriptionId: config.subscriptionId,
    location: config.location,
    gatewayResourceGroup: config.gatewayResourceGroup,
    loadBalancer: config.loadBalancer,
    frontendSubnetId:
      `/subscriptions/${config.subscriptionId}/resourceGroups/${network.resourceGroup}` +
      `/providers/Microsoft.Network/virtualNetworks/${network.vnetName}/subnets/${network.subnetName}`,
  };
}

/** The ILB's ARM id. */
export function loadBalancerIdOf(settings: ControlPlaneSettings): string {
  return loadBalancerId(
    { subscriptionId: settings.subscriptionId, resourceGroup: settings.loadBalancer.resourceGroup },
    settings.loadBalancer.name,
  );
}

/** The planner's settings (orphan policy chosen per reconcile). */
export function planSettingsOf(
  settings: ControlPlaneSettings,
  orphans: PlanSettings['orphans'],
): PlanSettings {
  return {
    subscriptionId: settings.subscriptionId,
    location: settings.location,
    loadBalancerResourceGroup: settings.loadBalancer.resourceGroup,
    loadBalancerName: settings.loadBalancer.name,
    frontendSubnetId: settings.frontendSubnetId,
    publicIpResourceGroup: settings.gatewayResourceGroup,
    orphans,
  };
}

/** The status projection's settings. */
export function statusSettingsOf(settings: ControlPlaneSettings): {
  readonly subscriptionId: string;
  readonly loadBalancerResourceGroup: string;
  readonly loadBalancerName: string;
  readonly publicIpResourceGroup: string;
} {
  return {
    subscriptionId: settings.subscriptionId,
    loadBalancerResourceGroup: settings.loadBalancer.resourceGroup,
    loadBalancerName: settings.loadBalancer.name,
    publicIpResourceGroup: settings.gatewayResourceGroup,
  };
}
