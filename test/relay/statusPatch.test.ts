/** Status ownership and the minimal merge patch (pure). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createMergePatch,
  desiredStatus,
  jsonEqual,
  normalizeReportedStatus,
  statusMergePatch,
} from '../../agents/relay/statusPatch.js';
import { applyMergePatch } from '../../infra/local/kube/patch/mergePatch.js';
import type { Json } from '../../infra/local/kube/json.js';
import type { StaticGatewayConfigurationStatus } from '../../shared/core/staticGatewayConfiguration.js';

const key = { publicKey: 'PUB=', secretName: 'sgw-1', secretNamespace: 'egret-system' };
const keyRef = { apiVersion: 'v1', kind: 'Secret', name: 'sgw-1', namespace: 'egret-system' };
const ready = (reason: string) => ({
  type: 'Ready',
  status: 'True' as const,
  reason,
  message: 'm',
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

describe('desiredStatus', () => {
  it('before the control plane reports, keeps what is there and sets the key', () => {
    const current: StaticGatewayConfigurationStatus = {
      egressIpPrefix: '20.0.0.0/31',
      gatewayServerProfile: { ip: '10.0.0.4', port: 6000 },
    };
    assert.deepEqual(desiredStatus({ current, reported: undefined, key }), {
      egressIpPrefix: '20.0.0.0/31',
      gatewayServerProfile: { ip: '10.0.0.4', port: 6000, publicKey: 'PUB=', privateKeySecretRef: keyRef },
    });
  });

  it('a report replaces every field the control plane owns, and keeps the key fields', () => {
    const current: StaticGatewayConfigurationStatus = {
      egressIpPrefix: 'old',
      gatewayVMProfiles: [{ nodeName: 'a', primaryIP: '1', secondaryIP: '2' }],
      gatewayServerProfile: { ip: 'old', port: 1, publicKey: 'PUB=', privateKeySecretRef: keyRef },
    };
    const reported: StaticGatewayConfigurationStatus = {
      observedGeneration: 3,
      conditions: [ready('Reconciled')],
      gatewayServerProfile: { ip: '10.0.0.9', port: 6001, publicKey: 'SPOOFED=' },
    };
    assert.deepEqual(desiredStatus({ current, reported, key: undefined }), {
      observedGeneration: 3,
      conditions: [ready('Reconciled')],
      gatewayServerProfile: { ip: '10.0.0.9', port: 6001, publicKey: 'PUB=', privateKeySecretRef: keyRef },
    });
  });

  it('the ensured key wins over whatever is on the object or in the report', () => {
    const current: StaticGatewayConfigurationStatus = { gatewayServerProfile: { publicKey: 'STALE=' } };
    const out = desiredStatus({ current, reported: { gatewayServerProfile: { publicKey: 'X=' } }, key });
    assert.equal(out.gatewayServerProfile?.publicKey, 'PUB=');
  });

  it('nothing known gives an empty status', () => {
    assert.deepEqual(desiredStatus({ current: undefined, reported: undefined, key: undefined }), {});
  });
});

describe('statusMergePatch', () => {
  it('is undefined when nothing changed, whatever the member order', () => {
    const a = { egressIpPrefix: 'p', gatewayServerProfile: { ip: 'i', port: 1 } };
    const b = { gatewayServerProfile: { port: 1, ip: 'i' }, egressIpPrefix: 'p' };
    assert.equal(statusMergePatch(a, b), undefined);
  });

  it('sets changed members, nulls removed ones, replaces lists whole', () => {
    const current: StaticGatewayConfigurationStatus = {
      egressIpPrefix: 'p',
      observedGeneration: 1,
      conditions: [ready('Reconciling')],
      gatewayServerProfile: { ip: 'i', port: 1 },
    };
    const desired: StaticGatewayConfigurationStatus = {
      observedGeneration: 2,
      conditions: [ready('Reconciled')],
      gatewayServerProfile: { ip: 'i', port: 2 },
    };
    assert.deepEqual(statusMergePatch(current, desired), {
      status: {
        egressIpPrefix: null,
        observedGeneration: 2,
        conditions: [ready('Reconciled')],
        gatewayServerProfile: { port: 2 },
      },
    });
  });

  it('applying the patch gives exactly the desired value (property, against the stand-in’s RFC 7386 implementation)', () => {
    const leaf = fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 9 }), fc.boolean());
    const json = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('value'), { maxKeys: 4 }),
      ),
    }));
    const object = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), json.value, { maxKeys: 4 });
    fc.assert(
      fc.property(object, object, (from, to) => {
        const patch = createMergePatch(from, to);
        const result = patch === undefined ? from : applyMergePatch(from as Json, patch as Json);
        assert.ok(jsonEqual(result, to), JSON.stringify({ from, to, patch, result }));
        assert.equal(patch === undefined, jsonEqual(from, to));
      }),
      { numRuns: 500 },
    );
  });
});

describe('normalizeReportedStatus', () => {
  it('prunes fields the CRD does not have (so the relay never patches them again and again)', () => {
    const out = normalizeReportedStatus({
      egressIpPrefix: 'p',
      internalNote: 'x',
      gatewayServerProfile: { ip: 'i', extra: 1 },
    });
    assert.deepEqual(out, { kind: 'ok', status: { egressIpPrefix: 'p', gatewayServerProfile: { ip: 'i' } } });
  });

  it('refuses a value of the wrong type, naming the field', () => {
    const out = normalizeReportedStatus({ gatewayServerProfile: { port: 'x' } });
    assert.equal(out.kind, 'invalid');
    assert.deepEqual(out.kind === 'invalid' ? out.problems.map((p) => p.field) : [], [
      'status.gatewayServerProfile.port',
    ]);
  });
});
