/**
 * The relay: the only cluster component that talks to the control plane.
 *
 * Both replicas keep their informers warm; only the Lease holder acts. For each leadership term it runs
 * three loops on the term's AbortSignal:
 *
 * - **forwarder** — sends queued informer events (coalesced per uid, batched, signed) to `relayEvents`,
 *   with exponential backoff on failure. It starts every term with a full SYNC, sends one after every
 *   failure (so whatever changed while the control plane was unreachable arrives, deletions included)
 *   and one every `syncInterval` (heals anything missed).
 * - **status puller** — pulls `relayStatus` every `statusPollInterval` and right after each accepted
 *   batch, and queues every cached configuration for reconcile.
 * - **worker** — reconciles one configuration at a time (all Kubernetes writes happen here, serially):
 *   adds the finalizer, ensures the WireGuard key Secret, patches status when it differs, and on
 *   deletion removes the key Secret and then the finalizer once the control plane reports
 *   `finalized: true`. It also deletes key Secrets whose configuration is gone.
 *
 * Nothing here blocks on the control plane: while it is down, finalizers, keys and Secrets are still
 * handled and events wait in the queue.
 */
import {
  ConfigError,
  ConflictError,
  errorMessage,
  isEgretError,
  ValidationError,
} from '../../shared/core/errors.js';
import type { RelayStatusItem } from '../../shared/core/relayContract.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';
import {
  SECRET_OWNER_NAMESPACE_LABEL,
  STATIC_GATEWAY_CONFIGURATION_FINALIZER,
  wireguardSecretName,
} from '../../shared/core/wellKnown.js';
import type { Logger } from '../common/logger.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { Clock } from '../../shared/ports/clock.js';
import { Wakeup } from './wakeup.js';
import type { ControlPlanePort } from './controlPlaneClient.js';
import { deletedEvent, eventForStatusChange, type EventIntent } from './configurationEvents.js';
import type { EventRecorder } from './eventRecorder.js';
import { ForwardQueue, type WatchEventType } from './forwardQueue.js';
import { ensureKeySecret, uidOfKeySecret } from './keySecrets.js';
import { LeaseElector, type LeasePort } from './leaseElector.js';
import type { RelayCluster } from './relayCluster.js';
import { eventsRequest, forwardedObject, forwardFingerprint, syncRequests } from './relayEvents.js';
import type { RelayMetrics } from './relayMetrics.js';
import {
  desiredStatus,
  jsonEqual,
  type KeyStatus,
  normalizeReportedStatus,
  statusMergePatch,
} from './statusPatch.js';
import { WorkQueue } from './workQueue.js';

/** Most watch events per `relayEvents` request (the contract allows 500). */
export const MAX_BATCH_EVENTS = 100;
/** Work-queue key of the orphaned-Secret sweep (not a uid: uids have no spaces). */
const SWEEP_KEY = 'sweep key secrets';

/** Options of {@link Relay}. */
export interface RelayOptions {
  readonly clusterId: string;
  /** The namespace of the key Secrets (KEY_SECRET_NAMESPACE; the relay's own by default). */
  readonly namespace: string;
  readonly identity: string;
  readonly cluster: RelayCluster;
  readonly controlPlane: ControlPlanePort;
  readonly leases: LeasePort;
  readonly lease: {
    readonly durationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  readonly statusPollIntervalMs: number;
  readonly syncIntervalMs: number;
  readonly backoff: BackoffPolicy;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: RelayMetrics;
  /** Jitter source (default Math.random). */
  readonly random?: () => number;
  /** Records Kubernetes Events on configurations (none when absent). */
  readonly events?: EventRecorder;
}

interface Term {
  readonly signal: AbortSignal;
  readonly loops: Promise<void>;
}

/** One relay replica. */
export class Relay {
  private readonly queue = new ForwardQueue();
  private readonly work = new WorkQueue();
  private readonly forwardWake = new Wakeup();
  private readonly statusWake = new Wakeup();
  /** uid → fingerprint of the last state offered to the forwarder. */
  private readonly fingerprints = new Map<string, string>();
  /** uid → the control plane's latest item. */
  private reported = new Map<string, RelayStatusItem>();
  /** uid → the key ensured this term (cleared by each periodic SYNC, so Secrets are re-checked). */
  private readonly keys = new Map<string, KeyStatus>();
  /** uid → the resourceVersion a status patch was made at and what it wrote (skips repeats until the cache catches up). */
  private readonly written = new Map<
    string,
    { readonly resourceVersion: string; readonly status: unknown }
  >();
  /** uid → the resourceVersion the finalizer was added at (skips a second add from a stale cache). */
  private readonly finalizerAddedAt = new Map<string, string>();
  private needFullSync = true;
  private term: Term | undefined;
  private readonly running = new AbortController();
  private elector: LeaseElector;
  private electorDone: Promise<void> | undefined;
  private stopping = false;
  private readonly random: () => number;

