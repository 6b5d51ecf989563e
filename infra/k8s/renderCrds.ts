/**
 * Renders egret's three CustomResourceDefinitions (group `egressgateway.kubernetes.azure.com`, version
 * `v1alpha1`) as plain objects: a pure model → JSON step, no I/O. `writeCrds.ts` turns them into the
 * checked-in `infra/k8s/crds/*.yaml` (`npm run render:crds`) and the golden test compares the two.
 *
 * StaticGatewayConfiguration's `openAPIV3Schema` is the core's schema data
 * (`shared/core/staticGatewayConfigurationSchema.ts`), the same definition the control plane validates
 * with, copied verbatim — so the API server and the control plane refuse the same specs, and a spec
 * that passes the schema but fails deeper validation (CIDR host bits, duplicate VM names, …) becomes a
 * `Ready=False` condition. PodEndpoint and GatewayStatus follow upstream's shapes (reference §2.4–2.5).
 *
 * Compatibility with kube-egress-gateway: same group, version, kinds, plurals and field names, so a
 * cluster can switch. egret adds printer columns, a short name and a category (upstream has none);
 * those change only `kubectl get` output.
 */
import type { JsonSchema } from '../../shared/core/jsonSchema.js';
import { READY_CONDITION } from '../../shared/core/conditions.js';
import { STATIC_GATEWAY_CONFIGURATION_SCHEMA } from '../../shared/core/staticGatewayConfigurationSchema.js';
import {
  API_GROUP,
  API_VERSION,
  STATIC_GATEWAY_CONFIGURATION_KIND,
  STATIC_GATEWAY_CONFIGURATION_PLURAL,
} from '../../shared/core/wellKnown.js';

/** A JSON object as it appears in a manifest. */
export type ManifestObject = { readonly [key: string]: unknown };

/** The `kubectl get <category>` name that lists all three kinds. */
export const CRD_CATEGORY = 'egressgateway';
/** `kubectl get sgc`. */
export const STATIC_GATEWAY_CONFIGURATION_SHORT_NAME = 'sgc';
/** Label every egret manifest carries (kustomize-style `part-of`). */
export const PART_OF_LABEL = { 'app.kubernetes.io/part-of': 'egret' } as const;

/** One rendered CRD and the file it lives in under `infra/k8s/crds/`. */
export interface RenderedCrd {
  readonly fileName: string;
  readonly object: ManifestObject;
}

interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

interface CrdDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly shortNames?: readonly string[];
  readonly schema: JsonSchema;
  readonly columns: readonly PrinterColumn[];
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** A WireGuard key as `wg` prints it: standard base64 of 32 bytes (the last character carries 4 zero bits). */
const WIREGUARD_KEY_PATTERN = '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$';
/** `<pod IPv4>/32`, as the CNI plugin writes it. */
const POD_IP_ADDRESS_PATTERN =
  '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/32$';

const STATIC_GATEWAY_CONFIGURATION: CrdDefinition = {
  kind: STATIC_GATEWAY_CONFIGURATION_KIND,
  plural: STATIC_GATEWAY_CONFIGURATION_PLURAL,
  shortNames: [STATIC_GATEWAY_CONFIGURATION_SHORT_NAME],
  schema: STATIC_GATEWAY_CONFIGURATION_SCHEMA,
  columns: [
    {
      name: 'Egress Prefix',
      type: 'string',
      jsonPath: '.status.egressIpPrefix',
      description: 'Public IP prefix, or the private egress IPs',
    },
    {
      name: 'Gateway IP',
      type: 'string',
      jsonPath: '.status.gatewayServerProfile.ip',
      description: 'ILB frontend IP (WireGuard endpoint)',
    },
    {
      name: 'Port',
      type: 'integer',
      jsonPath: '.status.gatewayServerProfile.port',
      description: 'WireGuard / LB rule port',
    },
    { name: 'Ready', type: 'string', jsonPath: `.status.conditions[?(@.type=="${READY_CONDITION}")].status` },
    {
      name: 'Reason',
      type: 'string',
      jsonPath: `.status.conditions[?(@.type=="${READY_CONDITION}")].reason`,
      priority: 1,
    },
    AGE,
  ],
};

const POD_ENDPOINT: CrdDefinition = {
  kind: 'PodEndpoint',
  plural: 'podendpoints',
  schema: {
    type: 'object',
    description:
      "A pod's WireGuard endpoint (same namespace and name as the pod), written by the node agent and read by the " +
      'gateway daemon, which adds the pod as a peer of its configuration’s gateway.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          staticGatewayConfiguration: {
            type: 'string',
            description: 'Name of the StaticGatewayConfiguration the pod uses (same namespace).',
          },
          podIpAddress: {
            type: 'string',
            pattern: POD_IP_ADDRESS_PATTERN,
            description: 'The pod IPv4 address as a /32.',
          },
          podPublicKey: {
            type: 'string',
            pattern: WIREGUARD_KEY_PATTERN,
            description: "The pod's WireGuard public key (base64).",
          },
        },
      },
      status: { type: 'object' },
    },
  },
  columns: [
    { name: 'Gateway', type: 'string', jsonPath: '.spec.staticGatewayConfiguration' },
    { name: 'Pod IP', type: 'string', jsonPath: '.spec.podIpAddress' },
    AGE,
  ],
};

const GATEWAY_STATUS: CrdDefinition = {
  kind: 'GatewayStatus',
  plural: 'gatewaystatuses',
  schema: {
    type: 'object',
    description:
      "What one gateway node has configured (name = node name, in the gateway daemon's namespace); for debugging.",
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          readyGatewayConfigurations: {
            type: 'array',
            description: 'Gateways configured on the node.',
            items: {
              type: 'object',
              properties: {
                staticGatewayConfiguration: {
                  type: 'string',
                  description: 'The configuration as <namespace>/<name>.',
                },
                interfaceName: { type: 'string', description: 'The gateway WireGuard device, wg-<port>.' },
              },
            },
          },
          readyPeerConfigurations: {
            type: 'array',
            description: 'Pod peers configured on the node.',
            items: {
              type: 'object',
              properties: {
                podEndpoint: { type: 'string', description: 'The PodEndpoint as <namespace>/<name>.' },
                interfaceName: { type: 'string', description: 'The gateway WireGuard device, wg-<port>.' },
                publicKey: { type: 'string', description: "The pod's WireGuard public key." },
              },
            },
          },
        },
      },
      status: { type: 'object' },
    },
  },
  columns: [AGE],
};

/** The CRD definitions, in file-name order. */
const DEFINITIONS: readonly CrdDefinition[] = [GATEWAY_STATUS, POD_ENDPOINT, STATIC_GATEWAY_CONFIGURATION];

/** Renders one CRD. */
export function renderCrd(definition: CrdDefinition): ManifestObject {
  const singular = definition.kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${definition.plural}.${API_GROUP}`, labels: { ...PART_OF_LABEL } },
    spec: {
      group: API_GROUP,
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular,
        ...(definition.shortNames === undefined ? {} : { shortNames: [...definition.shortNames] }),
        categories: [CRD_CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: definition.columns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: toPlainJson(definition.schema) },
        },
      ],
    },
  };
}

/** All three CRDs with their file names (`<plural>.<group>.yaml`). */
export function renderCrds(): readonly RenderedCrd[] {
  return DEFINITIONS.map((d) => ({ fileName: `${d.plural}.${API_GROUP}.yaml`, object: renderCrd(d) }));
}

/** A deep copy without `undefined` members and without readonly tuples: what YAML and JSON can carry. */
function toPlainJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
