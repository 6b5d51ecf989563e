/**
 * The requests the HTTP fuzzer sends: fast-check arbitraries for hostile values (lone surrogates,
 * forbidden key characters, %-escapes, 2,000-character strings, 6,000-deep nesting, any JSON), and
 * valid bodies of every boundary mutated with them (a value replaced, a key dropped, a list doubled).
 * Everything is derived from the seed, so a failure replays with `--seed`.
 */
import fc from 'fast-check';
import { signRelayHttpRequest } from '../../shared/adapters/system/hmacSha256Hex.js';
import { MAX_RELAY_BODY_BYTES } from '../../shared/core/relayContract.js';
import { API_GROUP_VERSION, STATIC_GATEWAY_CONFIGURATION_KIND } from '../../shared/core/wellKnown.js';

/** One request to send. */
export interface FuzzRequest {
  readonly target: 'relayEvents' | 'relayStatus' | 'eventGrid' | 'handshake' | 'admin';
  readonly method: 'GET' | 'POST';
  /** Path and query, relative to the Functions base URL. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** What building requests needs. */
export interface FuzzContext {
  readonly secret: string;
  /** The cluster the fuzzer's relay requests are signed for (not the one checked afterwards). */
  readonly clusterId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly vmssName: string;
  readonly nowSeconds: () => number;
}

/** A deeply nested value stands in as a marker until {@link toJson} writes it out as text. */
const DEEP = '__fuzz_deep__';
const nest = (depth: number): unknown => ({ [DEEP]: depth });

/** JSON text of a generated value, deep markers expanded (the client's stack stays shallow). */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(/\{"__fuzz_deep__":(\d+)\}/g, (_, n: string) => {
    const d = Math.min(Number(n), 6_000);
    return `${'{"a":['.repeat(d)}1${']}'.repeat(d)}`;
  });
}

/** Hostile strings: what broke the boundaries in issue 12, and anything else. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '%',
    '%%',
    '%E0%A4%A',
    '%2F',
    '/',
    '\\',
    '#',
    '?',
    '\u0000',
    '\u0085',
    '\ud800',
    '\udfff',
    'a'.repeat(66),
    'a'.repeat(67),
    'a'.repeat(506),
    'a'.repeat(513),
    '..',
    'Ünïcødé',
    '𝄞',
    'null',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', minLength: 500, maxLength: 2000 }),
);

/** Hostile JSON values. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.anything({ maxDepth: 3 }),
  fc.integer({ min: 30, max: 6_000 }).map(nest),
  fc.constantFrom(null, true, -1, 1e308, 2 ** 53 + 1, 0.5, [], {}),
);

/** A mutation of a JSON value at a random path. */
interface Mutation {
  readonly steps: readonly number[];
  readonly op: 'replace' | 'drop' | 'double';
  readonly value: unknown;
}
const mutation: fc.Arbitrary<Mutation> = fc.record({
  steps: fc.array(fc.nat(), { minLength: 0, maxLength: 8 }),
  op: fc.constantFrom('replace', 'replace', 'replace', 'drop', 'double'),
  value: hostileValue,
});

function mutate(value: unknown, m: Mutation): unknown {
  const copy = structuredClone<unknown>(value);
  let parent: Record<string, unknown> | unknown[] | undefined;
  let key: string | number | undefined;
  let at: unknown = copy;
  for (const step of m.steps) {
    if (at === null || typeof at !== 'object') break;
    const keys = Array.isArray(at) ? at.map((_, i) => i) : Object.keys(at);
    if (keys.length === 0) break;
    parent = at as Record<string, unknown>;
    key = keys[step % keys.length];
    at = (parent as Record<string | number, unknown>)[key as string];
  }
  if (parent === undefined || key === undefined) return m.op === 'replace' ? m.value : copy;
  const p = parent as Record<string | number, unknown>;
  if (m.op === 'drop') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete p[key];
  } else if (m.op === 'double' && Array.isArray(at)) p[key] = [...(at as unknown[]), ...(at as unknown[])];
  else p[key] = m.value;
  return copy;
}

const uidOf = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A valid relayEvents body of 1–3 events on a small set of uids (a nodepool that never resolves). */
const validRelayBody = (clusterId: string) =>
  fc
    .array(
      fc.record({
        type: fc.constantFrom('ADDED', 'MODIFIED', 'DELETED', 'SYNC'),
        uid: fc.nat({ max: 15 }),
        generation: fc.nat({ max: 5 }),
        resourceVersion: fc.nat({ max: 1_000_000 }),
      }),
      { minLength: 1, maxLength: 3 },
    )
    .map((events) => ({
      clusterId,
      events: events.map((e) => ({
        type: e.type,
        object: {
          apiVersion: API_GROUP_VERSION,
          kind: STATIC_GATEWAY_CONFIGURATION_KIND,
          metadata: {
            namespace: 'fuzz',
            name: `f-${e.uid}`,
            uid: uidOf(e.uid),
            generation: e.generation,
            resourceVersion: String(e.resourceVersion),
          },
          spec: { gatewayNodepoolName: 'fuzz-nowhere', excludeCidrs: ['10.0.0.0/8'] },
        },
      })),
    }));

