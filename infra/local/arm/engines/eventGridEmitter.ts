/**
 * An Event Grid system topic for the stand-in: after every completed write ARM would publish a
 * `Microsoft.Resources.Resource{Write,Delete,Action}{Success,Failure}` event (Event Grid schema,
 * dataVersion "2", metadataVersion "1"), delivered to each subscriber as a JSON array POST with
 * `aeg-event-type: Notification`. Like Event Grid: the subscription validation handshake comes first
 * (`aeg-event-type: SubscriptionValidation`, answer 200 `{validationResponse}`), delivery is at least
 * once and unordered, non-2xx answers are retried on a (shortened) schedule, and 400/401/403/404/413
 * are not retried. Knobs make duplicates and reordering happen on purpose.
 */
import { text } from '../core/json.js';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Json, JsonObject } from '../core/json.js';
import { mulberry32 } from './faultEngine.js';

export type EventKind = 'write' | 'delete' | 'action';

/** What the resource provider tells the emitter about a completed operation. */
export interface ArmEventSpec {
  readonly kind: EventKind;
  /** e.g. `Microsoft.Compute/virtualMachineScaleSets/write` */
  readonly operationName: string;
  /** The resource id as the client wrote it in the request URL (ARM keeps the client's casing). */
  readonly resourceUri: string;
  readonly resourceProvider: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly httpMethod: string;
  readonly url: string;
  readonly clientRequestId: string;
  readonly correlationId: string;
}

export interface SubscriberSpec {
  /** Where events are POSTed (http or https; https uses `ca` when given). */
  readonly url: string;
  readonly name?: string;
  /** Only events of this resource group (a resource-group system topic); all when absent. */
  readonly resourceGroup?: string;
  /** `includedEventTypes` filter, e.g. `['Microsoft.Resources.ResourceWriteSuccess']`. */
  readonly includedEventTypes?: readonly string[];
  /** `subjectBeginsWith` filter (case-insensitive, as Event Grid). */
  readonly subjectBeginsWith?: string;
  /** Events per POST (default 1, Event Grid's default). */
  readonly maxEventsPerBatch?: number;
  readonly ca?: string;
}

export interface EmitterSettings {
  /** Event Grid waits 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h ...; this multiplies that schedule (default 0.001). */
  readonly retryScale?: number;
  /** Default 30 (Event Grid's default `maxDeliveryAttempts`). */
  readonly maxDeliveryAttempts?: number;
  /** Chance (0..1) that a delivered batch is delivered a second time. */
  readonly duplicateProbability?: number;
  /** Random delay (0..N ms) before each delivery, so batches overtake each other. */
  readonly reorderJitterMs?: number;
  readonly seed?: number;
  readonly tenantId?: string;
}

export interface DeliveryRecord {
  readonly subscriber: string;
  readonly eventIds: readonly string[];
  readonly eventType: string;
  readonly attempt: number;
  readonly status: number | 'network-error';
  readonly at: string;
}

interface Subscriber {
  readonly spec: SubscriberSpec;
  readonly name: string;
  /** Settles after the handshake: true when validated, false when it failed for good. */
  validated: Promise<boolean> | undefined;
  state: 'pending' | 'validated' | 'failed';
}

const EVENT_GRID_SCHEDULE_MS = [10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000];
const NOT_RETRIED = new Set([400, 401, 403, 404, 413]);

