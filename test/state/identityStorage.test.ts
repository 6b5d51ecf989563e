/**
 * Identity-based storage, as the deployment template configures it (`AzureWebJobsStorage__accountName`
 * + `__clientId`, no key): the state tables, the work queue and the poison-queue reader reached with
 * the app's managed identity. Real parts end to end: the template's app settings → shared/config.ts →
 * createStorageAccess → `ManagedIdentityCredential` (MSAL's App Service source) → a stand-in of the App
 * Service identity endpoint → the storage SDKs' bearer policies → Azurite over https with
 * `--oauth basic`, which checks every token's issuer, audience and lifetime. Only the account's
 * endpoints are swapped for Azurite's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import { startAzurite, type Azurite } from '../../infra/local/azurite/startAzurite.js';
import {
  mintStandInToken,
  startManagedIdentityEndpoint,
  type ManagedIdentityEndpoint,
} from '../../infra/local/azurite/startManagedIdentityEndpoint.js';
import { createLoopbackCertificates } from '../../infra/local/tls/createLoopbackCertificates.js';
import { createAzureWorkQueue } from '../../shared/adapters/queues/createAzureWorkQueue.js';
import { createQueueClient } from '../../shared/adapters/queues/createQueueClient.js';
import { createAzurePoisonQueueReader } from '../../shared/adapters/system/createAzurePoisonQueueReader.js';
import { createStorageAccess, type StorageAccess } from '../../shared/adapters/system/createStorageAccess.js';
import { createAzureStateTables } from '../../shared/adapters/tables/azureStateTables.js';
import { loadConfig, type StorageConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/core/errors.js';
import {
  resolvedAppSettingsOf,
  deploy,
  RELAY_SECRET,
  REQUIRED_PARAMETERS,
} from '../azure/support/azureTemplate.js';
import { stateStoreContract } from './support/stateStoreContract.js';

const signal = new AbortController().signal;
const STORAGE_RESOURCE = 'https://storage.azure.com';
const templateSettings = resolvedAppSettingsOf(
  deploy({ ...REQUIRED_PARAMETERS, relaySharedSecret: RELAY_SECRET }),
);
const templateClientId = templateSettings['AzureWebJobsStorage__clientId'];

describe('storage access chosen from the configuration', () => {
  it('uses the endpoints and the user-assigned identity the template configures, and no key', () => {
    const config = loadConfig(templateSettings);
    assert.equal(
      templateSettings['AzureWebJobsStorage'],
      undefined,
      'the template sets no connection string',
    );
    assert.ok(templateClientId !== undefined, 'the template names the storage identity');
    const access = createStorageAccess(config.storage);
    assert.equal(access.kind, 'identity');
    if (access.kind !== 'identity') return;
    const account = templateSettings['AzureWebJobsStorage__accountName'];
    assert.equal(access.tableEndpoint, `https://${account}.table.core.windows.net`);
    assert.equal(access.queueEndpoint, `https://${account}.queue.core.windows.net`);
    assert.ok(access.credential instanceof ManagedIdentityCredential);
  });

  it('uses a connection string when one is set (local development, Azurite)', () => {
    const config = loadConfig({ ...templateSettings, AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    assert.deepEqual(createStorageAccess(config.storage), {
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
  });
});

describe('identity-based storage against Azurite (https, OAuth)', () => {
  let azurite: Azurite | undefined;
  let identity: ManagedIdentityEndpoint | undefined;
  const savedEnv = new Map<string, string | undefined>();

  before(async () => {
    // MSAL picks its managed identity source at the first token request of the process: the App
    // Service endpoint must be in the environment before then.
    identity = await startManagedIdentityEndpoint();
    for (const [k, v] of Object.entries(identity.env)) {
      savedEnv.set(k, process.env[k]);
      process.env[k] = v;
    }
    const certs = await createLoopbackCertificates('egret test Azurite CA');
    azurite = await startAzurite({ tls: certs, oauth: 'basic' });
  });
  after(async () => {
    await azurite?.stop();
    await identity?.stop();
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const running = (): { azurite: Azurite; identity: ManagedIdentityEndpoint } => {
    if (!azurite || !identity) throw new Error('Azurite or the identity endpoint is not running');
    return { azurite, identity };
  };
  /** The template's storage configuration, pointed at Azurite's endpoints. */
  const storageConfig = (identityKind: 'userAssigned' | 'systemAssigned' = 'userAssigned'): StorageConfig => {
    const config = loadConfig(templateSettings).storage;
    if (config.kind !== 'identity') throw new Error('the template does not configure identity-based storage');
    const { clientId, ...rest } = config;
    return {
      ...rest,
      ...(identityKind === 'userAssigned' && clientId !== undefined ? { clientId } : {}),
      tableEndpoint: running().azurite.tableEndpoint,
      queueEndpoint: running().azurite.queueEndpoint,
    };
  };
  const identityAccess = (config = storageConfig(), credential?: TokenCredential): StorageAccess =>
    createStorageAccess(config, {
      caPem: running().azurite.caPem!,
      ...(credential === undefined ? {} : { credential }),
    });
  /** The same account by key (shared-key signing), to look behind the identity path. */
  const byKey = (): StorageAccess => ({
    kind: 'connectionString',
    connectionString: running().azurite.connectionString,
    caPem: running().azurite.caPem!,
  });

  stateStoreContract(
    'Table Storage with a managed identity',
    () => createAzureStateTables({ storage: identityAccess() }),
    {
      subset: 'smoke',
    },
  );

  it("fetched the tables' tokens for the storage resource, as the template's user-assigned identity", () => {
    const { requests } = running().identity;
    assert.ok(requests.length > 0, 'no token was requested: the tables did not use the credential');
    for (const r of requests) {
      assert.equal(r.resource, STORAGE_RESOURCE);
      assert.equal(r.clientId, templateClientId);
      assert.equal(r.apiVersion, '2019-08-01');
    }
  });

  it('enqueues reconcile requests with bearer tokens', async () => {
    const clock = { nowMs: () => Date.parse('2026-02-01T12:00:00.000Z') };
    const queue = createAzureWorkQueue({ storage: identityAccess(), queueName: 'identity-work', clock });
    await queue.enqueue({ poolKey: 'vmss:rg-gw:gw', reason: 'relay' }, signal);
    const raw = createQueueClient(byKey(), 'identity-work');
    const got = (await raw.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as unknown,
    );
    assert.deepEqual(got, [
      { poolKey: 'vmss:rg-gw:gw', reason: 'relay', enqueuedAt: '2026-02-01T12:00:00.000Z' },
    ]);
  });

  it('reads the poison queue with bearer tokens', async () => {
    const poison = createQueueClient(byKey(), 'identity-work-poison');
    await poison.createIfNotExists();
    const body = { poolKey: 'vmss:rg-gw:gw', reason: 'relay', enqueuedAt: '2026-02-01T12:00:00.000Z' };
    await poison.sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'));
    const reader = createAzurePoisonQueueReader({ storage: identityAccess(), queueName: 'identity-work' });
    const items = await reader.peek(10, signal);
    assert.deepEqual(
      items.map((m) => m.body),
      [body],
    );
  });

  it('uses the system-assigned identity when no client id is configured', async () => {
    const before = running().identity.requests.length;
    const queue = createAzureWorkQueue({
      storage: identityAccess(storageConfig('systemAssigned')),
      queueName: 'identity-system',
    });
    await queue.enqueue({ poolKey: 'vmss:rg-gw:gw', reason: 'timer' }, signal);
    const asked = running().identity.requests.slice(before);
    assert.deepEqual(asked, [{ resource: STORAGE_RESOURCE, clientId: undefined, apiVersion: '2019-08-01' }]);
  });

  it('reports a token the account refuses as a ConfigError naming the data roles (Azurite checks the audience)', async () => {
    // A token for ARM, not for storage: what a credential wired to the wrong scope would send.
    const armToken: TokenCredential = {
      getToken: (): Promise<AccessToken> =>
        Promise.resolve({
          token: mintStandInToken({ audience: 'https://management.azure.com', clientId: 'arm-only' }),
          expiresOnTimestamp: Date.now() + 3_600_000,
          tokenType: 'Bearer',
        }),
    };
    const tables = createAzureStateTables({ storage: identityAccess(storageConfig(), armToken) });
    await assert.rejects(
      tables('egretRefused', signal),
      (e: Error) => e instanceof ConfigError && /Storage Table Data Contributor/.test(e.message),
    );
    const queue = createAzureWorkQueue({
      storage: identityAccess(storageConfig(), armToken),
      queueName: 'identity-refused',
    });
    await assert.rejects(
      queue.enqueue({ poolKey: 'vmss:rg-gw:gw', reason: 'relay' }, signal),
      (e: Error) => e instanceof ConfigError && /Storage Queue Data Contributor/.test(e.message),
    );
  });
});