const validArmEvent = (ctx: FuzzContext) =>
  fc
    .record({ id: fc.uuid(), own: fc.boolean(), op: fc.constantFrom('write', 'virtualMachines/write') })
    .map((e) => {
      const rg = e.own ? ctx.resourceGroup : 'rg-not-egret';
      const uri = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${ctx.vmssName}${e.op === 'write' ? '' : '/virtualMachines/0'}`;
      return {
        id: e.id,
        topic: `/subscriptions/${ctx.subscriptionId}/resourceGroups/${rg}`,
        subject: uri,
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        eventTime: '2026-01-01T00:00:00Z',
        dataVersion: '2',
        metadataVersion: '1',
        data: {
          operationName: `Microsoft.Compute/virtualMachineScaleSets/${e.op}`,
          resourceUri: uri,
          status: 'Succeeded',
        },
      };
    });

/** How the signature of a relay request is spoiled (mostly not: most requests must reach the body). */
const signing = fc.constantFrom(
  'good',
  'good',
  'good',
  'good',
  'good',
  'good',
  'none',
  'wrong',
  'stale',
  'oversize',
);

function relayHeaders(
  ctx: FuzzContext,
  input: { method: 'GET' | 'POST'; path: string; body: string; clusterId: string; how: string },
): Record<string, string> {
  if (input.how === 'none') return {};
  const h = signRelayHttpRequest({
    secret: input.how === 'wrong' ? `${ctx.secret}-wrong` : ctx.secret,
    clusterId: input.clusterId,
    method: input.method,
    url: input.path,
    body: input.body,
    nowSeconds: ctx.nowSeconds() - (input.how === 'stale' ? 600 : 0),
  });
  return { ...h };
}

/** The request arbitrary over every boundary. */
export function fuzzRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const relayEvents = fc
    .tuple(validRelayBody(ctx.clusterId), fc.array(mutation, { maxLength: 3 }), signing, fc.boolean())
    .map(([valid, ms, how, rawBytes]): FuzzRequest => {
      const mutated = ms.reduce<unknown>((v, m) => mutate(v, m), valid);
      let body = toJson(mutated);
      if (rawBytes && ms.length === 3) body = body.slice(0, Math.floor(body.length / 2)); // truncated JSON
      // Over the 4 MiB limit, signed: refused with 413 before the signature is even computed.
      if (how === 'oversize') body = `{"pad":"${'x'.repeat(MAX_RELAY_BODY_BYTES)}"}`;
      const clusterId =
        typeof (mutated as { clusterId?: unknown } | null)?.clusterId === 'string'
          ? (mutated as { clusterId: string }).clusterId
          : ctx.clusterId;
      const path = '/api/relay/events';
      return {
        target: 'relayEvents',
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          ...relayHeaders(ctx, {
            method: 'POST',
            path,
            body,
            clusterId,
            how: how === 'oversize' ? 'good' : how,
          }),
        },
        body,
      };
    });
  const relayStatus = fc
    .tuple(fc.oneof(fc.constant(ctx.clusterId), hostileString), signing, fc.boolean())
    .map(([clusterId, how, omit]): FuzzRequest => {
      const path = omit
        ? '/api/relay/status'
        : `/api/relay/status?clusterId=${encodeURIComponent(clusterId.replace(/[\ud800-\udfff]/g, '\ufffd'))}`;
      const signedFor = new URL(path, 'http://x').searchParams.get('clusterId') ?? ctx.clusterId;
      return {
        target: 'relayStatus',
        method: 'GET',
        path,
        headers: relayHeaders(ctx, {
          method: 'GET',
          path,
          body: '',
          clusterId: signedFor || 'x',
          how: how === 'oversize' ? 'good' : how,
        }),
      };
    });
  const eventGrid = fc
    .tuple(
      fc.array(validArmEvent(ctx), { minLength: 1, maxLength: 5 }),
      fc.array(mutation, { maxLength: 3 }),
      fc.boolean(),
    )
    .map(([events, ms, one]): FuzzRequest => ({
      target: 'eventGrid',
      method: 'POST',
      path: '/runtime/webhooks/EventGrid?functionName=armEvents',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: toJson(ms.reduce<unknown>((v, m) => mutate(v, m), one ? events[0] : events)),
    }));
  const handshake = fc
    .tuple(
      fc.uuid(),
      fc.array(mutation, { maxLength: 2 }),
      fc.constantFrom('SubscriptionValidation', 'Notification', 'Unsubscribe', 'nonsense'),
    )
    .map(([code, ms, type]): FuzzRequest => ({
      target: 'handshake',
      method: 'POST',
      path: '/runtime/webhooks/EventGrid?functionName=armEvents',
      headers: { 'content-type': 'application/json', 'aeg-event-type': type },
      body:
        toJson(
          ms.reduce<unknown>(
            (v, m) => mutate(v, m),
            [
              {
                id: code,
                eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
                subject: '',
                eventTime: '2026-01-01T00:00:00Z',
                dataVersion: '1',
                data: { validationCode: code },
              },
            ],
          ),
        ) ?? 'null',
    }));
  const segment = fc.oneof(
    hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'))),
    fc.constantFrom('%', '%25', '%E0%A4%A', 'vmss%3Arg-egret%3Aaks-gw-vmss', '..', ''),
  );
  const admin = fc
    .tuple(
      fc.constantFrom(
        'health',
        'configurations',
        'pools',
        'poison',
        'pools/{}/audit',
        'pools/{}/reconcile',
        '{}',
        '{}/{}',
      ),
      segment,
      segment,
      fc.constantFrom(
        '',
        '?limit=2',
        '?limit=0',
        '?limit=x',
        '?continuationToken=',
        '?clusterId=',
        '?limit=1&continuationToken=',
      ),
      segment,
      fc.constantFrom<'GET' | 'POST'>('GET', 'GET', 'POST'),
    )
    .map(([route, a, b, query, q, method]): FuzzRequest => {
      const path = route.replace('{}', a).replace('{}', b);
      return {
        target: 'admin',
        method: route.endsWith('reconcile') ? 'POST' : method,
        path: `/api/manage/${path}${query}${query.endsWith('=') ? q : ''}`,
        headers: {},
      };
    });
  return fc.oneof(relayEvents, relayEvents, relayStatus, eventGrid, handshake, admin);
}
