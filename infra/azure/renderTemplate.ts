/**
 * Renders egret's ARM deployment template (`infra/azure/azuredeploy.json`) — pure: the declared app
 * settings and the ARM operation names `armEvents` handles go in, a JSON object comes out. The checked-in
 * JSON is the deployable artefact (`az deployment group create --template-file ...`, or the portal's
 * "Deploy to Azure" button); `npm run render:azure` rewrites it, and a golden test fails when it is stale.
 *
 * What it deploys into the control-plane resource group:
 * - a user-assigned managed identity (the app's storage identity; also its ARM identity unless a service
 *   principal is chosen); custom roles holding exactly the ARM actions egret calls (infra/azure/
 *   armPermissions.ts), one per kind of scope, assigned on the narrowest scopes (ARM_ROLE_SCOPES below);
 * - a Key Vault (RBAC authorization) holding RELAY_SHARED_SECRET (and a service principal's secret),
 *   read by the app through Key Vault references with the identity (`secretsInKeyVault`, default on);
 * - a storage account reached only through that identity (shared-key access disabled), with a container
 *   for the Flex Consumption deployment package and one for Event Grid dead letters;
 * - a Log Analytics workspace and workspace-based Application Insights;
 * - a Linux plan (Flex Consumption FC1 by default, or Dedicated) and the Node.js 22 Function App with
 *   exactly the app settings egret reads plus the host's own;
 * - when `deployEventSubscription=true` (second pass, after the code is deployed — see docs/install.md):
 *   an Event Grid system topic for every resource group egret writes or watches (gateway, VMSS pool, network,
 *   load balancer, standalone VMs, BYO prefixes; each distinct group once), each with a subscription
 *   delivering the filtered ARM events to the `armEvents` function.
 *
 * Plan kinds: Elastic Premium is deliberately not offered. It needs a content share on Azure Files
 * (WEBSITE_CONTENTAZUREFILECONNECTIONSTRING), which only takes an account-key connection string, so it
 * would force shared-key access back on. Flex Consumption and Dedicated (Linux) run from a package and
 * keep the storage account key-free.
 */
import { CREDENTIAL_KINDS, PROVIDER_TYPES, type SettingSpec } from '../../shared/config.js';
import { call, expr, lit, literalValue, param, variable, type Json } from './armExpression.js';
import { EGRET_ROLES, type PermissionScope } from './armPermissions.js';
import { renderEventFilter } from './renderEventFilter.js';
import {
  API_VERSIONS,
  HOST_SETTINGS,
  IDENTITY_REFERENCE,
  PLAN_KINDS,
  SETTING_BINDINGS,
  type HostSetting,
  type SettingBinding,
} from './settingBindings.js';

/** Function names fixed by the project's contracts (DESIGN.md). */
export const FUNCTION_NAMES = {
  armEvents: 'armEvents',
  relayEvents: 'relayEvents',
  relayStatus: 'relayStatus',
  reconcile: 'reconcile',
  resync: 'resync',
  admin: 'admin',
} as const;

/**
 * Built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles;
 * MicrosoftDocs/azure-docs:articles/role-based-access-control/built-in-roles/{security,storage}.md). The ARM
 * roles are custom (armPermissions.ts): Network Contributor and Virtual Machine Contributor would allow
 * run-command, extensions and every network write on whole resource groups.
 */
export const BUILT_IN_ROLES = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
} as const;
export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

/** Container names in the control plane's storage account. */
export const CONTAINERS = { deploymentPackage: 'app-package', deadLetters: 'eventgrid-deadletters' } as const;
/** The event subscription (one per system topic) that feeds `armEvents`. */
export const EVENT_SUBSCRIPTION_NAME = 'egret-arm-events';
/** Event Grid retry policy: events are hints and the resync timer repairs drift, so the defaults suffice. */
export const EVENT_RETRY_POLICY = { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 } as const;
/** Names of the secrets the template stores in its Key Vault (one per secret app setting). */
export const VAULT_SECRET_NAMES = {
  RELAY_SHARED_SECRET: 'relay-shared-secret',
  AZURE_CLIENT_SECRET: 'arm-client-secret',
} as const satisfies Record<string, string>;
/** Node.js major version of the Functions worker in Azure. */
export const NODE_VERSION = '22';

export interface RenderTemplateInput {
  /** `shared/config.ts` SETTINGS: every app setting egret reads. */
  readonly settings: readonly SettingSpec[];
  /** The ARM event types the `armEvents` normaliser accepts. */
  readonly armEventTypes: readonly string[];
  /** The ARM operation names the `armEvents` normaliser handles (the Event Grid filter is exactly these). */
  readonly armOperations: readonly string[];
}

type JsonObject = { readonly [key: string]: Json };

const resourceId = (type: string, ...names: string[]): string => call('resourceId', lit(type), ...names);
const apiVersion = (type: keyof typeof API_VERSIONS): string => API_VERSIONS[type];

/**
 * Renders the deployment template.
 * @throws Error when a SETTINGS entry has no binding in settingBindings.ts (or a binding names an
 *   undeclared setting), or when the operation list does not fit an Event Grid filter.
 */
