/**
 * Storage queue triggers fed from Azurite (or any storage account reachable by connection string),
 * with the semantics of the Functions Storage extension (5.x) QueueListener/QueueProcessor:
 * - polls with `batchSize` messages at a time; when the queue is empty (or missing) it backs off,
 *   doubling from 100 ms up to host.json `maxPollingInterval` (default one minute: the longest an idle
 *   queue's new message waits), and polls again at once after a non-empty batch. The real extension
 *   adds random jitter; here the waits are exact, on an injectable clock;
 * - received messages stay invisible for a lease (10 min), renewed at half time while the handler
 *   runs, so a crashed host lets them reappear: at-least-once delivery;
 * - `messageEncoding: base64` (default): the text is base64-decoded first; a message that is not
 *   valid base64 goes straight to the poison queue ("Message decoding has failed!");
 * - the decoded text is handed over as a string; `@azure/functions` parses JSON before the handler;
 *   `triggerMetadata` carries id, dequeueCount, insertionTime, expirationTime, nextVisibleTime,
 *   popReceipt and queueTrigger as in Azure;
 * - success deletes the message; a failure makes it visible again after `visibilityTimeout`, and once
 *   `dequeueCount` reaches `maxDequeueCount` the message is copied to `<queue>-poison` (created on
 *   demand) and deleted; a message already dequeued more often than that (a crash loop) is poisoned
 *   before invoking.
 * Left out: `newBatchThreshold` (the next batch is fetched when the whole batch is done), the
 * per-instance concurrency across scaled-out hosts, and identity-based connections.
 */
