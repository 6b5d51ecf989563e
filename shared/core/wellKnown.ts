/**
 * Every name, tag, label, port and constant egret shares with Azure/kube-egress-gateway ("upstream").
 * They are kept identical so a cluster can switch between the two and existing Azure resources
 * (the ILB, its per-pool frontends and backend pools) are adopted rather than duplicated.
 * Each line says what the value means upstream.
 */

// ---- Kubernetes API -------------------------------------------------------------------------------

/** CRD group of StaticGatewayConfiguration (upstream api/v1alpha1). */
export const API_GROUP = 'egressgateway.kubernetes.azure.com';
/** CRD version; upstream never left v1alpha1. */
export const API_VERSION = 'v1alpha1';
/** `apiVersion` field value of a StaticGatewayConfiguration object. */
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;
/** Kind of the user-facing, namespaced custom resource. */
export const STATIC_GATEWAY_CONFIGURATION_KIND = 'StaticGatewayConfiguration';
/** Plural resource name (URL path segment) of the custom resource. */
export const STATIC_GATEWAY_CONFIGURATION_PLURAL = 'staticgatewayconfigurations';
/** Finalizer upstream's SGC controller puts on each configuration; egret's relay owns the same one. */
export const STATIC_GATEWAY_CONFIGURATION_FINALIZER = 'static-gateway-configuration-controller.microsoft.com';
/** Pod annotation that opts a pod in; its value is the configuration's name in the pod's namespace. */
export const POD_GATEWAY_ANNOTATION = 'kubernetes.azure.com/static-gateway-configuration';
/** Prefix of the Secret holding a configuration's WireGuard key pair: `sgw-<configuration uid>`. */
export const WIREGUARD_SECRET_NAME_PREFIX = 'sgw-';
/** Secret data key of the gateway's WireGuard private key (base64, as `wg genkey` prints it). */
export const WIREGUARD_SECRET_PRIVATE_KEY = 'PrivateKey';
/** Secret data key of the gateway's WireGuard public key. */
export const WIREGUARD_SECRET_PUBLIC_KEY = 'PublicKey';
/** Secret label naming the namespace of the configuration that owns the key Secret. */
export const SECRET_OWNER_NAMESPACE_LABEL =
  'egressgateway.kubernetes.azure.com/owning-gateway-config-namespace';
/** Secret label naming the configuration that owns the key Secret. */
export const SECRET_OWNER_NAME_LABEL = 'egressgateway.kubernetes.azure.com/owning-gateway-config-name';
/**
 * Label on each PodEndpoint: the node whose agent wrote it. A ValidatingAdmissionPolicy
 * (infra/k8s/node-agent/admission-policy.yaml) lets a node agent write only PodEndpoints labelled with
 * the node its service account token is bound to.
 */
export const POD_ENDPOINT_NODE_LABEL = 'egressgateway.kubernetes.azure.com/node-name';

/** Name of the key Secret of a configuration (upstream: `sgw-` + SGC UID, in the controller's namespace). */
export function wireguardSecretName(configurationUid: string): string {
  return `${WIREGUARD_SECRET_NAME_PREFIX}${configurationUid}`;
}

// ---- Nodes ----------------------------------------------------------------------------------------

/** Node label upstream's gateway DaemonSet selects on (`"true"`); also the taint key on gateway nodes. */
export const GATEWAY_MODE_LABEL = 'kubeegressgateway.azure.com/mode';
/** Value of {@link GATEWAY_MODE_LABEL} on gateway nodes. */
export const GATEWAY_MODE_LABEL_VALUE = 'true';
/** AKS node label of a gateway nodepool (`kubernetes.azure.com/mode=gateway`). */
export const AKS_MODE_LABEL = 'kubernetes.azure.com/mode';
/** Value of {@link AKS_MODE_LABEL} on AKS gateway nodes. */
export const AKS_MODE_LABEL_VALUE = 'gateway';
/** Node label of standalone gateway VMs (upstream's standalone-VM plan). */
export const STANDALONE_VM_MODE_LABEL = 'kubernetes.azure.com/standalone-vm-mode';
/** Value of {@link STANDALONE_VM_MODE_LABEL} on standalone gateway VMs. */
export const STANDALONE_VM_MODE_LABEL_VALUE = 'gateway';
/** AKS node label naming the node's agent pool. */
export const AKS_AGENTPOOL_LABEL = 'kubernetes.azure.com/agentpool';
/** Taint that keeps ordinary workloads off gateway nodes: `kubeegressgateway.azure.com/mode=true:NoSchedule`. */
export const GATEWAY_TAINT = { key: GATEWAY_MODE_LABEL, value: 'true', effect: 'NoSchedule' } as const;
/** Taint AKS sets on new nodes until the CNI chain is installed; the node agent removes it. */
export const CNI_NOT_READY_TAINT_KEY = 'egressgateway.kubernetes.azure.com/cni-not-ready';

// ---- Azure tags -----------------------------------------------------------------------------------

/** Tag AKS puts on a nodepool's VMSS, VMs and NICs naming the pool (matched case-insensitively). */
export const AKS_POOL_NAME_TAG = 'aks-managed-poolName';
/** Tag on AKS VirtualMachines-pool VMs naming their NIC; the gateway daemon matches it via IMDS. */
export const AKS_NIC_NAME_TAG = 'aks-managed-nic-name';
/** Tag marking the NICs AKS pre-creates (for the pool's maximum size) for a VirtualMachines gateway pool. */
export const AKS_STATIC_GATEWAY_NIC_TAG = 'aks-managed-static-gateway-nic';
/** Tag on a gateway pool's VMSS/VMs giving the public IP prefix length (AKS `--gateway-prefix-size`). */
export const AKS_GATEWAY_PREFIX_SIZE_TAG = 'aks-managed-gatewayIPPrefixSize';

