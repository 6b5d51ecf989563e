/**
 * The relay's cluster port and Lease port on @kubernetes/client-node 1.4 (informers for
 * StaticGatewayConfigurations in all namespaces and for gateway nodes; typed calls for Secrets, Leases
 * and custom-object patches). client-node errors are translated to egret's taxonomy here.
 *
 * client-node facts this relies on (reference azure-platform.md §6):
 * - an informer that hits any error other than 410 emits `error` and STOPS; it is restarted here with
 *   backoff (and resumes from its last resourceVersion);
 * - a 410 Gone (expired resourceVersion) makes the informer relist, synthesising deletes for objects
 *   that vanished meanwhile;
 * - custom-object patches default to JSON Patch: merge patches must set the content type;
 * - the typed API takes no AbortSignal: a small middleware puts the signal on the request.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  Observable,
  type ObservableMiddleware,
  PatchStrategy,
  type ConfigurationOptions,
  type V1Lease,
  type V1Secret,
  V1MicroTime,
} from '@kubernetes/client-node';
import { errorMessage, NotFoundError } from '../../shared/core/errors.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';
import {
  AKS_MODE_LABEL,
  AKS_MODE_LABEL_VALUE,
  API_GROUP,
  API_VERSION,
  GATEWAY_MODE_LABEL,
  GATEWAY_MODE_LABEL_VALUE,
  STANDALONE_VM_MODE_LABEL,
  STANDALONE_VM_MODE_LABEL_VALUE,
  STATIC_GATEWAY_CONFIGURATION_PLURAL,
} from '../../shared/core/wellKnown.js';
import { translateKubeError } from '../common/kube/translateKubeError.js';
import type { Logger } from '../common/logger.js';
import { backoffDelay } from './backoff.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { LeasePort, LeaseRecord, ObservedLease } from './leaseElector.js';
import type { ConfigurationHandlers, GatewayNodeHandlers, KeySecret, RelayCluster } from './relayCluster.js';

/**
 * The three gateway-node label selectors (a node is a gateway node when ANY matches; label
 * selectors cannot express OR, so there is one informer each).
 */
export const GATEWAY_NODE_SELECTORS: readonly string[] = [
  `${GATEWAY_MODE_LABEL}=${GATEWAY_MODE_LABEL_VALUE}`,
  `${AKS_MODE_LABEL}=${AKS_MODE_LABEL_VALUE}`,
  `${STANDALONE_VM_MODE_LABEL}=${STANDALONE_VM_MODE_LABEL_VALUE}`,
];

const SGC = { group: API_GROUP, version: API_VERSION, plural: STATIC_GATEWAY_CONFIGURATION_PLURAL } as const;
const INFORMER_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const;

/** Options of {@link createClientNodeRelayCluster}. */
export interface ClientNodeRelayClusterOptions {
  readonly kubeConfig: KubeConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** Jitter source for informer restarts. */
  readonly random?: () => number;
}

