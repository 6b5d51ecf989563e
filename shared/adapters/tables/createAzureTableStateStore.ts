/**
 * egret's `StateStore` on Azure Table Storage (or Azurite), reached by connection string or — as the
 * deployment template sets it up — by endpoint and managed identity (shared/adapters/system/
 * createStorageAccess.ts). The six tables are created on first use.
 */
import type { StateClock, StateStore } from '../../ports/stateStore.js';
import type { StorageAccess } from '../system/createStorageAccess.js';
import { createAzureStateTables } from './azureStateTables.js';
import { createTableStateStore } from './createTableStateStore.js';

export interface AzureTableStateStoreOptions {
  readonly storage: StorageAccess;
  readonly tablePrefix?: string;
  readonly clock?: StateClock;
}

export function createAzureTableStateStore(options: AzureTableStateStoreOptions): StateStore {
  return createTableStateStore({
    tables: createAzureStateTables({ storage: options.storage }),
    ...(options.tablePrefix === undefined ? {} : { tablePrefix: options.tablePrefix }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
