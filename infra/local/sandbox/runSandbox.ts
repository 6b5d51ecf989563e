/**
 * What `npm start` does, as a function (main.ts adds Ctrl-C handling; a test runs it in-process):
 * start the sandbox with its cluster side (Kubernetes API stand-in + relay), then either print ONE
 * JSON line describing it (`--json`, for scripts: nothing is applied) or walk through it — apply the
 * sample StaticGatewayConfiguration to the cluster as `kubectl apply --server-side` would, watch the
 * custom resource while the relay and the control plane bring it to `Ready=True`, print it as `kubectl
 * get staticgatewayconfigurations -A` shows it (with the exact kubectl command), the status details,
 * the ARM writes it took and the endpoints. The sandbox keeps serving.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { StaticGatewayConfiguration } from '../../../shared/core/staticGatewayConfiguration.js';
import {
  API_GROUP,
  API_VERSION,
  STATIC_GATEWAY_CONFIGURATION_FINALIZER,
  STATIC_GATEWAY_CONFIGURATION_PLURAL,
  wireguardSecretName,
} from '../../../shared/core/wellKnown.js';
import { kubectlGet } from './kubectlTable.js';
import type { RelayLogLine } from './startRelayProcess.js';
import { EGRET_SYSTEM_NAMESPACE, readManifests, type SandboxKube } from './startSandboxKube.js';
import {
  REPO_ROOT,
  SAMPLE_CONFIGURATION,
  startSandbox,
  type Sandbox,
  type StartSandboxOptions,
} from './startSandbox.js';

/** The manifest `npm start` applies (a person may edit it and apply it again with kubectl). */
export const SAMPLE_MANIFEST = join(
  REPO_ROOT,
  'infra',
  'local',
  'sandbox',
  'sample-staticgatewayconfiguration.yaml',
);

/**
 * The field manager of the sandbox's server-side apply: the one `kubectl apply --server-side` uses, so
 * a person who edits the sample and applies it with kubectl owns the same fields (no apply conflict).
 */
export const KUBECTL_FIELD_MANAGER = 'kubectl';

export interface RunSandboxOptions {
  /** Print the one-line JSON description instead of the walkthrough. */
  readonly json: boolean;
  /** Where lines go (main.ts: stdout). */
  readonly write: (line: string) => void;
  /** Where relay warnings and errors go (main.ts: stderr; default: nowhere). */
  readonly warn?: (line: string) => void;
  /** Options of startSandbox; its `cluster` options are merged over the walkthrough's. */
  readonly sandbox?: StartSandboxOptions;
  /** The kubeconfig and the relay logs go here (default `.state/sandbox`). */
  readonly stateDir?: string;
  /** How long the sample may take to converge (default 60 s). */
  readonly convergeTimeoutMs?: number;
}

/** Thrown when the sample configuration does not converge in time (the sandbox is stopped). */
export class SampleDidNotConverge extends Error {}

