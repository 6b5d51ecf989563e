/**
 * Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`), `/version` and
 * the OpenAPI answer. OpenAPI: kubectl downloads `/openapi/v2` as protobuf for client-side
 * validation and strategic-merge metadata; the stand-in serves a valid but empty document, so
 * kubectl skips client-side validation of every kind (it skips kinds a document does not
 * describe) and falls back to its compiled-in patch metadata for built-ins and JSON merge patch
 * for custom resources. The server still validates custom resources against their CRD schema.
 * `/openapi/v3` answers 404, which kubectl treats as "use v2".
 */
import type { JsonObject } from './json.js';
import type { TypeRegistry } from './crdRegistry.js';
import { apiVersionOf, type ResourceType } from './resourceTypes.js';

/** The Kubernetes version the stand-in claims (its behaviour follows this minor). */
export const SERVER_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0-egret-standin' };

export function versionInfo(): JsonObject {
  return {
    ...SERVER_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-08-13T00:00:00Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string, versions: readonly string[]): JsonObject {
  const vs = versions.map((v) => ({ groupVersion: apiVersionOf(group, v), version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] ?? null };
}

export function apiGroupList(registry: TypeRegistry): JsonObject {
  const groups = registry
    .groups()
    .filter((g) => g.group !== '')
    .map((g) => groupEntry(g.group, g.versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(registry: TypeRegistry, group: string): JsonObject | undefined {
  const g = registry.groups().find((x) => x.group === group);
  return g === undefined
    ? undefined
    : { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.group, g.versions) };
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceEntries(t: ResourceType): JsonObject[] {
  const main: JsonObject = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: VERBS,
  };
  if (t.shortNames.length > 0) main['shortNames'] = [...t.shortNames];
  if (t.categories.length > 0) main['categories'] = [...t.categories];
  const out = [main];
  if (t.statusSubresource)
    out.push({
      name: `${t.plural}/status`,
      singularName: '',
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ['get', 'patch', 'update'],
    });
  return out;
}

/** `/api/v1` or `/apis/<group>/<version>`; undefined when nothing is served there. */
export function apiResourceList(
  registry: TypeRegistry,
  group: string,
  version: string,
): JsonObject | undefined {
  const types = registry.all().filter((t) => t.group === group && t.versions.includes(version));
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group, version),
    resources: types.flatMap(resourceEntries),
  };
}

/** A minimal OpenAPI v2 document as JSON. */
export function openApiV2Json(): JsonObject {
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths: {},
    definitions: {},
  };
}

function protoString(field: number, s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
}

/**
 * The same document as the protobuf kubectl asks for (gnostic openapi_v2.Document:
 * field 1 `swagger`, field 2 `info { title = 1, version = 2 }`).
 */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([protoString(1, 'Kubernetes'), protoString(2, SERVER_VERSION.gitVersion)]);
  return Buffer.concat([protoString(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
}
