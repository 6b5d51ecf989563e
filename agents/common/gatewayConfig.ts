/**
 * Pure rules about StaticGatewayConfigurations shared by both agents: when one is ready to use,
 * and whether it applies to a given gateway node (upstream `isReady` / `applyToNode`).
 */
import type {
  DefaultRoute,
  GatewayVmProfile,
  StaticGatewayConfiguration,
} from '../../shared/core/staticGatewayConfiguration.js';
import { AKS_NIC_NAME_TAG, AKS_POOL_NAME_TAG } from '../../shared/core/wellKnown.js';
import type { NodeIdentity } from './imds.js';

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** True once deletion was requested (`metadata.deletionTimestamp`). */
export function isDeleting(c: StaticGatewayConfiguration): boolean {
  return c.metadata.deletionTimestamp !== undefined && c.metadata.deletionTimestamp !== '';
}

/** `spec.defaultRoute` with its default. */
export function defaultRouteOf(c: StaticGatewayConfiguration): DefaultRoute {
  return c.spec.defaultRoute === 'azureNetworking' ? 'azureNetworking' : 'staticEgressGateway';
}

/** `spec.excludeCidrs`, empty when unset. */
export function excludeCidrsOf(c: StaticGatewayConfiguration): readonly string[] {
  return c.spec.excludeCidrs ?? [];
}

/** What pods need to reach the gateway, once the control plane has published all of it. */
export interface GatewayEndpoint {
  readonly egressIpPrefix: string;
  /** ILB frontend IP. */
  readonly ip: string;
  /** WireGuard / LB port. */
  readonly port: number;
  readonly publicKey: string;
  /** The key Secret (set by the relay); absent until it has. */
  readonly privateKeySecretRef?: { readonly namespace: string; readonly name: string };
}

/**
 * The published endpoint: `status.egressIpPrefix` and `status.gatewayServerProfile` {ip, port,
 * publicKey} all set (what pods need, upstream: egressIpPrefix set); undefined before.
 */
export function gatewayEndpointOf(c: StaticGatewayConfiguration): GatewayEndpoint | undefined {
  const egressIpPrefix = c.status?.egressIpPrefix ?? '';
  const p = c.status?.gatewayServerProfile;
  const ip = p?.ip ?? '';
  const port = p?.port ?? 0;
  const publicKey = p?.publicKey ?? '';
  if (egressIpPrefix === '' || ip === '' || port === 0 || publicKey === '') return undefined;
  const ref = p?.privateKeySecretRef;
  return {
    egressIpPrefix,
    ip,
    port,
    publicKey,
    ...(ref?.name === undefined || ref.name === ''
      ? {}
      : { privateKeySecretRef: { namespace: ref.namespace ?? '', name: ref.name } }),
  };
}

/**
 * True when `c` names this node's pool: by AKS pool name (IMDS tag, case-insensitive), by VMSS name
 * and resource group (`gatewayProfile.vmssProfile` or the deprecated `gatewayVmssProfile`), or
 * (egret's standalone-VM profile) by VM name and resource group.
 */
export function configurationAppliesToNode(c: StaticGatewayConfiguration, node: NodeIdentity): boolean {
  const s = c.spec;
  if (s.gatewayNodepoolName !== undefined && s.gatewayNodepoolName !== '') {
    const pool = node.tags[AKS_POOL_NAME_TAG];
    return pool !== undefined && eq(pool, s.gatewayNodepoolName);
  }
  const vmss = s.gatewayProfile?.vmssProfile ?? s.gatewayVmssProfile;
  if (vmss?.vmssName !== undefined && vmss.vmssName !== '') {
    const rg = vmss.vmssResourceGroup ?? '';
    return eq(node.vmScaleSetName, vmss.vmssName) && (rg === '' || eq(node.resourceGroupName, rg));
  }
  const vms = s.gatewayProfile?.standaloneVMProfile;
  if (vms !== undefined)
    return (
      eq(node.resourceGroupName, vms.vmResourceGroup ?? '') &&
      (vms.vmNames ?? []).some((n) => eq(n, node.vmName))
    );
  return false;
}

/** This node's entry in the configuration's per-node IP list: by computer name, or by NIC-name tag. */
export function findGatewayVMProfile(
  c: StaticGatewayConfiguration,
  node: NodeIdentity,
): GatewayVmProfile | undefined {
  const nic = node.tags[AKS_NIC_NAME_TAG];
  return (c.status?.gatewayVMProfiles ?? []).find(
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