/** Starts the sandbox and prints what `npm start` prints; resolves once it is ready, still serving. */
export async function runSandbox(options: RunSandboxOptions): Promise<Sandbox> {
  const say = (line = ''): void => {
    if (!options.json) options.write(line);
  };
  const stateDir = options.stateDir ?? join(REPO_ROOT, '.state', 'sandbox');
  mkdirSync(stateDir, { recursive: true });
  const relayLogs = new Set<string>();
  const relayLogPath = (identity: string): string => join(stateDir, `${identity}.log`);
  // Synchronous appends: a few lines a minute, and nothing to flush or close when the sandbox stops.
  const onRelayLog = (identity: string, line: RelayLogLine): void => {
    if (!relayLogs.has(identity)) {
      relayLogs.add(identity);
      writeFileSync(relayLogPath(identity), '');
    }
    appendFileSync(relayLogPath(identity), `${JSON.stringify(line)}\n`);
    if (line.level === 'warn' || line.level === 'error') {
      const error = typeof line['error'] === 'string' ? ` (${line['error']})` : '';
      options.warn?.(`[${identity}] ${line.level}: ${line.message ?? ''}${error}`);
    }
  };

  say(
    'egret sandbox: starting Azurite, the ARM stand-in, the Functions host, the Kubernetes API stand-in and the relay ...',
  );
  const sandbox = await startSandbox({
    writeSettingsFile: true,
    stateDir,
    ...options.sandbox,
    cluster: { kubeconfigPath: join(stateDir, 'kubeconfig'), onRelayLog, ...options.sandbox?.cluster },
  });
  const kube = sandbox.kube!;
  const d = sandbox.describe();
  if (options.json) {
    options.write(JSON.stringify(d));
    return sandbox;
  }
  const kubeconfigPath = d.kubeconfigPath ?? '';
  const kubectl = `kubectl --kubeconfig ${kubeconfigPath}`;
  const s = sandbox.seeded;
  say(
    `  Azurite           ${sandbox.azurite.tableEndpoint} (tables), ${sandbox.azurite.queueEndpoint} (queues)`,
  );
  say(`  ARM stand-in      ${d.armEndpoint}  subscription ${d.subscriptionId}`);
  for (const [name, v] of Object.entries(s.scaleSets))
    say(
      `                    ${s.resourceGroup}: VMSS ${name} (${v.instanceIds.length} instances, nodepool tag)`,
    );
  for (const [name, v] of Object.entries(s.vmPools))
    say(
      `                    ${s.resourceGroup}: VirtualMachines pool ${name} (${v.nicIds.length} pre-created NICs, ${v.vmIds.length} VMs)`,
    );
  say(`                    ${s.resourceGroup}: standalone VMs ${Object.keys(s.vms).join(', ')}`);
  say(
    `  Functions host    ${d.functionsBaseUrl}  (${sandbox.host.registrations.map((r) => r.name).join(', ')})`,
  );
  say(
    `  Event Grid        ARM write events → ${d.functionsBaseUrl}/runtime/webhooks/EventGrid?functionName=armEvents`,
  );
  say(
    `  Kubernetes API    ${d.kubernetesUrl ?? ''}  (stand-in: egret CRDs from infra/k8s/crds, namespace ${EGRET_SYSTEM_NAMESPACE})`,
  );
  for (const r of sandbox.relays)
    say(
      `  relay             ${EGRET_SYSTEM_NAMESPACE}/${r.identity} (pid ${r.pid}) → ${d.functionsBaseUrl}, cluster id ${d.clusterId}`,
    );
  say();

  const { namespace, name } = SAMPLE_CONFIGURATION;
  const sampleFile = relative(REPO_ROOT, SAMPLE_MANIFEST);
  say(`Applying ${sampleFile} to the cluster (as kubectl apply --server-side does) ...`);
  const started = Date.now();
  for (const object of readManifests(SAMPLE_MANIFEST))
    await kube.objects.patch(
      object,
      undefined,
      undefined,
      KUBECTL_FIELD_MANAGER,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  const ready = await watchUntilReady(
    kube,
    { namespace, name },
    {
      started,
      say,
      timeoutMs: options.convergeTimeoutMs ?? 60_000,
    },
  );
  if (ready === undefined) {
    await sandbox.stop();
    throw new SampleDidNotConverge(`${namespace}/${name} did not become Ready in time`);
  }
  say();
  say(`$ ${kubectl} get staticgatewayconfigurations -A`);
  for (const line of (await kubectlGet(kube.standIn, sgcResource())).trimEnd().split('\n')) say(line);
  say();
  const status = ready.status ?? {};
  say(`Status of ${namespace}/${name} (written by the relay from the control plane's report):`);
  say(`  egressIpPrefix        ${status.egressIpPrefix ?? ''}`);
  say(
    `  gatewayServerProfile  ip ${status.gatewayServerProfile?.ip ?? ''}, port ${String(status.gatewayServerProfile?.port ?? '')}, WireGuard key in Secret ${EGRET_SYSTEM_NAMESPACE}/${wireguardSecretName(ready.metadata.uid)}`,
  );
  for (const p of status.gatewayVMProfiles ?? [])
    say(`  gateway node          ${p.nodeName}: primary ${p.primaryIP}, egress ${p.secondaryIP}`);
  const writes = sandbox.arm.admin.writeCounts().filter((w) => w.accepted > 0);
  say(
    `  ARM writes            ${writes.reduce((a, w) => a + w.accepted, 0)} (${writes
      .map((w) => w.resourceId.split('/').slice(-2).join('/'))
      .join(', ')})`,
  );
  say();
  say('Endpoints:');
  say(`  Kubernetes API   ${d.kubernetesUrl ?? ''}   kubeconfig ${kubeconfigPath}`);
  for (const r of sandbox.relays)
    say(`  relay            ${r.identity}: ${r.metricsUrl}/metrics, log ${relayLogPath(r.identity)}`);
  say(`  relay events     POST ${d.relayEventsUrl}`);
  say(`  relay status     GET  ${d.relayStatusUrl}`);
  say(
    '                   (headers X-Egret-Timestamp and X-Egret-Signature: sha256=HMAC(secret, timestamp.body))',
  );
  say(`  relay secret     ${d.relaySharedSecret}   cluster id ${d.clusterId}`);
  say(`  admin            ${d.adminEndpoint}/health | /configurations | /pools | /poison`);
  say(`  ARM stand-in     ${d.armEndpoint} (CA ${d.armCaPath}; admin ${d.armAdminEndpoint})`);
  say(`  storage          ${d.storageConnectionString}`);
  if (options.sandbox?.writeSettingsFile !== false)
    say(`  app settings     ${join(stateDir, 'local.settings.json')}`);
  say();
  say('Try (in another terminal):');
  say(`  ${kubectl} get staticgatewayconfigurations -A`);
  say(`  ${kubectl} get staticgatewayconfiguration ${name} -o yaml`);
  say(`  ${kubectl} apply --server-side -f ${sampleFile}   (after editing it)`);
  say(`  ${kubectl} delete staticgatewayconfiguration ${name}`);
  say();
  say('Ready. Press Ctrl-C to stop.');
  return sandbox;
}

/** `kubectl get staticgatewayconfigurations -A`. */
export function sgcResource(): { group: string; version: string; plural: string } {
  return { group: API_GROUP, version: API_VERSION, plural: STATIC_GATEWAY_CONFIGURATION_PLURAL };
}

/** One line describing where a configuration is on its way to Ready (printed when it changes). */
export function progressOf(object: StaticGatewayConfiguration): string {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready !== undefined) {
    const current = object.status?.observedGeneration === object.metadata.generation;
    return `Ready=${ready.status} ${ready.reason}: ${ready.message}${current ? '' : ' (previous generation)'}`;
  }
  if (object.status?.gatewayServerProfile?.publicKey !== undefined)
    return `the relay created the WireGuard key Secret ${EGRET_SYSTEM_NAMESPACE}/${wireguardSecretName(object.metadata.uid)}; waiting for the control plane`;
  if ((object.metadata.finalizers ?? []).includes(STATIC_GATEWAY_CONFIGURATION_FINALIZER))
    return 'the relay added its finalizer and forwarded it to the control plane';
  return 'created; waiting for the relay';
}

