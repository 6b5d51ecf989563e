/**
 * The agents' cluster ports on @kubernetes/client-node 1.4 (informers for what the gateway daemon
 * watches, typed calls for the rest). API errors are translated to egret's taxonomy here.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type V1Secret,
} from '@kubernetes/client-node';
import { errorMessage } from '../../../shared/core/errors.js';
import type { Logger } from '../logger.js';
import type {
  GatewayClusterSnapshot,
  GatewayDaemonCluster,
  NodeAgentCluster,
  PodInfo,
} from './clusterPorts.js';
import {
  API_GROUP,
  API_VERSION,
  GATEWAY_STATUS_KIND,
  GATEWAY_STATUS_PLURAL,
  type GatewayStatusSpec,
  type ObjectRef,
  POD_ENDPOINT_CONTAINER_ANNOTATION,
  POD_ENDPOINT_KIND,
  POD_ENDPOINT_PLURAL,
  type PodEndpoint,
  STATIC_GATEWAY_CONFIGURATION_PLURAL,
  type StaticGatewayConfiguration,
  normalizePodEndpoint,
  normalizeStaticGatewayConfiguration,
} from './types.js';
import { POD_ENDPOINT_NODE_LABEL } from '../../../shared/core/wellKnown.js';
import { isKubeNotFound, translateKubeError } from './translateKubeError.js';

/**
 * client-node 1.4 has no per-call AbortSignal in its typed API (only through Observable middleware
 * it does not export a constructor for): calls check the signal before they start, and the HTTP
 * client's own timeouts bound them.
 */
function withSignal(signal: AbortSignal): undefined {
  signal.throwIfAborted();
  return undefined;
}

const crd = (plural: string) => ({ group: API_GROUP, version: API_VERSION, plural });

/** Restarts an informer after an error (client-node informers stop on error), with a delay. */
function keepAlive(
  informer: { start(): Promise<void>; on(verb: 'error', cb: (err?: unknown) => void): void },
  log: Logger,
  what: string,
  isStopped: () => boolean,
): void {
  informer.on('error', (err) => {
    if (isStopped()) return;
    log.warn('watch failed; restarting', {
      watch: what,
      error: errorMessage(err),
    });
    setTimeout(() => {
      if (!isStopped()) informer.start().catch(() => undefined);
    }, 2000).unref();
  });
}

/** The gateway daemon's cluster port on client-node informers. */
export function createClientNodeGatewayCluster(options: {
  readonly kubeConfig: KubeConfig;
  /** Namespace of the key Secrets (GatewayStatus objects name their own namespace). */
  readonly namespace: string;
  readonly nodeName: string;
  readonly log: Logger;
}): GatewayDaemonCluster {
  const { kubeConfig: kc, namespace, log } = options;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const listeners: (() => void)[] = [];
  const notify = (): void => listeners.forEach((l) => l());
  let stopped = false;

  const sgcPath = `/apis/${API_GROUP}/${API_VERSION}/${STATIC_GATEWAY_CONFIGURATION_PLURAL}`;
  const pePath = `/apis/${API_GROUP}/${API_VERSION}/${POD_ENDPOINT_PLURAL}`;
  const sgcInformer = makeInformer<KubernetesObject>(
    kc,
    sgcPath,
    () =>
      custom.listClusterCustomObject(crd(STATIC_GATEWAY_CONFIGURATION_PLURAL)) as Promise<
        KubernetesListObject<KubernetesObject>
      >,
  );
  const peInformer = makeInformer<KubernetesObject>(
    kc,
    pePath,
    () =>
      custom.listClusterCustomObject(crd(POD_ENDPOINT_PLURAL)) as Promise<
        KubernetesListObject<KubernetesObject>
      >,
  );
  const secretInformer = makeInformer<V1Secret>(kc, `/api/v1/namespaces/${namespace}/secrets`, () =>
    core.listNamespacedSecret({ namespace }),
  );
  const informers = [
    { i: sgcInformer, what: 'staticgatewayconfigurations' },
    { i: peInformer, what: 'podendpoints' },
    { i: secretInformer, what: 'secrets' },
  ];
  for (const { i, what } of informers) {
    for (const verb of ['add', 'update', 'delete'] as const) i.on(verb, notify);
    keepAlive(i, log, what, () => stopped);
  }

  return {
    async start(signal) {
      signal.throwIfAborted();
      await Promise.all(informers.map(({ i }) => i.start()));
    },
    async stop() {
      stopped = true;
      await Promise.all(informers.map(({ i }) => i.stop()));
    },
    onChange(listener) {
      listeners.push(listener);
    },
    snapshot(): GatewayClusterSnapshot {
      const secrets = new Map<string, Record<string, string>>();
      for (const s of secretInformer.list()) {
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.data ?? {}))
          data[k] = Buffer.from(v, 'base64').toString('utf8');
        secrets.set(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, data);
      }
      return {
        configurations: sgcInformer.list().map(normalizeStaticGatewayConfiguration),
        podEndpoints: peInformer.list().map(normalizePodEndpoint),
        secrets,
      };
    },
    async upsertGatewayStatus(ref, spec, signal) {
      const what = `GatewayStatus ${ref.namespace}/${ref.name}`;
      const opts = withSignal(signal);
      let existing: { metadata?: { resourceVersion?: string } } | undefined;
      try {
        existing = (await custom.getNamespacedCustomObject(
          { ...crd(GATEWAY_STATUS_PLURAL), namespace: ref.namespace, name: ref.name },
          opts,
        )) as { metadata?: { resourceVersion?: string } };
      } catch (e) {
        if (!isKubeNotFound(e)) throw translateKubeError(e, what);
      }
      const body: Record<string, unknown> = {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: GATEWAY_STATUS_KIND,
        metadata: {
          namespace: ref.namespace,
          name: ref.name,
          ...(existing?.metadata?.resourceVersion === undefined
            ? {}
            : { resourceVersion: existing.metadata.resourceVersion }),
          ...(await nodeOwner(ref.name)),
        },
        spec,
      };
      try {
        if (existing === undefined)
          await custom.createNamespacedCustomObject(
            { ...crd(GATEWAY_STATUS_PLURAL), namespace: ref.namespace, body },
            opts,
          );
        else
          await custom.replaceNamespacedCustomObject(
            { ...crd(GATEWAY_STATUS_PLURAL), namespace: ref.namespace, name: ref.name, body },
            opts,
          );
      } catch (e) {
        throw translateKubeError(e, what);
      }
    },
  };

  /** Upstream makes the Node the (non-controller) owner, so the status goes away with the node. */
  async function nodeOwner(name: string): Promise<{ ownerReferences?: unknown[] }> {
    try {
      const node = await core.readNode({ name });
      const uid = node.metadata?.uid;
      return uid === undefined ? {} : { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid }] };
    } catch {
      return {};
    }
  }
}