export class EventGridEmitter {
  private settings: Required<EmitterSettings>;
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly log: DeliveryRecord[] = [];
  private readonly published: JsonObject[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private random: () => number;
  private stopped = false;
  private muted = false;

  constructor(settings: EmitterSettings = {}) {
    this.settings = {
      retryScale: 0.001,
      maxDeliveryAttempts: 30,
      duplicateProbability: 0,
      reorderJitterMs: 0,
      seed: 1,
      tenantId: '72f988bf-0000-0000-0000-000000000000',
    };
    this.random = mulberry32(1);
    this.configure(settings);
  }

  configure(settings: EmitterSettings): void {
    this.settings = { ...this.settings, ...settings };
    if (settings.seed !== undefined) this.random = mulberry32(settings.seed);
  }

  subscribe(spec: SubscriberSpec): { readonly name: string } {
    new URL(spec.url); // throws on a malformed URL
    const name = spec.name ?? `sub-${this.subscribers.size + 1}`;
    this.subscribers.set(name, { spec, name, validated: undefined, state: 'pending' });
    return { name };
  }

  unsubscribe(name: string): boolean {
    return this.subscribers.delete(name);
  }

  listSubscribers(): { readonly name: string; readonly url: string; readonly state: string }[] {
    return [...this.subscribers.values()].map((s) => ({ name: s.name, url: s.spec.url, state: s.state }));
  }

  /** Every delivery attempt so far (handshakes included). */
  deliveries(): readonly DeliveryRecord[] {
    return [...this.log];
  }

  /** Every event published so far (one per completed operation), in publication order. */
  publishedEvents(): readonly JsonObject[] {
    return [...this.published];
  }

  /** Resolves when no delivery is pending or in flight. */
  async idle(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
  }

  /** While muted, completed operations publish nothing (seeding a world is not an ARM write). */
  mute(on: boolean): void {
    this.muted = on;
  }

  /** Builds the event ARM would publish for a completed operation and queues it for every matching subscriber. */
  publish(spec: ArmEventSpec, status: 'Succeeded' | 'Failed'): JsonObject {
    const event = this.buildEvent(spec, status);
    if (this.muted) return event;
    this.published.push(event);
    for (const sub of this.subscribers.values()) {
      if (!matches(sub.spec, event, spec)) continue;
      this.track(this.deliver(sub, [event]));
    }
    return event;
  }

  private buildEvent(spec: ArmEventSpec, status: 'Succeeded' | 'Failed'): JsonObject {
    const outcome = status === 'Succeeded' ? 'Success' : 'Failure';
    const kind = spec.kind === 'write' ? 'Write' : spec.kind === 'delete' ? 'Delete' : 'Action';
    const principal = 'a0a0a0a0-0000-0000-0000-000000000001';
    const data: JsonObject = {
      authorization: {
        scope: spec.resourceUri,
        action: spec.operationName,
        evidence: {
          role: 'Contributor',
          roleAssignmentScope: `/subscriptions/${spec.subscriptionId}`,
          roleAssignmentId: 'b0b0b0b0-0000-0000-0000-000000000001',
          roleDefinitionId: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
          principalId: principal,
          principalType: 'ServicePrincipal',
        },
      },
      claims: {
        aud: 'https://management.azure.com/',
        iss: `https://sts.windows.net/${this.settings.tenantId}/`,
        appid: 'c0c0c0c0-0000-0000-0000-000000000001',
        appidacr: '2',
        'http://schemas.microsoft.com/identity/claims/objectidentifier': principal,
        'http://schemas.microsoft.com/identity/claims/tenantid': this.settings.tenantId,
        ver: '1.0',
      },
      correlationId: spec.correlationId,
      httpRequest: {
        clientRequestId: spec.clientRequestId,
        clientIpAddress: '127.0.0.1',
        method: spec.httpMethod,
        url: spec.url,
      },
      resourceProvider: spec.resourceProvider,
      resourceUri: spec.resourceUri,
      operationName: spec.operationName,
      status,
      subscriptionId: spec.subscriptionId,
      tenantId: this.settings.tenantId,
    };
    return {
      subject: spec.resourceUri,
      eventType: `Microsoft.Resources.Resource${kind}${outcome}`,
      eventTime: eventTime(),
      id: randomUUID(),
      data,
      dataVersion: '2',
      metadataVersion: '1',
      topic: `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.resourceGroup}`,
    };
  }

  private track(p: Promise<void>): void {
    this.inFlight += 1;
    void p.finally(() => {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  private async deliver(sub: Subscriber, events: JsonObject[]): Promise<void> {
    const ok = await this.validate(sub);
    if (!ok || this.stopped) return;
    const jitter = this.settings.reorderJitterMs;
    if (jitter > 0) await sleep(Math.floor(this.random() * jitter));
    const delivered = await this.postWithRetries(sub, events, 'Notification');
    if (
      delivered &&
      this.settings.duplicateProbability > 0 &&
      this.random() < this.settings.duplicateProbability
    )
      await this.postWithRetries(sub, events, 'Notification');
  }

  private validate(sub: Subscriber): Promise<boolean> {
    sub.validated ??= (async () => {
      const code = randomUUID();
      const validation: JsonObject = {
        id: randomUUID(),
        topic:
          sub.spec.resourceGroup === undefined
            ? '/subscriptions/standin'
            : `/resourceGroups/${sub.spec.resourceGroup}`,
        subject: '',
        data: {
          validationCode: code,
          validationUrl: `https://rp-localhost.eventgrid.azure.net:553/eventsubscriptions/${sub.name}/validate?id=${code}`,
        },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: eventTime(),
        metadataVersion: '1',
        dataVersion: '2',
      };
      const ok = await this.postWithRetries(sub, [validation], 'SubscriptionValidation', (body) => {
        try {
          const parsed = JSON.parse(body) as { validationResponse?: unknown };
          return parsed.validationResponse === code;
        } catch {
          return false;
        }
      });
      sub.state = ok ? 'validated' : 'failed';
      return ok;
    })();
    return sub.validated;
  }

  private async postWithRetries(
    sub: Subscriber,
    events: JsonObject[],
    type: 'Notification' | 'SubscriptionValidation',
    accept?: (body: string) => boolean,
  ): Promise<boolean> {
    const ids = events.map((e) => text(e['id']));
    const eventType = text(events[0]?.['eventType'] ?? '');
    for (let attempt = 1; attempt <= this.settings.maxDeliveryAttempts && !this.stopped; attempt++) {
      const res = await post(sub.spec, events, {
        'aeg-event-type': type,
        'aeg-subscription-name': sub.name.toUpperCase(),
        'aeg-delivery-count': String(attempt - 1),
        'aeg-data-version': '2',
        'aeg-metadata-version': '1',
      });
      this.log.push({
        subscriber: sub.name,
        eventIds: ids,
        eventType,
        attempt,
        status: res.status,
        at: new Date().toISOString(),
      });
      if (typeof res.status === 'number' && res.status >= 200 && res.status < 300) {
        if (accept === undefined || (res.status === 200 && accept(res.body))) return true;
        return false; // a handshake answered without the code is not retried
      }
      if (typeof res.status === 'number' && NOT_RETRIED.has(res.status)) return false;
      const base = EVENT_GRID_SCHEDULE_MS[Math.min(attempt - 1, EVENT_GRID_SCHEDULE_MS.length - 1)] as number;
      await sleep(Math.round(base * this.settings.retryScale));
    }
    return false;
  }
}

function matches(sub: SubscriberSpec, event: JsonObject, spec: ArmEventSpec): boolean {
  if (sub.resourceGroup !== undefined && sub.resourceGroup.toLowerCase() !== spec.resourceGroup.toLowerCase())
    return false;
  if (sub.includedEventTypes !== undefined && !sub.includedEventTypes.includes(text(event['eventType'])))
    return false;
  if (
    sub.subjectBeginsWith !== undefined &&
    !spec.resourceUri.toLowerCase().startsWith(sub.subjectBeginsWith.toLowerCase())
  )
    return false;
  return true;
}

/** Event Grid's 7-digit fractional seconds, e.g. `2018-07-19T18:38:04.6117357Z`. */
function eventTime(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function post(
  sub: SubscriberSpec,
  events: Json[],
  headers: Record<string, string>,
): Promise<{ status: number | 'network-error'; body: string }> {
  const url = new URL(sub.url);
  const payload = JSON.stringify(events);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
        timeout: 30_000,
        ...(sub.ca === undefined ? {} : { ca: sub.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', () => resolve({ status: 'network-error', body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 'network-error', body: '' }));
    req.end(payload);
  });
}
