/**
 * Minimal CustomResourceDefinitions for the objects the agents use. The project's official CRD YAML
 * (infra/k8s/crds/) does not exist yet; these carry only what the API stand-in needs to serve the
 * kinds (names, scope, status subresource) and keep every field.
 */
import type { JsonObject } from '../../../infra/local/kube/json.js';

const GROUP = 'egressgateway.kubernetes.azure.com';

function crd(kind: string, plural: string): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

export function egretCrds(): JsonObject[] {
  return [
    crd('StaticGatewayConfiguration', 'staticgatewayconfigurations'),
    crd('PodEndpoint', 'podendpoints'),
    crd('GatewayStatus', 'gatewaystatuses'),
  ];
}