/**
 * Watches one configuration (client-node's Watch, re-established if the stream ends) and prints its
 * progress until it is `Ready=True` for its current generation; undefined after `timeoutMs`.
 */
async function watchUntilReady(
  kube: SandboxKube,
  key: { readonly namespace: string; readonly name: string },
  options: { readonly started: number; readonly say: (line?: string) => void; readonly timeoutMs: number },
): Promise<StaticGatewayConfiguration | undefined> {
  const { say, started } = options;
  const path = `/apis/${API_GROUP}/${API_VERSION}/namespaces/${key.namespace}/${STATIC_GATEWAY_CONFIGURATION_PLURAL}`;
  const watch = new k8s.Watch(kube.kc);
  let last = '';
  return new Promise((resolve) => {
    let finished = false;
    let current: AbortController | undefined;
    const finish = (object: StaticGatewayConfiguration | undefined): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      current?.abort();
      resolve(object);
    };
    const timer = setTimeout(() => {
      say(`  not Ready after ${options.timeoutMs / 1000} s; last: ${last}`);
      finish(undefined);
    }, options.timeoutMs);
    const start = (): void => {
      if (finished) return;
      watch
        .watch(
          path,
          { fieldSelector: `metadata.name=${key.name}` },
          (phase, object: StaticGatewayConfiguration) => {
            if (phase === 'DELETED' || phase === 'ERROR' || phase === 'BOOKMARK') return;
            const line = progressOf(object);
            if (line !== last) {
              say(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);
              last = line;
            }
            const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
            if (ready?.status === 'True' && object.status?.observedGeneration === object.metadata.generation)
              finish(object);
          },
          // The stream ended (server timeout, connection reset): watch again from the current state.
          () => setTimeout(start, 200),
        )
        .then(
          (controller) => {
            current = controller;
            if (finished) controller.abort();
          },
          () => setTimeout(start, 200),
        );
    };
    start();
  });
}