  constructor(private readonly options: RelayOptions) {
    this.random = options.random ?? Math.random;
    this.elector = new LeaseElector({
      leases: options.leases,
      identity: options.identity,
      leaseDurationMs: options.lease.durationMs,
      renewDeadlineMs: options.lease.renewDeadlineMs,
      retryPeriodMs: options.lease.retryPeriodMs,
      clock: options.clock,
      log: options.log,
      onStartedLeading: (signal) => this.startTerm(signal),
      onStoppedLeading: () => this.endTerm(),
    });
    options.cluster.onConfiguration({
      added: (o) => this.observed('ADDED', o),
      modified: (o) => this.observed('MODIFIED', o),
      deleted: (o) => this.observed('DELETED', o),
    });
    options.cluster.onGatewayNode({
      joined: (name) => this.gatewayNodesChanged('joined', name),
      left: (name) => this.gatewayNodesChanged('left', name),
    });
  }

  /** Starts the informers, waits until they have listed, then campaigns for the lease (in the background). */
  async start(): Promise<void> {
    await this.options.cluster.start(this.running.signal);
    if (this.running.signal.aborted) return;
    this.options.log.info('informers synced', {
      configurations: this.options.cluster.configurations().length,
      gatewayNodes: this.options.cluster.gatewayNodeNames().length,
    });
    this.electorDone = this.elector.run(this.running.signal).catch((e: unknown) => {
      this.options.log.error('leader election stopped', { error: errorMessage(e) });
    });
  }

  /**
   * Graceful shutdown: ends the term (in-flight work finishes or is aborted), releases the lease so the
   * standby takes over at once, stops the informers. Waits at most `timeoutMs` for the term to end.
   */
  async stop(options: { readonly timeoutMs: number }): Promise<void> {
    this.stopping = true;
    this.running.abort();
    if (this.electorDone !== undefined) {
      const timeout = new AbortController();
      await Promise.race([this.electorDone, this.options.clock.sleep(options.timeoutMs, timeout.signal)]);
      timeout.abort();
    }
    await this.options.cluster.stop();
  }

