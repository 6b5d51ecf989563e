/**
 * A `@azure/storage-queue` client for one queue of the account `StorageAccess` describes: by
 * connection string, or by the queue service endpoint and a `TokenCredential` (the SDK then asks for
 * the storage scope and sends bearer tokens, over https only).
 */
import { QueueClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { assertNever } from '../../core/errors.js';
import { tlsOptionsOf, type StorageAccess } from '../system/createStorageAccess.js';

/** Builds the client of `queueName` (no I/O). */
export function createQueueClient(access: StorageAccess, queueName: string): QueueClient {
  // `StoragePipelineOptions` does not declare core-rest-pipeline's `tlsOptions`, but the queue SDK hands
  // all its pipeline options to core-rest-pipeline's createClientPipeline, which applies them. Only a
  // private CA (Azurite over https) needs it; a dropped option shows as a certificate error, not silently.
  const options: StoragePipelineOptions & ReturnType<typeof tlsOptionsOf> = { ...tlsOptionsOf(access) };
  switch (access.kind) {
    case 'connectionString':
      return new QueueClient(access.connectionString, queueName, options);
    case 'identity':
      return new QueueClient(
        `${access.queueEndpoint.replace(/\/+$/, '')}/${queueName}`,
        access.credential,
        options,
      );
    default:
      return assertNever(access, 'storage access');
  }
}
