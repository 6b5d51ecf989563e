/**
 * CONTRACT DOUBLE of the control plane's relay endpoints, for the relay's own tests where a double is
 * the honest tool: it records every request exactly (wire assertions: the first empty SYNC, no private
 * key or managedFields on the wire), runs on the relay's manual clock (lease and backoff timing without
 * real sleeps), can refuse or fail on demand, and can hold deletions. The real control plane answers the
 * same contract suite (test/relay/controlPlaneClient.test.ts), and test/e2e runs relay processes against
 * the real control plane (Functions host, Azurite, ARM stand-in) for everything users see.
 *
 * An HTTP server on loopback that implements the issue-3 contract faithfully — HMAC signature and 5-minute window checked with
 * shared/core's verifier (401), bodies parsed with shared/core's parser (400 naming the problem),
 * replays harmless (last resourceVersion per uid wins), a full SYNC (shared/core's `isFullSync`) is the
 * complete list.
 *
 * Its "Azure" is a toy: a valid configuration (shared/core validation) gets Ready=True with a
 * deterministic prefix, ILB IP and port; an invalid one gets Ready=False/InvalidSpec naming the
 * fields. A deleted configuration reports `finalized: true` at once, or when the test releases it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relayClientCrypto } from '../../../agents/relay/controlPlaneClient.js';
import type { Clock } from '../../../shared/ports/clock.js';
import {
  invalidSpecCondition,
  readyCondition,
  stampConditions,
  type ReadyReason,
} from '../../../shared/core/conditions.js';
import {
  isFullSync,
  parseRelayEventsRequest,
  type RelayStatusItem,
} from '../../../shared/core/relayContract.js';
import { verifyRelayRequest } from '../../../shared/core/relaySignature.js';
import type {
  StaticGatewayConfiguration,
  StaticGatewayConfigurationStatus,
} from '../../../shared/core/staticGatewayConfiguration.js';
import { validateStaticGatewayConfiguration } from '../../../shared/core/validateStaticGatewayConfiguration.js';
import {
  RELAY_CLUSTER_HEADER,
  RELAY_NONCE_HEADER,
  RELAY_SIGNATURE_HEADER,
  RELAY_TIMESTAMP_HEADER,
} from '../../../shared/core/wellKnown.js';

/** One accepted request, as received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly rawBody: string;
  readonly body:
    | {
        clusterId: string;
        fullSync?: boolean;
        events: { type: string; object: StaticGatewayConfiguration }[];
      }
    | undefined;
}

interface Known {
  object: StaticGatewayConfiguration;
  port: number;
  /** Gone from the cluster (DELETED or missing from a full SYNC). */
  gone: boolean;
  status: StaticGatewayConfigurationStatus;
  finalized: boolean;
}

export type Availability = 'up' | 'refusing' | 'failing';

export class ContractControlPlane {
  readonly received: ReceivedRequest[] = [];
  readonly refused: { status: number; message: string }[] = [];
  private readonly clusters = new Map<string, Map<string, Known>>();
  private readonly seenSignatures = new Set<string>();
  private server: Server | undefined;
  private port = 0;
  private availability: Availability = 'up';
  /** When true, deleting configurations stay `finalized: false` until {@link releaseDeletion}. */
  holdDeletions = false;
  private readonly released = new Set<string>();
  private readonly problems = new Map<string, { reason: ReadyReason; message: string }>();
  private nextPort = 6000;

  constructor(
    private readonly options: {
      readonly secret: string;
      readonly clock: Clock;
      readonly subscriptionId?: string;
    },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    await this.close();
  }

  /** `refusing`: connections refused (server closed); `failing`: 503 to everything; `up`: serving. */
  async setAvailability(a: Availability): Promise<void> {
    if (a === this.availability) return;
    if (this.availability === 'refusing') await this.listen();
    if (a === 'refusing') await this.close();
    this.availability = a;
  }

