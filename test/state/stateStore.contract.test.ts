/**
 * The StateStore contract (test/state/support/stateStoreContract.ts), run against the in-memory store
 * and against Table Storage on Azurite by connection string (one Azurite per file). The identity-based
 * path runs its smoke subset in identityStorage.test.ts.
 */
import { after, before, describe } from 'node:test';
import { startAzurite, type Azurite } from '../../infra/local/azurite/startAzurite.js';
import { createAzureStateTables } from '../../shared/adapters/tables/azureStateTables.js';
import { createMemoryStateTables } from '../../shared/adapters/tables/memoryStateTables.js';
import { stateStoreContract } from './support/stateStoreContract.js';

stateStoreContract('in-memory', () => createMemoryStateTables());

describe('Azurite', () => {
  let azurite: Azurite | undefined;
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite?.stop();
  });
  stateStoreContract('Azurite', () => {
    if (!azurite) throw new Error('Azurite is not running');
    return createAzureStateTables({
      storage: { kind: 'connectionString', connectionString: azurite.connectionString },
    });
  });
});
