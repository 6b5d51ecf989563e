/**
 * CNI spec pieces the plugin and the agent share (pure, node built-ins only, so the plugin stays a
 * small, fast executable): versions, CNI_ARGS, result conversion between spec versions, errors.
 */

/** Spec versions the plugin accepts in a conflist (AKS's azure-vnet still writes 0.3.0). */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] as const;

/** The plugin `type` egret adds to the node's conflist. */
export const EGRET_CNI_TYPE = 'egret-cni';

/**
 * Pod annotation that opts a pod in; value = configuration name in the pod's namespace. The same
 * string as shared/core/wellKnown.ts (a test holds them equal): the plugin ships to the host as this
 * file and egretCni.js only, so it cannot import the core.
 */
export const POD_GATEWAY_ANNOTATION = 'kubernetes.azure.com/static-gateway-configuration';

/**
 * The CNI capability under which containerd (CRI plugin, ≥ 1.5) and CRI-O pass a pod's annotations in
 * `runtimeConfig` to a plugin that declares it in its conflist entry.
 */
export const POD_ANNOTATIONS_CAPABILITY = 'io.kubernetes.cri.pod-annotations';

/** CNI error codes used (spec 1.0: 11 = "try again later"; ≥100 plugin-specific). */
export const CNI_ERROR = {
  incompatibleVersion: 1,
  invalidConfig: 7,
  tryAgainLater: 11,
  internal: 100,
} as const;

export interface CniInterface {
  readonly name: string;
  readonly mac?: string;
  readonly sandbox?: string;
}

export interface CniIp {
  readonly address: string;
  readonly gateway?: string;
  readonly interface?: number;
  readonly version?: string;
}

/** A CNI result (any supported version; `ips[].version` only before 1.0.0). */
export interface CniResult {
  readonly cniVersion: string;
  readonly interfaces?: readonly CniInterface[];
  readonly ips?: readonly CniIp[];
  readonly routes?: readonly unknown[];
  readonly dns?: unknown;
}

export interface CniErrorBody {
  readonly cniVersion: string;
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/** What the plugin sends the agent for ADD / DEL / CHECK. */
export interface CniRequest {
  readonly command: 'ADD' | 'DEL' | 'CHECK';
  readonly containerId: string;
  /** CNI_NETNS: a path such as /var/run/netns/cni-1234. */
  readonly netns: string;
  readonly ifName: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly cniVersion: string;
  readonly prevResult?: CniResult;
}

/** Parses `CNI_ARGS` (`K1=V1;K2=V2`). */
export function parseCniArgs(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (s ?? '').split(';')) {
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** Rewrites a result into `version`'s shape: `ips[].version` exists before 1.0.0 only. */
export function convertResult(result: CniResult, version: string): CniResult {
  const before1 = version.startsWith('0.');
  return {
    ...result,
    cniVersion: version,
    ...(result.ips === undefined
      ? {}
      : {
          ips: result.ips.map((ip) => {
            const { version: _v, ...rest } = ip;
            return before1 ? { ...rest, version: ip.address.includes(':') ? '6' : '4' } : rest;
          }),
        }),
  };
}

/** The pod's IPv4 address from a main plugin's result: one on an interface inside the sandbox first. */
export function podIPv4(result: CniResult | undefined, netns: string): string | undefined {
  const ips = (result?.ips ?? []).filter((ip) => !ip.address.includes(':'));
  const inSandbox = ips.find((ip) => {
    const itf = ip.interface === undefined ? undefined : result?.interfaces?.[ip.interface];
    return itf?.sandbox !== undefined && itf.sandbox !== '' && (itf.sandbox === netns || netns === '');
  });
  const chosen = inSandbox ?? ips[0];
  return chosen?.address.split('/')[0];
}

/** The result with the WireGuard interface appended (ADD's output). */
export function addInterface(result: CniResult, itf: CniInterface): CniResult {
  return { ...result, interfaces: [...(result.interfaces ?? []), itf] };
}
