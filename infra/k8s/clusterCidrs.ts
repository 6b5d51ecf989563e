/**
 * The node agent's CLUSTER_CIDRS for an AKS cluster: the destinations that stay in the cluster and so
 * never take a pod's tunnel (pods and services), derived from `az aks show -o json`'s networkProfile
 * and, for pods with VNet addresses, the virtual network's address space. docs/install.md §7 runs it:
 *
 *   npx tsx infra/k8s/clusterCidrs.ts aks.json [vnet-address-prefixes.json]
 *
 * and prints the comma-separated list (IPv4 only: egret's tunnel is IPv4). Rules, by network model:
 *
 * - kubenet, Azure CNI Overlay, Azure CNI powered by Cilium in overlay mode: pods get addresses from
 *   the cluster's pod CIDR(s) (`networkProfile.podCidrs`, default 10.244.0.0/16), outside the VNet;
 * - Azure CNI (node subnet, or a pod subnet per pool), also with the Cilium dataplane: pods get VNet
 *   addresses, so the VNet's address space is in-cluster (a pod subnet is part of it);
 * - every model: the service CIDR(s) (`networkProfile.serviceCidrs`, default 10.0.0.0/16);
 * - `networkPlugin: none` (bring your own CNI): not derivable, CLUSTER_CIDRS must be set by hand.
 */
import { readFileSync } from 'node:fs';
import { ValidationError } from '../../shared/core/errors.js';

/** The fields of `az aks show -o json` read here (networkProfile as ARM returns it). */
export interface AksNetworkView {
  readonly networkProfile?: {
    readonly networkPlugin?: string | null;
    readonly networkPluginMode?: string | null;
    readonly networkDataplane?: string | null;
    readonly podCidr?: string | null;
    readonly podCidrs?: readonly string[] | null;
    readonly serviceCidr?: string | null;
    readonly serviceCidrs?: readonly string[] | null;
  } | null;
}

export type NetworkModel = 'kubenet' | 'overlay' | 'vnet' | 'byo';

/** Which address model the cluster's pods use. */
export function networkModelOf(aks: AksNetworkView): NetworkModel {
  const p = aks.networkProfile ?? {};
  switch (p.networkPlugin ?? 'kubenet') {
    case 'kubenet':
      return 'kubenet';
    case 'azure':
      return p.networkPluginMode === 'overlay' ? 'overlay' : 'vnet';
    case 'none':
      return 'byo';
    default:
      throw new ValidationError([
        { field: 'networkProfile.networkPlugin', message: `${JSON.stringify(p.networkPlugin)} is unknown` },
      ]);
  }
}

const isV4 = (c: string): boolean => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c);
const list = (many: readonly string[] | null | undefined, one: string | null | undefined): string[] =>
  (many !== undefined && many !== null && many.length > 0 ? [...many] : one ? [one] : []).filter(isV4);

/**
 * The in-cluster IPv4 CIDRs, sorted and unique.
 * @throws ValidationError naming the missing input (VNet prefixes for a VNet model; a BYO CNI).
 */
export function clusterCidrs(aks: AksNetworkView, vnetAddressPrefixes?: readonly string[]): string[] {
  const p = aks.networkProfile ?? {};
  const services = list(p.serviceCidrs, p.serviceCidr);
  const model = networkModelOf(aks);
  let pods: string[];
  switch (model) {
    case 'kubenet':
    case 'overlay':
      pods = list(p.podCidrs, p.podCidr);
      if (pods.length === 0)
        throw new ValidationError([
          { field: 'networkProfile.podCidrs', message: `a ${model} cluster has a pod CIDR; none given` },
        ]);
      break;
    case 'vnet':
      pods = (vnetAddressPrefixes ?? []).filter(isV4);
      if (pods.length === 0)
        throw new ValidationError([
          {
            field: 'vnetAddressPrefixes',
            message:
              "pods of an Azure CNI cluster have VNet addresses: pass the VNet's address prefixes (az network vnet show --query addressSpace.addressPrefixes)",
          },
        ]);
      break;
    case 'byo':
      throw new ValidationError([
        {
          field: 'networkProfile.networkPlugin',
          message: 'none (bring your own CNI): set CLUSTER_CIDRS to your pod and service CIDRs by hand',
        },
      ]);
  }
  if (services.length === 0)
    throw new ValidationError([
      { field: 'networkProfile.serviceCidrs', message: 'no IPv4 service CIDR given' },
    ]);
  return [...new Set([...pods, ...services])].sort();
}

function main(argv: readonly string[]): void {
  const [aksFile, vnetFile] = argv;
  if (aksFile === undefined) {
    process.stderr.write(
      'usage: clusterCidrs.ts <az aks show -o json file> [<vnet address prefixes json file>]\n',
    );
    process.exit(2);
  }
  const aks = JSON.parse(readFileSync(aksFile, 'utf8')) as AksNetworkView;
  const vnet = vnetFile === undefined ? undefined : (JSON.parse(readFileSync(vnetFile, 'utf8')) as string[]);
  try {
    process.stdout.write(`${clusterCidrs(aks, vnet).join(',')}\n`);
  } catch (e) {
    process.stderr.write(`clusterCidrs: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) main(process.argv.slice(2));
