/**
 * `PoisonQueueReader` (shared/ports/poisonQueue.ts) over a Storage queue (or Azurite), reached by
 * connection string or by endpoint and managed identity: peeks the `<queue>-poison` queue the
 * Functions host fills. Messages are base64 as the host writes them back (it copies the original
 * text); the decoded JSON is returned when it parses, else the raw text.
 */
import type { PoisonMessage, PoisonQueueReader } from '../../ports/poisonQueue.js';
import { createQueueClient } from '../queues/createQueueClient.js';
import { translateStorageError } from '../tables/translateStorageError.js';
import type { StorageAccess } from './createStorageAccess.js';

/** Reads poison messages of `queueName` (the trigger's queue; `-poison` is appended). */
export function createAzurePoisonQueueReader(options: {
  readonly storage: StorageAccess;
  readonly queueName: string;
}): PoisonQueueReader {
  const queue = createQueueClient(options.storage, `${options.queueName}-poison`);
  return {
    async peek(max, signal) {
      try {
        const res = await queue.peekMessages({
          numberOfMessages: Math.min(32, Math.max(1, max)),
          abortSignal: signal,
        });
        return res.peekedMessageItems.map((m): PoisonMessage => ({
          messageId: m.messageId,
          insertedOn: m.insertedOn.toISOString(),
          dequeueCount: m.dequeueCount,
          body: decode(m.messageText),
        }));
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return [];
        throw translateStorageError(e, `peek ${options.queueName}-poison`);
      }
    },
  };
}

function decode(text: string): unknown {
  const raw = /^[A-Za-z0-9+/]*={0,2}$/.test(text) ? Buffer.from(text, 'base64').toString('utf8') : text;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
