/**
 * The OpenAPI v3 schema of StaticGatewayConfiguration, as data: the ONE definition the CRD YAML is
 * rendered from (infra/k8s) and the validator reads its types, enums, ranges, patterns and defaults
 * from (validateStaticGatewayConfiguration). The two CEL rules in `x-kubernetes-validations` are
 * implemented in code by {@link isPoolSelectorSet}'s callers; a unit test evaluates the CEL text against
 * random specs and checks the code agrees, so neither can drift.
 *
 * Compatibility: every field, type, default and range of upstream v1alpha1 is kept (`publicIpPrefixSize`
 * 0–31, `provisionPublicIps` required with default true). egret adds `gatewayProfile`, name patterns
 * (Azure's naming rules, ASCII only) and the two CEL rules upstream enforced only in its reconciler.
 */
import type { CelRule, JsonSchema } from './jsonSchema.js';
import { DEFAULT_ROUTES } from './staticGatewayConfiguration.js';

/** Azure resource group names: 1–90 of `A-Za-z0-9._()-`, not ending in `.` (ASCII subset of Azure's rule). */
export const RESOURCE_GROUP_PATTERN = '^[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]$';
/** VMSS and VM names: 1–64, alphanumeric start, `._-` inside, alphanumeric or `_` at the end. */
export const COMPUTE_NAME_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9._]{0,62}[A-Za-z0-9_])?$';
/** AKS nodepool names: a letter then up to 11 letters or digits (AKS stores them lower case; upstream matched case-insensitively). */
export const NODEPOOL_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9]{0,11}$';

const PREFIX_SIZE: JsonSchema = {
  type: 'integer',
  format: 'int32',
  minimum: 0,
  maximum: 31,
  description:
    'Length of the public IP prefix (public-IP mode: 28–31, i.e. 16 down to 2 addresses, the sizes Azure creates ' +
    'without a quota request; the prefix must hold one address per gateway node). 0 or unset in private-IP mode.',
};

const VMSS_PROFILE: JsonSchema = {
  type: 'object',
  description:
    'A gateway pool that is a virtual machine scale set (Uniform orchestration), same subscription.',
  properties: {
    vmssResourceGroup: {
      type: 'string',
      pattern: RESOURCE_GROUP_PATTERN,
      description: 'Resource group of the VMSS.',
    },
    vmssName: { type: 'string', pattern: COMPUTE_NAME_PATTERN, description: 'Name of the VMSS.' },
    publicIpPrefixSize: PREFIX_SIZE,
  },
};

const STANDALONE_VM_PROFILE: JsonSchema = {
  type: 'object',
  description:
    'A gateway pool made of the primary NICs of named standalone VMs. Two configurations naming VMs must name the ' +
    'same set or disjoint sets.',
  properties: {
    vmResourceGroup: {
      type: 'string',
      pattern: RESOURCE_GROUP_PATTERN,
      description: 'Resource group of the VMs.',
    },
    vmNames: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: COMPUTE_NAME_PATTERN },
      description: 'Names of the gateway VMs (case-insensitive, no duplicates).',
    },
    publicIpPrefixSize: PREFIX_SIZE,
  },
};

/** CEL fragments: "is this pool selector set?" — a profile counts only when it has a non-empty field. */
const CEL_SET = {
  nodepool: "(has(self.gatewayNodepoolName) && self.gatewayNodepoolName != '')",
  gatewayVmssProfile: vmssProfileSetCel('self.gatewayVmssProfile', 'has(self.gatewayVmssProfile)'),
  vmssProfile: vmssProfileSetCel(
    'self.gatewayProfile.vmssProfile',
    'has(self.gatewayProfile) && has(self.gatewayProfile.vmssProfile)',
  ),
  standaloneVMProfile:
    '(has(self.gatewayProfile) && has(self.gatewayProfile.standaloneVMProfile) && (' +
    "(has(self.gatewayProfile.standaloneVMProfile.vmResourceGroup) && self.gatewayProfile.standaloneVMProfile.vmResourceGroup != '') || " +
    '(has(self.gatewayProfile.standaloneVMProfile.vmNames) && size(self.gatewayProfile.standaloneVMProfile.vmNames) > 0) || ' +
    '(has(self.gatewayProfile.standaloneVMProfile.publicIpPrefixSize) && self.gatewayProfile.standaloneVMProfile.publicIpPrefixSize != 0)))',
};

function vmssProfileSetCel(p: string, present: string): string {
  return (
    `(${present} && (` +
    `(has(${p}.vmssResourceGroup) && ${p}.vmssResourceGroup != '') || ` +
    `(has(${p}.vmssName) && ${p}.vmssName != '') || ` +
    `(has(${p}.publicIpPrefixSize) && ${p}.publicIpPrefixSize != 0)))`
  );
}