import { randomUUID } from 'node:crypto';
import { QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';
import type { FunctionRegistration } from './describeRegistration.js';
import type { HostClock } from './hostClock.js';
import type { HostRuntime } from './hostRuntime.js';

const MIN_POLL_MS = 100;
const LEASE_SECONDS = 600;

export interface QueueBinding {
  readonly reg: FunctionRegistration;
  readonly queueName: string;
  readonly connectionString: string;
}

export class QueueTriggers {
  readonly #listeners: QueueListener[];

  /** `clock` times the waits between polls of an empty queue. */
  constructor(rt: HostRuntime, bindings: readonly QueueBinding[], clock: HostClock) {
    this.#listeners = bindings.map((b) => new QueueListener(rt, b, clock));
  }

  start(): void {
    for (const l of this.#listeners) l.start();
  }

  /** Stops polling and waits for messages being processed. */
  async stop(): Promise<void> {
    await Promise.all(this.#listeners.map((l) => l.stop()));
  }
}

class QueueListener {
  readonly #queue: QueueClient;
  readonly #poison: QueueClient;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly rt: HostRuntime,
    private readonly b: QueueBinding,
    private readonly clock: HostClock,
  ) {
    const options = { retryOptions: { maxTries: 3 } };
    this.#queue = new QueueClient(b.connectionString, b.queueName, options);
    this.#poison = new QueueClient(b.connectionString, `${b.queueName}-poison`, options);
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const cfg = this.rt.config.queues;
    let delay = MIN_POLL_MS;
    while (!this.#abort.signal.aborted) {
      let messages: DequeuedMessageItem[] = [];
      try {
        const res = await this.#queue.receiveMessages({
          numberOfMessages: cfg.batchSize,
          visibilityTimeout: LEASE_SECONDS,
          // Not aborted on stop: a receive cut short may still have dequeued messages, which would
          // then stay invisible for the whole lease. Stop waits for it and processes what came back.
        });
        messages = res.receivedMessageItems;
      } catch (e) {
        // A missing queue is normal until someone creates it (the host does not create trigger queues).
        if ((e as { statusCode?: number }).statusCode !== 404)
          this.rt.emit({ kind: 'pollError', functionName: this.b.reg.name, error: (e as Error).message });
      }
      if (messages.length === 0) {
        await this.#sleep(delay);
        delay = Math.min(Math.max(cfg.maxPollingIntervalMs, MIN_POLL_MS), delay * 2);
        continue;
      }
      delay = MIN_POLL_MS;
      await Promise.all(
        messages.map((m) =>
          this.rt.track(
            this.#process(m).catch((e: unknown) =>
              this.rt.emit({ kind: 'pollError', functionName: this.b.reg.name, error: (e as Error).message }),
            ),
          ),
        ),
      );
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.schedule(ms, done);
      function done(): void {
        cancel();
        resolve();
      }
      this.#wake = done;
    });
  }

  async #process(m: DequeuedMessageItem): Promise<void> {
    const cfg = this.rt.config.queues;
    const name = this.b.reg.name;
    let popReceipt = m.popReceipt;
    const log = (level: string, message: string): void =>
      this.rt.env.log({ level, category: 'system', message, functionName: name });

    let text: string;
    if (cfg.messageEncoding === 'base64') {
      const raw = m.messageText;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 !== 0) {
        log(
          'error',
          `Message decoding has failed! Check MessageEncoding settings. MessageId=${m.messageId}.`,
        );
        await this.#toPoison(m, popReceipt, 'decodingFailed');
        return;
      }
      text = Buffer.from(raw, 'base64').toString('utf8');
    } else {
      text = m.messageText;
    }
    if (m.dequeueCount > cfg.maxDequeueCount) {
      await this.#toPoison(m, popReceipt, 'maxDequeueCount');
      return;
    }

    // Keep the message invisible while the handler runs (the host renews its lease the same way).
    const renew = setInterval(
      () => {
        this.#queue
          .updateMessage(m.messageId, popReceipt, undefined, LEASE_SECONDS)
          .then((r) => {
            if (r.popReceipt) popReceipt = r.popReceipt;
          })
          .catch(() => undefined);
      },
      (LEASE_SECONDS * 1000) / 2,
    );
    renew.unref();

    const iso = (d: Date): string => JSON.stringify(d.toISOString());
    let ok = true;
    try {
      await this.rt.invoke(
        this.rt.find(name)!,
        'queue',
        {
          triggerData: { string: text },
          triggerMetadata: {
            QueueTrigger: { string: text },
            DequeueCount: { json: String(m.dequeueCount) },
            Id: { string: m.messageId },
            PopReceipt: { string: m.popReceipt },
            InsertionTime: { json: iso(m.insertedOn) },
            ExpirationTime: { json: iso(m.expiresOn) },
            NextVisibleTime: { json: iso(m.nextVisibleOn) },
            sys: {
              json: JSON.stringify({
                MethodName: name,
                UtcNow: new Date().toISOString(),
                RandGuid: randomUUID(),
              }),
            },
          },
        },
        { dequeueCount: m.dequeueCount },
      );
    } catch {
      ok = false;
    } finally {
      clearInterval(renew);
    }
    try {
      if (ok) await this.#queue.deleteMessage(m.messageId, popReceipt);
      else if (m.dequeueCount >= cfg.maxDequeueCount) await this.#toPoison(m, popReceipt, 'maxDequeueCount');
      else
        await this.#queue.updateMessage(
          m.messageId,
          popReceipt,
          undefined,
          Math.round(cfg.visibilityTimeoutMs / 1000),
        );
    } catch (e) {
      // The lease was lost (e.g. the message reappeared and another poller took it): it will be seen again.
      log('warning', `completing message ${m.messageId} failed: ${(e as Error).message}`);
    }
  }

  async #toPoison(
    m: DequeuedMessageItem,
    popReceipt: string,
    reason: 'maxDequeueCount' | 'decodingFailed',
  ): Promise<void> {
    const poisonName = `${this.b.queueName}-poison`;
    if (reason === 'maxDequeueCount')
      this.rt.env.log({
        level: 'warning',
        category: 'system',
        functionName: this.b.reg.name,
        message: `Message has reached MaxDequeueCount of ${this.rt.config.queues.maxDequeueCount}. Moving message to queue '${poisonName}'.`,
      });
    await this.#poison.createIfNotExists();
    await this.#poison.sendMessage(m.messageText);
    await this.#queue.deleteMessage(m.messageId, popReceipt);
    this.rt.emit({
      kind: 'poisoned',
      functionName: this.b.reg.name,
      queueName: this.b.queueName,
      messageId: m.messageId,
      reason,
    });
  }
}
