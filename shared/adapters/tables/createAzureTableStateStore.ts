/**
 * egret's `StateStore` on Azure Table Storage (or Azurite), reached by connection string. The six
 * tables are created on first use. Identity-based access (AzureWebJobsStorage__accountName) is for the
 * composition root to add with a TokenCredential; locally a connection string is all there is.
 */
import type { StateClock, StateStore } from '../../ports/stateStore.js';
import { createAzureStateTables } from './azureStateTables.js';
import { createTableStateStore } from './createTableStateStore.js';

export interface AzureTableStateStoreOptions {
  readonly connectionString: string;
  readonly tablePrefix?: string;
  readonly clock?: StateClock;
}

export function createAzureTableStateStore(options: AzureTableStateStoreOptions): StateStore {
  return createTableStateStore({
    tables: createAzureStateTables({ connectionString: options.connectionString }),
    ...(options.tablePrefix === undefined ? {} : { tablePrefix: options.tablePrefix }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
