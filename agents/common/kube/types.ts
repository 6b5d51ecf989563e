/**
 * The cluster objects the agents read and write, in upstream's shapes (kube-egress-gateway
 * v1alpha1, reference §2) so the two projects stay interchangeable, normalized from raw JSON at the
 * adapter edge. egret carries the per-node secondary IPs on the StaticGatewayConfiguration status
 * as `status.gatewayVMProfiles[] {nodeName, primaryIP, secondaryIP}` (upstream keeps that list on its
 * internal GatewayVMConfiguration object, which egret does not have).
 */
import { API_GROUP, API_VERSION } from '../../../shared/core/wellKnown.js';

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

export type DefaultRoute = 'staticEgressGateway' | 'azureNetworking';

/** One gateway node's IPs for a configuration (upstream GatewayVMConfiguration status entry). */
export interface GatewayVMProfile {
  /** VMSS instance computerName, or for AKS VirtualMachines pools the NIC name. */
  readonly nodeName: string;
  readonly primaryIP: string;
  readonly secondaryIP: string;
}

export interface StaticGatewayConfiguration extends ObjectRef {
  readonly uid: string;
  readonly deleting: boolean;
  readonly spec: {
    readonly gatewayNodepoolName?: string;
    readonly vmss?: { readonly resourceGroup: string; readonly name: string };
    readonly standaloneVMs?: { readonly resourceGroup: string; readonly vmNames: readonly string[] };
    readonly defaultRoute: DefaultRoute;
    readonly excludeCidrs: readonly string[];
  };
  readonly status: {
    readonly egressIpPrefix: string;
    readonly gatewayServerProfile?: {
      readonly ip: string;
      readonly port: number;
      readonly publicKey: string;
      readonly privateKeySecretRef?: ObjectRef;
    };
    readonly gatewayVMProfiles: readonly GatewayVMProfile[];
  };
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

/** Reads a StaticGatewayConfiguration from API JSON, tolerating missing optional parts. */
export function normalizeStaticGatewayConfiguration(raw: unknown): StaticGatewayConfiguration {
  const o = obj(raw);
  const md = obj(o?.metadata);
  const spec = obj(o?.spec);
  const status = obj(o?.status);
  const vmssProfile = obj(spec?.gatewayVmssProfile) ?? obj(obj(spec?.gatewayProfile)?.vmssProfile);
  const standalone = obj(obj(spec?.gatewayProfile)?.standaloneVMProfile);
  const gsp = obj(status?.gatewayServerProfile);
  const secretRef = obj(gsp?.privateKeySecretRef);
  const nodepool = str(spec?.gatewayNodepoolName);
  const profiles = Array.isArray(status?.gatewayVMProfiles) ? (status.gatewayVMProfiles as unknown[]) : [];
  return {
    namespace: str(md?.namespace),
    name: str(md?.name),
    uid: str(md?.uid),
    deleting: typeof md?.deletionTimestamp === 'string' && md.deletionTimestamp !== '',
    spec: {
      ...(nodepool === '' ? {} : { gatewayNodepoolName: nodepool }),
      ...(vmssProfile === undefined || str(vmssProfile.vmssName) === ''
        ? {}
        : { vmss: { resourceGroup: str(vmssProfile.vmssResourceGroup), name: str(vmssProfile.vmssName) } }),
      ...(standalone === undefined
        ? {}
        : {
            standaloneVMs: {
              resourceGroup: str(standalone.vmResourceGroup),
              vmNames: Array.isArray(standalone.vmNames) ? standalone.vmNames.map(str) : [],
            },
          }),
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