  /** Ready once the informers have listed, until shutdown begins. */
  isReady(): boolean {
    return !this.stopping && this.options.cluster.hasSynced();
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  // ---- informer callbacks (both replicas; only the leader queues work) ---------------------------

  private observed(type: WatchEventType, object: StaticGatewayConfiguration): void {
    const uid = object.metadata.uid;
    const fingerprint = forwardFingerprint(object);
    const changed = this.fingerprints.get(uid) !== fingerprint;
    if (type === 'DELETED') this.fingerprints.delete(uid);
    else this.fingerprints.set(uid, fingerprint);
    if (this.term === undefined) return;
    if (type !== 'MODIFIED' || changed) {
      this.queue.offer(type, forwardedObject(object));
      this.options.metrics.queueDepth.set(this.queue.size);
      this.forwardWake.notify();
    }
    this.work.add(uid);
  }

  private gatewayNodesChanged(change: 'joined' | 'left', nodeName: string): void {
    if (this.term === undefined) return;
    // Node changes carry no configuration; a SYNC tells the control plane to look at every pool again.
    this.options.log.info(`gateway node ${change}; sending a full SYNC`, { node: nodeName });
    this.needFullSync = true;
    this.forwardWake.notify();
  }

  // ---- leadership terms ---------------------------------------------------------------------------

  private startTerm(signal: AbortSignal): void {
    const { metrics, cluster } = this.options;
    metrics.leader.set(1);
    this.queue.clear();
    this.work.clear();
    this.keys.clear();
    this.written.clear();
    this.finalizerAddedAt.clear();
    this.reported = new Map();
    this.needFullSync = true;
    const loops = Promise.all([
      this.forwardLoop(signal),
      this.statusLoop(signal),
      this.workLoop(signal),
    ]).then(() => undefined);
    this.term = { signal, loops };
    for (const c of cluster.configurations()) this.work.add(c.metadata.uid);
    this.work.add(SWEEP_KEY);
  }

  private async endTerm(): Promise<void> {
    const term = this.term;
    this.term = undefined;
    this.options.metrics.leader.set(0);
    this.queue.clear();
    this.options.metrics.queueDepth.set(0);
    if (term !== undefined) await term.loops;
  }

  // ---- forwarder ----------------------------------------------------------------------------------

  private async forwardLoop(signal: AbortSignal): Promise<void> {
    const { clock, syncIntervalMs, metrics } = this.options;
    let failures = 0;
    let nextSyncAt = clock.nowMs();
    while (!signal.aborted) {
      const now = clock.nowMs();
      try {
        if (this.needFullSync || now >= nextSyncAt) {
          const periodic = !this.needFullSync;
          this.needFullSync = false;
          await this.sendFullSync(signal);
          failures = 0;
          nextSyncAt = now + syncIntervalMs;
          metrics.lastSuccessfulSync.set(Math.floor(now / 1000));
          this.statusWake.notify();
          if (periodic) this.recheckEverything();
          continue;
        }
        const batch = this.queue.take(MAX_BATCH_EVENTS);
        if (batch.length > 0) {
          await this.options.controlPlane.sendEvents(
            eventsRequest(
              this.options.clusterId,
              batch.map((b) => b.event),
            ),
            signal,
          );
          this.queue.acknowledge(batch);
          for (const b of batch) metrics.forwardedEvents.inc({ type: b.event.type });
          metrics.queueDepth.set(this.queue.size);
          failures = 0;
          this.statusWake.notify();
          continue;
        }
        await this.forwardWake.wait(clock, nextSyncAt - now, signal);
      } catch (e) {
        if (signal.aborted) return;
        failures++;
        // Whatever happened meanwhile is covered by a full SYNC once the control plane is back.
        this.needFullSync = true;
        metrics.controlPlaneFailures.inc({ endpoint: 'events', code: codeOf(e) });
        const delay = backoffDelay(failures, this.options.backoff, {
          random: this.random,
          retryAfterMs: retryAfterOf(e),
        });
        this.logControlPlaneFailure('forwarding to the control plane failed', e, {
          retryInMs: delay,
          failures,
        });
        await clock.sleep(delay, signal);
      }
    }
  }

  private async sendFullSync(signal: AbortSignal): Promise<void> {
    const { cluster, controlPlane, clusterId, metrics, log } = this.options;
    const seq = this.queue.lastSeq;
    const objects = cluster.configurations();
    const plan = syncRequests(clusterId, objects);
    if (plan.kind === 'sync') {
      await controlPlane.sendEvents(plan.request, signal);
      metrics.forwardedEvents.inc({ type: 'SYNC' }, plan.request.events.length);
      // The complete list covers every event queued before it (deletions included: missing = gone).
      this.queue.acknowledgeUpTo(seq);
    } else {
      log.error(
        'too many configurations for one SYNC request; sent them as MODIFIED, so deletions made while the control plane was unreachable are not detected',
        {
          configurations: objects.length,
        },
      );
      for (const request of plan.requests) {
        await controlPlane.sendEvents(request, signal);
        metrics.forwardedEvents.inc({ type: 'MODIFIED' }, request.events.length);
      }
    }
    // Upserts cannot say what was deleted: queued events (DELETED among them) still go out.
    metrics.queueDepth.set(this.queue.size);
    log.info('full SYNC accepted', { configurations: objects.length });
  }

  /** After a periodic SYNC: re-read key Secrets and reconcile everything once (self-healing). */
  private recheckEverything(): void {
    this.keys.clear();
    for (const c of this.options.cluster.configurations()) this.work.add(c.metadata.uid);
    this.work.add(SWEEP_KEY);
  }

  // ---- status puller ------------------------------------------------------------------------------

  private async statusLoop(signal: AbortSignal): Promise<void> {
    const { clock, controlPlane, statusPollIntervalMs, metrics, cluster } = this.options;
    let failures = 0;
    while (!signal.aborted) {
      let waitMs = statusPollIntervalMs;
      try {
        const answer = await controlPlane.fetchStatus(signal);
        this.reported = new Map(answer.items.map((item) => [item.uid, item]));
        for (const c of cluster.configurations()) this.work.add(c.metadata.uid);
        failures = 0;
      } catch (e) {
        if (signal.aborted) return;
        failures++;
        metrics.controlPlaneFailures.inc({ endpoint: 'status', code: codeOf(e) });
        waitMs = backoffDelay(failures, this.options.backoff, {
          random: this.random,
          retryAfterMs: retryAfterOf(e),
        });
        this.logControlPlaneFailure('pulling status from the control plane failed', e, {
          retryInMs: waitMs,
          failures,
        });
      }
      await this.statusWake.wait(clock, waitMs, signal);
    }
  }

  // ---- worker -------------------------------------------------------------------------------------

  private async workLoop(signal: AbortSignal): Promise<void> {
    const { clock, metrics, log } = this.options;
    while (!signal.aborted) {
      const key = await this.work.next(clock, 60_000, signal);
      if (key === undefined || signal.aborted) continue;
      try {
        if (key === SWEEP_KEY) await this.sweepKeySecrets(signal);
        else await this.reconcile(key, signal);
        this.work.forget(key);
      } catch (e) {
        if (signal.aborted) return;
        const failures = this.work.failed(key);
        metrics.kubernetesFailures.inc({ code: codeOf(e) });
        const delay =
          e instanceof ConflictError
            ? this.options.backoff.initialMs
            : backoffDelay(failures, this.options.backoff, { random: this.random });
        // A conflict is optimistic concurrency doing its job (the cache was a step behind): retry quietly.
        const level = e instanceof ConflictError ? 'debug' : 'warn';
        log[level]('reconcile failed; retrying', { key, error: errorMessage(e), retryInMs: delay, failures });
        this.work.addAfter(key, delay, clock, signal);
      }
    }
  }

  /** Level-triggered: brings one configuration's finalizer, key Secret and status where they belong. */
  private async reconcile(uid: string, signal: AbortSignal): Promise<void> {
    const { cluster, namespace, log } = this.options;
    const object = cluster.configurationByUid(uid);
    if (object === undefined) {
      // Gone from the cluster (deleted, or its finalizer removed by hand): its key has no use left.
      await cluster.deleteSecret(namespace, wireguardSecretName(uid), signal);
      this.keys.delete(uid);
      this.written.delete(uid);
      this.finalizerAddedAt.delete(uid);
      return;
    }
    const { metadata } = object;
    const ref = { namespace: metadata.namespace, name: metadata.name };
    const finalizers = metadata.finalizers ?? [];
    const holdsFinalizer = finalizers.includes(STATIC_GATEWAY_CONFIGURATION_FINALIZER);
    const item = this.reported.get(uid);

    if (metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null) {
      if (!holdsFinalizer) return;
      await this.writeStatus(object, item, this.keys.get(uid), signal);
      if (item?.finalized !== true) return;
      // Azure is clean: drop the key, then let the object go.
      await cluster.deleteSecret(namespace, wireguardSecretName(uid), signal);
      this.keys.delete(uid);
      await cluster.setFinalizers(
        {
          ...ref,
          ...(metadata.resourceVersion === undefined ? {} : { resourceVersion: metadata.resourceVersion }),
        },
        finalizers.filter((f) => f !== STATIC_GATEWAY_CONFIGURATION_FINALIZER),
        signal,
      );
      log.info('control plane finalized the configuration; finalizer removed', {
        configuration: `${ref.namespace}/${ref.name}`,
        uid,
      });
      await this.recordEvent(object, deletedEvent(), signal);
      return;
    }

    if (!holdsFinalizer) {
      // Added already at this resourceVersion: the informer has not delivered our write yet.
      if (this.finalizerAddedAt.get(uid) === metadata.resourceVersion) return;
      await cluster.setFinalizers(
        {
          ...ref,
          ...(metadata.resourceVersion === undefined ? {} : { resourceVersion: metadata.resourceVersion }),
        },
        [...finalizers, STATIC_GATEWAY_CONFIGURATION_FINALIZER],
        signal,
      );
      this.finalizerAddedAt.set(uid, metadata.resourceVersion ?? '');
      log.info('added finalizer', { configuration: `${ref.namespace}/${ref.name}`, uid });
      return; // the informer's update brings the object back here, with a fresh resourceVersion
    }
    let key = this.keys.get(uid);
    if (key === undefined) {
      key = await ensureKeySecret(object, { cluster, namespace, log, signal });
      this.keys.set(uid, key);
    }
    await this.writeStatus(object, item, key, signal);
  }

  private async writeStatus(
    object: StaticGatewayConfiguration,
    item: RelayStatusItem | undefined,
    key: KeyStatus | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const { metadata } = object;
    let reported = undefined;
    if (item !== undefined) {
      const normalized = normalizeReportedStatus(item.status);
      if (normalized.kind === 'ok') reported = normalized.status;
      else {
        this.options.log.warn('ignoring a status the control plane reported that does not fit the CRD', {
          configuration: `${metadata.namespace}/${metadata.name}`,
          problems: normalized.problems,
        });
      }
    }
    const desired = desiredStatus({ current: object.status, reported, key });
    const patch = statusMergePatch(object.status, desired);
    if (patch === undefined) return;
    const before = this.written.get(metadata.uid);
    if (
      before !== undefined &&
      before.resourceVersion === metadata.resourceVersion &&
      jsonEqual(before.status, desired)
    ) {
      return; // already written; the informer has not delivered the update yet
    }
    await this.options.cluster.patchStatus(
      { namespace: metadata.namespace, name: metadata.name },
      patch,
      signal,
    );
    this.written.set(metadata.uid, { resourceVersion: metadata.resourceVersion ?? '', status: desired });
    this.options.metrics.statusPatches.inc();
    this.options.log.debug('patched status', { configuration: `${metadata.namespace}/${metadata.name}` });
    // What the user should hear about: the Ready transition this write made (configurationEvents.ts).
    // Compared with what was there: our own last write when the cache has not delivered it yet.
    const previous =
      before !== undefined && before.resourceVersion === metadata.resourceVersion
        ? (before.status as StaticGatewayConfiguration['status'])
        : object.status;
    const intent = eventForStatusChange(previous, desired);
    if (intent !== undefined) await this.recordEvent(object, intent, signal);
  }

  private async recordEvent(
    object: StaticGatewayConfiguration,
    intent: EventIntent,
    signal: AbortSignal,
  ): Promise<void> {
    const { metadata } = object;
    await this.options.events?.record(
      {
        apiVersion: object.apiVersion,
        kind: object.kind,
        namespace: metadata.namespace,
        name: metadata.name,
        uid: metadata.uid,
        ...(metadata.resourceVersion === undefined ? {} : { resourceVersion: metadata.resourceVersion }),
      },
      intent,
      signal,
    );
  }

  /** Deletes key Secrets (upstream's owner label) whose configuration uid is no longer in the cache. */
  private async sweepKeySecrets(signal: AbortSignal): Promise<void> {
    const { cluster, namespace, log } = this.options;
    const secrets = await cluster.listSecrets(namespace, SECRET_OWNER_NAMESPACE_LABEL, signal);
    for (const secret of secrets) {
      const uid = uidOfKeySecret(secret);
      if (uid === undefined || cluster.configurationByUid(uid) !== undefined) continue;
      await cluster.deleteSecret(namespace, secret.name, signal);
      this.keys.delete(uid);
      log.info('deleted the key Secret of a configuration that no longer exists', {
        secret: `${namespace}/${secret.name}`,
      });
    }
  }

  private logControlPlaneFailure(
    message: string,
    e: unknown,
    fields: Readonly<Record<string, unknown>>,
  ): void {
    const log = this.options.log;
    // A refused signature will not fix itself: say so at error level.
    if (e instanceof ConfigError || e instanceof ValidationError)
      log.error(message, { error: errorMessage(e), ...fields });
    else log.warn(message, { error: errorMessage(e), ...fields });
  }
}

function codeOf(e: unknown): string {
  return isEgretError(e) ? e.code : 'Error';
}

function retryAfterOf(e: unknown): number | undefined {
  return isEgretError(e) && 'retryAfterMs' in e ? (e.retryAfterMs as number | undefined) : undefined;
}
