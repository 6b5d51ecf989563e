/**
 * The API verbs over the store: get, list, watch, create, update, patch (JSON, merge,
 * strategic, apply), delete, deletecollection, with the apiserver's write pipeline (metadata
 * stamping, type strategies, CRD schema validation, optimistic concurrency, finalizers,
 * generation) and the controllers a test cluster needs (CRD establishment and cleanup,
 * namespace termination, ownerReference garbage collection). HTTP-free: `httpRouter.ts`
 * translates requests into calls here.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import {
  CRD_CLEANUP_FINALIZER,
  establishedStatus,
  resourceTypeFromCrd,
  TypeRegistry,
} from './crdRegistry.js';
import {
  cloneJson,
  isJsonObject,
  jsonEqual,
  metadataOf,
  stringAt,
  stringMapAt,
  type Json,
  type JsonObject,
} from './json.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  fieldError,
  forbidden,
  invalid,
  KubeApiError,
  notFound,
  STALE_OBJECT,
  unsupportedMediaType,
  type FieldError,
} from './kubeStatus.js';
import { ObjectStore, type Change } from './objectStore.js';
import {
  applyJsonPatch,
  decodeJsonPatch,
  JsonPatchApplyError,
  JsonPatchDecodeError,
} from './patch/jsonPatch.js';
import { applyMergePatch } from './patch/mergePatch.js';
import { serverSideApply } from './patch/serverSideApply.js';
import { applyStrategicMergePatch, StrategicPatchError } from './patch/strategicMergePatch.js';
import { checkMicroTimes } from './eventsView.js';
import { apiVersionOf, resourceKey, storeKey, type ResourceType } from './resourceTypes.js';
import { applyDefaults, pruneUnknown, validateCustomResource } from './schema/structuralSchema.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { renderTable, wantsTable } from './table.js';
import { WatchHub } from './watchHub.js';

/** What a request addresses, as parsed from its URL. */
export interface Target {
  readonly type: ResourceType;
  readonly version: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/** A response: HTTP status, JSON body, and `Warning` headers. */
export interface Reply {
  readonly status: number;
  readonly body: JsonObject;
  readonly warnings?: readonly string[];
}

export interface ApiServerOptions {
  /** The clock for creationTimestamp, deletionTimestamp and ages (default: the real clock). */
  readonly now?: () => Date;
  /** Changes kept for watch replay (default 10000). */
  readonly historyLimit?: number;
  /** BOOKMARK interval for watches that allow them (default 60000; 0 = only on demand). */
  readonly bookmarkIntervalMs?: number;
  /** Namespaces that exist from the start (default: default, kube-system, kube-public, kube-node-lease). */
  readonly namespaces?: readonly string[];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** Kinds whose DELETE answers with the deleted object rather than a Status (ReturnDeletedObject). */
const RETURNS_DELETED_OBJECT = new Set(['/pods', '/serviceaccounts']);
const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

function isCore(t: ResourceType, plural: string): boolean {
  return t.group === '' && t.plural === plural;
}

function gr(t: ResourceType): { group: string; resource: string } {
  return { group: t.group, resource: t.plural };
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function finalizersOf(meta: JsonObject): string[] {
  const f = meta['finalizers'];
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

function stripForCompare(o: JsonObject): JsonObject {
  const c = cloneJson(o);
  const m = metadataOf(c);
  delete m['resourceVersion'];
  delete m['managedFields'];
  return c;
}

/** Everything but metadata (and status when it is a subresource): what bumps `generation`. */
function specContent(o: JsonObject, statusIsSubresource: boolean): JsonObject {
  const c: JsonObject = { ...o };
  delete c['metadata'];
  if (statusIsSubresource) delete c['status'];
  return c;
}

function parseJsonBody(body: Buffer): Json {
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

export class ApiServer {
  readonly store: ObjectStore;
  readonly registry = new TypeRegistry();
  readonly watches: WatchHub;
  readonly now: () => Date;
  /** Last applied configuration per object uid, per `manager|subresource` (server-side apply). */
  private readonly applied = new Map<string, Map<string, JsonObject>>();
  private gcScheduled: NodeJS.Immediate | undefined;

  constructor(options: ApiServerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.store = new ObjectStore(
      options.historyLimit === undefined ? {} : { historyLimit: options.historyLimit },
    );
    this.watches = new WatchHub(
      this.store,
      options.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.bookmarkIntervalMs },
    );
    this.store.subscribe((c) => this.onChange(c));
    const ns = this.registry.find('', 'v1', 'namespaces')!;
    for (const name of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      this.create(
        { type: ns, version: 'v1', namespace: undefined, name: undefined, subresource: undefined },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        new URLSearchParams(),
      );
  }

  /** Stops timers and ends open watches. */
  stop(): void {
    if (this.gcScheduled !== undefined) clearImmediate(this.gcScheduled);
    this.watches.stop();
  }

  // --------------------------------------------------------------------------- reads

  private mustGet(t: Target): JsonObject {
    const obj = this.store.get(storeKey(t.type), t.namespace ?? '', t.name ?? '');
    if (obj === undefined) throw notFound(gr(t.type), t.name ?? '');
    return obj;
  }

  /**
   * A written object in stored form: a view's body (events.k8s.io/v1 Event) is validated in its own
   * form and converted; Events of either version must carry decodable MicroTimes.
   */
  private toStorage(t: Target, obj: JsonObject): JsonObject {
    if (t.type.kind === 'Event' && (t.type.group === '' || t.type.view !== undefined)) checkMicroTimes(obj);
    const view = t.type.view;
    if (view === undefined) return obj;
    const errors = view.validate(obj, t.namespace);
    if (errors.length > 0)
      throw invalid(
        { group: t.type.group, kind: t.type.kind },
        stringAt(metadataOf(obj), 'name') ?? '',
        errors,
      );
    return view.toStorage(obj);
  }

  /** The object as a client of `version` sees it (conversion strategy None: apiVersion rewritten). */
  present(t: ResourceType, version: string, obj: JsonObject): JsonObject {
    const out = t.view === undefined ? cloneJson(obj) : t.view.fromStorage(cloneJson(obj));
    out['apiVersion'] = apiVersionOf(t.group, version);
    out['kind'] = t.kind;
    return { apiVersion: out['apiVersion'], kind: t.kind, ...out };
  }

  get(t: Target): Reply {
    return { status: 200, body: this.present(t.type, t.version, this.mustGet(t)) };
  }

  private matcher(t: Target, query: URLSearchParams): (o: JsonObject) => boolean {
    const labels = parseLabelSelector(query.get('labelSelector') ?? '');
    const supported = ['metadata.name', 'metadata.namespace', ...Object.keys(t.type.fieldSelectors)];
    const fields = parseFieldSelector(query.get('fieldSelector') ?? '', supported);
    return (o) => {
      const m = metadataOf(o);
      if (t.namespace !== undefined && stringAt(m, 'namespace') !== t.namespace) return false;
      if (!matchesLabels(labels, stringMapAt(m, 'labels'))) return false;
      return matchesFields(fields, (f) => {
        if (f === 'metadata.name') return stringAt(m, 'name') ?? '';
        if (f === 'metadata.namespace') return stringAt(m, 'namespace') ?? '';
        return t.type.fieldSelectors[f]?.(o) ?? '';
      });
    };
  }

  list(t: Target, query: URLSearchParams, accept: string | undefined): Reply {
    const matches = this.matcher(t, query);
    const key = storeKey(t.type);
    const cont = query.get('continue') ?? '';
    let listRv = this.store.currentRv();
    let after = '';
    let source: JsonObject[] | 'expired';
    if (cont !== '') {
      let token: { rv: number; start: string };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { rv: number; start: string };
        if (typeof token.rv !== 'number' || typeof token.start !== 'string') throw new Error('bad token');
      } catch {
        throw badRequest(
          'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
        );
      }
      listRv = token.rv;
      after = token.start;
      source = this.store.snapshot(key, listRv, t.namespace);
      if (source === 'expired')
        throw new KubeApiError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
    } else if (query.get('resourceVersionMatch') === 'Exact') {
      const rv = Number(query.get('resourceVersion') ?? '');
      if (!Number.isInteger(rv) || rv <= 0)
        throw badRequest('resourceVersionMatch=Exact needs a resourceVersion');
      source = this.store.snapshot(key, rv, t.namespace);
      if (source === 'expired')
        throw new KubeApiError(
          410,
          'Expired',
          `too old resource version: ${rv} (${this.store.oldestWatchableRv()})`,
        );
      listRv = rv;
    } else source = this.store.list(key, t.namespace);

    const keyOf = (o: JsonObject): string =>
      `${stringAt(metadataOf(o), 'namespace') ?? ''}/${stringAt(metadataOf(o), 'name') ?? ''}`;
    let items = source.filter((o) => (after === '' || keyOf(o) > after) && matches(o));
    const limit = Number(query.get('limit') ?? '0');
    let continueToken: string | undefined;
    let remaining: number | undefined;
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      remaining = items.length - limit;
      items = items.slice(0, limit);
      continueToken = Buffer.from(
        JSON.stringify({ rv: listRv, start: keyOf(items[items.length - 1]!) }),
      ).toString('base64url');
    }
    if (wantsTable(accept)) {
      const opts = {
        now: this.now(),
        resourceVersion: String(listRv),
        ...(continueToken === undefined ? {} : { continueToken }),
        includeObject: query.get('includeObject') ?? 'Metadata',
      };
      return {
        status: 200,
        body: renderTable(
          t.type,
          items.map((o) => this.present(t.type, t.version, o)),
          opts,
        ),
      };
    }
    const meta: JsonObject = { resourceVersion: String(listRv) };
    if (continueToken !== undefined) meta['continue'] = continueToken;
    if (remaining !== undefined) meta['remainingItemCount'] = remaining;
    const custom = t.type.custom !== undefined;
    return {
      status: 200,
      body: {
        kind: t.type.listKind,
        apiVersion: apiVersionOf(t.type.group, t.version),
        metadata: meta,
        items: items.map((o) => {
          const p = this.present(t.type, t.version, o);
          // Typed lists of built-in kinds carry no apiVersion/kind on their items (unlike CR lists).
          if (!custom) {
            delete p['apiVersion'];
            delete p['kind'];
          }
          return p;
        }),
      },
    };
  }

  watch(t: Target, query: URLSearchParams, accept: string | undefined, res: ServerResponse): void {
    const q = new URLSearchParams(query);
    if (t.name !== undefined)
      q.set('fieldSelector', [q.get('fieldSelector'), `metadata.name=${t.name}`].filter(Boolean).join(','));
    const matches = this.matcher({ ...t, name: undefined }, q);
    const rvParam = q.get('resourceVersion') ?? '';
    const sendInitialEvents = q.get('sendInitialEvents') === 'true';
    let sinceRv: number | undefined;
    if (rvParam !== '' && rvParam !== '0' && !sendInitialEvents) {
      sinceRv = Number(rvParam);
      if (!Number.isInteger(sinceRv) || sinceRv < 0)
        throw badRequest(
          `resourceVersion: Invalid value: ${JSON.stringify(rvParam)}: must be a non-negative integer`,
        );
    }
    const timeout = Number(q.get('timeoutSeconds') ?? '');
    const table = wantsTable(accept);
    let first = true;
    const render = (o: JsonObject): JsonObject => {
      const p = this.present(t.type, t.version, o);
      if (!table) return p;
      const tbl = renderTable(t.type, [p], {
        now: this.now(),
        includeObject: q.get('includeObject') ?? 'Metadata',
      });
      if (!first) tbl['columnDefinitions'] = [];
      first = false;
      return tbl;
    };
    this.watches.start(
      {
        resource: storeKey(t.type),
        matches,
        render,
        bookmark: (rv, end) => ({
          kind: t.type.kind,
          apiVersion: apiVersionOf(t.type.group, t.version),
          metadata: {
            resourceVersion: String(rv),
            ...(end ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}),
          },
        }),
        sinceRv,
        initialObjects: () => this.store.list(storeKey(t.type), t.namespace).filter(matches),
        allowBookmarks: q.get('allowWatchBookmarks') === 'true',
        sendInitialEvents,
        timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : undefined,
      },
      res,
    );
  }

  // --------------------------------------------------------------------------- write pipeline

  private validateMetadata(t: ResourceType, obj: JsonObject): FieldError[] {
    const errs: FieldError[] = [];
    const m = metadataOf(obj);
    const name = stringAt(m, 'name') ?? '';
    const nameRe = isCore(t, 'namespaces') ? DNS_LABEL : DNS_SUBDOMAIN;
    if (name === '') errs.push(fieldError.required('metadata.name', 'name or generateName is required'));
    else if (!nameRe.test(name) || name.length > (nameRe === DNS_LABEL ? 63 : 253))
      errs.push(
        fieldError.invalid(
          'metadata.name',
          name,
          nameRe === DNS_LABEL
            ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
      );
    for (const [k, v] of Object.entries(stringMapAt(m, 'labels'))) {
      if (!QUALIFIED_NAME.test(k))
        errs.push(
          fieldError.invalid(
            'metadata.labels',
            k,
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          ),
        );
      if (!LABEL_VALUE.test(v) || v.length > 63)
        errs.push(
          fieldError.invalid(
            `metadata.labels`,
            v,
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          ),
        );
    }
    for (const k of Object.keys(stringMapAt(m, 'annotations')))
      if (!QUALIFIED_NAME.test(k))
        errs.push(
          fieldError.invalid(
            'metadata.annotations',
            k,
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          ),
        );
    const labels = m['labels'];
    if (
      labels !== undefined &&
      labels !== null &&
      (!isJsonObject(labels) || Object.values(labels).some((v) => typeof v !== 'string'))
    )
      errs.push(fieldError.invalid('metadata.labels', 'object', 'labels must be a map of strings'));
    for (const [i, f] of finalizersOf(m).entries())
      if (!QUALIFIED_NAME.test(f))
        errs.push(
          fieldError.invalid(
            `metadata.finalizers[${i}]`,
            f,
            'name part must consist of alphanumeric characters',
          ),
        );
    return errs;
  }

  /**
   * Type-specific normalisation, CR pruning/defaulting/validation. Returns warnings for
   * dropped unknown fields (or throws for `fieldValidation=Strict`).
   */
  private admit(t: Target, obj: JsonObject, old: JsonObject | undefined, query: URLSearchParams): string[] {
    const type = t.type;
    const name = stringAt(metadataOf(obj), 'name') ?? '';
    const errors = this.validateMetadata(type, obj);
    const warnings: string[] = [];

    if (isCore(type, 'secrets')) {
      const stringData = obj['stringData'];
      if (isJsonObject(stringData)) {
        const data = isJsonObject(obj['data']) ? obj['data'] : {};
        for (const [k, v] of Object.entries(stringData))
          if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
        obj['data'] = data;
      }
      delete obj['stringData'];
      obj['type'] ??= 'Opaque';
      if (isJsonObject(obj['data']))
        for (const [k, v] of Object.entries(obj['data']))
          if (
            typeof v !== 'string' ||
            !/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)
          )
            throw badRequest(
              `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at data[${JSON.stringify(k)}]`,
            );
    }
    if (type.group === 'apiextensions.k8s.io' && type.plural === 'customresourcedefinitions') {
      const r = resourceTypeFromCrd(obj);
      errors.push(...r.errors);
      if (r.type !== undefined) {
        const clash = this.registry.byKey(resourceKey(r.type));
        if (clash !== undefined && clash.custom?.crdName !== name)
          errors.push(
            fieldError.invalid('spec.names.plural', r.type.plural, 'is already served by another API'),
          );
      }
    }
    const custom = type.custom?.versions.find((v) => v.name === t.version);
    if (custom?.schema !== undefined) {
      const unknown = pruneUnknown(obj, custom.schema.root);
      const mode = query.get('fieldValidation') ?? 'Warn';
      if (unknown.length > 0 && mode === 'Strict')
        throw badRequest(`strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
      if (mode !== 'Ignore') warnings.push(...unknown.map((u) => `unknown field "${u}"`));
      applyDefaults(obj, custom.schema.root);
      errors.push(...validateCustomResource(obj, old, custom.schema));
    }
    if (errors.length > 0) throw invalid({ group: type.group, kind: type.kind }, name, errors);
    return warnings;
  }

  private checkBodyIdentity(t: Target, obj: JsonObject): void {
    const apiVersion = obj['apiVersion'];
    const kind = obj['kind'];
    if (t.type.custom !== undefined) {
      if (typeof kind !== 'string' || kind === '')
        throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj)}'`);
      if (typeof apiVersion !== 'string' || apiVersion === '')
        throw badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(obj)}'`);
    }
    if (typeof apiVersion === 'string' && apiVersion !== apiVersionOf(t.type.group, t.version))
      throw badRequest(
        `the API version in the data (${apiVersion}) does not match the expected API version (${apiVersionOf(t.type.group, t.version)})`,
      );
    if (typeof kind === 'string' && kind !== t.type.kind)
      throw badRequest(`the kind in the data (${kind}) does not match the expected kind (${t.type.kind})`);
    obj['apiVersion'] = apiVersionOf(t.type.group, t.version);
    obj['kind'] = t.type.kind;
    const m = metadataOf(obj);
    const ns = stringAt(m, 'namespace');
    if (t.type.namespaced) {
      if (ns !== undefined && ns !== '' && ns !== t.namespace)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      m['namespace'] = t.namespace ?? '';
    } else delete m['namespace'];
    const name = stringAt(m, 'name');
    if (t.name !== undefined && name !== undefined && name !== '' && name !== t.name)
      throw badRequest(`the name of the object (${name}) does not match the name on the URL (${t.name})`);
    if (t.name !== undefined && (name === undefined || name === '')) m['name'] = t.name;
  }

