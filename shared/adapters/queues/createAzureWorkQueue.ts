/**
 * `WorkQueue` on an Azure Storage queue (or Azurite) via `@azure/storage-queue`, reached by connection
 * string or by endpoint and managed identity (`StorageAccess`). The queue is created on first use.
 * Messages keep the service's default time-to-live (7 days): an older reconcile request is moot, the
 * resync timer covers the pool anyway.
 */
import { ValidationError } from '../../core/errors.js';
import type { StateClock } from '../../ports/stateStore.js';
import type { WorkQueue } from '../../ports/workQueue.js';
import type { StorageAccess } from '../system/createStorageAccess.js';
import { translateStorageError } from '../tables/translateStorageError.js';
import { createQueueClient } from './createQueueClient.js';
import { buildReconcileRequest, encodeReconcileMessage } from './reconcileMessage.js';

export interface AzureWorkQueueOptions {
  readonly storage: StorageAccess;
  /** Lower-case letters, digits and single hyphens, 3–63 characters. */
  readonly queueName: string;
  readonly clock?: StateClock;
}

export function createAzureWorkQueue(options: AzureWorkQueueOptions): WorkQueue {
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(options.queueName))
    throw new ValidationError([
      { field: 'queueName', message: `${JSON.stringify(options.queueName)} is not a storage queue name` },
    ]);
  const queue = createQueueClient(options.storage, options.queueName);
  const clock = options.clock ?? { nowMs: () => Date.now() };
  let created: Promise<unknown> | undefined;
  return {
    async enqueue(input, signal) {
      const request = buildReconcileRequest(input, new Date(clock.nowMs()));
      try {
        created ??= queue.createIfNotExists({ abortSignal: signal });
        await created;
      } catch (e) {
        created = undefined;
        throw translateStorageError(e, `create queue ${options.queueName}`);
      }
      try {
        await queue.sendMessage(encodeReconcileMessage(request), {
          visibilityTimeout: Math.ceil((input.delayMs ?? 0) / 1000),
          abortSignal: signal,
        });
      } catch (e) {
        throw translateStorageError(e, `enqueue to ${options.queueName}`);
      }
    },
  };
}