/** The spec-level CEL rules, by the name the validator refers to them with. */
export const SPEC_RULES = {
  exactlyOnePoolSelector: {
    rule: Object.values(CEL_SET)
      .map((set) => `(${set} ? 1 : 0)`)
      .join(' + ')
      .concat(' == 1'),
    message:
      'exactly one of gatewayNodepoolName, gatewayVmssProfile, gatewayProfile.vmssProfile or ' +
      'gatewayProfile.standaloneVMProfile must be set',
    reason: 'FieldValueInvalid',
  },
  publicIpPrefixIdNeedsPublicIps: {
    rule: "!has(self.publicIpPrefixId) || self.publicIpPrefixId == '' || self.provisionPublicIps",
    message: 'publicIpPrefixId can only be set when provisionPublicIps is true',
    fieldPath: '.publicIpPrefixId',
    reason: 'FieldValueForbidden',
  },
} as const satisfies Readonly<Record<string, CelRule>>;

/** The spec schema. */
export const STATIC_GATEWAY_CONFIGURATION_SPEC_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Which gateway pool carries the egress traffic of annotated pods, and with which IPs.',
  required: ['provisionPublicIps'],
  properties: {
    gatewayNodepoolName: {
      type: 'string',
      pattern: NODEPOOL_NAME_PATTERN,
      description:
        'AKS gateway nodepool name, matched case-insensitively against the Azure tag aks-managed-poolName of a VMSS ' +
        'or of the pre-created NICs of a VirtualMachines pool. The prefix size comes from the tag ' +
        'aks-managed-gatewayIPPrefixSize.',
    },
    gatewayVmssProfile: {
      ...VMSS_PROFILE,
      description: `Deprecated: use gatewayProfile.vmssProfile. ${VMSS_PROFILE.description ?? ''}`,
    },
    gatewayProfile: {
      type: 'object',
      description: 'The gateway pool: a VMSS or a set of standalone VMs (exactly one).',
      properties: { vmssProfile: VMSS_PROFILE, standaloneVMProfile: STANDALONE_VM_PROFILE },
    },
    provisionPublicIps: {
      type: 'boolean',
      default: true,
      description:
        'true: egress through public IPs from a public IP prefix (managed or publicIpPrefixId). false: egress through ' +
        'the secondary private IPs only, which needs a pool with stable private IPs (AKS VirtualMachines pool or ' +
        'standalone VMs, not a VMSS).',
    },
    publicIpPrefixId: {
      type: 'string',
      description:
        "ARM id of an existing Microsoft.Network/publicIPPrefixes in the control plane's subscription, of the " +
        'configured length ("bring your own"); only with provisionPublicIps.',
    },
    defaultRoute: {
      type: 'string',
      enum: DEFAULT_ROUTES,
      default: 'staticEgressGateway',
      description:
        'staticEgressGateway: all pod traffic goes through the gateway except excludeCidrs. azureNetworking: only ' +
        'excludeCidrs go through the gateway.',
    },
    excludeCidrs: {
      type: 'array',
      items: { type: 'string' },
      description:
        'IPv4/IPv6 CIDRs (no duplicates) that bypass the default route; host bits are cleared, with a warning.',
    },
  },
  'x-kubernetes-validations': Object.values(SPEC_RULES),
};

const CONDITION_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
  properties: {
    type: { type: 'string', maxLength: 316 },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    },
    message: { type: 'string', maxLength: 32768 },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    lastTransitionTime: { type: 'string', format: 'date-time' },
  },
};

/** The status schema (the control plane fills all but the key fields, which the relay sets). */
export const STATIC_GATEWAY_CONFIGURATION_STATUS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    egressIpPrefix: {
      type: 'string',
      description:
        'The public prefix CIDR, or in private-IP mode the sorted comma-separated secondary private IPs.',
    },
    gatewayServerProfile: {
      type: 'object',
      properties: {
        ip: { type: 'string', description: 'ILB frontend IP: the WireGuard endpoint pods connect to.' },
        port: {
          type: 'integer',
          format: 'int32',
          description: 'ILB rule port = gateway WireGuard listen port.',
        },
        publicKey: { type: 'string', description: 'Gateway WireGuard public key.' },
        privateKeySecretRef: {
          type: 'object',
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            name: { type: 'string' },
            namespace: { type: 'string' },
          },
        },
      },
    },
    gatewayVMProfiles: {
      type: 'array',
      description: 'Addresses of each gateway node, sorted by nodeName.',
      items: {
        type: 'object',
        required: ['nodeName', 'primaryIP', 'secondaryIP'],
        properties: {
          nodeName: { type: 'string' },
          primaryIP: { type: 'string' },
          secondaryIP: { type: 'string' },
        },
      },
    },
    conditions: { type: 'array', items: CONDITION_SCHEMA },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
  },
};

/** The whole object's `openAPIV3Schema`. */
export const STATIC_GATEWAY_CONFIGURATION_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'A fixed egress IP configuration for pods (compatible with kube-egress-gateway v1alpha1).',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: STATIC_GATEWAY_CONFIGURATION_SPEC_SCHEMA,
    status: STATIC_GATEWAY_CONFIGURATION_STATUS_SCHEMA,
  },
};