  private checkNamespace(t: Target): void {
    if (!t.type.namespaced) return;
    const ns = this.store.get('/namespaces', '', t.namespace ?? '');
    if (ns === undefined) throw notFound({ group: '', resource: 'namespaces' }, t.namespace ?? '');
    if (stringAt(metadataOf(ns), 'deletionTimestamp') !== undefined)
      throw forbidden(
        gr(t.type),
        t.name ?? '',
        `unable to create new content in namespace ${t.namespace ?? ''} because it is being terminated`,
      );
  }

  private generateName(t: Target, prefix: string): string {
    for (let attempt = 0; attempt < 100; attempt++) {
      let s = '';
      for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
      const name = `${prefix}${s}`;
      if (this.store.get(storeKey(t.type), t.namespace ?? '', name) === undefined) return name;
    }
    throw alreadyExists(gr(t.type), prefix);
  }

  /**
   * POST. `keepStatus` (in-process seeding only) keeps a status the API would drop, as if a
   * controller had written it.
   */
  create(t: Target, body: Json, query: URLSearchParams, opts: { readonly keepStatus?: boolean } = {}): Reply {
    if (!isJsonObject(body)) throw badRequest('the body of the request must be a JSON object');
    const given = cloneJson(body);
    this.checkBodyIdentity({ ...t, name: undefined }, given);
    const obj = this.toStorage(t, given);
    const m = metadataOf(obj);
    if ((stringAt(m, 'name') ?? '') === '' && (stringAt(m, 'generateName') ?? '') !== '')
      m['name'] = this.generateName(t, stringAt(m, 'generateName')!);
    this.checkNamespace({ ...t, name: stringAt(m, 'name') ?? '' });
    if ((stringAt(m, 'resourceVersion') ?? '') !== '')
      throw new KubeApiError(
        500,
        'InternalError',
        'Internal error occurred: resourceVersion should not be set on objects to be created',
        {
          causes: [{ message: 'resourceVersion should not be set on objects to be created' }],
        },
      );
    m['uid'] = randomUUID();
    m['creationTimestamp'] = timestamp(this.now());
    delete m['deletionTimestamp'];
    delete m['deletionGracePeriodSeconds'];
    delete m['managedFields'];
    delete m['selfLink'];
    if (t.type.hasGeneration) m['generation'] = 1;
    else delete m['generation'];
    if (t.type.statusSubresource && !opts.keepStatus) {
      if (t.type.custom !== undefined) delete obj['status'];
      if (isCore(t.type, 'pods')) obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
      if (isCore(t.type, 'namespaces')) obj['status'] = { phase: 'Active' };
    }
    if (isCore(t.type, 'namespaces')) obj['spec'] = { finalizers: ['kubernetes'] };
    if (t.type.plural === 'customresourcedefinitions') {
      obj['status'] = establishedStatus(obj, timestamp(this.now()));
      if (!finalizersOf(m).includes(CRD_CLEANUP_FINALIZER))
        m['finalizers'] = [...finalizersOf(m), CRD_CLEANUP_FINALIZER];
    }
    const warnings = this.admit(t, obj, undefined, query);
    const name = stringAt(m, 'name') ?? '';
    if (this.store.get(storeKey(t.type), t.namespace ?? '', name) !== undefined)
      throw alreadyExists(gr(t.type), name);
    if (query.get('dryRun') === 'All')
      return { status: 201, body: this.present(t.type, t.version, obj), warnings };
    this.store.commit('ADDED', storeKey(t.type), obj);
    return { status: 201, body: this.present(t.type, t.version, obj), warnings };
  }

