/**
 * Pure rules about StaticGatewayConfigurations shared by both agents: when one is ready to use,
 * and whether it applies to a given gateway node (upstream `isReady` / `applyToNode`).
 */
import type { NodeIdentity } from './imds.js';
import type { GatewayVMProfile, StaticGatewayConfiguration } from './kube/types.js';

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Tag AKS sets on a nodepool's VMSS/VMs naming the pool. */
export const AKS_POOL_NAME_TAG = 'aks-managed-poolName';
/** Tag on AKS VirtualMachines-pool VMs naming their NIC (what `gatewayVMProfiles[].nodeName` holds there). */
export const AKS_NIC_NAME_TAG = 'aks-managed-nic-name';

/** True when the control plane has published everything a data path needs (upstream's `isReady`). */
export function isConfigurationReady(c: StaticGatewayConfiguration): boolean {
  const p = c.status.gatewayServerProfile;
  return (
    c.status.egressIpPrefix !== '' &&
    p !== undefined &&
    p.ip !== '' &&
    p.port !== 0 &&
    p.publicKey !== '' &&
    p.privateKeySecretRef !== undefined &&
    p.privateKeySecretRef.name !== ''
  );
}

/**
 * True when `c` names this node's pool: by AKS pool name (IMDS tag, case-insensitive), by VMSS name
 * and resource group, or (egret's standalone-VM profile) by VM name and resource group.
 */
export function configurationAppliesToNode(c: StaticGatewayConfiguration, node: NodeIdentity): boolean {
  const s = c.spec;
  if (s.gatewayNodepoolName !== undefined) {
    const pool = node.tags[AKS_POOL_NAME_TAG];
    return pool !== undefined && eq(pool, s.gatewayNodepoolName);
  }
  if (s.vmss !== undefined)
    return (
      eq(node.vmScaleSetName, s.vmss.name) &&
      (s.vmss.resourceGroup === '' || eq(node.resourceGroupName, s.vmss.resourceGroup))
    );
  if (s.standaloneVMs !== undefined)
    return (
      eq(node.resourceGroupName, s.standaloneVMs.resourceGroup) &&
      s.standaloneVMs.vmNames.some((n) => eq(n, node.vmName))
    );
  return false;
}

/** This node's entry in the configuration's per-node IP list: by computer name, or by NIC-name tag. */
export function findGatewayVMProfile(
  c: StaticGatewayConfiguration,
  node: NodeIdentity,
): GatewayVMProfile | undefined {
  const nic = node.tags[AKS_NIC_NAME_TAG];
  return c.status.gatewayVMProfiles.find(
    (p) =>
      (node.computerName !== '' && eq(p.nodeName, node.computerName)) ||
      (nic !== undefined && eq(p.nodeName, nic)),
  );
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a dotted-quad IPv4 address. */
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

/** True for an IPv4 CIDR such as `10.0.0.0/8`. */
export function isIPv4Cidr(s: string): boolean {
  const [ip, len, extra] = s.split('/');
  if (extra !== undefined || ip === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return false;
  return isIPv4(ip) && Number(len) <= 32;
}

/** A WireGuard key: 32 bytes in standard base64 (44 characters, one `=`). */
export function isWireGuardKey(s: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(s);
}