export function renderTemplate(input: RenderTemplateInput): JsonObject {
  const bindings = bindSettings(input.settings);
  const filter = renderEventFilter({
    eventTypes: input.armEventTypes,
    operationNames: input.armOperations,
  }) as unknown as Json;
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    metadata: {
      description:
        'egret control plane: Function App (Node.js 22), identity-based storage, Application Insights, ' +
        'user-assigned identity with scoped roles, and the Event Grid subscription feeding armEvents. ' +
        'Rendered by infra/azure/renderTemplate.ts (npm run render:azure); do not edit by hand.',
    },
    parameters: renderParameters(input.settings, bindings),
    variables: renderVariables(bindings),
    resources: [
      identityResource(),
      ...storageResources(),
      ...monitoringResources(),
      planResource(),
      ...storageRoleAssignments(),
      siteResource(bindings),
      ...keyVaultResources(bindings),
      ...armRoleDefinitions(),
      ...armRoleDeployments(),
      ...eventDeployments(filter),
    ],
    outputs: renderOutputs(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Settings

interface BoundSetting {
  readonly spec: SettingSpec;
  readonly binding: SettingBinding;
}

function bindSettings(settings: readonly SettingSpec[]): readonly BoundSetting[] {
  const declared = new Set(settings.map((s) => s.name));
  const unknown = Object.keys(SETTING_BINDINGS).filter((name) => !declared.has(name));
  if (unknown.length > 0)
    throw new Error(
      `infra/azure/settingBindings.ts binds ${unknown.join(', ')}, which shared/config.ts SETTINGS does not declare`,
    );
  return settings.map((spec) => {
    const binding = SETTING_BINDINGS[spec.name];
    if (binding === undefined)
      throw new Error(
        `shared/config.ts SETTINGS declares ${spec.name}, but infra/azure/settingBindings.ts does not say how ` +
          'the deployment template provides it (add a binding, or notInAzure with the reason)',
      );
    return { spec, binding };
  });
}

function settingValue(bound: BoundSetting): string | undefined {
  const source = bound.binding.source;
  switch (source.kind) {
    case 'parameter':
      return expr(param(source.parameter));
    case 'expression':
      return expr(source.value);
    case 'secret': {
      // An external vault's secret URI wins; else the template's own vault (secretsInKeyVault); else the
      // secure parameter as a plain app setting.
      const reference = (uri: string): string =>
        call('format', lit('@Microsoft.KeyVault(SecretUri={0})'), uri);
      return expr(
        call(
          'if',
          call('not', call('empty', param(source.keyVaultUriParameter))),
          reference(param(source.keyVaultUriParameter)),
          call(
            'if',
            variable(vaultFlagOf(source.parameter)),
            reference(variable(vaultUriOf(source.parameter))),
            param(source.parameter),
          ),
        ),
      );
    }
    case 'runtime':
    case 'notInAzure':
      return undefined;
  }
}

const appSetting = (name: string, value: string): JsonObject => ({ name, value });

/** Variable names: whether a secret parameter's value is kept in the template's vault, and its URI there. */
const vaultFlagOf = (parameter: string): string => `${parameter}InVault`;
const vaultUriOf = (parameter: string): string => `${parameter}VaultUri`;

interface VaultSecret {
  readonly setting: string;
  readonly parameter: string;
  readonly keyVaultUriParameter: string;
  readonly secretName: string;
  readonly onlyWithServicePrincipal: boolean;
}

/** The secret settings and the name each has in the template's Key Vault. */
function vaultSecrets(bound: readonly BoundSetting[]): VaultSecret[] {
  return bound.flatMap((b) => {
    const source = b.binding.source;
    if (source.kind !== 'secret') return [];
    const secretName = (VAULT_SECRET_NAMES as Record<string, string | undefined>)[b.spec.name];
    if (secretName === undefined)
      throw new Error(`secret setting ${b.spec.name} has no name in VAULT_SECRET_NAMES (renderTemplate.ts)`);
    return [
      {
        setting: b.spec.name,
        parameter: source.parameter,
        keyVaultUriParameter: source.keyVaultUriParameter,
        secretName,
        onlyWithServicePrincipal: b.binding.onlyWithServicePrincipal === true,
      },
    ];
  });
}

// ---------------------------------------------------------------------------------------------------
// Parameters

function renderParameters(settings: readonly SettingSpec[], bound: readonly BoundSetting[]): JsonObject {
  const description = (text: string): JsonObject => ({ description: text });
  const defaultOf = (settingName: string): string => {
    const spec = settings.find((s) => s.name === settingName);
    if (spec?.default === undefined) throw new Error(`SETTINGS ${settingName} has no default`);
    return spec.default;
  };
  const fromSetting = (settingName: string, extra: JsonObject = {}): JsonObject => {
    const spec = settings.find((s) => s.name === settingName);
    if (spec === undefined) throw new Error(`SETTINGS does not declare ${settingName}`);
    return {
      type: 'string',
      ...(spec.default === undefined ? {} : { defaultValue: literalValue(spec.default) }),
      ...extra,
      metadata: description(`${spec.description} App setting ${spec.name}.`),
    };
  };
  const secretParams = (settingName: string): Record<string, JsonObject> => {
    const b = bound.find((x) => x.spec.name === settingName);
    if (b?.binding.source.kind !== 'secret') throw new Error(`${settingName} is not bound as a secret`);
    const { parameter, keyVaultUriParameter } = b.binding.source;
    return {
      [parameter]: {
        type: 'securestring',
        defaultValue: '',
        metadata: description(
          `${b.spec.description} Stored in the template's Key Vault when secretsInKeyVault=true, else a plain ` +
            `app setting; unused when ${keyVaultUriParameter} is set. App setting ${settingName}.`,
        ),
      },
      [keyVaultUriParameter]: {
        type: 'string',
        defaultValue: '',
        metadata: description(
          `Key Vault secret URI for ${settingName} (https://<vault>.vault.azure.net/secrets/<name>) in a vault ` +
            "of your own; the app resolves it with the user-assigned identity, which needs 'Key Vault Secrets " +
            "User' on it. Empty = the template's vault (secretsInKeyVault) or the secure parameter.",
        ),
      },
    };
  };

  return {
    appName: {
      type: 'string',
      defaultValue: expr(call('format', lit('egret-{0}'), call('uniqueString', 'resourceGroup().id'))),
      maxLength: 40,
      metadata: description('Function App name (globally unique); other resource names derive from it.'),
    },
    location: {
      type: 'string',
      defaultValue: expr('resourceGroup().location'),
      metadata: description('Region of the control plane (Flex Consumption must be available there).'),
    },
    planKind: {
      type: 'string',
      defaultValue: 'FlexConsumption',
      allowedValues: [...PLAN_KINDS],
      metadata: description(
        'Hosting plan: FlexConsumption (FC1, serverless) or Dedicated (a Linux App Service plan, dedicatedPlanSku).',
      ),
    },
    dedicatedPlanSku: {
      type: 'string',
      defaultValue: 'P0v3',
      metadata: description('App Service plan SKU when planKind=Dedicated (e.g. B1, P0v3, P1v3).'),
    },
    flexMaximumInstanceCount: {
      type: 'int',
      defaultValue: 100,
      maxValue: 1000,
      metadata: description('Flex Consumption: maximum instances the app scales out to.'),
    },
    flexInstanceMemoryMB: {
      type: 'int',
      defaultValue: 2048,
      allowedValues: [512, 2048, 4096],
      metadata: description('Flex Consumption: instance memory size.'),
    },
    gatewayResourceGroup: fromSetting('GATEWAY_RESOURCE_GROUP'),
    gatewayPoolId: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Resource id of the gateway pool VMSS (/subscriptions/<sub>/resourceGroups/<rg>/providers/' +
          'Microsoft.Compute/virtualMachineScaleSets/<name>, same subscription; also a gatewayVmssProfile scale ' +
          'set in another resource group). The VMSS write role is assigned on it; when empty (an AKS ' +
          'VirtualMachines pool, or several pools), on gatewayResourceGroup, with the NIC write role there too.',
      ),
    },
    networkResourceGroup: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Resource group of the virtual network (app setting VNET_RESOURCE_GROUP); empty = gatewayResourceGroup. ' +
          'Subnet read and join are assigned on the virtual network vnetName only.',
      ),
    },
    vnetName: fromSetting('VNET_NAME'),
    subnetName: fromSetting('SUBNET_NAME'),
    loadBalancerName: fromSetting('LOAD_BALANCER_NAME'),
    loadBalancerResourceGroup: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Resource group of the internal load balancer (app setting LOAD_BALANCER_RESOURCE_GROUP); empty = ' +
          'gatewayResourceGroup. The load balancer role (read, write, delete, backend pool join) is assigned on it.',
      ),
    },
    standaloneVmResourceGroup: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Resource group of the standalone gateway VMs (gatewayProfile.standaloneVMProfile) and their primary ' +
          'NICs; empty = gatewayResourceGroup. VM read and NIC read/write are assigned on it.',
      ),
    },
    byoPrefixResourceGroup: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Resource group of bring-your-own public IP prefixes (spec.publicIpPrefixId); empty = ' +
          'gatewayResourceGroup. Prefix read and join are assigned on it.',
      ),
    },
    gatewayLocation: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Region of the cluster, its ILB and public IP prefixes (app setting AZURE_LOCATION); empty = location.',
      ),
    },
    providerType: fromSetting('PROVIDER_TYPE', {
      allowedValues: allowed('PROVIDER_TYPE', PROVIDER_TYPES, defaultOf('PROVIDER_TYPE')),
    }),
    resyncSchedule: fromSetting('RESYNC_SCHEDULE'),
    armCredential: {
      type: 'string',
      defaultValue: defaultOf('AZURE_CREDENTIAL'),
      allowedValues: allowed(
        'AZURE_CREDENTIAL',
        CREDENTIAL_KINDS.filter((k) => !LOCAL_ONLY_CREDENTIALS.includes(k)),
        defaultOf('AZURE_CREDENTIAL'),
      ),
      metadata: description(
        'How egret authenticates to ARM (app setting AZURE_CREDENTIAL): the user-assigned identity, or a ' +
          'service principal (servicePrincipal* parameters). Storage always uses the identity.',
      ),
    },
    servicePrincipalClientId: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Service principal application (client) id, when armCredential=servicePrincipal.',
      ),
    },
    servicePrincipalObjectId: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Object id of the service principal (az ad sp show --id <appId> --query id); the ARM roles are ' +
          'assigned to it when armCredential=servicePrincipal.',
      ),
    },
    servicePrincipalTenantId: {
      type: 'string',
      defaultValue: '',
      metadata: description("Service principal's tenant (app setting AZURE_TENANT_ID); empty = this tenant."),
    },
    ...secretParams('AZURE_CLIENT_SECRET'),
    ...secretParams('RELAY_SHARED_SECRET'),
    secretsInKeyVault: {
      type: 'bool',
      defaultValue: true,
      metadata: description(
        'Create a Key Vault (RBAC authorization) holding the secrets given as parameters, readable by the ' +
          "identity ('Key Vault Secrets User' on the vault), and pass them to the app as Key Vault " +
          'references. false = plain app settings.',
      ),
    },
    deployEventSubscription: {
      type: 'bool',
      defaultValue: false,
      metadata: description(
        'Create the Event Grid system topics (one per distinct resource group egret writes or watches) and ' +
          'their subscriptions to armEvents. Event Grid only accepts a function that exists, so set this on ' +
          'the second pass, after the code is deployed.',
      ),
    },
    watchNetworkResourceGroup: {
      type: 'bool',
      defaultValue: true,
      metadata: description(
        'Also subscribe to ARM events of the network resource group (when it differs from the others).',
      ),
    },
  };
}

