/**
 * Which resource types are served: the built-ins plus one per established CRD. Also the checks
 * the real API server makes on a CustomResourceDefinition (names, versions, structural schema,
 * CEL rules compile) and the status its controllers would write (Established, NamesAccepted).
 */
import { isJsonObject, metadataOf, stringAt, type Json, type JsonObject } from './json.js';
import { fieldError, type FieldError } from './kubeStatus.js';
import {
  builtinResourceTypes,
  resourceKey,
  schemaListStrategy,
  type CustomVersion,
  type PrinterColumn,
  type ResourceType,
} from './resourceTypes.js';
import { compileSchema, type JSONSchemaProps } from './schema/structuralSchema.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/** The finalizer the apiextensions server puts on every CRD to delete its objects first. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function arr(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : [];
}

/**
 * Validates a CRD and builds its resource type. Errors use the real field paths
 * (`spec.versions[0].schema.openAPIV3Schema...`).
 */
export function resourceTypeFromCrd(crd: JsonObject): {
  type: ResourceType | undefined;
  errors: FieldError[];
} {
  const errors: FieldError[] = [];
  const spec = isJsonObject(crd['spec']) ? crd['spec'] : {};
  const names = isJsonObject(spec['names']) ? spec['names'] : {};
  const group = stringAt(spec, 'group') ?? '';
  const plural = stringAt(names, 'plural') ?? '';
  const kind = stringAt(names, 'kind') ?? '';
  const scope = stringAt(spec, 'scope');
  const name = stringAt(metadataOf(crd), 'name') ?? '';

  if (group === '') errors.push(fieldError.required('spec.group'));
  else if (!DNS_SUBDOMAIN.test(group) || !group.includes('.'))
    errors.push(fieldError.invalid('spec.group', group, 'should be a domain with at least one dot'));
  if (plural === '') errors.push(fieldError.required('spec.names.plural'));
  else if (!DNS_LABEL.test(plural))
    errors.push(
      fieldError.invalid(
        'spec.names.plural',
        plural,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
      ),
    );
  if (kind === '') errors.push(fieldError.required('spec.names.kind'));
  else if (!KIND.test(kind))
    errors.push(
      fieldError.invalid(
        'spec.names.kind',
        kind,
        'must be a valid Go identifier starting with an upper-case letter',
      ),
    );
  if (scope !== 'Namespaced' && scope !== 'Cluster')
    errors.push(fieldError.notSupported('spec.scope', scope ?? '', ['Cluster', 'Namespaced']));
  if (plural !== '' && group !== '' && name !== `${plural}.${group}`)
    errors.push(fieldError.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));

  const versions: CustomVersion[] = [];
  const rawVersions = arr(spec['versions']);
  if (rawVersions.length === 0)
    errors.push(
      fieldError.invalid('spec.versions', [], 'must have exactly one version marked as storage version'),
    );
  for (const [i, rv] of rawVersions.entries()) {
    if (!isJsonObject(rv)) continue;
    const vp = `spec.versions[${i}]`;
    const vname = stringAt(rv, 'name') ?? '';
    if (!DNS_LABEL.test(vname))
      errors.push(fieldError.invalid(`${vp}.name`, vname, 'must be a DNS-1035 label'));
    const schemaWrap = isJsonObject(rv['schema']) ? rv['schema'] : undefined;
    const raw =
      schemaWrap !== undefined && isJsonObject(schemaWrap['openAPIV3Schema'])
        ? (schemaWrap['openAPIV3Schema'] as unknown as JSONSchemaProps)
        : undefined;
    let compiled;
    if (raw === undefined)
      errors.push(fieldError.required(`${vp}.schema.openAPIV3Schema`, 'schemas are required'));
    else {
      const c = compileSchema(raw, `${vp}.schema.openAPIV3Schema`);
      errors.push(...c.errors);
      compiled = c.schema;
    }
    const sub = isJsonObject(rv['subresources']) ? rv['subresources'] : {};
    const cols: PrinterColumn[] = arr(rv['additionalPrinterColumns']).flatMap((c) =>
      isJsonObject(c) && typeof c['name'] === 'string' && typeof c['jsonPath'] === 'string'
        ? [
            {
              name: c['name'],
              type: stringAt(c, 'type') ?? 'string',
              jsonPath: c['jsonPath'],
              ...(typeof c['format'] === 'string' ? { format: c['format'] } : {}),
              ...(typeof c['description'] === 'string' ? { description: c['description'] } : {}),
              ...(typeof c['priority'] === 'number' ? { priority: c['priority'] } : {}),
            },
          ]
        : [],
    );
    versions.push({
      name: vname,
      served: rv['served'] !== false,
      storage: rv['storage'] === true,
      schema: compiled,
      rawSchema: raw,
      statusSubresource: isJsonObject(sub['status']),
      printerColumns:
        cols.length > 0 ? cols : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
      selectableFields: arr(rv['selectableFields']).flatMap((f) =>
        isJsonObject(f) && typeof f['jsonPath'] === 'string' ? [f['jsonPath'].replace(/^\./, '')] : [],
      ),
    });
  }
  if (rawVersions.length > 0 && versions.filter((v) => v.storage).length !== 1)
    errors.push(
      fieldError.invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    );
  if (errors.length > 0) return { type: undefined, errors };

  const served = versions.filter((v) => v.served);
  const storage = versions.find((v) => v.storage)!;
  const type: ResourceType = {
    group,
    versions: served.map((v) => v.name),
    kind,
    listKind: stringAt(names, 'listKind') ?? `${kind}List`,
    plural,
    singular: stringAt(names, 'singular') ?? kind.toLowerCase(),
    shortNames: arr(names['shortNames']).filter((s): s is string => typeof s === 'string'),
    categories: arr(names['categories']).filter((s): s is string => typeof s === 'string'),
    namespaced: scope === 'Namespaced',
    statusSubresource: storage.statusSubresource,
    hasGeneration: true,
    fieldSelectors: Object.fromEntries(
      storage.selectableFields.map((f) => [
        f,
        (o: JsonObject): string => {
          let cur: Json | undefined = o;
          for (const k of f.split('.')) cur = isJsonObject(cur ?? null) ? (cur as JsonObject)[k] : undefined;
          return cur === undefined || cur === null ? '' : typeof cur === 'string' ? cur : JSON.stringify(cur);
        },
      ]),
    ),
    printerColumns: storage.printerColumns,
    listStrategy: schemaListStrategy(storage.rawSchema),
    custom: { crdName: name, versions },
  };
  return { type, errors: [] };
}

