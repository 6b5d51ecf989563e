/**
 * The resource types the stand-in serves: a table of built-in kinds (storage only, no
 * controllers beyond namespaces and garbage collection) plus the kinds CRDs add at run time.
 */
import {
  EVENTS_V1_FIELD_SELECTORS,
  eventsV1FromCore,
  eventsV1ToCore,
  validateEventsV1,
} from './eventsView.js';
import type { JsonObject } from './json.js';
import { isJsonObject } from './json.js';
import type { FieldError } from './kubeStatus.js';
import { atomicLists, builtinListStrategy, type ListStrategyLookup } from './patch/listStrategy.js';
import type { CompiledSchema, JSONSchemaProps } from './schema/structuralSchema.js';

/** A column of `kubectl get` output (CRD additionalPrinterColumns or a built-in printer). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly description?: string;
  readonly priority?: number;
  /** Simple JSONPath such as `.spec.gatewayNodepoolName` or `.status.conditions[0].type`. */
  readonly jsonPath: string;
}

/** How one served version of a custom resource is validated and printed. */
export interface CustomVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly schema: CompiledSchema | undefined;
  readonly rawSchema: JSONSchemaProps | undefined;
  readonly statusSubresource: boolean;
  readonly printerColumns: readonly PrinterColumn[];
  readonly selectableFields: readonly string[];
}

export interface ResourceType {
  readonly group: string;
  /** Served versions; the first is the preferred one. */
  readonly versions: readonly string[];
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly namespaced: boolean;
  readonly statusSubresource: boolean;
  /** Whether `metadata.generation` is maintained (CRs and kinds with a spec). */
  readonly hasGeneration: boolean;
  /** Field selectors beyond metadata.name / metadata.namespace. */
  readonly fieldSelectors: Readonly<Record<string, (obj: JsonObject) => string>>;
  readonly printerColumns: readonly PrinterColumn[];
  readonly listStrategy: ListStrategyLookup;
  /** Set for kinds that come from a CRD. */
  readonly custom?: { readonly crdName: string; readonly versions: readonly CustomVersion[] };
  /** Set for a kind served as another view of stored objects (events.k8s.io/v1 Events). */
  readonly view?: ResourceView;
}

/** A kind whose objects are stored as another kind's (one object, two API views). */
export interface ResourceView {
  /** The store key of the stored kind (`group/plural`). */
  readonly storedAs: string;
  /** Stored form → this kind's form (metadata passes through). */
  readonly fromStorage: (obj: JsonObject) => JsonObject;
  /** This kind's form → stored form. */
  readonly toStorage: (obj: JsonObject) => JsonObject;
  /** Write validation in this kind's form (namespace of the request). */
  readonly validate: (obj: JsonObject, namespace: string | undefined) => FieldError[];
}

/** The store key of a type's objects: its own, or the stored kind's for a view. */
export function storeKey(t: ResourceType): string {
  return t.view?.storedAs ?? resourceKey(t);
}

