/**
 * Starts the Kubernetes API stand-in on loopback, in process. HTTPS with a throw-away CA by
 * default (what kubectl and client-node expect), plain HTTP on request. Writes a kubeconfig
 * that both kubectl (`KUBECONFIG=<path>`) and `KubeConfig.loadFromFile(path)` use as is.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, type Target } from './apiServer.js';
import { HttpRouter, type FaultRule, type RequestLogEntry } from './httpRouter.js';
import { cloneJson, isJsonObject, metadataOf, stringAt, type JsonObject } from './json.js';
import { createLoopbackCertificates } from '../tls/createLoopbackCertificates.js';
import type { DropMode } from './watchHub.js';

export interface KubeStandInOptions {
  /** `https` (default; a fresh CA in `caPem`) or `http` (clients need `skipTLSVerify: true`). */
  readonly protocol?: 'https' | 'http';
  /** Port on 127.0.0.1 (default 0: the OS picks). */
  readonly port?: number;
  /** Where to write the kubeconfig (default: a fresh temp folder, removed by stop()). */
  readonly kubeconfigPath?: string;
  /** Bearer token the kubeconfig carries; when `requireToken`, other requests get 401. */
  readonly token?: string;
  readonly requireToken?: boolean;
  /** Clock for timestamps and ages (default: real time). */
  readonly now?: () => Date;
  /** Changes kept for watch replay before compaction (default 10000). */
  readonly historyLimit?: number;
  /** BOOKMARK interval (default 60000 ms; 0 = only via `sendBookmarks()`). */
  readonly bookmarkIntervalMs?: number;
  /** Namespaces created at start (default: default, kube-system, kube-public, kube-node-lease). */
  readonly namespaces?: readonly string[];
}

/** A kubeconfig file's content (clusters/users/contexts), as kubectl reads it. */
export interface KubeconfigFile {
  readonly apiVersion: 'v1';
  readonly kind: 'Config';
  readonly clusters: readonly { name: string; cluster: JsonObject }[];
  readonly users: readonly { name: string; user: JsonObject }[];
  readonly contexts: readonly { name: string; context: JsonObject }[];
  readonly 'current-context': string;
}

/** A running stand-in. */
export interface KubeStandIn {
  /** `https://127.0.0.1:<port>` (or http). */
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly kubeconfig: KubeconfigFile;
  /** The kubeconfig as text (JSON, which is valid YAML). */
  readonly kubeconfigYaml: string;
  /** The CA that signed the server certificate (https only). */
  readonly caPem: string | undefined;
  readonly token: string;

  // ----- test hooks (in process, no HTTP)
  /** Forgets the watch history: the next watch from an older resourceVersion gets 410 Gone. */
  compact(): void;
  /** Ends every open watch: `end` (default) closes cleanly, `destroy` resets the connection. Returns how many. */
  dropWatches(mode?: DropMode): number;
  /** Number of open watch streams. */
  openWatches(): number;
  /** Sends a BOOKMARK to every watch that allows them. */
  sendBookmarks(): void;
  /** Injects a failure for matching requests; returns a function removing it. */
  injectFault(rule: FaultRule): () => void;
  clearFaults(): void;
  /** Delays requests (real time). */
  setLatency(ms: number | ((req: { method: string; path: string; verb: string }) => number)): void;
  /** Every request served so far. */
  requests(): readonly RequestLogEntry[];
  clearRequests(): void;
  /** The latest resourceVersion. */
  resourceVersion(): number;
  /** Runs the garbage collector / namespace / CRD controllers now (they also run after each write). */
  collectGarbage(): number;