/** The node agent's cluster port on typed client-node calls. */
export function createClientNodeAgentCluster(options: {
  readonly kubeConfig: KubeConfig;
  /** This node: every PodEndpoint is labelled with it (POD_ENDPOINT_NODE_LABEL). */
  readonly nodeName?: string;
}): NodeAgentCluster {
  const custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  return {
    async getPod(ref, signal): Promise<PodInfo | undefined> {
      try {
        const pod = await core.readNamespacedPod(ref, withSignal(signal));
        return { uid: pod.metadata?.uid ?? '', annotations: pod.metadata?.annotations ?? {} };
      } catch (e) {
        if (isKubeNotFound(e)) return undefined;
        throw translateKubeError(e, `Pod ${ref.namespace}/${ref.name}`);
      }
    },
    async getStaticGatewayConfiguration(ref, signal): Promise<StaticGatewayConfiguration | undefined> {
      try {
        return normalizeStaticGatewayConfiguration(
          await custom.getNamespacedCustomObject(
            { ...crd(STATIC_GATEWAY_CONFIGURATION_PLURAL), namespace: ref.namespace, name: ref.name },
            withSignal(signal),
          ),
        );
      } catch (e) {
        if (isKubeNotFound(e)) return undefined;
        throw translateKubeError(e, `StaticGatewayConfiguration ${ref.namespace}/${ref.name}`);
      }
    },
    async applyPodEndpoint(endpoint: PodEndpoint, owner, signal) {
      const what = `PodEndpoint ${endpoint.namespace}/${endpoint.name}`;
      const opts = withSignal(signal);
      const ref = { ...crd(POD_ENDPOINT_PLURAL), namespace: endpoint.namespace, name: endpoint.name };
      let resourceVersion: string | undefined;
      try {
        const cur = (await custom.getNamespacedCustomObject(ref, opts)) as {
          metadata?: { resourceVersion?: string };
        };
        resourceVersion = cur.metadata?.resourceVersion;
      } catch (e) {
        if (!isKubeNotFound(e)) throw translateKubeError(e, what);
      }
      const body = {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: POD_ENDPOINT_KIND,
        metadata: {
          namespace: endpoint.namespace,
          name: endpoint.name,
          ...(resourceVersion === undefined ? {} : { resourceVersion }),
          ...(options.nodeName === undefined
            ? {}
            : { labels: { [POD_ENDPOINT_NODE_LABEL]: options.nodeName } }),
          ...(endpoint.containerId === undefined
            ? {}
            : { annotations: { [POD_ENDPOINT_CONTAINER_ANNOTATION]: endpoint.containerId } }),
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              name: owner.name,
              uid: owner.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          staticGatewayConfiguration: endpoint.staticGatewayConfiguration,
          podIpAddress: endpoint.podIpAddress,
          podPublicKey: endpoint.podPublicKey,
        },
      };
      try {
        if (resourceVersion === undefined)
          await custom.createNamespacedCustomObject(
            { ...crd(POD_ENDPOINT_PLURAL), namespace: endpoint.namespace, body },
            opts,
          );
        else await custom.replaceNamespacedCustomObject({ ...ref, body }, opts);
      } catch (e) {
        throw translateKubeError(e, what);
      }
    },
    async deletePodEndpoint(ref: ObjectRef, options, signal) {
      const what = `PodEndpoint ${ref.namespace}/${ref.name}`;
      const opts = withSignal(signal);
      const key = { ...crd(POD_ENDPOINT_PLURAL), namespace: ref.namespace, name: ref.name };
      try {
        const cur = normalizePodEndpoint(await custom.getNamespacedCustomObject(key, opts));
        if (cur.containerId !== undefined && cur.containerId !== options.containerId) return 'kept';
        await custom.deleteNamespacedCustomObject(key, opts);
        return 'deleted';
      } catch (e) {
        if (isKubeNotFound(e)) return 'absent';
        throw translateKubeError(e, what);
      }
    },
  };
}

export type { GatewayStatusSpec };