/** Credential kinds that only make sense locally (never offered by the template). */
const LOCAL_ONLY_CREDENTIALS: readonly string[] = ['standIn'];

function allowed(settingName: string, values: readonly string[], defaultValue: string | undefined): Json {
  if (defaultValue === undefined || !values.includes(defaultValue))
    throw new Error(
      `SETTINGS ${settingName} default ${String(defaultValue)} is not one of ${values.join(', ')}`,
    );
  return [...values];
}

// ---------------------------------------------------------------------------------------------------
// Variables

function renderVariables(bound: readonly BoundSetting[]): JsonObject {
  const valued = (list: readonly BoundSetting[]): JsonObject[] =>
    list.flatMap((b) => {
      const value = settingValue(b);
      return value === undefined ? [] : [appSetting(b.spec.name, value)];
    });
  const common = valued(bound.filter((b) => b.binding.onlyWithServicePrincipal !== true));
  const servicePrincipalOnly = valued(bound.filter((b) => b.binding.onlyWithServicePrincipal === true));
  const hostSetting = (h: HostSetting): JsonObject =>
    appSetting(h.name, h.literal === true ? literalValue(h.value) : expr(h.value));
  const hostStatic = HOST_SETTINGS.filter((h) => h.runtime !== true);
  for (const h of hostStatic)
    if (!h.plans.includes('Dedicated'))
      throw new Error(`host setting ${h.name}: only settings for every plan or for Dedicated are supported`);
  return {
    isFlex: expr(call('equals', param('planKind'), lit('FlexConsumption'))),
    useServicePrincipal: expr(call('equals', param('armCredential'), lit('servicePrincipal'))),
    identityName: expr(call('format', lit('{0}-id'), param('appName'))),
    identityId: expr(
      resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variable('identityName')),
    ),
    storageAccountName: expr(
      call('format', lit('st{0}'), call('uniqueString', 'resourceGroup().id', param('appName'))),
    ),
    storageAccountId: expr(resourceId('Microsoft.Storage/storageAccounts', variable('storageAccountName'))),
    blobEndpoint: expr(
      call(
        'format',
        lit('https://{0}.blob.{1}/'),
        variable('storageAccountName'),
        'environment().suffixes.storage',
      ),
    ),
    workspaceName: expr(call('format', lit('{0}-logs'), param('appName'))),
    workspaceId: expr(resourceId('Microsoft.OperationalInsights/workspaces', variable('workspaceName'))),
    appInsightsId: expr(resourceId('Microsoft.Insights/components', param('appName'))),
    planName: expr(call('format', lit('{0}-plan'), param('appName'))),
    planId: expr(resourceId('Microsoft.Web/serverfarms', variable('planName'))),
    siteId: expr(resourceId('Microsoft.Web/sites', param('appName'))),
    armEventsFunctionId: expr(
      call('format', lit('{0}/functions/{1}'), variable('siteId'), lit(FUNCTION_NAMES.armEvents)),
    ),
    gatewayLocation: expr(
      call('if', call('empty', param('gatewayLocation')), param('location'), param('gatewayLocation')),
    ),
    networkResourceGroup: expr(
      call(
        'if',
        call('empty', param('networkResourceGroup')),
        param('gatewayResourceGroup'),
        param('networkResourceGroup'),
      ),
    ),
    loadBalancerResourceGroup: expr(
      call(
        'if',
        call('empty', param('loadBalancerResourceGroup')),
        param('gatewayResourceGroup'),
        param('loadBalancerResourceGroup'),
      ),
    ),
    // The pool id's segments: ['', 'subscriptions', sub, 'resourceGroups', rg, 'providers', ns, type, name].
    // `if` evaluates only the branch it takes, so the indexing is safe when the id is empty.
    gatewayPoolSegments: expr(call('split', param('gatewayPoolId'), lit('/'))),
    gatewayPoolResourceGroup: expr(
      call(
        'if',
        call('empty', param('gatewayPoolId')),
        param('gatewayResourceGroup'),
        `${variable('gatewayPoolSegments')}[4]`,
      ),
    ),
    gatewayPoolScope: expr(
      call(
        'if',
        call('empty', param('gatewayPoolId')),
        lit(''),
        call(
          'format',
          lit('{0}/{1}/{2}'),
          `${variable('gatewayPoolSegments')}[6]`,
          `${variable('gatewayPoolSegments')}[7]`,
          `${variable('gatewayPoolSegments')}[8]`,
        ),
      ),
    ),
    standaloneVmResourceGroup: expr(
      call(
        'if',
        call('empty', param('standaloneVmResourceGroup')),
        param('gatewayResourceGroup'),
        param('standaloneVmResourceGroup'),
      ),
    ),
    byoPrefixResourceGroup: expr(
      call(
        'if',
        call('empty', param('byoPrefixResourceGroup')),
        param('gatewayResourceGroup'),
        param('byoPrefixResourceGroup'),
      ),
    ),
    virtualNetworkScope: expr(
      call('format', lit('Microsoft.Network/virtualNetworks/{0}'), param('vnetName')),
    ),
    keyVaultName: expr(
      call('format', lit('kv{0}'), call('uniqueString', 'resourceGroup().id', param('appName'))),
    ),
    keyVaultId: expr(resourceId('Microsoft.KeyVault/vaults', variable('keyVaultName'))),
    ...Object.fromEntries(
      vaultSecrets(bound).flatMap((v) => [
        [
          vaultFlagOf(v.parameter),
          expr(
            call(
              'and',
              param('secretsInKeyVault'),
              call('empty', param(v.keyVaultUriParameter)),
              ...(v.onlyWithServicePrincipal ? [variable('useServicePrincipal')] : []),
            ),
          ),
        ],
        [
          vaultUriOf(v.parameter),
          expr(
            call(
              'format',
              lit('https://{0}{1}/secrets/{2}'),
              variable('keyVaultName'),
              'environment().suffixes.keyvaultDns',
              lit(v.secretName),
            ),
          ),
        ],
      ]),
    ),
    armRoleNames: Object.fromEntries(EGRET_ROLES.map((r) => [r.scope, expr(armRoleName(r.scope))])),
    builtInRoles: { ...BUILT_IN_ROLES },
    flexFunctionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer',
          value: expr(
            call('format', lit('{0}{1}'), variable('blobEndpoint'), lit(CONTAINERS.deploymentPackage)),
          ),
          authentication: {
            type: 'UserAssignedIdentity',
            userAssignedIdentityResourceId: expr(variable('identityId')),
          },
        },
      },
      scaleAndConcurrency: {
        maximumInstanceCount: expr(param('flexMaximumInstanceCount')),
        instanceMemoryMB: expr(param('flexInstanceMemoryMB')),
      },
      runtime: { name: 'node', version: NODE_VERSION },
    },
    appSettingsCommon: common,
    appSettingsServicePrincipal: servicePrincipalOnly,
    appSettingsForCredential: expr(
      call('if', variable('useServicePrincipal'), variable('appSettingsServicePrincipal'), 'createArray()'),
    ),
    hostSettingsEveryPlan: hostStatic.filter(isEveryPlan).map(hostSetting),
    hostSettingsDedicated: hostStatic.filter((h) => !isEveryPlan(h)).map(hostSetting),
    hostSettingsForPlan: expr(
      call(
        'if',
        variable('isFlex'),
        variable('hostSettingsEveryPlan'),
        call('concat', variable('hostSettingsEveryPlan'), variable('hostSettingsDedicated')),
      ),
    ),
  };
}

