/**
 * Gateway pools: which Azure machines carry a configuration's egress traffic, how a pool is named
 * in egret's state (its key) and on the ILB (its unique id), and {@link resolvePool}, the one place
 * that decides a spec's pool kind (the "factory" of upstream's VMSS / VM-pool providers).
 *
 * Three kinds:
 * - `vmss`: a Uniform VMSS; ipConfigs are written on the model and on each instance.
 * - `aks-vm-pool`: an AKS "VirtualMachines" pool; AKS pre-creates one NIC per possible node, tagged
 *   `aks-managed-static-gateway-nic` and `aks-managed-poolName`; ipConfigs are written on those NICs
 *   (also those without a VM yet), so private IPs are stable.
 * - `standalone-vms`: the primary NICs of named VMs (egret's addition, after upstream's plan).
 */
import { isWellFormedText } from './inputLimits.js';
import { md5, toHex } from './md5.js';
import type { DesiredSpec } from './staticGatewayConfiguration.js';
import { uuidV3 } from './uuidV3.js';
import {
  AKS_GATEWAY_PREFIX_SIZE_TAG,
  AKS_POOL_NAME_TAG,
  AKS_STATIC_GATEWAY_NIC_TAG,
  PUBLIC_IP_PREFIX_LENGTH_MAX,
  PUBLIC_IP_PREFIX_LENGTH_MIN,
  VM_POOL_UUID_NAMESPACE,
} from './wellKnown.js';

/** A gateway pool, by where it lives. */
export type PoolRef =
  | { readonly kind: 'vmss'; readonly resourceGroup: string; readonly vmssName: string }
  | { readonly kind: 'aks-vm-pool'; readonly resourceGroup: string; readonly poolName: string }
  | { readonly kind: 'standalone-vms'; readonly resourceGroup: string; readonly vmNames: readonly string[] };

/** The longest key kept readable; longer standalone-VM keys use a hash of the name list. */
const MAX_READABLE_KEY = 200;

/**
 * The pool's key in egret's state (lease, dirty flag, port claims): lower case (Azure names are
 * case-insensitive), `:`-separated, and safe as a Table Storage PartitionKey/RowKey (no `/ \ # ?`
 * or control characters, which Azure names cannot contain either). Examples:
 * `vmss:rg-gw:gw-vmss`, `aks-vm-pool:mc_rg_aks_westeurope:gwpool`, `standalone-vms:rg-vms:vm-a,vm-b`.
 */
export function poolKey(ref: PoolRef): string {
  const rg = ref.resourceGroup.toLowerCase();
  switch (ref.kind) {
    case 'vmss':
      return `vmss:${rg}:${ref.vmssName.toLowerCase()}`;
    case 'aks-vm-pool':
      return `aks-vm-pool:${rg}:${ref.poolName.toLowerCase()}`;
    case 'standalone-vms': {
      const names = canonicalVmNames(ref.vmNames).join(',');
      const key = `standalone-vms:${rg}:${names}`;
      return key.length <= MAX_READABLE_KEY
        ? key
        : `standalone-vms:${rg}:md5-${toHex(md5(new TextEncoder().encode(names)))}`;
    }
  }
}

/**
 * True when a string is usable as a Table Storage key: no `/ \\ # ?` or control characters, at most 1 KiB
 * of UTF-16 (512 characters). egret validates keys itself because Azurite answers 500 where Azure answers 400.
 */
export function isTableSafeKey(key: string): boolean {
  return (
    key.length > 0 &&
    key.length <= 512 &&
    !/[/\\#?\u0000-\u001f\u007f-\u009f]/.test(key) &&
    isWellFormedText(key)
  );
}

/** Sorted, lower-cased, de-duplicated VM names: the identity of a standalone-VM pool. */
export function canonicalVmNames(names: readonly string[]): readonly string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))].sort();
}

/**
 * Upstream's unique id of an AKS VirtualMachines pool: UUIDv3(MD5) of the pool name in namespace
 * `2c96e82c-842f-11f0-8ea5-6bee14278ecd`. Upstream hashes the name as the spec spells it; egret hashes
 * it lower-cased, which is the same string whenever the spec spells the name as AKS stores it (AKS
 * pool names are lower case) and keeps one frontend per pool when two specs differ only in case.
 */
export function vmPoolUniqueId(poolName: string): string {
  return uuidV3(VM_POOL_UUID_NAMESPACE, poolName.toLowerCase());
}

