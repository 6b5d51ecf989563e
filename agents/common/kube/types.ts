/**
 * The cluster objects the agents read and write, in upstream's shapes (kube-egress-gateway
 * v1alpha1, reference §2) so the two projects stay interchangeable, normalized from raw JSON at the
 * adapter edge. A StaticGatewayConfiguration is the core's type (shared/core/staticGatewayConfiguration.ts),
 * the same one the relay and the control plane use; agents/common/gatewayConfig.ts reads it. egret carries the per-node secondary IPs on the StaticGatewayConfiguration status
 * as `status.gatewayVMProfiles[] {nodeName, primaryIP, secondaryIP}` (upstream keeps that list on its
 * internal GatewayVMConfiguration object, which egret does not have).
 */
import type {
  GatewayVmssProfile,
  StaticGatewayConfiguration,
} from '../../../shared/core/staticGatewayConfiguration.js';
import { API_GROUP, API_VERSION } from '../../../shared/core/wellKnown.js';

export type { StaticGatewayConfiguration };
/** The API kind of the custom resource. */
export const STATIC_GATEWAY_CONFIGURATION_KIND = 'StaticGatewayConfiguration';

export { API_GROUP, API_VERSION };
export const STATIC_GATEWAY_CONFIGURATION_PLURAL = 'staticgatewayconfigurations';
export const POD_ENDPOINT_PLURAL = 'podendpoints';
export const POD_ENDPOINT_KIND = 'PodEndpoint';
export const GATEWAY_STATUS_PLURAL = 'gatewaystatuses';
export const GATEWAY_STATUS_KIND = 'GatewayStatus';
/**
 * Annotation egret adds to a PodEndpoint: the CNI container (sandbox) id that created it, so a late
 * DEL of an old sandbox never deletes the PodEndpoint of the pod's new sandbox.
 */
export const POD_ENDPOINT_CONTAINER_ANNOTATION = 'egret.kubernetes.azure.com/container-id';

export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

export interface PodEndpoint extends ObjectRef {
  readonly staticGatewayConfiguration: string;
  /** `<pod IPv4>/32`. */
  readonly podIpAddress: string;
  readonly podPublicKey: string;
  readonly containerId?: string;
}

/** GatewayStatus spec (debug object, one per gateway node, in the daemon's namespace). */
export interface GatewayStatusSpec {
  readonly readyGatewayConfigurations: readonly {
    readonly staticGatewayConfiguration: string;
    readonly interfaceName: string;
  }[];
  readonly readyPeerConfigurations: readonly {
    readonly podEndpoint: string;
    readonly interfaceName: string;
    readonly publicKey: string;
  }[];
}

type Raw = Record<string, unknown> | undefined;
const obj = (v: unknown): Raw =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Reads a StaticGatewayConfiguration from API JSON into the core's type, tolerating missing optional
 * parts and dropping values of the wrong type (the API server validated the spec; status is ours).
 */