  // ----- object helpers (in process, through the same write pipeline as the API)
  /** Creates an object (CRDs, CRs, built-ins); `keepStatus` keeps a status the API would drop. */
  create(obj: object, opts?: { readonly keepStatus?: boolean }): JsonObject;
  /** Creates or replaces (status kept for built-ins and CRs, as a controller would have written it). */
  put(obj: object): JsonObject;
  get(ref: ObjectRef): JsonObject | undefined;
  list(ref: Omit<ObjectRef, 'name'>): JsonObject[];
  /** Deletes (finalizers respected, like the API); no error when absent. */
  remove(
    ref: ObjectRef,
    opts?: { readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' },
  ): void;

  stop(): Promise<void>;
}

/** Names an object by apiVersion + kind (or plural), namespace and name. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** Starts the stand-in. See README.md for the behaviours it implements. */
export async function startKubeStandIn(options: KubeStandInOptions = {}): Promise<KubeStandIn> {
  const protocol = options.protocol ?? 'https';
  const token = options.token ?? 'egret-local-token';
  const api = new ApiServer({
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.historyLimit === undefined ? {} : { historyLimit: options.historyLimit }),
    ...(options.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.bookmarkIntervalMs }),
    ...(options.namespaces === undefined ? {} : { namespaces: options.namespaces }),
  });
  let address = '127.0.0.1:0';
  const router = new HttpRouter(api, {
    ...(options.requireToken ? { token } : {}),
    serverAddress: () => address,
  });
  const tls =
    protocol === 'https' ? await createLoopbackCertificates('egret Kubernetes API stand-in CA') : undefined;
  const server: Server =
    tls === undefined
      ? createHttpServer(router.handle)
      : createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, router.handle);
  // Watches are long-lived: no request or keep-alive timeouts from Node's defaults.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  const url = `${protocol}://127.0.0.1:${port}`;

  let tempDir: string | undefined;
  let kubeconfigPath = options.kubeconfigPath;
  if (kubeconfigPath === undefined) {
    tempDir = await mkdtemp(join(tmpdir(), 'egret-kube-'));
    kubeconfigPath = join(tempDir, 'kubeconfig');
  }
  const cluster: JsonObject =
    tls === undefined
      ? { server: url, 'insecure-skip-tls-verify': true }
      : { server: url, 'certificate-authority-data': Buffer.from(tls.caPem).toString('base64') };
  const kubeconfig: KubeconfigFile = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'egret-local', cluster }],
    users: [{ name: 'egret-local', user: { token } }],
    contexts: [
      { name: 'egret-local', context: { cluster: 'egret-local', user: 'egret-local', namespace: 'default' } },
    ],
    'current-context': 'egret-local',
  };
  const kubeconfigYaml = `${JSON.stringify(kubeconfig, null, 2)}\n`;
  await writeFile(kubeconfigPath, kubeconfigYaml, { mode: 0o600 });

  const target = (ref: {
    apiVersion: string;
    kind: string;
    namespace?: string | undefined;
    name?: string | undefined;
  }): Target => {
    const type = api.registry.findKind(ref.apiVersion, ref.kind);
    if (type === undefined) throw new Error(`the stand-in does not serve ${ref.apiVersion} ${ref.kind}`);
    const version = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[1]! : ref.apiVersion;
    return {
      type,
      version,
      namespace: type.namespaced ? (ref.namespace ?? 'default') : undefined,
      name: ref.name,
      subresource: undefined,
    };
  };
  const refOf = (obj: JsonObject): ObjectRef => {
    const m = metadataOf(obj);
    return {
      apiVersion: stringAt(obj, 'apiVersion') ?? '',
      kind: stringAt(obj, 'kind') ?? '',
      name: stringAt(m, 'name') ?? '',
      ...(stringAt(m, 'namespace') === undefined ? {} : { namespace: stringAt(m, 'namespace')! }),
    };
  };
  const noQuery = (): URLSearchParams => new URLSearchParams({ fieldValidation: 'Strict' });

  let stopped = false;
  return {
    url,
    kubeconfigPath,
    kubeconfig,
    kubeconfigYaml,
    caPem: tls?.caPem,
    token,
    compact: () => api.store.compact(),
    dropWatches: (mode) => api.watches.dropAll(mode),
    openWatches: () => api.watches.size,
    sendBookmarks: () => api.watches.sendBookmarks(),
    injectFault: (rule) => router.addFault(rule),
    clearFaults: () => router.clearFaults(),
    setLatency: (ms) => router.setLatency(ms),
    requests: () => [...router.log],
    clearRequests: () => {
      router.log.length = 0;
    },
    resourceVersion: () => api.store.currentRv(),
    collectGarbage: () => api.collectGarbage(),
    create: (input, opts) => {
      const obj = toJson(input);
      const t = target(refOf(obj));
      return api.create({ ...t, name: undefined }, obj, noQuery(), opts ?? {}).body;
    },
    put: (input) => {
      const obj = toJson(input);
      const ref = refOf(obj);
      const t = target(ref);
      const existing = api.store.get(`${t.type.group}/${t.type.plural}`, t.namespace ?? '', ref.name);
      if (existing === undefined)
        return api.create({ ...t, name: undefined }, obj, noQuery(), { keepStatus: true }).body;
      const next = cloneJson(obj);
      metadataOf(next)['resourceVersion'] = stringAt(metadataOf(existing), 'resourceVersion') ?? '';
      const main = api.update(t, next, noQuery()).body;
      if (!t.type.statusSubresource || !Object.hasOwn(obj, 'status')) return main;
      const withStatus = cloneJson(main);
      withStatus['status'] = cloneJson(obj['status'] ?? null);
      return api.update({ ...t, subresource: 'status' }, withStatus, noQuery()).body;
    },
    get: (ref) => {
      const t = target(ref);
      const o = api.store.get(`${t.type.group}/${t.type.plural}`, t.namespace ?? '', ref.name);
      return o === undefined ? undefined : api.present(t.type, t.version, o);
    },
    list: (ref) => {
      const t = target({ ...ref, name: undefined });
      const ns = ref.namespace === undefined ? undefined : t.namespace;
      return api.store
        .list(`${t.type.group}/${t.type.plural}`, ns)
        .map((o) => api.present(t.type, t.version, o));
    },
    remove: (ref, opts) => {
      const t = target(ref);
      if (api.store.get(`${t.type.group}/${t.type.plural}`, t.namespace ?? '', ref.name) === undefined)
        return;
      api.delete(
        t,
        opts?.propagationPolicy === undefined ? {} : { propagationPolicy: opts.propagationPolicy },
        new URLSearchParams(),
      );
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      api.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

/** Plain JSON of any object (client-node models included: Dates become strings, undefined fields go). */
function toJson(input: object): JsonObject {
  const v = JSON.parse(JSON.stringify(input)) as unknown;
  if (!isJsonObject(v)) throw new Error('expected a Kubernetes object');
  return v;
}