const isEveryPlan = (h: HostSetting): boolean => PLAN_KINDS.every((p) => h.plans.includes(p));

// ---------------------------------------------------------------------------------------------------
// Resources

function identityResource(): JsonObject {
  return {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    apiVersion: apiVersion('Microsoft.ManagedIdentity/userAssignedIdentities'),
    name: expr(variable('identityName')),
    location: expr(param('location')),
  };
}

function storageResources(): JsonObject[] {
  const blobServiceName = expr(call('format', lit('{0}/default'), variable('storageAccountName')));
  const container = (name: string, condition?: string): JsonObject => ({
    ...(condition === undefined ? {} : { condition: expr(condition) }),
    type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    apiVersion: apiVersion('Microsoft.Storage/storageAccounts/blobServices/containers'),
    name: expr(call('format', lit('{0}/default/{1}'), variable('storageAccountName'), lit(name))),
    dependsOn: [
      expr(
        resourceId(
          'Microsoft.Storage/storageAccounts/blobServices',
          variable('storageAccountName'),
          lit('default'),
        ),
      ),
    ],
    properties: { publicAccess: 'None' },
  });
  return [
    {
      type: 'Microsoft.Storage/storageAccounts',
      apiVersion: apiVersion('Microsoft.Storage/storageAccounts'),
      name: expr(variable('storageAccountName')),
      location: expr(param('location')),
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      properties: {
        // Both offered plans run from a package, so nothing needs the account key (see the header).
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
        supportsHttpsTrafficOnly: true,
        accessTier: 'Hot',
      },
    },
    {
      type: 'Microsoft.Storage/storageAccounts/blobServices',
      apiVersion: apiVersion('Microsoft.Storage/storageAccounts/blobServices'),
      name: blobServiceName,
      dependsOn: [expr(variable('storageAccountId'))],
    },
    container(CONTAINERS.deploymentPackage, variable('isFlex')),
    container(CONTAINERS.deadLetters),
  ];
}

