import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parseRelayEventsRequest, parseRelayStatusResponse } from '../../shared/core/relayContract.js';
import { signRelayRequest, verifyRelayRequest } from '../../shared/core/relaySignature.js';
import type { HmacSha256Hex, RelayCrypto } from '../../shared/core/relaySignature.js';

const hmac: HmacSha256Hex = (secret, message) =>
  createHmac('sha256', secret).update(message, 'utf8').digest('hex');

const object = (uid: string) => ({
  apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
  kind: 'StaticGatewayConfiguration',
  metadata: { name: 'gw', namespace: 'ns', uid, generation: 2 },
  spec: { gatewayNodepoolName: 'gwpool', excludeCidrs: ['not-a-cidr'] },
});

describe('relayEvents body', () => {
  it('accepts a well-formed body (bad spec values are for validation, not the contract)', () => {
    const r = parseRelayEventsRequest({
      clusterId: 'aks-1',
      events: [
        { type: 'ADDED', object: object('u1') },
        { type: 'SYNC', object: object('u2') },
      ],
    });
    assert.equal(r.kind, 'ok');
    if (r.kind === 'ok')
      assert.deepEqual(
        r.value.events.map((e) => e.object.metadata.uid),
        ['u1', 'u2'],
      );
  });

  it('names every problem by path', () => {
    const bad = object('');
    const r = parseRelayEventsRequest({
      clusterId: 'a/b',
      events: [
        { type: 'ADDED', object: object('ok') },
        { type: 'UPDATED', object: object('u') },
        { type: 'MODIFIED', object: { ...bad, kind: 'Pod', metadata: { ...bad.metadata, generation: -1 } } },
        { type: 'DELETED', object: { ...object('u'), spec: [] } },
        'x',
      ],
    });
    assert.equal(r.kind, 'invalid');
    if (r.kind !== 'invalid') return;
    assert.deepEqual(
      r.problems.map((p) => p.field),
      [
        'clusterId',
        'events[1].type',
        'events[2].object.kind',
        'events[2].object.metadata.uid',
        'events[2].object.metadata.generation',
        'events[3].object.spec',
        'events[4]',
      ],
    );
  });

  it('refuses a body that is not an object or has no events list', () => {
    assert.equal(parseRelayEventsRequest([]).kind, 'invalid');
    const r = parseRelayEventsRequest({ clusterId: 'c' });
    assert.ok(r.kind === 'invalid' && r.problems[0]?.field === 'events');
  });
});

describe('relayStatus answer', () => {
  it('parses items and names problems', () => {
    const ok = parseRelayStatusResponse({
      items: [
        { namespace: 'ns', name: 'gw', uid: 'u', status: { egressIpPrefix: '1.2.3.4/31' }, finalized: false },
      ],
    });
    assert.equal(ok.kind, 'ok');
    const bad = parseRelayStatusResponse({
      items: [{ namespace: 'ns', name: 'gw', uid: 'u', status: {}, finalized: 'no' }],
    });
    assert.ok(bad.kind === 'invalid' && bad.problems[0]?.field === 'items[0].finalized');
  });
});

describe('HMAC signing (v2: method, path, query, cluster, timestamp, nonce, body hash)', () => {
  const secret = 'shared-secret';
  const body = '{"clusterId":"c","events":[]}';
  const now = 1_750_000_000;
  const nonce = 'n0nce-0123456789abcdef';
  const target = { method: 'GET', path: '/api/relay/status', query: 'clusterId=c&b=2', clusterId: 'c' };
  const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const crypto: RelayCrypto = {
    hmacSha256Hex: hmac,
    sha256Hex,
    equal: (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b)),
  };
  const bytes = new TextEncoder().encode(body);
  const headers = signRelayRequest({ secret, target, body, nowSeconds: now, nonce, crypto });
  const signed = {
    clusterId: headers['X-Egret-Cluster'],
    timestamp: headers['X-Egret-Timestamp'],
    nonce: headers['X-Egret-Nonce'],
    signature: headers['X-Egret-Signature'],
  };
  const verify = (over: Partial<Parameters<typeof verifyRelayRequest>[0]> = {}) =>
    verifyRelayRequest({
      secretOf: (c) => (c === 'c' ? secret : undefined),
      headers: signed,
      target: { method: 'GET', path: '/api/relay/status', query: 'b=2&clusterId=c' },
      body: bytes,
      nowSeconds: now + 299,
      crypto,
      ...over,
    });

  it('signs the documented string to sign and verifies (query order does not matter)', () => {
    const message = [
      'egret-relay-v2',
      'GET',
      '/api/relay/status',
      'b=2&clusterId=c',
      'c',
      String(now),
      nonce,
      sha256Hex(bytes),
    ].join('\n');
    assert.equal(headers['X-Egret-Signature'], `sha256=${hmac(secret, message)}`);
    const v = verify();
    assert.equal(v.kind, 'ok');
  });

  const cases: [string, Partial<Parameters<typeof verifyRelayRequest>[0]>, string][] = [
    ['a changed body', { body: new TextEncoder().encode(body.replace('[]', '[{}]')) }, 'bad-signature'],
    ['another secret', { secretOf: () => 'other' }, 'bad-signature'],
    ['another cluster', { headers: { ...signed, clusterId: 'd' }, secretOf: () => secret }, 'bad-signature'],
    ['a cluster without a secret', { headers: { ...signed, clusterId: 'd' } }, 'unknown-cluster'],
    [
      'another query',
      { target: { method: 'GET', path: '/api/relay/status', query: 'clusterId=d&b=2' } },
      'bad-signature',
    ],
    [
      'another path',
      { target: { method: 'GET', path: '/api/relay/events', query: 'b=2&clusterId=c' } },
      'bad-signature',
    ],
    [
      'another method',
      { target: { method: 'POST', path: '/api/relay/status', query: 'b=2&clusterId=c' } },
      'bad-signature',
    ],
    ['another nonce', { headers: { ...signed, nonce: 'x'.repeat(20) } }, 'bad-signature'],
    ['a malformed nonce', { headers: { ...signed, nonce: 'short' } }, 'bad-nonce'],
    ['a replay after 5 minutes', { nowSeconds: now + 301 }, 'stale'],
    ['a timestamp from the future', { nowSeconds: now - 301 }, 'stale'],
    ['no signature', { headers: { ...signed, signature: undefined } }, 'missing-header'],
    ['no cluster', { headers: { ...signed, clusterId: undefined } }, 'missing-header'],
    ['a non-numeric timestamp', { headers: { ...signed, timestamp: '2025-01-01' } }, 'bad-timestamp'],
  ];
  for (const [name, change, reason] of cases) {
    it(`rejects ${name}`, () => {
      const v = verify(change);
      assert.ok(v.kind === 'rejected' && v.reason === reason, JSON.stringify(v));
    });
  }

  it('compares with the injected constant-time equal', () => {
    let calls = 0;
    const v = verify({ crypto: { ...crypto, equal: (a, b) => (calls++, crypto.equal(a, b)) } });
    assert.equal(v.kind, 'ok');
    assert.equal(calls, 1);
  });
});