/** The status the apiextensions controllers write once a CRD is served. */
export function establishedStatus(crd: JsonObject, now: string): JsonObject {
  const spec = isJsonObject(crd['spec']) ? crd['spec'] : {};
  const names = isJsonObject(spec['names']) ? { ...spec['names'] } : {};
  const kind = stringAt(names, 'kind') ?? '';
  names['singular'] ??= kind.toLowerCase();
  names['listKind'] ??= `${kind}List`;
  const storage = arr(spec['versions']).find((v) => isJsonObject(v) && v['storage'] === true);
  const cond = (type: string, reason: string, message: string): JsonObject => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: names,
    storedVersions: isJsonObject(storage ?? null) ? [stringAt(storage as JsonObject, 'name') ?? ''] : [],
  };
}

/** The served types, built-in and custom, looked up by group/version/plural. */
export class TypeRegistry {
  private readonly types = new Map<string, ResourceType>();

  constructor() {
    for (const t of builtinResourceTypes()) this.types.set(resourceKey(t), t);
  }

  /** The type serving `group/version/plural`, if that version is served. */
  find(group: string, version: string, plural: string): ResourceType | undefined {
    const t = this.types.get(`${group}/${plural}`);
    return t?.versions.includes(version) ? t : undefined;
  }

  /** The type of a kind in an apiVersion (`v1`, `group/version`). */
  findKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    return this.all().find((t) => t.group === group && t.kind === kind && t.versions.includes(version ?? ''));
  }

  byKey(key: string): ResourceType | undefined {
    return this.types.get(key);
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** Registers (or replaces) the type a CRD defines. */
  put(type: ResourceType): void {
    this.types.set(resourceKey(type), type);
  }

  /** Stops serving the type of a deleted CRD. */
  removeCrd(crdName: string): void {
    for (const [k, t] of this.types) if (t.custom?.crdName === crdName) this.types.delete(k);
  }

  /** Groups with their served versions, built-in core group first, as `/apis` lists them. */
  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, Set<string>>();
    for (const t of this.types.values()) {
      const s = out.get(t.group) ?? new Set<string>();
      for (const v of t.versions) s.add(v);
      out.set(t.group, s);
    }
    return [...out.entries()].map(([group, vs]) => ({ group, versions: [...vs] }));
  }
}