function monitoringResources(): JsonObject[] {
  return [
    {
      type: 'Microsoft.OperationalInsights/workspaces',
      apiVersion: apiVersion('Microsoft.OperationalInsights/workspaces'),
      name: expr(variable('workspaceName')),
      location: expr(param('location')),
      properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 },
    },
    {
      type: 'Microsoft.Insights/components',
      apiVersion: apiVersion('Microsoft.Insights/components'),
      name: expr(param('appName')),
      location: expr(param('location')),
      kind: 'web',
      dependsOn: [expr(variable('workspaceId'))],
      properties: { Application_Type: 'web', WorkspaceResourceId: expr(variable('workspaceId')) },
    },
  ];
}

function planResource(): JsonObject {
  return {
    type: 'Microsoft.Web/serverfarms',
    apiVersion: apiVersion('Microsoft.Web/serverfarms'),
    name: expr(variable('planName')),
    location: expr(param('location')),
    kind: expr(call('if', variable('isFlex'), lit('functionapp'), lit('linux'))),
    sku: expr(
      call(
        'if',
        variable('isFlex'),
        call('createObject', lit('name'), lit('FC1'), lit('tier'), lit('FlexConsumption')),
        call('createObject', lit('name'), param('dedicatedPlanSku')),
      ),
    ),
    properties: { reserved: true },
  };
}

/** Storage data roles for the identity, on the storage account only (never the resource group). */
const STORAGE_ROLES: readonly BuiltInRole[] = [
  'storageBlobDataOwner', // host: deployment package, timer/singleton leases, keys; Event Grid dead letters
  'storageQueueDataContributor', // the reconcile queue (and its poison queue)
  'storageTableDataContributor', // egret's state tables
];

function storageRoleAssignmentName(role: BuiltInRole): string {
  return call('guid', variable('storageAccountId'), variable('identityId'), lit(BUILT_IN_ROLES[role]));
}

function storageRoleAssignments(): JsonObject[] {
  return STORAGE_ROLES.map((role) => ({
    type: 'Microsoft.Authorization/roleAssignments',
    apiVersion: apiVersion('Microsoft.Authorization/roleAssignments'),
    name: expr(storageRoleAssignmentName(role)),
    scope: expr(call('format', lit('Microsoft.Storage/storageAccounts/{0}'), variable('storageAccountName'))),
    dependsOn: [expr(variable('storageAccountId')), expr(variable('identityId'))],
    properties: {
      roleDefinitionId: expr(
        call(
          'subscriptionResourceId',
          lit('Microsoft.Authorization/roleDefinitions'),
          `${variable('builtInRoles')}.${role}`,
        ),
      ),
      principalId: expr(`${IDENTITY_REFERENCE}.principalId`),
      principalType: 'ServicePrincipal',
    },
  }));
}

