/**
 * Deploys the checked-in template in memory (support/armDeployment.ts) with the parameter sets a user
 * would give, and checks what would land in Azure: which roles, on which scopes, for which principal;
 * which app settings the Function App gets (and that egret's own config reader accepts them); that
 * storage is reached by identity only; which Event Grid subscription feeds armEvents.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the template is walked and mutated as a JSON tree; the assertions check its shape */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig, SETTINGS } from '../../shared/config.js';
import { EGRET_ROLES } from '../../infra/azure/armPermissions.js';
import { BUILT_IN_ROLES, CONTAINERS, FUNCTION_NAMES } from '../../infra/azure/renderTemplate.js';
import { HANDLED_ARM_OPERATIONS, SUCCESS_EVENT_TYPES } from '../../shared/core/normalizeArmEvent.js';
import { HOST_SETTINGS, SETTING_BINDINGS } from '../../infra/azure/settingBindings.js';
import {
  appSettingsOf,
  CONTROL_PLANE_RG,
  customRolesOf,
  resolveKeyVaultReferences,
  deploy,
  GATEWAY_RG,
  only,
  parametersExamplePath,
  POOL_ID,
  readTemplate,
  RELAY_SECRET,
  REQUIRED_PARAMETERS,
  resourcesOfType,
  rgId,
  roleAssignmentsOf,
  roleDefinitionId,
  SUBSCRIPTION,
  TENANT,
  type RoleAssignment,
  vaultSecretsOf,
} from './support/azureTemplate.js';
import type { Deployment } from './support/armDeployment.js';

const MI = { ...REQUIRED_PARAMETERS, relaySharedSecret: RELAY_SECRET };
const SP = {
  ...MI,
  armCredential: 'servicePrincipal',
  servicePrincipalClientId: 'aaaaaaaa-0000-0000-0000-000000000001',
  servicePrincipalObjectId: 'bbbbbbbb-0000-0000-0000-000000000002',
  servicePrincipalSecret: 'sp-secret-value',
};

const output = (d: Deployment, name: string): string => (d.outputs[name] as { value: string }).value;
const role = (id: string): string => roleDefinitionId(id);
const sorted = (list: readonly RoleAssignment[]): string[] =>
  list.map((a) => `${a.roleDefinitionId.split('/').pop()!} @ ${a.scope} -> ${a.principalId}`).sort();
const expected = (entries: [keyof typeof BUILT_IN_ROLES, string, string][]): string[] =>
  entries.map(([r, scope, principal]) => `${BUILT_IN_ROLES[r]} @ ${scope} -> ${principal}`).sort();