  releaseDeletion(uid: string): void {
    this.released.add(uid);
    for (const cluster of this.clusters.values()) {
      const k = cluster.get(uid);
      if (k !== undefined) this.refresh(k);
    }
  }

  /** What the control plane knows of a configuration. */
  known(clusterId: string, uid: string): Known | undefined {
    return this.clusters.get(clusterId)?.get(uid);
  }

  /**
   * Makes the control plane report `Ready=False` with this reason and message for the configuration
   * named `name` (as a reconcile that failed would: AzureError, PoolNotFound, ...); undefined clears it.
   */
  setProblem(name: string, problem: { reason: ReadyReason; message: string } | undefined): void {
    if (problem === undefined) this.problems.delete(name);
    else this.problems.set(name, problem);
    for (const cluster of this.clusters.values())
      for (const k of cluster.values()) if (k.object.metadata.name === name) this.refresh(k);
  }

  /** Simulates lost state (e.g. a table wiped): the control plane forgets the configuration. */
  forget(clusterId: string, uid: string): void {
    this.clusters.get(clusterId)?.delete(uid);
  }

  eventsRequests(): ReceivedRequest[] {
    return this.received.filter((r) => r.method === 'POST');
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (status: number, body: unknown): void => {
      if (status >= 400) this.refused.push({ status, message: JSON.stringify(body) });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (this.availability === 'failing') return reply(503, { error: 'control plane unavailable' });
    const header = (name: string): string | undefined => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    const verification = verifyRelayRequest({
      secretOf: () => this.options.secret,
      headers: {
        clusterId: header(RELAY_CLUSTER_HEADER),
        timestamp: header(RELAY_TIMESTAMP_HEADER),
        nonce: header(RELAY_NONCE_HEADER),
        signature: header(RELAY_SIGNATURE_HEADER),
      },
      target: { method: req.method ?? '', path: url.pathname, query: url.search.replace(/^\?/, '') },
      body: new Uint8Array(Buffer.concat(chunks)),
      nowSeconds: Math.floor(this.options.clock.nowMs() / 1000),
      crypto: relayClientCrypto,
    });
    if (verification.kind !== 'ok') return reply(401, { error: 'unauthorized' });
    // As the control plane: a signature is good once (a relay retry signs again with a new nonce).
    if (this.seenSignatures.has(verification.signature)) return reply(401, { error: 'unauthorized' });
    this.seenSignatures.add(verification.signature);

    if (req.method === 'POST' && url.pathname === '/api/relay/events') {
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        return reply(400, { error: 'body is not JSON' });
      }
      const parsed = parseRelayEventsRequest(json);
      if (parsed.kind === 'invalid') return reply(400, { error: 'invalid body', problems: parsed.problems });
      const body = json as ReceivedRequest['body'] & object;
      if (body.clusterId !== verification.clusterId)
        return reply(400, { error: 'clusterId is not the signed one' });
      this.received.push({ method: 'POST', path: url.pathname, rawBody, body });
      this.apply(body, isFullSync(parsed.value));
      return reply(200, { accepted: body.events.length });
    }
    if (req.method === 'GET' && url.pathname === '/api/relay/status') {
      const clusterId = url.searchParams.get('clusterId');
      if (clusterId === null || clusterId === '') return reply(400, { error: 'clusterId is required' });
      if (clusterId !== verification.clusterId)
        return reply(400, { error: 'clusterId is not the signed one' });
      this.received.push({ method: 'GET', path: url.pathname, rawBody, body: undefined });
      const items: RelayStatusItem[] = [...(this.clusters.get(clusterId)?.values() ?? [])].map((k) => ({
        namespace: k.object.metadata.namespace,
        name: k.object.metadata.name,
        uid: k.object.metadata.uid,
        status: k.status,
        finalized: k.finalized,
      }));
      return reply(200, { items });
    }
    return reply(404, { error: 'not found' });
  }