function siteResource(bound: readonly BoundSetting[]): JsonObject {
  const runtimeSettings = [
    ...bound.flatMap((b) =>
      b.binding.source.kind === 'runtime' ? [{ name: b.spec.name, value: b.binding.source.value }] : [],
    ),
    ...HOST_SETTINGS.filter((h) => h.runtime).map((h) => ({ name: h.name, value: h.value })),
  ];
  const runtimeArray = call(
    'createArray',
    ...runtimeSettings.map((s) => call('createObject', lit('name'), lit(s.name), lit('value'), s.value)),
  );
  return {
    type: 'Microsoft.Web/sites',
    apiVersion: apiVersion('Microsoft.Web/sites'),
    name: expr(param('appName')),
    location: expr(param('location')),
    kind: 'functionapp,linux',
    identity: { type: 'UserAssigned', userAssignedIdentities: { [expr(variable('identityId'))]: {} } },
    dependsOn: [
      expr(variable('planId')),
      expr(variable('identityId')),
      expr(variable('appInsightsId')),
      expr(
        resourceId(
          'Microsoft.Storage/storageAccounts/blobServices/containers',
          variable('storageAccountName'),
          lit('default'),
          lit(CONTAINERS.deploymentPackage),
        ),
      ),
      ...STORAGE_ROLES.map((role) =>
        expr(
          call(
            'extensionResourceId',
            variable('storageAccountId'),
            lit('Microsoft.Authorization/roleAssignments'),
            storageRoleAssignmentName(role),
          ),
        ),
      ),
      // Key Vault references resolve once the secret exists and the identity may read it.
      ...vaultSecrets(bound).map((v) =>
        expr(resourceId('Microsoft.KeyVault/vaults/secrets', variable('keyVaultName'), lit(v.secretName))),
      ),
      expr(
        call(
          'extensionResourceId',
          variable('keyVaultId'),
          lit('Microsoft.Authorization/roleAssignments'),
          keyVaultRoleAssignmentName(),
        ),
      ),
    ],
    properties: {
      serverFarmId: expr(variable('planId')),
      httpsOnly: true,
      keyVaultReferenceIdentity: expr(variable('identityId')),
      siteConfig: {
        appSettings: expr(
          call(
            'concat',
            variable('appSettingsCommon'),
            runtimeArray,
            variable('appSettingsForCredential'),
            variable('hostSettingsForPlan'),
          ),
        ),
        linuxFxVersion: expr(call('if', variable('isFlex'), 'null()', lit(`Node|${NODE_VERSION}`))),
        alwaysOn: expr(call('not', variable('isFlex'))),
        minTlsVersion: '1.2',
        ftpsState: 'Disabled',
      },
      functionAppConfig: expr(call('if', variable('isFlex'), variable('flexFunctionAppConfig'), 'null()')),
    },
  };
}

function keyVaultRoleAssignmentName(): string {
  return call(
    'guid',
    variable('keyVaultId'),
    variable('identityId'),
    lit(BUILT_IN_ROLES.keyVaultSecretsUser),
  );
}

/**
 * The secrets' vault: RBAC authorization (no access policies), and the identity gets 'Key Vault Secrets
 * User' on the whole vault, which holds only egret's secrets, so a per-cluster secret added later
 * (`relay-shared-secret-<cluster>`) is readable without another assignment. The app reads them through
 * Key Vault references (keyVaultReferenceIdentity is the identity).
 */
function keyVaultResources(bound: readonly BoundSetting[]): JsonObject[] {
  const inVault = param('secretsInKeyVault');
  return [
    {
      condition: expr(inVault),
      type: 'Microsoft.KeyVault/vaults',
      apiVersion: apiVersion('Microsoft.KeyVault/vaults'),
      name: expr(variable('keyVaultName')),
      location: expr(param('location')),
      properties: {
        tenantId: expr('subscription().tenantId'),
        sku: { family: 'A', name: 'standard' },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        publicNetworkAccess: 'Enabled',
      },
    },
    ...vaultSecrets(bound).map((v) => ({
      condition: expr(variable(vaultFlagOf(v.parameter))),
      type: 'Microsoft.KeyVault/vaults/secrets',
      apiVersion: apiVersion('Microsoft.KeyVault/vaults/secrets'),
      name: expr(call('format', lit('{0}/{1}'), variable('keyVaultName'), lit(v.secretName))),
      dependsOn: [expr(variable('keyVaultId'))],
      properties: { value: expr(param(v.parameter)), contentType: `app setting ${v.setting}` },
    })),
    {
      condition: expr(inVault),
      type: 'Microsoft.Authorization/roleAssignments',
      apiVersion: apiVersion('Microsoft.Authorization/roleAssignments'),
      name: expr(keyVaultRoleAssignmentName()),
      scope: expr(call('format', lit('Microsoft.KeyVault/vaults/{0}'), variable('keyVaultName'))),
      dependsOn: [expr(variable('keyVaultId')), expr(variable('identityId'))],
      properties: {
        roleDefinitionId: expr(
          call(
            'subscriptionResourceId',
            lit('Microsoft.Authorization/roleDefinitions'),
            `${variable('builtInRoles')}.keyVaultSecretsUser`,
          ),
        ),
        principalId: expr(`${IDENTITY_REFERENCE}.principalId`),
        principalType: 'ServicePrincipal',
      },
    },
  ];
}

/** Where a custom role of armPermissions.ts is assigned (installation guide, template section). */
interface ArmRoleSite {
  /** Suffix of the nested deployment's name. */
  readonly key: string;
  readonly scope: PermissionScope;
  /** ARM expression text: the resource group the assignment (or its resource) is in. */
  readonly resourceGroup: string;
  /** ARM expression text: when to assign. */
  readonly condition?: string;
  /** ARM expression text: `<namespace>/<type>/<name>` of a resource in that group, for a resource scope. */
  readonly resource?: string;
}

const sameGroup = (a: string, b: string): string => call('equals', call('toLower', a), call('toLower', b));
const hasPoolId = call('not', call('empty', param('gatewayPoolId')));

/**
 * The narrowest scopes: the VMSS pool itself when its id is given; the VNet (not its resource group) for
 * subnet read/join; each resource group once per role. Never the subscription. The load balancer role
 * stays on its resource group because egret creates and deletes the ILB (a scope must exist).
 */