/**
 * The unique id of a standalone-VM pool (no upstream equivalent): UUIDv3 in the same namespace of
 * `standalone-vms:<resource group>:<sorted VM names>`, all lower case. It depends only on the VM set,
 * so every configuration naming that set shares the ILB frontend and backend pool; a different set is
 * a different pool (and gets another frontend IP). The input contains `:`, which AKS pool names cannot,
 * so it never collides with {@link vmPoolUniqueId}.
 */
export function standaloneVmsUniqueId(resourceGroup: string, vmNames: readonly string[]): string {
  return uuidV3(
    VM_POOL_UUID_NAMESPACE,
    `standalone-vms:${resourceGroup.toLowerCase()}:${canonicalVmNames(vmNames).join(',')}`,
  );
}

// ---- Resolution ---------------------------------------------------------------------------------

/** A VMSS as inventory lists it (enough to pick a pool). */
export interface ScaleSetSummary {
  readonly resourceGroup: string;
  readonly name: string;
  /** `properties.uniqueId`: names the pool's ILB frontend and backend pool. */
  readonly uniqueId?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A NIC or VM as inventory lists it (tags only). */
export interface TaggedResourceSummary {
  readonly resourceGroup: string;
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * What {@link resolvePool} looks at: the scale sets of the gateway resource group plus any named by a
 * profile, and the NICs/VMs of the gateway resource group that carry an AKS pool tag.
 */
export interface PoolInventory {
  /** The resource group AKS nodepools live in (the node resource group): where nodepool names are searched. */
  readonly gatewayResourceGroup: string;
  readonly scaleSets: readonly ScaleSetSummary[];
  readonly nics: readonly TaggedResourceSummary[];
  readonly vms: readonly TaggedResourceSummary[];
}

/** A pool resolved for one configuration. */
export interface ResolvedPool {
  readonly ref: PoolRef;
  readonly key: string;
  /** Names the pool's ILB frontend and backend pool. */
  readonly uniqueId: string;
  /** The public IP prefix length the pool asks for (absent in private-IP mode). */
  readonly prefixLength?: number;
}

/** The outcome of {@link resolvePool}. */
export type PoolResolution =
  | {
      readonly kind: 'resolved';
      readonly pool: ResolvedPool;
      /** Served, but worth telling the user (an `Accepted` warning in the status). */
      readonly warning?: { readonly field: string; readonly message: string };
    }
  | { readonly kind: 'not-found'; readonly message: string }
  | { readonly kind: 'invalid'; readonly field: string; readonly message: string };

/**
 * Decides the pool of a validated spec from inventory (pure; the listing is an adapter's job):
 * - `gatewayNodepoolName`: a VMSS whose tag `aks-managed-poolName` equals it case-insensitively
 *   (upstream's LB controller looks at scale sets first), else the NICs tagged
 *   `aks-managed-static-gateway-nic` with that pool tag (a VirtualMachines pool). Several matching
 *   scale sets cannot happen in AKS; egret takes the first by name so the outcome is deterministic.
 *   Prefix length: tag `aks-managed-gatewayIPPrefixSize` on the VMSS, or on the pool's VMs/NICs.
 * - a VMSS profile: that VMSS; prefix length from the profile.
 * - standalone VMs: the named set; prefix length from the profile.
 * Private-IP mode on a VMSS found by nodepool name is refused here (the spec alone cannot tell).
 */
export function resolvePool(spec: DesiredSpec, inventory: PoolInventory): PoolResolution {
  const publicIps = spec.egress.kind === 'public';
  const selector = spec.pool;
  switch (selector.kind) {
    case 'vmss': {
      const vmss = inventory.scaleSets.find(
        (s) => eq(s.resourceGroup, selector.resourceGroup) && eq(s.name, selector.vmssName),
      );
      if (vmss === undefined) {
        return {
          kind: 'not-found',
          message: `VMSS ${selector.resourceGroup}/${selector.vmssName} was not found`,
        };
      }
      return resolvedVmss(vmss, publicIps ? selector.publicIpPrefixSize : undefined);
    }
    case 'standalone-vms': {
      const ref: PoolRef = {
        kind: 'standalone-vms',
        resourceGroup: selector.resourceGroup,
        vmNames: canonicalVmNames(selector.vmNames),
      };
      return resolved(
        ref,
        standaloneVmsUniqueId(selector.resourceGroup, selector.vmNames),
        publicIps ? selector.publicIpPrefixSize : undefined,
      );
    }
    case 'nodepool': {
      const name = selector.nodepoolName;
      const vmss = inventory.scaleSets
        .filter(
          (s) => eq(s.resourceGroup, inventory.gatewayResourceGroup) && eq(s.tags?.[AKS_POOL_NAME_TAG], name),
        )
        .sort((a, b) => compare(a.name.toLowerCase(), b.name.toLowerCase()))[0];
      if (vmss !== undefined) {
        if (!publicIps) {
          // Served as upstream serves it (its e2e suite does), with a warning: a VMSS instance's
          // secondary private IP can change when it is reimaged, rebuilt or scaled.
          const r = resolvedVmss(vmss, undefined);
          if (r.kind !== 'resolved') return r;
          return {
            ...r,
            warning: {
              field: 'spec.provisionPublicIps',
              message:
                `private-IP mode on nodepool ${name}, a VMSS (${vmss.name}): an instance's secondary private IP can ` +
                'change when it is reimaged, rebuilt or scaled in and out, and the egress IPs in status change with ' +
                'it; an AKS VirtualMachines pool or gatewayProfile.standaloneVMProfile keeps them stable',
            },
          };
        }
        const size = prefixSizeTag(vmss.tags);
        if (size.kind === 'invalid') return tagProblem(name, size.value);
        return resolvedVmss(vmss, size.value);
      }
      const inPool = (r: TaggedResourceSummary): boolean =>
        eq(r.resourceGroup, inventory.gatewayResourceGroup) && eq(r.tags?.[AKS_POOL_NAME_TAG], name);
      const nics = inventory.nics.filter(
        (n) => inPool(n) && n.tags?.[AKS_STATIC_GATEWAY_NIC_TAG] !== undefined,
      );
      if (nics.length === 0) {
        return {
          kind: 'not-found',
          message:
            `no VMSS or VirtualMachines-pool NICs tagged ${AKS_POOL_NAME_TAG}=${name} in resource group ` +
            `${inventory.gatewayResourceGroup}`,
        };
      }
      const ref: PoolRef = {
        kind: 'aks-vm-pool',
        resourceGroup: inventory.gatewayResourceGroup,
        poolName: name.toLowerCase(),
      };
      if (!publicIps) return resolved(ref, vmPoolUniqueId(name), undefined);
      // The first VM (then NIC) carrying the tag decides; none carrying it is a problem in public mode.
      const tagged = [...inventory.vms.filter(inPool), ...nics]
        .map((r) => prefixSizeTag(r.tags))
        .find((s) => s.value !== undefined);
      if (tagged === undefined || tagged.kind === 'invalid') return tagProblem(name, tagged?.value);
      return resolved(ref, vmPoolUniqueId(name), tagged.value);
    }
  }
}

function resolvedVmss(vmss: ScaleSetSummary, prefixLength: number | undefined): PoolResolution {
  if (vmss.uniqueId === undefined || vmss.uniqueId === '') {
    return {
      kind: 'not-found',
      message: `VMSS ${vmss.resourceGroup}/${vmss.name} has no uniqueId (is it fully created?)`,
    };
  }
  return resolved(
    { kind: 'vmss', resourceGroup: vmss.resourceGroup, vmssName: vmss.name },
    vmss.uniqueId,
    prefixLength,
  );
}

function resolved(ref: PoolRef, uniqueId: string, prefixLength: number | undefined): PoolResolution {
  return {
    kind: 'resolved',
    pool: { ref, key: poolKey(ref), uniqueId, ...(prefixLength === undefined ? {} : { prefixLength }) },
  };
}

type SizeTag =
  | { readonly kind: 'ok'; readonly value: number | undefined }
  | { readonly kind: 'invalid'; readonly value: string | undefined };

function prefixSizeTag(tags: Readonly<Record<string, string>> | undefined): SizeTag {
  const entry = Object.entries(tags ?? {}).find(([k]) => eq(k, AKS_GATEWAY_PREFIX_SIZE_TAG));
  if (entry === undefined) return { kind: 'invalid', value: undefined };
  const n = /^[0-9]{1,2}$/.test(entry[1].trim()) ? Number(entry[1].trim()) : NaN;
  return n >= PUBLIC_IP_PREFIX_LENGTH_MIN && n <= PUBLIC_IP_PREFIX_LENGTH_MAX
    ? { kind: 'ok', value: n }
    : { kind: 'invalid', value: entry[1] };
}

function tagProblem(pool: string, value: string | undefined): PoolResolution {
  return {
    kind: 'invalid',
    field: 'spec.gatewayNodepoolName',
    message:
      `nodepool ${pool} ${value === undefined ? 'has no' : `has an invalid (${JSON.stringify(value)})`} ` +
      `${AKS_GATEWAY_PREFIX_SIZE_TAG} tag; public-IP mode needs ${PUBLIC_IP_PREFIX_LENGTH_MIN}–${PUBLIC_IP_PREFIX_LENGTH_MAX} ` +
      '(AKS sets it from --gateway-prefix-size)',
  };
}

function eq(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
