/**
 * Queue triggers of the local Functions host against real Azurite queues: base64 JSON messages parsed
 * before the handler, dequeueCount in triggerMetadata, retry after failure, the poison queue after
 * maxDequeueCount, undecodable messages poisoned at once; and the polling back-off of an idle queue,
 * capped by the app's own host.json `maxPollingInterval`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../infra/local/azurite/startAzurite.js';
import { createManualClock, type HostClock } from '../../infra/local/functions-host/hostClock.js';
import { createAzureWorkQueue } from '../../shared/adapters/queues/createAzureWorkQueue.js';
import {
  startFunctionsHost,
  type FunctionsHost,
  type HostEvent,
} from '../../infra/local/functions-host/startFunctionsHost.js';
import { seen } from './fixtures/app/recorder.js';

const queueModule = fileURLToPath(new URL('./fixtures/queueApp/queue.ts', import.meta.url));
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('local Functions host: queue triggers on Azurite', () => {
  let azurite: Azurite;
  let host: FunctionsHost;
  let queue: QueueClient;
  let poison: QueueClient;
  const events: HostEvent[] = [];
  const waiters: { cond: () => boolean; resolve: () => void }[] = [];
  const until = (cond: () => boolean): Promise<void> =>
    cond() ? Promise.resolve() : new Promise((resolve) => waiters.push({ cond, resolve }));

  before(async () => {
    azurite = await startAzurite();
    queue = new QueueClient(azurite.connectionString, 'work-items');
    poison = new QueueClient(azurite.connectionString, 'work-items-poison');
    await queue.create();
    host = await startFunctionsHost({
      modules: [queueModule],
      settings: { AzureWebJobsStorage: azurite.connectionString },
      hostJson: {
        version: '2.0',
        extensions: {
          queues: {
            maxPollingInterval: '00:00:00.200',
            visibilityTimeout: '00:00:00',
            maxDequeueCount: 3,
            batchSize: 4,
          },
        },
      },
      log: () => undefined,
    });
    host.onEvent((e) => {
      events.push(e);
      for (const w of [...waiters])
        if (w.cond()) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    });
  });
  after(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  const outcomes = (id: string): { outcome: string; dequeueCount: unknown }[] =>
    seen.queue
      .filter((q) => (q.entry as { id?: string } | null)?.id === id)
      .map((q) => ({ outcome: q.failed ? 'failed' : 'succeeded', dequeueCount: q.dequeueCount }));
  const succeeded = (): number =>
    events.filter((e) => e.kind === 'invocation' && e.outcome === 'succeeded').length;

  it('registers the queue trigger with its queue and connection', () => {
    assert.deepEqual(host.registrations[0]!.trigger, {
      kind: 'queue',
      queueName: 'work-items',
      connection: 'AzureWebJobsStorage',
    });
  });

  it('decodes base64, parses JSON, passes dequeueCount and deletes the message on success', async () => {
    await queue.sendMessage(b64(JSON.stringify({ id: 'a', n: 1 })));
    await until(() => events.some((e) => e.kind === 'invocation' && e.outcome === 'succeeded'));
    const got = seen.queue.find((q) => (q.entry as { id?: string }).id === 'a')!;
    assert.deepEqual(got.entry, { id: 'a', n: 1 });
    assert.equal(got.dequeueCount, 1);
    assert.equal(typeof got.id, 'string');
    await host.idle();
    const left = await queue.peekMessages({ numberOfMessages: 32 });
    assert.equal(left.peekedMessageItems.length, 0);
  });

  it('hands a non-JSON message over as a string', async () => {
    const done = succeeded();
    await queue.sendMessage(b64('plain text'));
    await until(() => succeeded() > done);
    assert.ok(seen.queue.some((q) => q.entry === 'plain text'));
  });

  it('retries a failing message with a growing dequeueCount until it succeeds', async () => {
    const done = succeeded();
    await queue.sendMessage(b64(JSON.stringify({ id: 'b', failUntil: 2 })));
    await until(() => succeeded() > done);
    assert.deepEqual(outcomes('b'), [
      { outcome: 'failed', dequeueCount: 1 },
      { outcome: 'failed', dequeueCount: 2 },
      { outcome: 'succeeded', dequeueCount: 3 },
    ]);
    assert.equal(events.filter((e) => e.kind === 'poisoned').length, 0);
  });

  it('moves a message to <queue>-poison after maxDequeueCount failures', async () => {
    const text = b64(JSON.stringify({ id: 'c', failUntil: 99 }));
    await queue.sendMessage(text);
    await until(() => events.some((e) => e.kind === 'poisoned' && e.reason === 'maxDequeueCount'));
    assert.deepEqual(outcomes('c'), [
      { outcome: 'failed', dequeueCount: 1 },
      { outcome: 'failed', dequeueCount: 2 },
      { outcome: 'failed', dequeueCount: 3 },
    ]);
    const poisoned = await poison.receiveMessages({ numberOfMessages: 32 });
    assert.deepEqual(
      poisoned.receivedMessageItems.map((m) => m.messageText),
      [text],
    );
    await poison.deleteMessage(
      poisoned.receivedMessageItems[0]!.messageId,
      poisoned.receivedMessageItems[0]!.popReceipt,
    );
  });

  it('poisons a message that is not base64 without invoking the function', async () => {
    const before = seen.queue.length;
    await queue.sendMessage('not base64!');
    await until(() => events.some((e) => e.kind === 'poisoned' && e.reason === 'decodingFailed'));
    assert.equal(seen.queue.length, before);
    const poisoned = await poison.peekMessages({ numberOfMessages: 32 });
    assert.deepEqual(
      poisoned.peekedMessageItems.map((m) => m.messageText),
      ['not base64!'],
    );
  });

  it("hands egret's reconcile requests (WorkQueue adapter) to the handler as parsed JSON", async () => {
    const work = createAzureWorkQueue({
      storage: { kind: 'connectionString', connectionString: azurite.connectionString },
      queueName: 'work-items',
    });
    const done = succeeded();
    await work.enqueue({ poolKey: 'vmss:rg-gw:gw', reason: 'test' }, new AbortController().signal);
    await until(() => succeeded() > done);
    const got = seen.queue.find((q) => (q.entry as { poolKey?: string }).poolKey === 'vmss:rg-gw:gw');
    assert.equal((got?.entry as { reason?: string }).reason, 'test');
    assert.match((got?.entry as { enqueuedAt?: string }).enqueuedAt ?? '', /^\d{4}-\d\d-\d\dT/);
  });
  describe("an idle queue, polled as the app's host.json says", () => {
    const idleModule = fileURLToPath(new URL('./fixtures/queueApp/idleQueue.ts', import.meta.url));
    const appHostJson = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../host.json', import.meta.url)), 'utf8'),
    ) as unknown;
    const clock = createManualClock(Date.parse('2026-02-01T12:00:00.000Z'));
    /** Every wait the listener asked for between polls, in order. */
    const waits: number[] = [];
    const idleEvents: HostEvent[] = [];
    const notify: (() => void)[] = [];
    const changed = (): void => {
      for (const f of notify.splice(0)) f();
    };
    const when = async (cond: () => boolean): Promise<void> => {
      while (!cond()) await new Promise<void>((resolve) => notify.push(resolve));
    };
    const queueClock: HostClock = {
      now: () => clock.now(),
      schedule(ms, fn) {
        waits.push(ms);
        const cancel = clock.schedule(ms, fn);
        changed();
        return cancel;
      },
    };
    let idleHost: FunctionsHost | undefined;
    let idleQueue: QueueClient;

    before(async () => {
      idleQueue = new QueueClient(azurite.connectionString, 'idle-items');
      await idleQueue.create();
      idleHost = await startFunctionsHost({
        modules: [idleModule],
        settings: { AzureWebJobsStorage: azurite.connectionString },
        hostJson: appHostJson,
        queueClock,
        log: () => undefined,
      });
      idleHost.onEvent((e) => {
        idleEvents.push(e);
        changed();
      });
    });
    after(async () => {
      await idleHost?.stop();
    });

    it('backs off from 100 ms to maxPollingInterval (2 s) while the queue stays empty', async () => {
      for (let polls = 1; polls <= 8; polls++) {
        await when(() => waits.length >= polls);
        clock.advance(waits[polls - 1]!);
      }
      await when(() => waits.length >= 9);
      assert.deepEqual(waits, [100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000]);
    });

    it('picks up a message sent to the idle queue once maxPollingInterval has passed', async () => {
      assert.equal(waits.at(-1), 2000, 'the listener waits its longest');
      await idleQueue.sendMessage(b64(JSON.stringify({ id: 'late' })));
      assert.equal(idleEvents.length, 0);
      clock.advance(2000);
      await when(() => idleEvents.some((e) => e.kind === 'invocation' && e.outcome === 'succeeded'));
      assert.deepEqual(
        idleEvents.map((e) => e.kind === 'invocation' && e.functionName),
        ['idle'],
      );
    });
  });
});