export const ARM_ROLE_SITES: readonly ArmRoleSite[] = [
  { key: 'gateway-rg', scope: 'gatewayResourceGroup', resourceGroup: param('gatewayResourceGroup') },
  {
    key: 'vmss-pool',
    scope: 'vmssPool',
    resourceGroup: variable('gatewayPoolResourceGroup'),
    condition: hasPoolId,
    resource: variable('gatewayPoolScope'),
  },
  {
    key: 'vmss-gateway-rg',
    scope: 'vmssPool',
    resourceGroup: param('gatewayResourceGroup'),
    condition: call('not', hasPoolId),
  },
  {
    key: 'nic-gateway-rg',
    scope: 'nicPool',
    resourceGroup: param('gatewayResourceGroup'),
    condition: call('not', hasPoolId),
  },
  {
    key: 'nic-standalone-rg',
    scope: 'nicPool',
    resourceGroup: variable('standaloneVmResourceGroup'),
    condition: call(
      'or',
      hasPoolId,
      call('not', sameGroup(variable('standaloneVmResourceGroup'), param('gatewayResourceGroup'))),
    ),
  },
  { key: 'lb-rg', scope: 'loadBalancer', resourceGroup: variable('loadBalancerResourceGroup') },
  {
    key: 'vnet',
    scope: 'virtualNetwork',
    resourceGroup: variable('networkResourceGroup'),
    resource: variable('virtualNetworkScope'),
  },
  {
    key: 'byo-prefix-rg',
    scope: 'byoPrefixes',
    resourceGroup: variable('byoPrefixResourceGroup'),
    condition: call('not', sameGroup(variable('byoPrefixResourceGroup'), param('gatewayResourceGroup'))),
  },
];

/** Display titles of the custom roles (roleName adds the control plane's resource group and app name). */
const ROLE_TITLES: Record<PermissionScope, string> = {
  gatewayResourceGroup: 'gateway resource group',
  vmssPool: 'VMSS gateway pool',
  nicPool: 'NIC gateway pool',
  loadBalancer: 'internal load balancer',
  virtualNetwork: 'virtual network',
  byoPrefixes: 'BYO public IP prefixes',
};

/** The custom role's name (a GUID, unique in the tenant: seeded with this deployment's group and app). */
function armRoleName(scope: PermissionScope): string {
  return call('guid', 'subscription().id', 'resourceGroup().id', param('appName'), lit(`egret-${scope}`));
}

// A role definition deployed with a resource-group deployment is still a subscription resource; its
// assignable scopes are the resource groups it is assigned in (or under), each once.
function armRoleDefinitions(): JsonObject[] {
  return EGRET_ROLES.map((role) => {
    const groups = ARM_ROLE_SITES.filter((s) => s.scope === role.scope).map((s) =>
      call(
        'createArray',
        call('format', lit('{0}/resourceGroups/{1}'), 'subscription().id', call('toLower', s.resourceGroup)),
      ),
    );
    return {
      type: 'Microsoft.Authorization/roleDefinitions',
      apiVersion: apiVersion('Microsoft.Authorization/roleDefinitions'),
      name: expr(`${variable('armRoleNames')}.${role.scope}`),
      properties: {
        roleName: expr(
          call(
            'format',
            lit('egret {0} ({1}/{2})'),
            lit(ROLE_TITLES[role.scope]),
            'resourceGroup().name',
            param('appName'),
          ),
        ),
        description:
          `egret control plane: exactly the ARM actions it calls on its ${ROLE_TITLES[role.scope]} ` +
          '(infra/azure/armPermissions.ts).',
        type: 'CustomRole',
        permissions: [{ actions: [...role.actions], notActions: [] }],
        assignableScopes: expr(groups.length === 1 ? groups[0]! : call('union', ...groups)),
      },
    };
  });
}

/** The principal the ARM roles go to: the identity, or the service principal's object id. */
const ARM_PRINCIPAL_ID = call(
  'if',
  variable('useServicePrincipal'),
  param('servicePrincipalObjectId'),
  `${IDENTITY_REFERENCE}.principalId`,
);

// Cross-resource-group assignments need a nested deployment whose `resourceGroup` is the target: an
// extension resource's `scope` may only name a resource of the deployment's own resource group
// (learn.microsoft.com/azure/azure-resource-manager/templates/scope-extension-resources).
function armRoleDeployments(): JsonObject[] {
  return ARM_ROLE_SITES.map((r) => {
    const scoped = r.resource !== undefined;
    const inner = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      parameters: {
        principalId: { type: 'string' },
        roleDefinitionId: { type: 'string' },
        ...(scoped ? { resource: { type: 'string' } } : {}),
      },
      resources: [
        {
          type: 'Microsoft.Authorization/roleAssignments',
          apiVersion: apiVersion('Microsoft.Authorization/roleAssignments'),
          name: expr(
            call(
              'guid',
              'resourceGroup().id',
              ...(scoped ? [param('resource')] : []),
              param('principalId'),
              param('roleDefinitionId'),
            ),
          ),
          ...(scoped ? { scope: expr(param('resource')) } : {}),
          properties: {
            roleDefinitionId: expr(
              call(
                'subscriptionResourceId',
                lit('Microsoft.Authorization/roleDefinitions'),
                param('roleDefinitionId'),
              ),
            ),
            principalId: expr(param('principalId')),
            principalType: 'ServicePrincipal',
          },
        },
      ],
    };
    return {
      ...(r.condition === undefined ? {} : { condition: expr(r.condition) }),
      type: 'Microsoft.Resources/deployments',
      apiVersion: apiVersion('Microsoft.Resources/deployments'),
      name: expr(call('format', lit('{0}-role-{1}'), param('appName'), lit(r.key))),
      resourceGroup: expr(r.resourceGroup),
      dependsOn: [expr(variable('identityId')), expr(`${variable('armRoleNames')}.${r.scope}`)],
      properties: {
        mode: 'Incremental',
        expressionEvaluationOptions: { scope: 'inner' },
        parameters: {
          principalId: { value: expr(ARM_PRINCIPAL_ID) },
          roleDefinitionId: { value: expr(`${variable('armRoleNames')}.${r.scope}`) },
          ...(scoped ? { resource: { value: expr(r.resource ?? '') } } : {}),
        },
        template: inner,
      },
    };
  });
}

/** A resource group egret writes or watches, in the order topics are assigned to them. */
interface WatchedGroup {
  readonly key: string;
  readonly resourceGroup: string;
  readonly enabled?: string;
}

