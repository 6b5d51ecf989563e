/**
 * The WorkQueue contract against the in-memory queue and a Storage queue on Azurite: JSON reconcile
 * requests, base64 on the wire (what the Functions host's queue trigger decodes), delayed visibility,
 * validation before anything is sent, duplicates kept (reconcile is idempotent).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../infra/local/azurite/startAzurite.js';
import { createAzureWorkQueue } from '../../shared/adapters/queues/createAzureWorkQueue.js';
import { createMemoryWorkQueue } from '../../shared/adapters/queues/createMemoryWorkQueue.js';
import { ValidationError } from '../../shared/core/errors.js';
import type { ReconcileRequest, WorkQueue } from '../../shared/ports/workQueue.js';

const signal = new AbortController().signal;
const T0 = Date.parse('2026-02-01T12:00:00.000Z');
const clock = { nowMs: () => T0 };

interface QueueWorld {
  readonly queue: WorkQueue;
  /** Takes what a consumer would receive now, decoded. */
  takeVisible(): Promise<ReconcileRequest[]>;
  /** Messages waiting, visible or not. */
  count(): Promise<number>;
}

let n = 0;
function contract(kind: string, make: () => QueueWorld): void {
  describe(`${kind}: work queue`, () => {
    it('delivers JSON reconcile requests, duplicates included', async () => {
      const w = make();
      await w.queue.enqueue({ poolKey: 'vmss:rg:gw', reason: 'relay' }, signal);
      await w.queue.enqueue({ poolKey: 'vmss:rg:gw', reason: 'relay' }, signal);
      const got = await w.takeVisible();
      const expected = { poolKey: 'vmss:rg:gw', reason: 'relay', enqueuedAt: new Date(T0).toISOString() };
      assert.deepEqual(got, [expected, expected]);
    });

    it('keeps a delayed request invisible', async () => {
      const w = make();
      await w.queue.enqueue({ poolKey: 'vmss:rg:gw', reason: 'backoff', delayMs: 3_600_000 }, signal);
      assert.deepEqual(await w.takeVisible(), []);
      assert.equal(await w.count(), 1);
    });

    it('rejects a bad pool key or delay before sending', async () => {
      const w = make();
      await assert.rejects(w.queue.enqueue({ poolKey: 'a/b', reason: 'x' }, signal), ValidationError);
      await assert.rejects(
        w.queue.enqueue({ poolKey: 'p', reason: 'x', delayMs: -1 }, signal),
        ValidationError,
      );
      await assert.rejects(
        w.queue.enqueue({ poolKey: 'p', reason: 'x', delayMs: 8 * 24 * 3600 * 1000 }, signal),
        ValidationError,
      );
      assert.equal(await w.count(), 0);
    });
  });
}

contract('in-memory', () => {
  const queue = createMemoryWorkQueue({ clock });
  return {
    queue,
    takeVisible: () => Promise.resolve(queue.takeVisible()),
    count: () => Promise.resolve(queue.size),
  };
});

describe('Azurite', () => {
  let azurite: Azurite | undefined;
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite?.stop();
  });
  contract('Azurite', () => {
    if (!azurite) throw new Error('Azurite is not running');
    const queueName = `work-${++n}`;
    const raw = new QueueClient(azurite.connectionString, queueName);
    return {
      queue: createAzureWorkQueue({
        storage: { kind: 'connectionString', connectionString: azurite.connectionString },
        queueName,
        clock,
      }),
      async takeVisible() {
        if (!(await raw.exists())) return [];
        const res = await raw.receiveMessages({ numberOfMessages: 32 });
        return res.receivedMessageItems.map(
          (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as ReconcileRequest,
        );
      },
      async count() {
        if (!(await raw.exists())) return 0;
        return (await raw.getProperties()).approximateMessagesCount ?? 0;
      },
    };
  });
});