/** `group/plural`, the key types and stored objects are filed under. */
export function resourceKey(t: { readonly group: string; readonly plural: string }): string {
  return `${t.group}/${t.plural}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function path(obj: JsonObject, dotted: string): string {
  let cur: unknown = obj;
  for (const k of dotted.split('.')) cur = isJsonObject(cur) ? cur[k] : undefined;
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

const field = (dotted: string) => (obj: JsonObject) => path(obj, dotted);

interface BuiltinSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  generation?: boolean;
  fields?: string[];
  columns?: PrinterColumn[];
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const BUILTINS: readonly BuiltinSpec[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    fields: ['status.phase'],
    columns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, age],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    fields: ['spec.unschedulable'],
    columns: [
      { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      age,
      { name: 'Version', type: 'string', jsonPath: '.status.nodeInfo.kubeletVersion' },
    ],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    fields: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
    columns: [
      { name: 'Status', type: 'string', jsonPath: '.status.phase' },
      { name: 'IP', type: 'string', jsonPath: '.status.podIP', priority: 1 },
      { name: 'Node', type: 'string', jsonPath: '.spec.nodeName', priority: 1 },
      age,
    ],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    namespaced: true,
    fields: ['type'],
    columns: [{ name: 'Type', type: 'string', jsonPath: '.type' }, age],
  },
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
    columns: [age],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    fields: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    columns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Message', type: 'string', jsonPath: '.message' },
    ],
  },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
    columns: [age],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    columns: [{ name: 'Cluster-IP', type: 'string', jsonPath: '.spec.clusterIP' }, age],
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    columns: [{ name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' }, age],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    generation: true,
    columns: [age],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    status: true,
    generation: true,
    columns: [age],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
    columns: [age],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
    columns: [age],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'Role',
    plural: 'roles',
    namespaced: true,
    columns: [age],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    namespaced: true,
    columns: [age],
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
    generation: true,
    columns: [{ name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
  },
];

/** events.k8s.io/v1 Event: the core/v1 Events, seen through eventsView.ts. */
function eventsV1Type(): ResourceType {
  return {
    group: 'events.k8s.io',
    versions: ['v1'],
    kind: 'Event',
    listKind: 'EventList',
    plural: 'events',
    singular: 'event',
    shortNames: [], // as the real server: `ev` is core/v1's
    categories: [],
    namespaced: true,
    statusSubresource: false,
    hasGeneration: false,
    fieldSelectors: Object.fromEntries(
      Object.entries(EVENTS_V1_FIELD_SELECTORS).map(([v1, core]) => [v1, field(core)]),
    ),
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Note', type: 'string', jsonPath: '.note' },
    ],
    listStrategy: builtinListStrategy,
    view: {
      storedAs: '/events',
      fromStorage: eventsV1FromCore,
      toStorage: eventsV1ToCore,
      validate: validateEventsV1,
    },
  };
}

/** The built-in resource types, in discovery order. */
export function builtinResourceTypes(): ResourceType[] {
  return [...builtinTypesOfTable(), eventsV1Type()];
}

function builtinTypesOfTable(): ResourceType[] {
  return BUILTINS.map((b) => ({
    group: b.group,
    versions: [b.version],
    kind: b.kind,
    listKind: `${b.kind}List`,
    plural: b.plural,
    singular: b.kind.toLowerCase(),
    shortNames: b.shortNames ?? [],
    categories: b.categories ?? [],
    namespaced: b.namespaced,
    statusSubresource: b.status ?? false,
    hasGeneration: b.generation ?? false,
    fieldSelectors: Object.fromEntries((b.fields ?? []).map((f) => [f, field(f)])),
    printerColumns: b.columns ?? [age],
    listStrategy: builtinListStrategy,
  }));
}

/** A lookup of list merge strategies from a CRD schema (`x-kubernetes-list-type`/`-map-keys`). */
export function schemaListStrategy(schema: JSONSchemaProps | undefined): ListStrategyLookup {
  if (schema === undefined) return atomicLists;
  return (p) => {
    let s: JSONSchemaProps | undefined = schema;
    for (const k of p) {
      if (s === undefined) break;
      if (s.type === 'array') s = s.items;
      s =
        s?.properties?.[k] ??
        (isJsonObject(s?.additionalProperties ?? null)
          ? (s?.additionalProperties as JSONSchemaProps)
          : undefined);
    }
    if (k8sListType(s) === 'map') return { kind: 'map', keys: s?.['x-kubernetes-list-map-keys'] ?? [] };
    if (k8sListType(s) === 'set') return { kind: 'set' };
    if (p.join('.') === 'metadata.finalizers') return { kind: 'set' };
    if (p.join('.') === 'metadata.ownerReferences') return { kind: 'map', keys: ['uid'] };
    return { kind: 'atomic' };
  };
}

function k8sListType(s: JSONSchemaProps | undefined): string | undefined {
  return s?.type === 'array' ? s['x-kubernetes-list-type'] : undefined;
}