function watchedGroups(): readonly WatchedGroup[] {
  return [
    { key: 'gateway', resourceGroup: param('gatewayResourceGroup') },
    { key: 'pool', resourceGroup: variable('gatewayPoolResourceGroup') },
    { key: 'lb', resourceGroup: variable('loadBalancerResourceGroup') },
    { key: 'vms', resourceGroup: variable('standaloneVmResourceGroup') },
    { key: 'prefixes', resourceGroup: variable('byoPrefixResourceGroup') },
    {
      key: 'network',
      resourceGroup: variable('networkResourceGroup'),
      enabled: param('watchNetworkResourceGroup'),
    },
  ];
}

// The system topic lives in its source resource group (where Event Grid itself puts resource-group
// topics), so it is deployed through a nested deployment; a source accepts only one system topic.
function eventDeployments(filter: Json): JsonObject[] {
  const topics = watchedGroups().map((g, i, all) => ({
    key: g.key,
    resourceGroup: g.resourceGroup,
    // A source accepts one system topic: a group is watched by the first entry that names it.
    condition: call(
      'and',
      param('deployEventSubscription'),
      g.enabled ?? 'true()',
      ...all
        .slice(0, i)
        .map((earlier) =>
          call(
            'not',
            call('and', earlier.enabled ?? 'true()', sameGroup(earlier.resourceGroup, g.resourceGroup)),
          ),
        ),
    ),
  }));
  return topics.map((t) => ({
    condition: expr(t.condition),
    type: 'Microsoft.Resources/deployments',
    apiVersion: apiVersion('Microsoft.Resources/deployments'),
    name: expr(call('format', lit('{0}-events-{1}'), param('appName'), lit(t.key))),
    resourceGroup: expr(t.resourceGroup),
    dependsOn: [
      expr(variable('siteId')),
      expr(
        resourceId(
          'Microsoft.Storage/storageAccounts/blobServices/containers',
          variable('storageAccountName'),
          lit('default'),
          lit(CONTAINERS.deadLetters),
        ),
      ),
      expr(
        call(
          'extensionResourceId',
          variable('storageAccountId'),
          lit('Microsoft.Authorization/roleAssignments'),
          storageRoleAssignmentName('storageBlobDataOwner'),
        ),
      ),
    ],
    properties: {
      mode: 'Incremental',
      expressionEvaluationOptions: { scope: 'inner' },
      parameters: {
        systemTopicName: { value: expr(call('format', lit('{0}-arm-{1}'), param('appName'), lit(t.key))) },
        identityId: { value: expr(variable('identityId')) },
        functionResourceId: { value: expr(variable('armEventsFunctionId')) },
        deadLetterStorageAccountId: { value: expr(variable('storageAccountId')) },
      },
      template: eventTemplate(filter),
    },
  }));
}

function eventTemplate(filter: Json): JsonObject {
  const topicId = resourceId('Microsoft.EventGrid/systemTopics', param('systemTopicName'));
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      systemTopicName: { type: 'string' },
      identityId: { type: 'string' },
      functionResourceId: { type: 'string' },
      deadLetterStorageAccountId: { type: 'string' },
    },
    resources: [
      {
        type: 'Microsoft.EventGrid/systemTopics',
        apiVersion: apiVersion('Microsoft.EventGrid/systemTopics'),
        name: expr(param('systemTopicName')),
        location: 'global',
        identity: { type: 'UserAssigned', userAssignedIdentities: { [expr(param('identityId'))]: {} } },
        properties: { source: expr('resourceGroup().id'), topicType: 'Microsoft.Resources.ResourceGroups' },
      },
      {
        type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
        apiVersion: apiVersion('Microsoft.EventGrid/systemTopics/eventSubscriptions'),
        name: expr(call('format', lit('{0}/{1}'), param('systemTopicName'), lit(EVENT_SUBSCRIPTION_NAME))),
        dependsOn: [expr(topicId)],
        properties: {
          // AzureFunction (not WebHook): Event Grid resolves the function's key itself, so the template
          // needs no listKeys() and no handshake, but the function must already exist.
          destination: {
            endpointType: 'AzureFunction',
            properties: {
              resourceId: expr(param('functionResourceId')),
              maxEventsPerBatch: 1,
              preferredBatchSizeInKilobytes: 64,
            },
          },
          eventDeliverySchema: 'EventGridSchema',
          filter,
          retryPolicy: { ...EVENT_RETRY_POLICY },
          // Dead letters are written with the topic's user-assigned identity (Storage Blob Data Owner on
          // the account): the account has no keys to write them with.
          deadLetterWithResourceIdentity: {
            identity: { type: 'UserAssigned', userAssignedIdentity: expr(param('identityId')) },
            deadLetterDestination: {
              endpointType: 'StorageBlob',
              properties: {
                resourceId: expr(param('deadLetterStorageAccountId')),
                blobContainerName: CONTAINERS.deadLetters,
              },
            },
          },
        },
      },
    ],
    outputs: { systemTopicName: { type: 'string', value: expr(param('systemTopicName')) } },
  };
}

function renderOutputs(): JsonObject {
  const output = (value: string): JsonObject => ({ type: 'string', value: expr(value) });
  return {
    functionAppName: output(param('appName')),
    functionAppHostName: output(
      `${call('reference', variable('siteId'), lit(apiVersion('Microsoft.Web/sites')))}.defaultHostName`,
    ),
    armEventsFunctionId: output(variable('armEventsFunctionId')),
    identityName: output(variable('identityName')),
    identityClientId: output(`${IDENTITY_REFERENCE}.clientId`),
    identityPrincipalId: output(`${IDENTITY_REFERENCE}.principalId`),
    armRolePrincipalId: output(ARM_PRINCIPAL_ID),
    storageAccountName: output(variable('storageAccountName')),
    deadLetterContainerName: output(lit(CONTAINERS.deadLetters)),
    keyVaultName: output(call('if', param('secretsInKeyVault'), variable('keyVaultName'), lit(''))),
  };
}
