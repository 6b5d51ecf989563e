/**
 * The app reads its settings when the worker loads it: a missing or invalid setting stops the app at
 * start with one error naming every problem, instead of failing at the first event.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFunctionsHost } from '../../infra/local/functions-host/startFunctionsHost.js';
import { sandboxSettings } from '../../infra/local/sandbox/startSandbox.js';
import { functionModules } from '../scenarios/support/world.js';

describe('the Functions app at start', () => {
  it('refuses to start with a bad setting, naming it', async () => {
    const settings = {
      ...sandboxSettings({
        subscriptionId: 'not-a-guid',
        location: 'westeurope',
        resourceGroup: 'rg',
        vnetName: 'vnet',
        subnetName: 'subnet',
        armEndpoint: 'https://127.0.0.1:1',
        armCaPath: '/nonexistent/ca.pem',
        storage: 'UseDevelopmentStorage=true',
        relaySecret: 'short',
      }),
    };
    await assert.rejects(
      startFunctionsHost({ modules: functionModules(), settings, log: () => undefined }),
      (e: Error) =>
        /AZURE_SUBSCRIPTION_ID="not-a-guid" is not a subscription GUID/.test(e.message) &&
        /RELAY_SHARED_SECRET must be at least 32 characters/.test(e.message),
    );
  });
});
