/**
 * How the storage adapters (state tables, work queue, poison-queue reader) reach the storage account,
 * built from `EgretConfig.storage` (shared/config.ts):
 * - `connectionString` — Azurite locally, or an account key in Azure;
 * - `identity` — what the deployment template configures (`AzureWebJobsStorage__accountName`,
 *   `__clientId`, `__credential: managedidentity`, no key): the table and queue endpoints plus a
 *   `TokenCredential`. The credential is the app's managed identity — user-assigned when a client id is
 *   set, else system-assigned. In a Functions app @azure/identity reaches it through the endpoint App
 *   Service announces in `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`. The storage SDKs ask it for their own
 *   scope (`https://storage.azure.com/.default`), not ARM's, so this is a credential of its own, not
 *   the ARM one (shared/adapters/credentials/createArmCredential.ts), even when both name one identity.
 *
 * Creating the access does no I/O; the first storage call fetches a token (cached and refreshed by
 * @azure/identity and the SDKs' bearer policies).
 */
import type { TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import type { StorageConfig } from '../../config.js';
import { assertNever } from '../../core/errors.js';

/** Where the storage account is and how to authenticate to it. */
export type StorageAccess =
  | {
      readonly kind: 'connectionString';
      readonly connectionString: string;
      /** A CA to trust for an https endpoint with a private certificate (Azurite over https). */
      readonly caPem?: string;
    }
  | {
      readonly kind: 'identity';
      /** The account's table service URL, e.g. `https://<account>.table.core.windows.net`. */
      readonly tableEndpoint: string;
      /** The account's queue service URL, e.g. `https://<account>.queue.core.windows.net`. */
      readonly queueEndpoint: string;
      /** Asked for the storage scope; the SDKs send its tokens as bearer tokens (https only). */
      readonly credential: TokenCredential;
      /** A CA to trust for an endpoint with a private certificate (Azurite over https). */
      readonly caPem?: string;
    };

export interface CreateStorageAccessOptions {
  /** Overrides the managed identity credential of an `identity` configuration. */
  readonly credential?: TokenCredential;
  /** A CA to trust (tests against Azurite over https); Azure's public endpoints need none. */
  readonly caPem?: string;
}

/** The access the storage configuration describes. */
export function createStorageAccess(
  storage: StorageConfig,
  options: CreateStorageAccessOptions = {},
): StorageAccess {
  const ca = options.caPem === undefined ? {} : { caPem: options.caPem };
  switch (storage.kind) {
    case 'connectionString':
      return { kind: 'connectionString', connectionString: storage.connectionString, ...ca };
    case 'identity':
      return {
        kind: 'identity',
        tableEndpoint: storage.tableEndpoint,
        queueEndpoint: storage.queueEndpoint,
        credential: options.credential ?? createStorageCredential(storage),
        ...ca,
      };
    default:
      return assertNever(storage, 'storage kind');
  }
}

/**
 * The managed identity named by the storage configuration: user-assigned by client id
 * (`AzureWebJobsStorage__clientId`), else the app's system-assigned identity.
 */
export function createStorageCredential(storage: { readonly clientId?: string }): TokenCredential {
  return storage.clientId === undefined
    ? new ManagedIdentityCredential()
    : new ManagedIdentityCredential({ clientId: storage.clientId });
}

/** The CA option of the SDK pipelines (core-rest-pipeline `tlsOptions`), when there is one. */
export function tlsOptionsOf(access: StorageAccess): { readonly tlsOptions?: { readonly ca: string } } {
  return access.caPem === undefined ? {} : { tlsOptions: { ca: access.caPem } };
}
