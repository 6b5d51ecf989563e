/**
 * Renders egret's ARM deployment template (`infra/azure/azuredeploy.json`) — pure: the declared app
 * settings and the ARM operation names `armEvents` handles go in, a JSON object comes out. The checked-in
 * JSON is the deployable artefact (`az deployment group create --template-file ...`, or the portal's
 * "Deploy to Azure" button); `npm run render:azure` rewrites it, and a golden test fails when it is stale.
 *
 * What it deploys into the control-plane resource group:
 * - a user-assigned managed identity (the app's storage identity; also its ARM identity unless a service
 *   principal is chosen) and its role assignments, scoped as the installation guide asks (see ROLES below);
 * - a storage account reached only through that identity (shared-key access disabled), with a container
 *   for the Flex Consumption deployment package and one for Event Grid dead letters;
 * - a Log Analytics workspace and workspace-based Application Insights;
 * - a Linux plan (Flex Consumption FC1 by default, or Dedicated) and the Node.js 22 Function App with
 *   exactly the app settings egret reads plus the host's own;
 * - when `deployEventSubscription=true` (second pass, after the code is deployed — see docs/install.md):
 *   an Event Grid system topic for the gateway resource group (and optionally the network resource group),
 *   each with a subscription delivering the filtered ARM events to the `armEvents` function.
 *
 * Plan kinds: Elastic Premium is deliberately not offered. It needs a content share on Azure Files
 * (WEBSITE_CONTENTAZUREFILECONNECTIONSTRING), which only takes an account-key connection string, so it
 * would force shared-key access back on. Flex Consumption and Dedicated (Linux) run from a package and
 * keep the storage account key-free.
 */
import { CREDENTIAL_KINDS, PROVIDER_TYPES, type SettingSpec } from '../../shared/config.js';
import { call, expr, lit, literalValue, param, variable, type Json } from './armExpression.js';
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
 * MicrosoftDocs/azure-docs:articles/role-based-access-control/built-in-roles/{networking,compute,storage}.md).
 */
export const BUILT_IN_ROLES = {
  networkContributor: '4d97b98b-1d4f-4787-a291-c67834d212e7',
  virtualMachineContributor: '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
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
    case 'secret':
      return expr(
        call(
          'if',
          call('empty', param(source.keyVaultUriParameter)),
          param(source.parameter),
          call('format', lit('@Microsoft.KeyVault(SecretUri={0})'), param(source.keyVaultUriParameter)),
        ),
      );
    case 'runtime':
    case 'notInAzure':
      return undefined;
  }
}