describe('deploying the template (in memory)', () => {
  it('needs only the gateway resource group, the VNet and the subnet; everything else has a default', () => {
    const required = Object.entries(readTemplate().parameters)
      .filter(([, p]) => !('defaultValue' in p))
      .map(([n]) => n)
      .sort();
    assert.deepEqual(required, Object.keys(REQUIRED_PARAMETERS).sort());
    assert.throws(
      () => deploy({ vnetName: 'v', subnetName: 's' }),
      /required parameter gatewayResourceGroup/,
    );
  });

  it('creates a Node 22 Flex Consumption app on Linux, with Application Insights on a workspace, and no Event Grid yet', () => {
    const d = deploy(MI);
    const plan = only(resourcesOfType(d, 'Microsoft.Web/serverfarms'), 'plan');
    assert.deepEqual(plan.body.sku, { name: 'FC1', tier: 'FlexConsumption' });
    assert.equal((plan.body.properties as { reserved: boolean }).reserved, true);
    const site = only(resourcesOfType(d, 'Microsoft.Web/sites'), 'app');
    assert.equal(site.body.kind, 'functionapp,linux');
    const props = site.body.properties as Record<string, any>;
    assert.deepEqual(props.functionAppConfig.runtime, { name: 'node', version: '22' });
    assert.equal(props.httpsOnly, true);
    const ai = only(resourcesOfType(d, 'Microsoft.Insights/components'), 'Application Insights');
    const ws = only(resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces'), 'workspace');
    assert.equal((ai.body.properties as Record<string, string>).WorkspaceResourceId, ws.id);
    assert.match(appSettingsOf(d).APPLICATIONINSIGHTS_CONNECTION_STRING!, /^InstrumentationKey=/);
    assert.deepEqual(resourcesOfType(d, 'Microsoft.EventGrid/systemTopics'), []);
    assert.deepEqual(resourcesOfType(d, 'Microsoft.EventGrid/systemTopics/eventSubscriptions'), []);
  });

  describe('roles', () => {
    /** `<role> @ <scope>` for the ARM principal's assignments (custom roles by title, built-in by key). */
    const armAccess = (d: Deployment): string[] => {
      const roles = customRolesOf(d);
      return roleAssignmentsOf(d)
        .filter((a) => a.principalId === output(d, 'armRolePrincipalId'))
        .filter((a) => !a.scope.includes('Microsoft.Storage') && !a.scope.includes('Microsoft.KeyVault'))
        .map((a) => `${roles.get(a.roleDefinitionId)?.title ?? a.roleDefinitionId} @ ${a.scope}`)
        .sort();
    };
    const vnet = (rg: string): string => `${rgId(rg)}/providers/Microsoft.Network/virtualNetworks/aks-vnet`;

    it('gives the ARM principal custom roles on the narrowest scopes: the VMSS pool itself, the VNet, the gateway group', () => {
      const d = deploy({ ...MI, gatewayPoolId: POOL_ID, networkResourceGroup: 'net-rg' });
      assert.deepEqual(
        armAccess(d),
        [
          `gateway resource group @ ${rgId(GATEWAY_RG)}`,
          `VMSS gateway pool @ ${POOL_ID}`,
          // standalone VMs default to the gateway resource group
          `NIC gateway pool @ ${rgId(GATEWAY_RG)}`,
          `internal load balancer @ ${rgId(GATEWAY_RG)}`,
          `virtual network @ ${vnet('net-rg')}`,
        ].sort(),
      );
      const principal = output(d, 'identityPrincipalId');
      const storage = only(resourcesOfType(d, 'Microsoft.Storage/storageAccounts'), 'storage').id;
      const vault = only(resourcesOfType(d, 'Microsoft.KeyVault/vaults'), 'vault').id;
      assert.deepEqual(
        sorted(roleAssignmentsOf(d).filter((a) => a.scope === storage || a.scope === vault)),
        expected([
          ['storageBlobDataOwner', storage, principal],
          ['storageQueueDataContributor', storage, principal],
          ['storageTableDataContributor', storage, principal],
          ['keyVaultSecretsUser', vault, principal],
        ]),
      );
    });

    it('without a pool id: the VMSS and NIC write roles on the gateway resource group, each once', () => {
      const d = deploy({ ...MI, networkResourceGroup: GATEWAY_RG.toLowerCase() });
      assert.deepEqual(
        armAccess(d),
        [
          `gateway resource group @ ${rgId(GATEWAY_RG)}`,
          `VMSS gateway pool @ ${rgId(GATEWAY_RG)}`,
          `NIC gateway pool @ ${rgId(GATEWAY_RG)}`,
          `internal load balancer @ ${rgId(GATEWAY_RG)}`,
          `virtual network @ ${vnet(GATEWAY_RG.toLowerCase())}`,
        ].sort(),
      );
    });

    it('covers every resource group egret writes: load balancer, standalone VMs and BYO prefixes elsewhere', () => {
      const d = deploy({
        ...MI,
        networkResourceGroup: 'net-rg',
        loadBalancerResourceGroup: 'ilb-rg',
        standaloneVmResourceGroup: 'vm-rg',
        byoPrefixResourceGroup: 'pfx-rg',
      });
      assert.deepEqual(
        armAccess(d),
        [
          `gateway resource group @ ${rgId(GATEWAY_RG)}`,
          `VMSS gateway pool @ ${rgId(GATEWAY_RG)}`,
          `NIC gateway pool @ ${rgId(GATEWAY_RG)}`,
          `NIC gateway pool @ ${rgId('vm-rg')}`,
          `internal load balancer @ ${rgId('ilb-rg')}`,
          `virtual network @ ${vnet('net-rg')}`,
          `BYO public IP prefixes @ ${rgId('pfx-rg')}`,
        ].sort(),
      );
    });

    it('grants exactly the actions armPermissions.ts derives from the code, and nothing that runs code on a node', () => {
      const d = deploy({ ...MI, gatewayPoolId: POOL_ID });
      const roles = [...customRolesOf(d).values()];
      assert.equal(roles.length, EGRET_ROLES.length);
      for (const r of EGRET_ROLES) {
        const rendered = roles.find((x) => x.scopeKind === r.scope);
        assert.deepEqual(rendered?.actions, r.actions, r.scope);
      }
      for (const a of roles.flatMap((r) => r.actions)) {
        assert.doesNotMatch(a, /\*|runCommand|extensions|roleAssignments|listKeys|delete\/action/i, a);
        assert.doesNotMatch(a, /^Microsoft\.Compute\/virtualMachines\/(write|delete)$/, `no VM writes: ${a}`);
      }
      // No built-in ARM role is left (Network Contributor, Virtual Machine Contributor, Contributor).
      for (const builtIn of [
        '4d97b98b-1d4f-4787-a291-c67834d212e7',
        '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
        'b24988ac-6180-42a0-ab88-20f7382dd24c',
      ])
        assert.ok(!roleAssignmentsOf(d).some((a) => a.roleDefinitionId === role(builtIn)), builtIn);
    });

    it('gives the ARM roles to the service principal when one is chosen, and keeps storage and Key Vault on the identity', () => {
      const d = deploy({ ...SP, gatewayPoolId: POOL_ID });
      const identity = output(d, 'identityPrincipalId');
      assert.equal(output(d, 'armRolePrincipalId'), SP.servicePrincipalObjectId);
      for (const a of roleAssignmentsOf(d))
        assert.equal(
          a.principalId,
          a.scope.includes('Microsoft.Storage') || a.scope.includes('Microsoft.KeyVault')
            ? identity
            : SP.servicePrincipalObjectId,
          a.scope,
        );
    });

    it('never assigns at subscription scope, only documented or its own roles, each role on a scope it may be assigned at, once, with stable names, for any parameter combination', () => {
      const documented = new Set(Object.values(BUILT_IN_ROLES).map(role));
      let combinations = 0;
      for (const pool of ['', POOL_ID])
        for (const network of ['', GATEWAY_RG, 'net-rg'])
          for (const lb of ['', 'net-rg', 'ilb-rg'])
            for (const vms of ['', GATEWAY_RG.toUpperCase(), 'vm-rg'])
              for (const byo of ['', 'net-rg', 'pfx-rg'])
                for (const credential of [MI, SP])
                  for (const deployEventSubscription of [false, true]) {
                    const p = {
                      ...credential,
                      gatewayPoolId: pool,
                      networkResourceGroup: network,
                      loadBalancerResourceGroup: lb,
                      standaloneVmResourceGroup: vms,
                      byoPrefixResourceGroup: byo,
                      deployEventSubscription,
                    };
                    const d = deploy(p);
                    const custom = customRolesOf(d);
                    const assignments = roleAssignmentsOf(d);
                    combinations++;
                    for (const a of assignments) {
                      assert.match(
                        a.scope,
                        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/,
                        `subscription-wide: ${a.scope}`,
                      );
                      const own = custom.get(a.roleDefinitionId);
                      assert.ok(documented.has(a.roleDefinitionId) || own !== undefined, a.roleDefinitionId);
                      if (own)
                        assert.ok(
                          own.assignableScopes.some((s) => a.scope.toLowerCase().startsWith(s.toLowerCase())),
                          `${own.title} is not assignable at ${a.scope}`,
                        );
                      assert.match(a.name, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
                    }
                    const grants = assignments.map((a) => `${a.roleDefinitionId} ${a.scope.toLowerCase()}`);
                    assert.equal(
                      new Set(grants).size,
                      grants.length,
                      `a role twice on a scope: ${grants.join('\n')}`,
                    );
                    assert.deepEqual(
                      roleAssignmentsOf(deploy(p)).map((a) => a.name),
                      assignments.map((a) => a.name),
                      'role assignment names must be deterministic (a redeploy updates, never duplicates)',
                    );
                  }
      assert.equal(combinations, 648);
    });
  });

  describe('app settings', () => {
    const declared = new Set(SETTINGS.map((s) => s.name));
    const host = new Set(HOST_SETTINGS.map((h) => h.name));

    it('are exactly the settings egret reads plus the host settings: every SETTINGS entry is provided unless deliberately not in Azure', () => {
      for (const params of [MI, SP]) {
        const names = Object.keys(appSettingsOf(deploy(params)));
        for (const n of names) assert.ok(declared.has(n) || host.has(n), `unknown app setting ${n}`);
        for (const s of SETTINGS) {
          const b = SETTING_BINDINGS[s.name]!;
          const shouldBeThere =
            b.source.kind !== 'notInAzure' && (b.onlyWithServicePrincipal !== true || params === SP);
          assert.equal(names.includes(s.name), shouldBeThere, `${s.name} (${b.source.kind})`);
        }
      }
      // The deliberate absences are the key-bearing connection string and the stand-in's CA.
      assert.deepEqual(
        SETTINGS.filter((s) => SETTING_BINDINGS[s.name]!.source.kind === 'notInAzure')
          .map((s) => s.name)
          .sort(),
        ['ARM_CA_CERT_PATH', 'AzureWebJobsStorage'],
      );
    });

    it('are accepted by shared/config.ts loadConfig, with a managed identity', () => {
      const d = deploy({
        ...MI,
        gatewayPoolId: POOL_ID,
        networkResourceGroup: 'net-rg',
        loadBalancerName: 'my-ilb',
      });
      const config = loadConfig(resolveKeyVaultReferences(appSettingsOf(d), vaultSecretsOf(d)));
      const clientId = output(d, 'identityClientId');
      assert.equal(config.subscriptionId, SUBSCRIPTION);
      assert.equal(config.location, 'westeurope');
      assert.equal(config.gatewayResourceGroup, GATEWAY_RG);
      assert.deepEqual(config.loadBalancer, { name: 'my-ilb', resourceGroup: GATEWAY_RG });
      assert.deepEqual(config.network, {
        resourceGroup: 'net-rg',
        vnetName: 'aks-vnet',
        subnetName: 'ilb-subnet',
      });
      assert.deepEqual(config.credential, { kind: 'managedIdentity', clientId });
      assert.equal(config.arm.endpoint, 'https://management.azure.com');
      assert.equal(config.relaySharedSecret, RELAY_SECRET);
      assert.equal(config.storage.kind, 'identity');
      assert.ok(config.storage.kind === 'identity' && config.storage.clientId === clientId);
      assert.equal(
        config.storage.kind === 'identity' && config.storage.accountName,
        output(d, 'storageAccountName'),
      );
    });

    it("keep RELAY_SHARED_SECRET in the template's own Key Vault by default: RBAC authorization, a reference, read by the identity only", () => {
      const d = deploy(MI);
      const vault = only(resourcesOfType(d, 'Microsoft.KeyVault/vaults'), 'vault');
      const props = vault.body.properties as Record<string, unknown>;
      assert.equal(props.enableRbacAuthorization, true);
      assert.equal(props.tenantId, TENANT);
      const secret = only(resourcesOfType(d, 'Microsoft.KeyVault/vaults/secrets'), 'secret');
      assert.equal(secret.name, `${vault.name}/relay-shared-secret`);
      assert.equal((secret.body.properties as { value: string }).value, RELAY_SECRET);
      const raw = appSettingsOf(d);
      assert.equal(
        raw.RELAY_SHARED_SECRET,
        `@Microsoft.KeyVault(SecretUri=https://${vault.name}.vault.azure.net/secrets/relay-shared-secret)`,
        'the value never appears in the app settings; the versionless URI follows rotation',
      );
      assert.ok(!Object.values(raw).includes(RELAY_SECRET));
      assert.equal(output(d, 'keyVaultName'), vault.name);
      const readers = roleAssignmentsOf(d).filter((a) => a.scope === vault.id);
      assert.deepEqual(
        readers.map((a) => [a.roleDefinitionId, a.principalId]),
        [[role(BUILT_IN_ROLES.keyVaultSecretsUser), output(d, 'identityPrincipalId')]],
      );
      const site = only(resourcesOfType(d, 'Microsoft.Web/sites'), 'app');
      assert.ok(
        JSON.stringify(readTemplate().resources.find((r) => r.type === 'Microsoft.Web/sites')).includes(
          'relay-shared-secret',
        ),
        'the app waits for the secret it references',
      );
      assert.equal(
        (site.body.properties as Record<string, string>).keyVaultReferenceIdentity,
        only(resourcesOfType(d, 'Microsoft.ManagedIdentity/userAssignedIdentities'), 'identity').id,
      );
      // A service principal's secret goes to the same vault; secretsInKeyVault=false gives plain settings.
      const sp = deploy(SP);
      assert.deepEqual(
        resourcesOfType(sp, 'Microsoft.KeyVault/vaults/secrets')
          .map((r) => r.name.split('/')[1])
          .sort(),
        ['arm-client-secret', 'relay-shared-secret'],
      );
      const plain = deploy({ ...MI, secretsInKeyVault: false });
      assert.deepEqual(resourcesOfType(plain, 'Microsoft.KeyVault/vaults'), []);
      assert.equal(appSettingsOf(plain).RELAY_SHARED_SECRET, RELAY_SECRET);
      assert.equal(output(plain, 'keyVaultName'), '');
    });

    it('are accepted by loadConfig with a service principal whose secret comes from Key Vault', () => {
      const uri = 'https://kv1.vault.azure.net/secrets/egret-sp';
      const relayUri = 'https://kv1.vault.azure.net/secrets/egret-relay';
      const d = deploy({
        ...SP,
        servicePrincipalSecret: '',
        servicePrincipalSecretKeyVaultUri: uri,
        relaySharedSecret: '',
        relaySharedSecretKeyVaultUri: relayUri,
      });
      const raw = appSettingsOf(d);
      assert.equal(raw.AZURE_CLIENT_SECRET, `@Microsoft.KeyVault(SecretUri=${uri})`);
      assert.equal(raw.RELAY_SHARED_SECRET, `@Microsoft.KeyVault(SecretUri=${relayUri})`);
      const site = only(resourcesOfType(d, 'Microsoft.Web/sites'), 'app');
      assert.equal(
        (site.body.properties as Record<string, string>).keyVaultReferenceIdentity,
        only(resourcesOfType(d, 'Microsoft.ManagedIdentity/userAssignedIdentities'), 'identity').id,
        'Key Vault references must be resolved with the user-assigned identity',
      );
      const config = loadConfig(
        resolveKeyVaultReferences(raw, { [uri]: 'from-kv', [relayUri]: 'r'.repeat(40) }),
      );
      assert.deepEqual(config.credential, {
        kind: 'servicePrincipal',
        tenantId: TENANT,
        clientId: SP.servicePrincipalClientId,
        clientSecret: 'from-kv',
      });
      assert.equal(config.relaySharedSecret, 'r'.repeat(40));
    });

    it('leave out the worker runtime settings on Flex Consumption and set them on Dedicated', () => {
      const flex = appSettingsOf(deploy(MI));
      assert.equal(flex.FUNCTIONS_WORKER_RUNTIME, undefined);
      assert.equal(flex.FUNCTIONS_EXTENSION_VERSION, undefined);
      const d = deploy({ ...MI, planKind: 'Dedicated', dedicatedPlanSku: 'B1' });
      const dedicated = appSettingsOf(d);
      assert.equal(dedicated.FUNCTIONS_WORKER_RUNTIME, 'node');
      assert.equal(dedicated.FUNCTIONS_EXTENSION_VERSION, '~4');
      const site = only(resourcesOfType(d, 'Microsoft.Web/sites'), 'app').body.properties as Record<
        string,
        any
      >;
      assert.equal(site.siteConfig.linuxFxVersion, 'Node|22');
      assert.equal(site.siteConfig.alwaysOn, true);
      assert.equal(site.functionAppConfig, null);
      assert.deepEqual(only(resourcesOfType(d, 'Microsoft.Web/serverfarms'), 'plan').body.sku, {
        name: 'B1',
      });
      assert.equal(
        resourcesOfType(d, 'Microsoft.Storage/storageAccounts/blobServices/containers').some((c) =>
          c.name.endsWith(`/${CONTAINERS.deploymentPackage}`),
        ),
        false,
      );
      loadConfig(resolveKeyVaultReferences(dedicated, vaultSecretsOf(d)));
    });
  });

  it('reaches storage by identity only: no shared keys, no connection string, identity-based host storage and deployment package', () => {
    for (const planKind of ['FlexConsumption', 'Dedicated']) {
      const d = deploy({ ...MI, planKind });
      const account = only(resourcesOfType(d, 'Microsoft.Storage/storageAccounts'), 'storage');
      const props = account.body.properties as Record<string, unknown>;
      assert.equal(props.allowSharedKeyAccess, false);
      assert.equal(props.allowBlobPublicAccess, false);
      const settings = appSettingsOf(d);
      assert.equal(settings.AzureWebJobsStorage, undefined);
      assert.equal(settings.AzureWebJobsStorage__credential, 'managedidentity');
      assert.equal(settings.AzureWebJobsStorage__clientId, output(d, 'identityClientId'));
      assert.equal(settings.AzureWebJobsStorage__accountName, account.name);
      for (const [k, v] of Object.entries(settings))
        assert.doesNotMatch(v, /AccountKey=|SharedAccessSignature=|sig=/, k);
      const site = only(resourcesOfType(d, 'Microsoft.Web/sites'), 'app');
      const identityId = only(
        resourcesOfType(d, 'Microsoft.ManagedIdentity/userAssignedIdentities'),
        'identity',
      ).id;
      assert.deepEqual(
        Object.keys((site.body.identity as { userAssignedIdentities: object }).userAssignedIdentities),
        [identityId],
      );
      if (planKind === 'FlexConsumption') {
        const storage = (site.body.properties as Record<string, any>).functionAppConfig.deployment.storage;
        assert.deepEqual(storage.authentication, {
          type: 'UserAssignedIdentity',
          userAssignedIdentityResourceId: identityId,
        });
        assert.equal(
          storage.value,
          `https://${account.name}.blob.core.windows.net/${CONTAINERS.deploymentPackage}`,
        );
      }
    }
    assert.doesNotMatch(
      readFileSync(new URL('../../infra/azure/azuredeploy.json', import.meta.url), 'utf8'),
      /AccountKey/,
    );
  });

  describe('Event Grid', () => {
    it('subscribes armEvents to exactly the ARM operations it handles, from a system topic on the gateway resource group', () => {
      const d = deploy({ ...MI, deployEventSubscription: true });
      const topic = only(resourcesOfType(d, 'Microsoft.EventGrid/systemTopics'), 'system topic');
      assert.equal(topic.resourceGroup, GATEWAY_RG);
      assert.equal(topic.body.location, 'global');
      assert.deepEqual(topic.body.properties, {
        source: rgId(GATEWAY_RG),
        topicType: 'Microsoft.Resources.ResourceGroups',
      });
      const sub = only(
        resourcesOfType(d, 'Microsoft.EventGrid/systemTopics/eventSubscriptions'),
        'subscription',
      );
      const p = sub.body.properties as Record<string, any>;
      const functionId = `${only(resourcesOfType(d, 'Microsoft.Web/sites'), 'app').id}/functions/${FUNCTION_NAMES.armEvents}`;
      assert.deepEqual(p.destination, {
        endpointType: 'AzureFunction',
        properties: { resourceId: functionId, maxEventsPerBatch: 1, preferredBatchSizeInKilobytes: 64 },
      });
      assert.equal(output(d, 'armEventsFunctionId'), functionId);
      assert.deepEqual(p.filter.includedEventTypes, [...SUCCESS_EVENT_TYPES]);
      assert.equal(p.filter.advancedFilters.length, 1);
      const [f] = p.filter.advancedFilters;
      assert.equal(f.operatorType, 'StringIn');
      assert.equal(f.key, 'data.operationName');
      const lower = (xs: readonly string[]): string[] => xs.map((x) => x.toLowerCase()).sort();
      assert.deepEqual(lower(f.values), lower(HANDLED_ARM_OPERATIONS));
      assert.equal(p.eventDeliverySchema, 'EventGridSchema');
      assert.deepEqual(p.retryPolicy, { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 });
    });

    it('dead-letters to a container of the control-plane storage account, written with the identity that has blob rights there', () => {
      const d = deploy({ ...MI, deployEventSubscription: true });
      const sub = only(
        resourcesOfType(d, 'Microsoft.EventGrid/systemTopics/eventSubscriptions'),
        'subscription',
      );
      const dl = (sub.body.properties as Record<string, any>).deadLetterWithResourceIdentity;
      const identityId = only(
        resourcesOfType(d, 'Microsoft.ManagedIdentity/userAssignedIdentities'),
        'identity',
      ).id;
      const account = only(resourcesOfType(d, 'Microsoft.Storage/storageAccounts'), 'storage');
      assert.deepEqual(dl.identity, { type: 'UserAssigned', userAssignedIdentity: identityId });
      assert.deepEqual(dl.deadLetterDestination, {
        endpointType: 'StorageBlob',
        properties: { resourceId: account.id, blobContainerName: CONTAINERS.deadLetters },
      });
      const topic = only(resourcesOfType(d, 'Microsoft.EventGrid/systemTopics'), 'system topic');
      assert.deepEqual(
        Object.keys((topic.body.identity as { userAssignedIdentities: object }).userAssignedIdentities),
        [identityId],
      );
      assert.ok(
        resourcesOfType(d, 'Microsoft.Storage/storageAccounts/blobServices/containers').some(
          (c) => c.name === `${account.name}/default/${CONTAINERS.deadLetters}`,
        ),
      );
      assert.ok(
        roleAssignmentsOf(d).some(
          (a) =>
            a.scope === account.id &&
            a.roleDefinitionId === role(BUILT_IN_ROLES.storageBlobDataOwner) &&
            a.principalId === output(d, 'identityPrincipalId'),
        ),
      );
    });

    it('adds a topic for every other resource group egret writes or watches, each group once', () => {
      const topicsOf = (p: Record<string, unknown>): string[] =>
        resourcesOfType(deploy(p), 'Microsoft.EventGrid/systemTopics')
          .map((t) => t.resourceGroup.toLowerCase())
          .sort();
      const base = { ...MI, deployEventSubscription: true };
      assert.deepEqual(
        topicsOf({ ...base, networkResourceGroup: 'net-rg' }),
        [GATEWAY_RG.toLowerCase(), 'net-rg'].sort(),
      );
      assert.deepEqual(
        topicsOf({ ...base, networkResourceGroup: 'net-rg', watchNetworkResourceGroup: false }),
        [GATEWAY_RG.toLowerCase()],
      );
      assert.deepEqual(
        topicsOf({
          ...base,
          gatewayPoolId: POOL_ID.replace(GATEWAY_RG, 'pool-rg'),
          networkResourceGroup: 'net-rg',
          loadBalancerResourceGroup: 'ilb-rg',
          standaloneVmResourceGroup: 'vm-rg',
          byoPrefixResourceGroup: 'pfx-rg',
        }),
        [GATEWAY_RG.toLowerCase(), 'ilb-rg', 'net-rg', 'pfx-rg', 'pool-rg', 'vm-rg'].sort(),
      );
      // A source accepts one system topic: the same group (in any case) is never subscribed twice.
      assert.deepEqual(
        topicsOf({
          ...base,
          networkResourceGroup: GATEWAY_RG.toUpperCase(),
          loadBalancerResourceGroup: 'shared-rg',
          standaloneVmResourceGroup: 'SHARED-rg',
          byoPrefixResourceGroup: GATEWAY_RG,
        }),
        [GATEWAY_RG.toLowerCase(), 'shared-rg'].sort(),
      );
    });
  });

  it('gives every resource a name Azure accepts, even with the longest app name allowed', () => {
    // learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
    const rules: Record<string, RegExp> = {
      'Microsoft.Storage/storageAccounts': /^[a-z0-9]{3,24}$/,
      'Microsoft.Web/sites': /^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]$/,
      'Microsoft.Web/serverfarms': /^[A-Za-z0-9-]{1,60}$/,
      'Microsoft.Resources/deployments': /^[-\w.()]{1,64}$/,
      'Microsoft.ManagedIdentity/userAssignedIdentities': /^[A-Za-z0-9][-\w]{2,127}$/,
      'Microsoft.EventGrid/systemTopics': /^[A-Za-z0-9-]{3,128}$/,
      'Microsoft.Insights/components': /^[^%&\\?/]{1,260}$/,
      'Microsoft.OperationalInsights/workspaces': /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/,
      'Microsoft.KeyVault/vaults': /^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/,
      'Microsoft.KeyVault/vaults/secrets': /^[^/]+\/[A-Za-z0-9-]{1,127}$/,
      'Microsoft.Authorization/roleDefinitions':
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    };
    const longest = 'e'.repeat(readTemplate().parameters.appName!.maxLength as number);
    for (const appName of [undefined, longest]) {
      const d = deploy({
        ...MI,
        ...(appName ? { appName } : {}),
        networkResourceGroup: 'net-rg',
        loadBalancerResourceGroup: 'ilb-rg',
        deployEventSubscription: true,
        watchNetworkResourceGroup: true,
      });
      let checked = 0;
      for (const r of d.resources) {
        const rule = rules[r.type];
        if (!rule) continue;
        checked++;
        assert.match(r.name, rule, `${r.type} name ${r.name}`);
      }
      assert.ok(checked >= 20, `${checked} names checked`);
      const subscriptionName = only(
        resourcesOfType(d, 'Microsoft.EventGrid/systemTopics/eventSubscriptions').filter(
          (x) => x.resourceGroup === GATEWAY_RG,
        ),
        'subscription',
      ).name.split('/')[1]!;
      assert.match(subscriptionName, /^[A-Za-z0-9-]{3,64}$/);
    }
  });

  it('deploys with the parameters example file, which names only template parameters', () => {
    const file = JSON.parse(readFileSync(parametersExamplePath, 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const values = Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value]));
    const d = deploy(values);
    const settings = appSettingsOf(d);
    const uri = values.relaySharedSecretKeyVaultUri as string;
    const config = loadConfig(
      resolveKeyVaultReferences(settings, { [uri]: 's'.repeat(44), ...vaultSecretsOf(d) }),
    );
    assert.equal(config.gatewayResourceGroup, values.gatewayResourceGroup);
    assert.equal(resourcesOfType(d, 'Microsoft.Web/sites')[0]!.resourceGroup, CONTROL_PLANE_RG);
  });
});
