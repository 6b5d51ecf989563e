/**
 * A short seeded run of the HTTP fuzzer (bench/fuzz; `npm run fuzz -- --requests 100000` is the long
 * one): relayEvents, relayStatus, the Event Grid webhook and its handshake, and admin, against the real
 * local Functions host over Azurite and the ARM stand-in. No answer ≥ 500, every rejection of egret's
 * handlers names its field, and a valid configuration still converges afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFuzz } from '../../bench/fuzz/runFuzz.js';

describe('HTTP fuzzer (seeded)', () => {
  it('400 hostile and mutated requests: no 5xx, every rejection names its field, still converges', async () => {
    const report = await runFuzz({ requests: 400, seed: 20261208, concurrency: 4 });
    assert.deepEqual(report.violations, []);
    assert.equal(report.requests, 400);
    const targets = Object.keys(report.histogram).sort();
    assert.deepEqual(targets, ['admin', 'eventGrid', 'handshake', 'relayEvents', 'relayStatus']);
    assert.ok((report.histogram['relayEvents']?.['200'] ?? 0) > 0, 'some mutated bodies are still taken');
    assert.ok((report.histogram['relayEvents']?.['413'] ?? 0) > 0, 'oversized bodies are refused');
    assert.equal(report.convergedAfter, true);
  });
});