  private apply(body: NonNullable<ReceivedRequest['body']>, fullSync: boolean): void {
    let cluster = this.clusters.get(body.clusterId);
    if (cluster === undefined) {
      cluster = new Map();
      this.clusters.set(body.clusterId, cluster);
    }
    const seen = new Set<string>();
    for (const event of body.events) {
      const uid = event.object.metadata.uid;
      seen.add(uid);
      const before = cluster.get(uid);
      // Replays and stale events are harmless: keep the newest resourceVersion.
      if (
        before !== undefined &&
        Number(before.object.metadata.resourceVersion) > Number(event.object.metadata.resourceVersion)
      ) {
        continue;
      }
      const known: Known = before ?? {
        object: event.object,
        port: this.nextPort++,
        gone: false,
        status: {},
        finalized: false,
      };
      known.object = event.object;
      known.gone = event.type === 'DELETED';
      cluster.set(uid, known);
      this.refresh(known);
    }
    if (fullSync) {
      for (const [uid, known] of cluster) {
        if (!seen.has(uid) && !known.gone) {
          known.gone = true;
          this.refresh(known);
        }
      }
    }
  }

  private refresh(known: Known): void {
    const { object } = known;
    const generation = object.metadata.generation;
    const now = new Date(this.options.clock.nowMs()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const deleting = known.gone || (object.metadata.deletionTimestamp ?? null) !== null;
    if (deleting) {
      known.finalized = !this.holdDeletions || this.released.has(object.metadata.uid);
      const draft = readyCondition({
        status: 'False',
        reason: known.finalized ? 'Finalized' : 'Deleting',
        message: known.finalized
          ? 'nothing of this configuration is left in Azure'
          : 'removing Azure resources',
        ...(generation === undefined ? {} : { generation }),
      });
      known.status = { ...known.status, conditions: stampConditions(known.status.conditions, [draft], now) };
      return;
    }
    const validation = validateStaticGatewayConfiguration(object.spec, {
      subscriptionId: this.options.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
    });
    if (validation.kind === 'invalid') {
      // Make before break (issue 10 §1): the last applied values stay; Ready=False names the problem.
      known.status = {
        ...known.status,
        ...(generation === undefined ? {} : { observedGeneration: generation }),
        conditions: stampConditions(
          known.status.conditions,
          [
            invalidSpecCondition(validation.problems, {
              ...(generation === undefined ? {} : { generation }),
            }),
          ],
          now,
        ),
      };
      return;
    }
    const problem = this.problems.get(object.metadata.name);
    if (problem !== undefined) {
      known.status = {
        ...known.status,
        ...(generation === undefined ? {} : { observedGeneration: generation }),
        conditions: stampConditions(
          known.status.conditions,
          [
            readyCondition({
              status: 'False',
              ...problem,
              ...(generation === undefined ? {} : { generation }),
            }),
          ],
          now,
        ),
      };
      return;
    }
    const index = known.port - 6000;
    const privateMode = validation.spec.egress.kind === 'private';
    known.status = {
      observedGeneration: generation ?? 0,
      egressIpPrefix: privateMode ? `10.0.1.${10 + index},10.0.1.${100 + index}` : `20.0.${index}.0/31`,
      gatewayServerProfile: { ip: '10.0.0.4', port: known.port },
      gatewayVMProfiles: [
        { nodeName: 'gw-000000', primaryIP: '10.0.1.4', secondaryIP: `10.0.1.${10 + index}` },
        { nodeName: 'gw-000001', primaryIP: '10.0.1.5', secondaryIP: `10.0.1.${100 + index}` },
      ],
      conditions: stampConditions(
        known.status.conditions,
        [
          readyCondition({
            status: 'True',
            reason: 'Reconciled',
            message: 'the gateway is provisioned',
            ...(generation === undefined ? {} : { generation }),
          }),
        ],
        now,
      ),
    };
  }
}
