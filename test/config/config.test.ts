import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, SETTINGS } from '../../shared/config.js';
import { ConfigError } from '../../shared/core/errors.js';

const base = {
  AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
  AZURE_LOCATION: 'westeurope',
  GATEWAY_RESOURCE_GROUP: 'rg-gw',
  VNET_NAME: 'vnet',
  SUBNET_NAME: 'gateway-subnet',
  RELAY_SHARED_SECRET: 'x'.repeat(32),
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    assert.equal(c.providerType, 'aks');
    assert.deepEqual(c.loadBalancer, { name: 'kubeegressgateway-ilb', resourceGroup: 'rg-gw' });
    assert.deepEqual(c.network, { resourceGroup: 'rg-gw', vnetName: 'vnet', subnetName: 'gateway-subnet' });
    assert.deepEqual(c.credential, { kind: 'managedIdentity' });
    assert.equal(c.arm.endpoint, 'https://management.azure.com');
    assert.equal(c.resyncSchedule, '0 */5 * * * *');
  });

  it('stops at start on an unknown provider type, naming the setting and the allowed values', () => {
    const message = problemsOf({ ...base, PROVIDER_TYPE: 'arc' });
    assert.match(message, /PROVIDER_TYPE="arc" is unknown; expected one of: aks/);
  });

  it('lists every missing required setting at once', () => {
    const message = problemsOf({});
    for (const s of SETTINGS.filter((x) => x.required))
      assert.match(message, new RegExp(`${s.name} is required`));
    assert.match(message, /storage is not configured/);
  });

  it('selects a user-assigned managed identity by client id, and checks a service principal is complete', () => {
    const clientId = '11111111-2222-3333-4444-555555555555';
    assert.deepEqual(loadConfig({ ...base, AZURE_CLIENT_ID: clientId }).credential, {
      kind: 'managedIdentity',
      clientId,
    });
    const message = problemsOf({ ...base, AZURE_CREDENTIAL: 'servicePrincipal', AZURE_CLIENT_ID: clientId });
    assert.match(message, /AZURE_TENANT_ID is required/);
    assert.match(message, /AZURE_CLIENT_SECRET is required/);
  });

  it('uses identity-based storage when only the account name is given', () => {
    const { AzureWebJobsStorage: _, ...rest } = base;
    const c = loadConfig({ ...rest, AzureWebJobsStorage__accountName: 'egretstate01' });
    assert.deepEqual(c.storage, {
      kind: 'identity',
      accountName: 'egretstate01',
      tableEndpoint: 'https://egretstate01.table.core.windows.net',
      queueEndpoint: 'https://egretstate01.queue.core.windows.net',
    });
  });

  it('refuses a Key Vault reference the platform could not resolve', () => {
    const message = problemsOf({
      ...base,
      RELAY_SHARED_SECRET: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/relay/)',
    });
    assert.match(message, /RELAY_SHARED_SECRET is an unresolved Key Vault reference/);
  });

  it('rejects a short relay secret, a malformed subscription and a stand-in without its CA', () => {
    const message = problemsOf({
      ...base,
      RELAY_SHARED_SECRET: 'short',
      AZURE_SUBSCRIPTION_ID: 'not-a-guid',
      AZURE_CREDENTIAL: 'standIn',
    });
    assert.match(message, /RELAY_SHARED_SECRET must be at least 32 characters/);
    assert.match(message, /AZURE_SUBSCRIPTION_ID="not-a-guid" is not a subscription GUID/);
    assert.match(message, /ARM_CA_CERT_PATH is required with AZURE_CREDENTIAL=standIn/);
  });

  it('reads a relay key per cluster from a JSON map, "*" for the others', () => {
    const own = 'k'.repeat(32);
    const other = 'o'.repeat(32);
    const c = loadConfig({ ...base, RELAY_SHARED_SECRET: JSON.stringify({ 'aks-1': own, '*': other }) });
    assert.deepEqual(c.relayClusterSecrets, { 'aks-1': own });
    assert.equal(c.relaySharedSecret, other);
    const only = loadConfig({ ...base, RELAY_SHARED_SECRET: JSON.stringify({ 'aks-1': own }) });
    assert.equal(only.relaySharedSecret, '', 'no key for other clusters');
    assert.match(
      problemsOf({ ...base, RELAY_SHARED_SECRET: '{"aks-1": "short"}' }),
      /"aks-1" must be at least 32/,
    );
    assert.match(problemsOf({ ...base, RELAY_SHARED_SECRET: '{not json' }), /not a JSON object/);
  });
});