// ---- Azure names ----------------------------------------------------------------------------------

/** Default name of the one internal load balancer shared by all gateway pools. */
export const DEFAULT_LOAD_BALANCER_NAME = 'kubeegressgateway-ilb';
/** Prefix of egret-managed sub-resources: the secondary ipConfig and the managed prefix `egressgateway-<uid>`. */
export const MANAGED_RESOURCE_PREFIX = 'egressgateway-';

/** Name of a configuration's secondary ipConfig and of its managed public IP prefix. */
export function managedResourceName(configurationUid: string): string {
  return `${MANAGED_RESOURCE_PREFIX}${configurationUid}`;
}

/** UUIDv3 (MD5) namespace upstream derives an AKS VirtualMachines pool's unique id from (agentpoolvms.go). */
export const VM_POOL_UUID_NAMESPACE = '2c96e82c-842f-11f0-8ea5-6bee14278ecd';

// ---- Load balancer ------------------------------------------------------------------------------

/** Lowest WireGuard / LB rule port (upstream range `[6000, 7000)`); also the gateway interface suffix. */
export const WIREGUARD_PORT_MIN = 6000;
/** Highest WireGuard / LB rule port, inclusive: at most 1000 configurations per gateway pool. */
export const WIREGUARD_PORT_MAX = 6999;
/** Port of the gateway daemon's HTTP health endpoint that the ILB probes (`--gateway-lb-probe-port`). */
export const LB_PROBE_PORT = 8082;
/** Probe path prefix; the full path is `/gw/<configuration uid>` and answers 200 while that gateway is up. */
export const LB_PROBE_PATH_PREFIX = '/gw/';
/** Probe interval in seconds (upstream PR #1347: 5 s × threshold 1 ⇒ failover in ≈ 5 s). */
export const LB_PROBE_INTERVAL_SECONDS = 5;
/** Consecutive probe failures that take a gateway out of rotation. */
export const LB_PROBE_THRESHOLD = 1;

/** The ILB probe path of a configuration. */
export function probePath(configurationUid: string): string {
  return `${LB_PROBE_PATH_PREFIX}${configurationUid}`;
}

/** Standard, regional SKU: the only one ILB, public IP prefixes and their IPs are created with. */
export const STANDARD_REGIONAL_SKU = { name: 'Standard', tier: 'Regional' } as const;

/**
 * Public IP prefix lengths Azure creates for IPv4 Standard prefixes without a quota request: /28 (16
 * addresses) to /31 (2 addresses). Public-IP mode needs one of these.
 */
export const PUBLIC_IP_PREFIX_LENGTH_MIN = 28;
/** See {@link PUBLIC_IP_PREFIX_LENGTH_MIN}. */
export const PUBLIC_IP_PREFIX_LENGTH_MAX = 31;

// ---- Gateway data path ----------------------------------------------------------------------------

/** The single network namespace on a gateway node holding every `wg-<port>` device. */
export const GATEWAY_NETNS = 'ns-static-egress-gateway';
/** Gateway WireGuard device name prefix: `wg-<port>`. */
export const GATEWAY_WIREGUARD_LINK_PREFIX = 'wg-';
/** WireGuard device created inside an annotated pod. */
export const POD_WIREGUARD_LINK = 'wg0';
/** Host side of the veth pair into the gateway namespace. */
export const GATEWAY_VETH_HOST = 'host-gateway';
/** Gateway-namespace side of the veth pair. */
export const GATEWAY_VETH_PEER = 'host0';
/** Link-local address on every gateway `wg-<port>` device; pods route via it. */
export const GATEWAY_TUNNEL_IP = 'fe80::1/64';
/** Pod-side fwmark and routing table id that keep replies to inbound connections on eth0 (0x2222). */
export const POD_INGRESS_MARK = 0x2222;
/** Address label of the ILB frontend IP (/32) added to eth0 on gateway nodes. */
export const ILB_ADDRESS_LABEL = 'eth0:egress';
/**
 * Destinations pods always reach directly, never through the tunnel (upstream PR #1356): IMDS and
 * node-local DNS; tunnelling them broke managed identity and DNS.
 */
export const DEFAULT_EXCEPTION_CIDRS: readonly string[] = ['169.254.169.254/32', '169.254.10.11/32'];

// ---- Relay ↔ control plane ------------------------------------------------------------------------

/** Header carrying the Unix time (seconds) a relay request was signed at. */
export const RELAY_TIMESTAMP_HEADER = 'X-Egret-Timestamp';
/** Header carrying `sha256=<hex HMAC-SHA256(secret, string to sign)>` (relaySignature.ts). */
export const RELAY_SIGNATURE_HEADER = 'X-Egret-Signature';
/** Header naming the cluster a relay request is signed for (selects its secret). */
export const RELAY_CLUSTER_HEADER = 'X-Egret-Cluster';
/** Header carrying a relay request's unique nonce (signed: two requests never share a signature). */
export const RELAY_NONCE_HEADER = 'X-Egret-Nonce';
/** How far a signed request's timestamp may be from the verifier's clock, either way. */
export const RELAY_SIGNATURE_WINDOW_SECONDS = 300;
