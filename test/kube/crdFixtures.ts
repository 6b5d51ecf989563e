/**
 * Test CRDs in the shape of egret's (kube-egress-gateway v1alpha1): a StaticGatewayConfiguration
 * with rules of the kinds egret's CRDs will carry, a PodEndpoint owned by a Pod, and a
 * deliberately rich "Widget" to exercise every schema keyword.
 */
export const GROUP = 'egressgateway.kubernetes.azure.com';
export const VERSION = 'v1alpha1';

export const sgcCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `staticgatewayconfigurations.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: {
      plural: 'staticgatewayconfigurations',
      singular: 'staticgatewayconfiguration',
      kind: 'StaticGatewayConfiguration',
      listKind: 'StaticGatewayConfigurationList',
      shortNames: ['sgc'],
    },
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Nodepool', type: 'string', jsonPath: '.spec.gatewayNodepoolName' },
          { name: 'Egress', type: 'string', jsonPath: '.status.egressIpPrefix' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                required: ['provisionPublicIps'],
                'x-kubernetes-validations': [
                  {
                    rule: '[has(self.gatewayNodepoolName), has(self.gatewayVmssProfile), has(self.gatewayProfile)].exists_one(x, x)',
                    message:
                      'exactly one of gatewayNodepoolName, gatewayVmssProfile, gatewayProfile must be set',
                  },
                  {
                    rule: '!has(self.publicIpPrefixId) || self.provisionPublicIps',
                    message: 'publicIpPrefixId can only be set when provisionPublicIps is true',
                    fieldPath: '.publicIpPrefixId',
                  },
                ],
                properties: {
                  gatewayNodepoolName: { type: 'string' },
                  gatewayVmssProfile: {
                    type: 'object',
                    properties: {
                      vmssResourceGroup: { type: 'string' },
                      vmssName: { type: 'string' },
                      publicIpPrefixSize: { type: 'integer', format: 'int32', minimum: 0, maximum: 31 },
                    },
                  },
                  gatewayProfile: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  defaultRoute: {
                    type: 'string',
                    enum: ['azureNetworking', 'staticEgressGateway'],
                    default: 'staticEgressGateway',
                  },
                  provisionPublicIps: { type: 'boolean', default: true },
                  publicIpPrefixId: { type: 'string' },
                  excludeCidrs: {
                    type: 'array',
                    items: { type: 'string' },
                    'x-kubernetes-validations': [
                      { rule: 'self.all(c, isCIDR(c))', message: 'every excludeCidrs entry must be a CIDR' },
                    ],
                  },
                },
              },
              status: {
                type: 'object',
                properties: {
                  egressIpPrefix: { type: 'string' },
                  gatewayServerProfile: {
                    type: 'object',
                    properties: {
                      ip: { type: 'string' },
                      port: { type: 'integer', format: 'int32' },
                      publicKey: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

export const podEndpointCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `podendpoints.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: {
      plural: 'podendpoints',
      singular: 'podendpoint',
      kind: 'PodEndpoint',
      listKind: 'PodEndpointList',
    },
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  staticGatewayConfiguration: { type: 'string' },
                  podIpAddress: { type: 'string' },
                  podPublicKey: { type: 'string' },
                },
              },
              status: { type: 'object' },
            },
          },
        },
      },
    ],
  },
};

/** A StaticGatewayConfiguration body. */
export function sgc(
  name: string,
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'StaticGatewayConfiguration',
    metadata: { name, ...extra },
    spec,
  };
}

export const SGC = { group: GROUP, version: VERSION, plural: 'staticgatewayconfigurations' } as const;
export const PE = { group: GROUP, version: VERSION, plural: 'podendpoints' } as const;