  /** PUT (main resource or `/status`). */
  update(t: Target, body: Json, query: URLSearchParams): Reply {
    if (!isJsonObject(body)) throw badRequest('the body of the request must be a JSON object');
    const existing = this.mustGet(t);
    const incoming = cloneJson(body);
    this.checkBodyIdentity(t, incoming);
    const rv = stringAt(metadataOf(incoming), 'resourceVersion') ?? '';
    if (rv === '' && t.type.custom !== undefined)
      throw invalid({ group: t.type.group, kind: t.type.kind }, t.name ?? '', [
        fieldError.invalid('metadata.resourceVersion', '0x0', 'must be specified for an update'),
      ]);
    if (rv !== '' && rv !== stringAt(metadataOf(existing), 'resourceVersion'))
      throw conflict(gr(t.type), t.name ?? '', STALE_OBJECT);
    return this.commitUpdate(t, existing, incoming, query);
  }

  /** The shared tail of PUT and PATCH: strategies, validation, generation, no-op detection, finalizers. */
  private commitUpdate(t: Target, existing: JsonObject, given: JsonObject, query: URLSearchParams): Reply {
    const type = t.type;
    const incoming = this.toStorage(t, given);
    const oldMeta = metadataOf(existing);
    let obj: JsonObject;
    if (t.subresource === 'status') {
      // status strategy: only status changes; metadata and spec come from the stored object
      obj = cloneJson(existing);
      if (Object.hasOwn(incoming, 'status')) obj['status'] = incoming['status']!;
      else delete obj['status'];
    } else {
      obj = incoming;
      if (type.statusSubresource) {
        if (Object.hasOwn(existing, 'status')) obj['status'] = cloneJson(existing['status']!);
        else delete obj['status'];
      }
    }
    const m = metadataOf(obj);
    for (const k of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
    ]) {
      if (oldMeta[k] !== undefined) m[k] = cloneJson(oldMeta[k]);
      else delete m[k];
    }
    delete m['managedFields'];
    if (type.custom !== undefined) m['namespace'] = oldMeta['namespace'] ?? null;
    if (!type.namespaced) delete m['namespace'];
    if (isCore(type, 'namespaces'))
      obj['spec'] = cloneJson(existing['spec'] ?? { finalizers: ['kubernetes'] });
    if (type.plural === 'customresourcedefinitions')
      obj['status'] = establishedStatus(obj, timestamp(this.now()));