export function normalizeStaticGatewayConfiguration(raw: unknown): StaticGatewayConfiguration {
  const o = obj(raw);
  const md = obj(o?.metadata);
  const spec = obj(o?.spec);
  const status = obj(o?.status);
  const gatewayProfile = obj(spec?.gatewayProfile);
  const vmssOf = (v: unknown): GatewayVmssProfile | undefined => {
    const p = obj(v);
    if (p === undefined) return undefined;
    return {
      ...optStr('vmssResourceGroup', p.vmssResourceGroup),
      ...optStr('vmssName', p.vmssName),
      ...optNum('publicIpPrefixSize', p.publicIpPrefixSize),
    };
  };
  const standalone = obj(gatewayProfile?.standaloneVMProfile);
  const vmssProfile = vmssOf(gatewayProfile?.vmssProfile);
  const deprecatedVmss = vmssOf(spec?.gatewayVmssProfile);
  const gsp = obj(status?.gatewayServerProfile);
  const secretRef = obj(gsp?.privateKeySecretRef);
  const profiles = Array.isArray(status?.gatewayVMProfiles) ? (status.gatewayVMProfiles as unknown[]) : [];
  const deletionTimestamp = str(md?.deletionTimestamp);
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: STATIC_GATEWAY_CONFIGURATION_KIND,
    metadata: {
      namespace: str(md?.namespace),
      name: str(md?.name),
      uid: str(md?.uid),
      ...optNum('generation', md?.generation),
      ...optStr('resourceVersion', md?.resourceVersion),
      ...(deletionTimestamp === '' ? {} : { deletionTimestamp }),
    },
    spec: {
      ...optStr('gatewayNodepoolName', spec?.gatewayNodepoolName),
      ...(deprecatedVmss === undefined ? {} : { gatewayVmssProfile: deprecatedVmss }),
      ...(gatewayProfile === undefined
        ? {}
        : {
            gatewayProfile: {
              ...(vmssProfile === undefined ? {} : { vmssProfile }),
              ...(standalone === undefined
                ? {}
                : {
                    standaloneVMProfile: {
                      ...optStr('vmResourceGroup', standalone.vmResourceGroup),
                      vmNames: Array.isArray(standalone.vmNames) ? standalone.vmNames.map(str) : [],
                      ...optNum('publicIpPrefixSize', standalone.publicIpPrefixSize),
                    },
                  }),
            },
          }),
      ...(typeof spec?.provisionPublicIps === 'boolean'
        ? { provisionPublicIps: spec.provisionPublicIps }
        : {}),
      ...optStr('publicIpPrefixId', spec?.publicIpPrefixId),
      defaultRoute: spec?.defaultRoute === 'azureNetworking' ? 'azureNetworking' : 'staticEgressGateway',
      excludeCidrs: Array.isArray(spec?.excludeCidrs)
        ? spec.excludeCidrs.map(str).filter((c) => c !== '')
        : [],
    },
    status: {
      egressIpPrefix: str(status?.egressIpPrefix),
      ...(gsp === undefined
        ? {}
        : {
            gatewayServerProfile: {
              ip: str(gsp.ip),
              port: typeof gsp.port === 'number' ? gsp.port : 0,
              publicKey: str(gsp.publicKey),
              ...(secretRef === undefined
                ? {}
                : {
                    privateKeySecretRef: { namespace: str(secretRef.namespace), name: str(secretRef.name) },
                  }),
            },
          }),
      gatewayVMProfiles: profiles.map((p) => {
        const x = obj(p);
        return { nodeName: str(x?.nodeName), primaryIP: str(x?.primaryIP), secondaryIP: str(x?.secondaryIP) };
      }),
    },
  };
}

function optStr<K extends string>(key: K, v: unknown): { readonly [k in K]?: string } {
  return (typeof v === 'string' && v !== '' ? { [key]: v } : {}) as { readonly [k in K]?: string };
}

function optNum<K extends string>(key: K, v: unknown): { readonly [k in K]?: number } {
  return (typeof v === 'number' && Number.isFinite(v) ? { [key]: v } : {}) as { readonly [k in K]?: number };
}

/** Reads a PodEndpoint from API JSON. */
export function normalizePodEndpoint(raw: unknown): PodEndpoint {
  const o = obj(raw);
  const md = obj(o?.metadata);
  const spec = obj(o?.spec);
  const containerId = str(obj(md?.annotations)?.[POD_ENDPOINT_CONTAINER_ANNOTATION]);
  return {
    namespace: str(md?.namespace),
    name: str(md?.name),
    staticGatewayConfiguration: str(spec?.staticGatewayConfiguration),
    podIpAddress: str(spec?.podIpAddress),
    podPublicKey: str(spec?.podPublicKey),
    ...(containerId === '' ? {} : { containerId }),
  };
}

/** `<namespace>/<name>`, the key format upstream's GatewayStatus uses. */
export function keyOf(ref: ObjectRef): string {
  return `${ref.namespace}/${ref.name}`;
}