/** The relay's cluster port on client-node. */
export function createClientNodeRelayCluster(options: ClientNodeRelayClusterOptions): RelayCluster {
  const { kubeConfig: kc, clock, log } = options;
  const random = options.random ?? Math.random;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const stopping = new AbortController();
  const configurationHandlers: ConfigurationHandlers[] = [];
  const nodeHandlers: GatewayNodeHandlers[] = [];

  const sgcInformer = makeInformer<KubernetesObject>(
    kc,
    `/apis/${SGC.group}/${SGC.version}/${SGC.plural}`,
    () => custom.listClusterCustomObject({ ...SGC }) as Promise<KubernetesListObject<KubernetesObject>>,
  );
  const byUid = new Map<string, StaticGatewayConfiguration>();
  const onSgc = (kind: keyof ConfigurationHandlers) => (raw: KubernetesObject) => {
    const object = asConfiguration(raw);
    if (object === undefined) {
      log.warn('ignoring a StaticGatewayConfiguration without name, namespace or uid');
      return;
    }
    if (kind === 'deleted') byUid.delete(object.metadata.uid);
    else byUid.set(object.metadata.uid, object);
    for (const h of configurationHandlers) h[kind](object);
  };
  sgcInformer.on('add', onSgc('added'));
  sgcInformer.on('update', onSgc('modified'));
  sgcInformer.on('delete', onSgc('deleted'));

  // A node is "in" while any selector's informer has it.
  const nodeMembership = new Map<string, Set<number>>();
  const nodeInformers = GATEWAY_NODE_SELECTORS.map((selector, index) => {
    const informer = makeInformer<KubernetesObject>(
      kc,
      '/api/v1/nodes',
      () => core.listNode({ labelSelector: selector }),
      selector,
    );
    informer.on('add', (node) => {
      const name = node.metadata?.name;
      if (name === undefined) return;
      const set = nodeMembership.get(name) ?? new Set<number>();
      const joined = set.size === 0;
      set.add(index);
      nodeMembership.set(name, set);
      if (joined) for (const h of nodeHandlers) h.joined(name);
    });
    informer.on('delete', (node) => {
      const name = node.metadata?.name;
      const set = name === undefined ? undefined : nodeMembership.get(name);
      if (name === undefined || set === undefined) return;
      set.delete(index);
      if (set.size > 0) return;
      nodeMembership.delete(name);
      for (const h of nodeHandlers) h.left(name);
    });
    return new KeptInformer(informer, `nodes (${selector})`, { clock, log, random, stop: stopping.signal });
  });
  const informers = [
    new KeptInformer(sgcInformer, SGC.plural, { clock, log, random, stop: stopping.signal }),
    ...nodeInformers,
  ];

  return {
    onConfiguration: (h) => void configurationHandlers.push(h),
    onGatewayNode: (h) => void nodeHandlers.push(h),
    async start(signal) {
      const stop = (): void => stopping.abort();
      signal.addEventListener('abort', stop, { once: true });
      await Promise.all(informers.map((i) => i.start()));
    },
    async stop() {
      stopping.abort();
      await Promise.all(informers.map((i) => i.stop()));
    },
    hasSynced: () => informers.every((i) => i.synced),
    configurations: () => [...byUid.values()],
    configurationByUid: (uid) => byUid.get(uid),
    gatewayNodeNames: () => [...nodeMembership.keys()].sort(),

    async setFinalizers(ref, finalizers, signal) {
      const body = {
        metadata: {
          finalizers: [...finalizers],
          ...(ref.resourceVersion === undefined ? {} : { resourceVersion: ref.resourceVersion }),
        },
      };
      await kube(`StaticGatewayConfiguration ${ref.namespace}/${ref.name}`, () =>
        custom.patchNamespacedCustomObject(
          { ...SGC, namespace: ref.namespace, name: ref.name, body },
          mergePatchOptions(signal),
        ),
      );
    },
    async patchStatus(ref, patch, signal) {
      await kube(`StaticGatewayConfiguration ${ref.namespace}/${ref.name} status`, () =>
        custom.patchNamespacedCustomObjectStatus(
          { ...SGC, namespace: ref.namespace, name: ref.name, body: patch },
          mergePatchOptions(signal),
        ),
      );
    },
    async getSecret(namespace, name, signal) {
      try {
        return fromSecret(await core.readNamespacedSecret({ namespace, name }, signalOptions(signal)));
      } catch (e) {
        const error = translateKubeError(e, `Secret ${namespace}/${name}`);
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },
    async createSecret(secret, signal) {
      await kube(`Secret ${secret.namespace}/${secret.name}`, () =>
        core.createNamespacedSecret(
          { namespace: secret.namespace, body: toSecret(secret) },
          signalOptions(signal),
        ),
      );
    },
    async replaceSecret(secret, signal) {
      await kube(`Secret ${secret.namespace}/${secret.name}`, () =>
        core.replaceNamespacedSecret(
          { namespace: secret.namespace, name: secret.name, body: toSecret(secret) },
          signalOptions(signal),
        ),
      );
    },
    async deleteSecret(namespace, name, signal) {
      try {
        await core.deleteNamespacedSecret({ namespace, name }, signalOptions(signal));
      } catch (e) {
        const error = translateKubeError(e, `Secret ${namespace}/${name}`);
        if (!(error instanceof NotFoundError)) throw error;
      }
    },
    async listSecrets(namespace, labelSelector, signal) {
      const list = await kube(`Secrets in ${namespace}`, () =>
        core.listNamespacedSecret({ namespace, labelSelector }, signalOptions(signal)),
      );
      return list.items.map(fromSecret);
    },
  };
}

/** The Lease port on client-node's CoordinationV1Api. */
export function createClientNodeLeasePort(options: {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
}): LeasePort {
  const api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const { namespace, name } = options;
  const what = `Lease ${namespace}/${name}`;
  const toLease = (record: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    spec: {
      ...(record.holderIdentity === undefined ? {} : { holderIdentity: record.holderIdentity }),
      leaseDurationSeconds: record.leaseDurationSeconds,
      // MicroTime: client-node's V1MicroTime serialises with the 6 fractional digits the API server parses.
      ...(record.acquireTime === undefined ? {} : { acquireTime: new V1MicroTime(record.acquireTime) }),
      ...(record.renewTime === undefined ? {} : { renewTime: new V1MicroTime(record.renewTime) }),
      leaseTransitions: record.leaseTransitions,
    },
  });
  return {
    async get(signal): Promise<ObservedLease | undefined> {
      let lease: V1Lease;
      try {
        lease = await api.readNamespacedLease({ namespace, name }, signalOptions(signal));
      } catch (e) {
        const error = translateKubeError(e, what);
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
      const spec = lease.spec ?? {};
      return {
        resourceVersion: lease.metadata?.resourceVersion ?? '',
        holderIdentity:
          spec.holderIdentity === undefined || spec.holderIdentity === '' ? undefined : spec.holderIdentity,
        leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
        acquireTime: timeOf(spec.acquireTime),
        renewTime: timeOf(spec.renewTime),
        leaseTransitions: spec.leaseTransitions ?? 0,
      };
    },
    async create(record, signal) {
      await kube(what, () =>
        api.createNamespacedLease({ namespace, body: toLease(record) }, signalOptions(signal)),
      );
    },
    async update(record, resourceVersion, signal) {
      await kube(what, () =>
        api.replaceNamespacedLease(
          { namespace, name, body: toLease(record, resourceVersion) },
          signalOptions(signal),
        ),
      );
    },
  };
}

/** Keeps one client-node informer running: restarts it with backoff after errors. */
class KeptInformer {
  synced = false;
  private starting = false;
  private errored = false;
  private failures = 0;

  constructor(
    private readonly informer: {
      start(): Promise<void>;
      stop(): Promise<void>;
      on(verb: 'error', cb: (err?: unknown) => void): void;
    },
    private readonly what: string,
    private readonly deps: {
      readonly clock: Clock;
      readonly log: Logger;
      readonly random: () => number;
      readonly stop: AbortSignal;
    },
  ) {
    informer.on('error', (err) => this.onError(err));
  }

  /** Resolves once the informer has listed and watches (retrying), or when stopped. */
  async start(): Promise<void> {
    this.starting = true;
    try {
      while (!this.deps.stop.aborted) {
        this.errored = false;
        await this.informer.start();
        if (!this.errored) {
          this.synced = true;
          this.failures = 0;
          return;
        }
        this.failures++;
        await this.deps.clock.sleep(this.delay(), this.deps.stop);
      }
    } finally {
      this.starting = false;
    }
  }

  async stop(): Promise<void> {
    await this.informer.stop();
  }

  private delay(): number {
    return backoffDelay(this.failures, INFORMER_BACKOFF, { random: this.deps.random });
  }

  private onError(err: unknown): void {
    this.errored = true;
    if (this.deps.stop.aborted) return;
    this.deps.log.warn('watch failed; restarting', {
      watch: this.what,
      error: errorMessage(err),
    });
    if (this.starting) return; // the start loop retries
    this.failures++;
    void this.deps.clock
      .sleep(this.delay(), this.deps.stop)
      .then(() => (this.deps.stop.aborted ? undefined : this.start()))
      .catch((e: unknown) =>
        this.deps.log.error('restarting a watch failed', {
          watch: this.what,
          error: errorMessage(e),
        }),
      );
  }
}

/** Request options carrying an AbortSignal (client-node's typed API has no parameter for it). */
export function signalOptions(
  signal: AbortSignal,
  base?: ConfigurationOptions<ObservableMiddleware>,
): ConfigurationOptions<ObservableMiddleware> {
  signal.throwIfAborted();
  const middleware: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return {
    ...base,
    middleware: [...(base?.middleware ?? []), middleware],
    middlewareMergeStrategy: 'append',
  };
}

export function mergePatchOptions(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  const setContentType: ObservableMiddleware = {
    pre: (context) => {
      context.setHeaderParam('Content-Type', PatchStrategy.MergePatch);
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return signalOptions(signal, { middleware: [setContentType], middlewareMergeStrategy: 'append' });
}

export async function kube<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw translateKubeError(e, what);
  }
}

function asConfiguration(raw: KubernetesObject): StaticGatewayConfiguration | undefined {
  const m = raw.metadata;
  if (m?.uid === undefined || m.name === undefined || m.namespace === undefined) return undefined;
  const object = raw as unknown as StaticGatewayConfiguration;
  return object.spec === undefined ? { ...object, spec: {} } : object;
}

function toSecret(secret: KeySecret): V1Secret {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      namespace: secret.namespace,
      name: secret.name,
      labels: { ...secret.labels },
      ...(secret.resourceVersion === undefined ? {} : { resourceVersion: secret.resourceVersion }),
    },
    data,
  };
}

function fromSecret(secret: V1Secret): KeySecret {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
  return {
    namespace: secret.metadata?.namespace ?? '',
    name: secret.metadata?.name ?? '',
    ...(secret.metadata?.resourceVersion === undefined
      ? {}
      : { resourceVersion: secret.metadata.resourceVersion }),
    labels: secret.metadata?.labels ?? {},
    data,
  };
}

function timeOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}