    const deleting = stringAt(oldMeta, 'deletionTimestamp') !== undefined;
    if (deleting) {
      const added = finalizersOf(m).filter((f) => !finalizersOf(oldMeta).includes(f));
      if (added.length > 0)
        throw invalid({ group: type.group, kind: type.kind }, t.name ?? '', [
          fieldError.forbidden(
            'metadata.finalizers',
            `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((a) => JSON.stringify(a)).join(', ')}}`,
          ),
        ]);
    }
    const warnings = this.admit(t, obj, existing, query);
    if (
      type.hasGeneration &&
      !jsonEqual(specContent(obj, type.statusSubresource), specContent(existing, type.statusSubresource))
    )
      m['generation'] = (typeof oldMeta['generation'] === 'number' ? oldMeta['generation'] : 0) + 1;

    m['resourceVersion'] = oldMeta['resourceVersion'] ?? null;
    if (jsonEqual(stripForCompare(obj), stripForCompare(existing)))
      return { status: 200, body: this.present(type, t.version, existing), warnings };
    if (query.get('dryRun') === 'All')
      return { status: 200, body: this.present(type, t.version, obj), warnings };
    const key = storeKey(type);
    if (deleting && finalizersOf(m).length === 0 && !this.namespaceStillFinalizing(type, obj)) {
      this.store.commit('DELETED', key, obj);
      this.forgetApplied(obj);
    } else this.store.commit('MODIFIED', key, obj);
    return { status: 200, body: this.present(type, t.version, obj), warnings };
  }