const appSetting = (name: string, value: string): JsonObject => ({ name, value });

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
          `${b.spec.description} Used when ${keyVaultUriParameter} is empty. App setting ${settingName}.`,
        ),
      },
      [keyVaultUriParameter]: {
        type: 'string',
        defaultValue: '',
        metadata: description(
          `Key Vault secret URI for ${settingName} (https://<vault>.vault.azure.net/secrets/<name>); the app ` +
            "resolves it with the user-assigned identity, which needs 'Key Vault Secrets User' on the vault.",
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
          'Microsoft.Compute/virtualMachineScaleSets/<name>, same subscription). Virtual Machine Contributor ' +
          'is assigned on it; when empty (e.g. an AKS VirtualMachines pool), on gatewayResourceGroup instead.',
      ),
    },
    networkResourceGroup: {
      type: 'string',
      defaultValue: '',
      metadata: description(
        'Resource group of the virtual network (app setting VNET_RESOURCE_GROUP); empty = gatewayResourceGroup. ' +
          'Network Contributor is assigned on it.',
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
          'gatewayResourceGroup. Network Contributor is assigned on it when it differs.',
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
        'Object id of the service principal (az ad sp show --id <appId> --query id); the network and VM ' +
          'roles are assigned to it when armCredential=servicePrincipal.',
      ),
    },
    servicePrincipalTenantId: {
      type: 'string',
      defaultValue: '',
      metadata: description("Service principal's tenant (app setting AZURE_TENANT_ID); empty = this tenant."),
    },
    ...secretParams('AZURE_CLIENT_SECRET'),
    ...secretParams('RELAY_SHARED_SECRET'),
    deployEventSubscription: {
      type: 'bool',
      defaultValue: false,
      metadata: description(
        'Create the Event Grid system topic(s) and the subscription to armEvents. Event Grid only accepts ' +
          'a function that exists, so set this on the second pass, after the code is deployed.',
      ),
    },
    watchNetworkResourceGroup: {
      type: 'bool',
      defaultValue: false,
      metadata: description(
        'Also subscribe to ARM events of the network resource group (when it differs from the gateway one).',
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
    networkDiffersFromGateway: expr(
      call(
        'not',
        call(
          'equals',
          call('toLower', variable('networkResourceGroup')),
          call('toLower', param('gatewayResourceGroup')),
        ),
      ),
    ),
    loadBalancerDiffersFromOthers: expr(
      call(
        'and',
        call(
          'not',
          call(
            'equals',
            call('toLower', variable('loadBalancerResourceGroup')),
            call('toLower', param('gatewayResourceGroup')),
          ),
        ),
        call(
          'not',
          call(
            'equals',
            call('toLower', variable('loadBalancerResourceGroup')),
            call('toLower', variable('networkResourceGroup')),
          ),
        ),
      ),
    ),
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

/** A role assignment egret's ARM principal gets outside this resource group (installation guide §3). */
interface ArmRole {
  /** Suffix of the nested deployment's name. */
  readonly key: string;
  readonly role: BuiltInRole;
  /** ARM expression text: the resource group the assignment (or its resource) is in. */
  readonly resourceGroup: string;
  /** ARM expression text: when to assign. */
  readonly condition?: string;
  /** ARM expression text: `<namespace>/<type>/<name>` of a resource in that group, for a resource scope. */
  readonly resource?: string;
}

/**
 * Network Contributor on the gateway RG (NICs, ILB, public IP prefixes), on the network RG (frontend
 * subnet) and on the ILB's RG when those differ; Virtual Machine Contributor on the gateway pool, or its
 * RG when no pool id is given. Never the subscription.
 */
const ARM_ROLES: readonly ArmRole[] = [
  { key: 'network-gateway-rg', role: 'networkContributor', resourceGroup: param('gatewayResourceGroup') },
  {
    key: 'network-vnet-rg',
    role: 'networkContributor',
    resourceGroup: variable('networkResourceGroup'),
    condition: variable('networkDiffersFromGateway'),
  },
  {
    key: 'network-ilb-rg',
    role: 'networkContributor',
    resourceGroup: variable('loadBalancerResourceGroup'),
    condition: variable('loadBalancerDiffersFromOthers'),
  },
  {
    key: 'vm-gateway-pool',
    role: 'virtualMachineContributor',
    resourceGroup: variable('gatewayPoolResourceGroup'),
    condition: call('not', call('empty', param('gatewayPoolId'))),
    resource: variable('gatewayPoolScope'),
  },
  {
    key: 'vm-gateway-rg',
    role: 'virtualMachineContributor',
    resourceGroup: param('gatewayResourceGroup'),
    condition: call('empty', param('gatewayPoolId')),
  },
];

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
  return ARM_ROLES.map((r) => {
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
      dependsOn: [expr(variable('identityId'))],
      properties: {
        mode: 'Incremental',
        expressionEvaluationOptions: { scope: 'inner' },
        parameters: {
          principalId: { value: expr(ARM_PRINCIPAL_ID) },
          roleDefinitionId: { value: expr(`${variable('builtInRoles')}.${r.role}`) },
          ...(scoped ? { resource: { value: expr(r.resource ?? '') } } : {}),
        },
        template: inner,
      },
    };
  });
}

// The system topic lives in its source resource group (where Event Grid itself puts resource-group
// topics), so it is deployed through a nested deployment; a source accepts only one system topic.
function eventDeployments(filter: Json): JsonObject[] {
  const topics = [
    {
      key: 'gateway',
      resourceGroup: param('gatewayResourceGroup'),
      condition: param('deployEventSubscription'),
    },
    {
      key: 'network',
      resourceGroup: variable('networkResourceGroup'),
      condition: call(
        'and',
        param('deployEventSubscription'),
        param('watchNetworkResourceGroup'),
        variable('networkDiffersFromGateway'),
      ),
    },
  ];
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
  };
}
