/**
 * Credentials, SDK clients and the provider factory, built from the app settings the way the
 * Functions app builds them: the settings the installation guide describes pick the credential; the
 * stand-in's CA is trusted through ARM_CA_CERT_PATH without switching TLS verification off; the token
 * scope follows ARM_ENDPOINT; PROVIDER_TYPE picks the provider set and an unknown value stops the app.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import type { ArmStandIn } from '../../../infra/local/arm/startArmStandIn.js';
import { startArmStandIn } from '../../../infra/local/arm/startArmStandIn.js';
import { createArmClientsFromConfig } from '../../../shared/adapters/arm/createArmClientsFromConfig.js';
import { createPoolProviders } from '../../../shared/adapters/arm/createPoolProviders.js';
import {
  createArmCredential,
  STAND_IN_TOKEN,
} from '../../../shared/adapters/credentials/createArmCredential.js';
import type { EgretConfig } from '../../../shared/config.js';
import { loadConfig } from '../../../shared/config.js';
import { ConfigError, InvariantError } from '../../../shared/core/errors.js';

const SUB = '00000000-0000-0000-0000-0000000e6e70';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const BASE_ENV = {
  AZURE_SUBSCRIPTION_ID: SUB,
  AZURE_LOCATION: 'westeurope',
  GATEWAY_RESOURCE_GROUP: 'rg-egret',
  VNET_NAME: 'vnet-egret',
  SUBNET_NAME: 'aks-subnet',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  RELAY_SHARED_SECRET: 'r'.repeat(32),
};

describe('ARM credential from the settings', () => {
  it('managed identity: system-assigned by default, user-assigned by AZURE_CLIENT_ID', () => {
    const system = loadConfig({ ...BASE_ENV });
    assert.deepEqual(system.credential, { kind: 'managedIdentity' });
    assert.ok(createArmCredential(system.credential) instanceof ManagedIdentityCredential);
    const user = loadConfig({ ...BASE_ENV, AZURE_CLIENT_ID: CLIENT });
    assert.deepEqual(user.credential, { kind: 'managedIdentity', clientId: CLIENT });
    assert.ok(createArmCredential(user.credential) instanceof ManagedIdentityCredential);
  });

  it('service principal: tenant, client id and secret', () => {
    const c = loadConfig({
      ...BASE_ENV,
      AZURE_CREDENTIAL: 'servicePrincipal',
      AZURE_TENANT_ID: '99999999-8888-7777-6666-555555555555',
      AZURE_CLIENT_ID: CLIENT,
      AZURE_CLIENT_SECRET: 'not-a-real-secret',
    });
    assert.ok(createArmCredential(c.credential) instanceof ClientSecretCredential);
  });

  it('standIn: a static bearer token', async () => {
    const token = await createArmCredential({ kind: 'standIn' }).getToken('https://x/.default');
    assert.equal(token?.token, STAND_IN_TOKEN);
    assert.ok((token?.expiresOnTimestamp ?? 0) > Date.now());
  });
});

describe('PROVIDER_TYPE picks the provider set', () => {
  it('aks (the default) gives the three pool kinds', () => {
    const config = loadConfig({ ...BASE_ENV });
    assert.equal(config.providerType, 'aks');
    const pools = createPoolProviders({
      config,
      clients: createArmClientsFromConfig({ config, credential: createArmCredential({ kind: 'standIn' }) }),
    });
    assert.equal(pools.providerType, 'aks');
    assert.deepEqual(
      (['vmss', 'aks-vm-pool', 'standalone-vms'] as const).map((k) => pools.provider(k).kind),
      ['vmss', 'aks-vm-pool', 'standalone-vms'],
    );
  });

  it('an unknown value stops the app at start, naming the setting and the allowed values', () => {
    assert.throws(
      () => loadConfig({ ...BASE_ENV, PROVIDER_TYPE: 'arc' }),
      (e: unknown) =>
        e instanceof ConfigError && /PROVIDER_TYPE="arc" is unknown; expected one of: aks/.test(e.message),
    );
  });

  it('a provider type that bypassed the config reader is refused, not guessed', () => {
    const config = { ...loadConfig({ ...BASE_ENV }), providerType: 'arc' } as unknown as EgretConfig;
    assert.throws(
      () =>
        createPoolProviders({
          config,
          clients: createArmClientsFromConfig({
            config,
            credential: createArmCredential({ kind: 'standIn' }),
          }),
        }),
      InvariantError,
    );
  });
});

describe('SDK clients from the settings, against the ARM stand-in', () => {
  let arm: ArmStandIn;
  let dir: string;
  const signal = new AbortController().signal;
  before(async () => {
    arm = await startArmStandIn();
    await arm.admin.seed({ scaleSets: [{ name: 'gw', capacity: 1, poolName: 'gw' }] });
    dir = await mkdtemp(join(tmpdir(), 'egret-arm-clients-'));
  });
  after(async () => {
    await arm.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const env = () => ({
    ...BASE_ENV,
    AZURE_SUBSCRIPTION_ID: arm.subscriptionId,
    AZURE_CREDENTIAL: 'standIn',
    ARM_ENDPOINT: arm.endpoint,
    ARM_CA_CERT_PATH: arm.caPath,
  });

  it('trusts the stand-in CA from ARM_CA_CERT_PATH and sends the bearer token with a scope from ARM_ENDPOINT', async () => {
    const scopes: string[] = [];
    const recording: TokenCredential = {
      getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return Promise.resolve({ token: 'recorded', expiresOnTimestamp: Date.now() + 60_000 });
      },
    };
    const config = loadConfig(env());
    const { compute, network } = createArmClientsFromConfig({ config, credential: recording });
    const vmss = await compute.virtualMachineScaleSets.get('rg-egret', 'gw', { abortSignal: signal });
    assert.equal(vmss.name, 'gw');
    const nics = [];
    for await (const n of network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(
      'rg-egret',
      'gw',
    ))
      nics.push(n);
    assert.equal(nics.length, 1);
    assert.ok(scopes.length > 0);
    assert.ok(
      scopes.every((s) => s === `${arm.endpoint}/.default`),
      scopes.join(','),
    );
  });

  it('TLS verification stays on: without the CA the stand-in certificate is refused', async () => {
    const config = loadConfig(env());
    const { compute } = createArmClientsFromConfig({
      config: { ...config, arm: { endpoint: config.arm.endpoint } },
      retryOptions: { maxRetries: 0 },
    });
    await assert.rejects(
      compute.virtualMachineScaleSets.get('rg-egret', 'gw', { abortSignal: signal }),
      /certificate/i,
    );
    // Through the adapter the same failure is a ConfigError naming the settings, not an SDK error.
    const noCa = createPoolProviders({
      config,
      clients: createArmClientsFromConfig({
        config: { ...config, arm: { endpoint: config.arm.endpoint } },
        retryOptions: { maxRetries: 0 },
      }),
    });
    await assert.rejects(
      noCa.getLoadBalancer('rg-egret', 'kubeegressgateway-ilb', signal),
      (e: unknown) => e instanceof ConfigError && /ARM_CA_CERT_PATH/.test(e.message),
    );
    const withCa = createPoolProviders({ config, clients: createArmClientsFromConfig({ config }) });
    assert.equal(await withCa.getLoadBalancer('rg-egret', 'kubeegressgateway-ilb', signal), undefined);
  });

  it('an unreadable or non-PEM ARM_CA_CERT_PATH is a ConfigError naming the setting', async () => {
    const config = loadConfig(env());
    assert.throws(
      () =>
        createArmClientsFromConfig({
          config: { ...config, arm: { ...config.arm, caCertPath: join(dir, 'missing.pem') } },
        }),
      (e: unknown) => e instanceof ConfigError && /ARM_CA_CERT_PATH=.*missing\.pem/.test(e.message),
    );
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'hello');
    assert.throws(
      () => createArmClientsFromConfig({ config: { ...config, arm: { ...config.arm, caCertPath: notPem } } }),
      (e: unknown) => e instanceof ConfigError && /no PEM certificate/.test(e.message),
    );
  });
});
