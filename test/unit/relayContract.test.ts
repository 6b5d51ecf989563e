import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseRelayEventsRequest, parseRelayStatusResponse } from '../../shared/core/relayContract.js';
import { signRelayRequest, verifyRelayRequest } from '../../shared/core/relaySignature.js';
import type { HmacSha256Hex } from '../../shared/core/relaySignature.js';

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

describe('HMAC signing', () => {
  const secret = 'shared-secret';
  const body = '{"clusterId":"c","events":[]}';
  const now = 1_750_000_000;

  it('signs as sha256=<hex HMAC(secret, timestamp.body)> and verifies', () => {
    const headers = signRelayRequest({ secret, body, nowSeconds: now, hmac });
    assert.equal(headers['X-Egret-Timestamp'], String(now));
    assert.equal(
      headers['X-Egret-Signature'],
      `sha256=${createHmac('sha256', secret).update(`${now}.${body}`).digest('hex')}`,
    );
    const v = verifyRelayRequest({
      secret,
      body,
      nowSeconds: now + 299,
      hmac,
      timestamp: headers['X-Egret-Timestamp'],
      signature: headers['X-Egret-Signature'],
    });
    assert.deepEqual(v, { kind: 'ok' });
  });

  const headers = signRelayRequest({ secret, body, nowSeconds: now, hmac });
  const cases: [string, Partial<Parameters<typeof verifyRelayRequest>[0]>, string][] = [
    ['a changed body', { body: body.replace('[]', '[{}]') }, 'bad-signature'],
    ['another secret', { secret: 'other' }, 'bad-signature'],
    ['a replay after 5 minutes', { nowSeconds: now + 301 }, 'stale'],
    ['a timestamp from the future', { nowSeconds: now - 301 }, 'stale'],
    ['no signature', { signature: undefined }, 'missing-header'],
    ['a non-numeric timestamp', { timestamp: '2025-01-01' }, 'bad-timestamp'],
  ];
  for (const [name, change, reason] of cases) {
    it(`rejects ${name}`, () => {
      const v = verifyRelayRequest({
        secret,
        body,
        nowSeconds: now,
        hmac,
        timestamp: headers['X-Egret-Timestamp'],
        signature: headers['X-Egret-Signature'],
        ...change,
      });
      assert.ok(v.kind === 'rejected' && v.reason === reason, JSON.stringify(v));
    });
  }
});