  private namespaceStillFinalizing(type: ResourceType, obj: JsonObject): boolean {
    if (!isCore(type, 'namespaces')) return false;
    const spec = isJsonObject(obj['spec']) ? obj['spec'] : {};
    return Array.isArray(spec['finalizers']) && spec['finalizers'].length > 0;
  }

  // --------------------------------------------------------------------------- patch

  /** PATCH with one of the four patch content types. */
  patch(t: Target, contentType: string, body: Buffer, query: URLSearchParams): Reply {
    const media = contentType.split(';')[0]!.trim().toLowerCase();
    const accepted =
      t.type.custom !== undefined
        ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
        : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply];
    if (!accepted.includes(media) && media !== 'application/apply-patch+json')
      throw unsupportedMediaType(media, accepted);
    if (media === PATCH_TYPES.apply || media === 'application/apply-patch+json')
      return this.apply(t, body, query);

    const existing = this.mustGet(t);
    const current = this.present(t.type, t.version, existing);
    let patched: Json;
    if (media === PATCH_TYPES.json) {
      let ops;
      try {
        ops = decodeJsonPatch(parseJsonBody(body));
      } catch (e) {
        if (e instanceof JsonPatchDecodeError) throw badRequest(e.message);
        throw e;
      }
      try {
        patched = applyJsonPatch(current, ops);
      } catch (e) {
        if (e instanceof JsonPatchApplyError)
          throw new KubeApiError(
            422,
            'Invalid',
            'the server rejected our request due to an error in our request',
            {
              causes: [{ reason: 'FieldValueInvalid', message: e.message }],
            },
          );
        throw e;
      }
    } else {
      const p = parseJsonBody(body);
      if (!isJsonObject(p)) throw badRequest('the patch must be a JSON object');
      if (media === PATCH_TYPES.merge) patched = applyMergePatch(current, p);
      else {
        try {
          patched = applyStrategicMergePatch(current, p, t.type.listStrategy);
        } catch (e) {
          if (e instanceof StrategicPatchError) throw badRequest(e.message);
          throw e;
        }
      }
    }
    if (!isJsonObject(patched)) throw badRequest('the patched object is not a JSON object');
    this.checkBodyIdentity(t, patched);
    const rv = stringAt(metadataOf(patched), 'resourceVersion') ?? '';
    if (rv !== '' && rv !== stringAt(metadataOf(existing), 'resourceVersion'))
      throw conflict(gr(t.type), t.name ?? '', STALE_OBJECT);
    if (rv === '')
      metadataOf(patched)['resourceVersion'] = stringAt(metadataOf(existing), 'resourceVersion') ?? '';
    return this.commitUpdate(t, existing, patched, query);
  }

  private forgetApplied(obj: JsonObject): void {
    const uid = stringAt(metadataOf(obj), 'uid');
    if (uid !== undefined) this.applied.delete(uid);
  }

  /** Server-side apply: create-or-merge with per-manager tracking (see patch/serverSideApply.ts). */
  private apply(t: Target, body: Buffer, query: URLSearchParams): Reply {
    const manager = query.get('fieldManager') ?? '';
    if (manager === '')
      throw badRequest(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    const force = query.get('force') === 'true';
    const text = body.toString('utf8');
    let config: unknown;
    try {
      // JSON first (what client-node and kubectl send); YAML otherwise. Never client-node's
      // loadYaml: it converts to typed models (renamed fields, Dates), which a server must not.
      config = text.trimStart().startsWith('{') ? JSON.parse(text) : yaml.load(text);
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    if (!isJsonObject(config)) throw badRequest('the apply configuration must be an object');
    const applied = cloneJson(config);
    if (typeof applied['apiVersion'] !== 'string' || typeof applied['kind'] !== 'string')
      throw badRequest(
        `invalid object type: ${JSON.stringify(applied['apiVersion'] ?? '')}, Kind=${JSON.stringify(applied['kind'] ?? '')}`,
      );
    this.checkBodyIdentity(t, applied);
    const sub = t.subresource ?? '';
    const existing = this.store.get(storeKey(t.type), t.namespace ?? '', t.name ?? '');
    const uid = existing === undefined ? undefined : (stringAt(metadataOf(existing), 'uid') ?? '');
    const records = (uid === undefined ? undefined : this.applied.get(uid)) ?? new Map<string, JsonObject>();
    const mine = `${manager}|${sub}`;
    const others = new Map(
      [...records]
        .filter(([k]) => k !== mine && k.endsWith(`|${sub}`))
        .map(([k, v]) => [k.split('|')[0]!, v] as const),
    );
    const rv = stringAt(metadataOf(applied), 'resourceVersion') ?? '';
    if (existing !== undefined && rv !== '' && rv !== stringAt(metadataOf(existing), 'resourceVersion'))
      throw conflict(gr(t.type), t.name ?? '', STALE_OBJECT);
    const outcome = serverSideApply({
      live: existing === undefined ? undefined : this.present(t.type, t.version, existing),
      applied,
      previous: records.get(mine),
      others,
      force,
      lists: t.type.listStrategy,
    });
    if (outcome.conflicts.length > 0) {
      const n = outcome.conflicts.length;
      const byManager = [...new Set(outcome.conflicts.map((c) => c.manager))];
      const message =
        n === 1
          ? `Apply failed with 1 conflict: conflict with "${outcome.conflicts[0]!.manager}": ${outcome.conflicts[0]!.field}`
          : `Apply failed with ${n} conflicts: ${byManager
              .map(
                (mgr) =>
                  `conflicts with "${mgr}":\n${outcome.conflicts
                    .filter((c) => c.manager === mgr)
                    .map((c) => `- ${c.field}`)
                    .join('\n')}`,
              )
              .join('\n')}`;
      throw new KubeApiError(409, 'Conflict', message, {
        causes: outcome.conflicts.map((c) => ({
          reason: 'FieldManagerConflict',
          message: `conflict with "${c.manager}"`,
          field: c.field,
        })),
      });
    }
    let reply: Reply;
    if (existing === undefined) {
      if (sub !== '') throw notFound(gr(t.type), t.name ?? '');
      const obj = outcome.object;
      delete metadataOf(obj)['resourceVersion'];
      reply = this.create(t, obj, query);
    } else {
      metadataOf(outcome.object)['resourceVersion'] = stringAt(metadataOf(existing), 'resourceVersion') ?? '';
      reply = this.commitUpdate(t, existing, outcome.object, query);
    }
    if (query.get('dryRun') !== 'All') {
      const newUid = stringAt(metadataOf(reply.body), 'uid') ?? '';
      const next = new Map(records);
      next.set(mine, applied);
      for (const [mgr, cfg] of outcome.others) next.set(`${mgr}|${sub}`, cfg);
      if (this.store.hasUid(newUid)) this.applied.set(newUid, next);
    }
    return { ...reply, status: existing === undefined ? 201 : 200 };
  }

  // --------------------------------------------------------------------------- delete

  /** DELETE of one object; `options` is the DeleteOptions body merged with query parameters. */
  delete(t: Target, options: JsonObject, query: URLSearchParams): Reply {
    const existing = this.mustGet(t);
    const pre = isJsonObject(options['preconditions']) ? options['preconditions'] : {};
    const meta = metadataOf(existing);
    const uidPre = stringAt(pre, 'uid');
    if (uidPre !== undefined && uidPre !== stringAt(meta, 'uid'))
      throw conflict(
        gr(t.type),
        t.name ?? '',
        `Precondition failed: UID in precondition: ${uidPre}, UID in object meta: ${stringAt(meta, 'uid') ?? ''}`,
      );
    const rvPre = stringAt(pre, 'resourceVersion');
    if (rvPre !== undefined && rvPre !== stringAt(meta, 'resourceVersion'))
      throw conflict(
        gr(t.type),
        t.name ?? '',
        `Precondition failed: ResourceVersion in precondition: ${rvPre}, ResourceVersion in meta: ${stringAt(meta, 'resourceVersion') ?? ''}`,
      );
    let policy = stringAt(options, 'propagationPolicy') ?? query.get('propagationPolicy') ?? undefined;
    const orphan =
      options['orphanDependents'] ??
      (query.has('orphanDependents') ? query.get('orphanDependents') === 'true' : undefined);
    if (policy === undefined && orphan === true) policy = 'Orphan';
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy))
      throw badRequest(
        `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      );
    const dryRun =
      query.get('dryRun') === 'All' ||
      (Array.isArray(options['dryRun']) && options['dryRun'].includes('All'));
    return this.deleteObject(t.type, t.version, existing, policy, dryRun);
  }

  /** Deletes now, or marks for deletion when finalizers (or a namespace's spec.finalizers) remain. */
  private deleteObject(
    type: ResourceType,
    version: string,
    existing: JsonObject,
    policy: string | undefined,
    dryRun = false,
  ): Reply {
    const obj = cloneJson(existing);
    const m = metadataOf(obj);
    const finalizers = finalizersOf(m);
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
      finalizers.push('foregroundDeletion');
    if (finalizers.length > 0) m['finalizers'] = finalizers;
    const key = storeKey(type);
    if (finalizers.length > 0 || this.namespaceStillFinalizing(type, obj)) {
      if (m['deletionTimestamp'] === undefined) {
        m['deletionTimestamp'] = timestamp(this.now());
        m['deletionGracePeriodSeconds'] = 0;
        if (type.hasGeneration && typeof m['generation'] === 'number' && m['generation'] > 0)
          m['generation'] = m['generation'] + 1;
        if (isCore(type, 'namespaces'))
          obj['status'] = { ...(isJsonObject(obj['status']) ? obj['status'] : {}), phase: 'Terminating' };
      }
      if (!dryRun && !jsonEqual(stripForCompare(obj), stripForCompare(existing)))
        this.store.commit('MODIFIED', key, obj);
      return {
        status: 200,
        body: this.present(
          type,
          version,
          dryRun
            ? obj
            : (this.store.get(key, stringAt(m, 'namespace') ?? '', stringAt(m, 'name') ?? '') ?? obj),
        ),
      };
    }
    if (!dryRun) {
      this.store.commit('DELETED', key, obj);
      this.forgetApplied(obj);
    }
    if (RETURNS_DELETED_OBJECT.has(key)) return { status: 200, body: this.present(type, version, obj) };
    return {
      status: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: stringAt(m, 'name') ?? '',
          group: type.group,
          kind: type.plural,
          uid: stringAt(m, 'uid') ?? '',
        },
      },
    };
  }

  /** DELETE on a collection: deletes every object the selectors match. */
  deleteCollection(t: Target, options: JsonObject, query: URLSearchParams): Reply {
    const matches = this.matcher(t, query);
    const items: Json[] = [];
    for (const o of this.store.list(storeKey(t.type), t.namespace).filter(matches)) {
      const r = this.delete(
        {
          ...t,
          name: stringAt(metadataOf(o), 'name') ?? '',
          namespace: stringAt(metadataOf(o), 'namespace'),
        },
        options,
        query,
      );
      items.push(r.body);
    }
    return {
      status: 200,
      body: {
        kind: t.type.listKind,
        apiVersion: apiVersionOf(t.type.group, t.version),
        metadata: { resourceVersion: String(this.store.currentRv()) },
        items,
      },
    };
  }

  // --------------------------------------------------------------------------- controllers

  private onChange(c: Change): void {
    if (c.resource === 'apiextensions.k8s.io/customresourcedefinitions') {
      const name = stringAt(metadataOf(c.object), 'name') ?? '';
      if (c.type === 'DELETED') this.registry.removeCrd(name);
      else {
        const r = resourceTypeFromCrd(c.object);
        if (r.type !== undefined) this.registry.put(r.type);
      }
    }
    if (this.gcScheduled === undefined)
      this.gcScheduled = setImmediate(() => {
        this.gcScheduled = undefined;
        this.collectGarbage();
      });
  }

  private typeOfKey(key: string): ResourceType | undefined {
    return this.registry.byKey(key);
  }

  /** Writes an internal change (a controller's) as the given object. */
  private internalUpdate(resource: string, obj: JsonObject): void {
    const type = this.typeOfKey(resource);
    if (type === undefined) return;
    const m = metadataOf(obj);
    const existing = this.store.get(resource, stringAt(m, 'namespace') ?? '', stringAt(m, 'name') ?? '');
    if (existing === undefined) return;
    const t: Target = {
      type,
      version: type.versions[0] ?? '',
      namespace: stringAt(m, 'namespace'),
      name: stringAt(m, 'name'),
      subresource: undefined,
    };
    this.commitUpdate(t, existing, obj, new URLSearchParams({ fieldValidation: 'Ignore' }));
  }

  /**
   * One round of the controllers a real cluster runs: CRD instance cleanup, namespace
   * termination, orphan/foreground finalizers, and background deletion of dependents whose
   * owners are all gone. Runs after every change; returns how many writes it made.
   */
  collectGarbage(): number {
    let writes = 0;
    for (let round = 0; round < 20; round++) {
      const before = this.store.currentRv();
      this.gcRound();
      const made = this.store.currentRv() - before;
      writes += made;
      if (made === 0) break;
    }
    return writes;
  }

  private dependentsOf(uid: string): { resource: string; object: JsonObject }[] {
    return [...this.store.entries()].filter(({ object }) => {
      const refs = metadataOf(object)['ownerReferences'];
      return Array.isArray(refs) && refs.some((r) => isJsonObject(r) && r['uid'] === uid);
    });
  }

  private gcDelete(resource: string, object: JsonObject, policy?: string): void {
    const type = this.typeOfKey(resource);
    if (type === undefined || stringAt(metadataOf(object), 'deletionTimestamp') !== undefined) return;
    this.deleteObject(type, type.versions[0] ?? '', object, policy);
  }

  private removeFinalizer(resource: string, object: JsonObject, finalizer: string): void {
    const copy = cloneJson(object);
    const m = metadataOf(copy);
    m['finalizers'] = finalizersOf(m).filter((f) => f !== finalizer);
    this.internalUpdate(resource, copy);
  }

  private gcRound(): void {
    for (const entry of [...this.store.entries()]) {
      // earlier steps of this round may have changed or deleted the object: use its live state
      const live = this.store.byUid(stringAt(metadataOf(entry.object), 'uid') ?? '');
      if (live === undefined) continue;
      const { resource, object } = live;
      const m = metadataOf(object);
      const uid = stringAt(m, 'uid') ?? '';
      const current = (): JsonObject | undefined => this.store.byUid(uid)?.object;
      if (stringAt(m, 'deletionTimestamp') !== undefined) {
        const finalizers = finalizersOf(m);
        if (finalizers.includes('orphan')) {
          for (const d of this.dependentsOf(uid)) {
            const copy = cloneJson(d.object);
            const dm = metadataOf(copy);
            const refs = (dm['ownerReferences'] as Json[]).filter(
              (r) => !(isJsonObject(r) && r['uid'] === uid),
            );
            if (refs.length > 0) dm['ownerReferences'] = refs;
            else delete dm['ownerReferences'];
            this.internalUpdate(d.resource, copy);
          }
          const now = current();
          if (now !== undefined) this.removeFinalizer(resource, now, 'orphan');
        }
        if (finalizers.includes('foregroundDeletion')) {
          const deps = this.dependentsOf(uid);
          for (const d of deps) this.gcDelete(d.resource, d.object, 'Foreground');
          const now = current();
          if (deps.length === 0 && now !== undefined)
            this.removeFinalizer(resource, now, 'foregroundDeletion');
        }
        if (resource === '/namespaces') {
          const name = stringAt(m, 'name') ?? '';
          const contents = [...this.store.entries()].filter(
            ({ object: o }) => stringAt(metadataOf(o), 'namespace') === name,
          );
          for (const c of contents) this.gcDelete(c.resource, c.object);
          const now = current();
          if (contents.length === 0 && now !== undefined) {
            const copy = cloneJson(now);
            copy['spec'] = { finalizers: [] };
            const spec = isJsonObject(now['spec']) ? now['spec'] : {};
            if (Array.isArray(spec['finalizers']) && spec['finalizers'].length > 0) {
              if (finalizersOf(metadataOf(copy)).length === 0) {
                this.store.commit('DELETED', resource, copy);
              } else this.store.commit('MODIFIED', resource, copy);
            }
          }
        }
        if (
          resource === 'apiextensions.k8s.io/customresourcedefinitions' &&
          finalizers.includes(CRD_CLEANUP_FINALIZER)
        ) {
          const r = resourceTypeFromCrd(object);
          const key = r.type === undefined ? undefined : resourceKey(r.type);
          const instances = key === undefined ? [] : this.store.list(key);
          for (const i of instances) this.gcDelete(key!, i);
          const now = current();
          if (instances.length === 0 && now !== undefined)
            this.removeFinalizer(resource, now, CRD_CLEANUP_FINALIZER);
        }
        continue;
      }
      const refs = m['ownerReferences'];
      if (Array.isArray(refs) && refs.length > 0) {
        const owners = refs.filter(isJsonObject).map((r) => stringAt(r, 'uid') ?? '');
        if (owners.every((o) => !this.store.hasUid(o))) this.gcDelete(resource, object);
      }
    }
  }

  // --------------------------------------------------------------------------- helpers for router

  /** Parses a DELETE body (DeleteOptions) if any. */
  static deleteOptions(body: Buffer): JsonObject {
    if (body.length === 0) return {};
    const v = parseJsonBody(body);
    return isJsonObject(v) ? v : {};
  }

  static parseBody(body: Buffer): Json {
    return parseJsonBody(body);
  }
}
