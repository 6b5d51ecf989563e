/**
 * How each app setting of `shared/config.ts` `SETTINGS` is provided in Azure, and which settings the
 * Functions host itself needs. `renderTemplate` walks `SETTINGS` and refuses to render when a setting has
 * no binding here (or a binding names a setting `SETTINGS` does not declare), so a new setting cannot be
 * forgotten by the deployment template.
 */
import { call, lit, param, variable } from './armExpression.js';

/** API versions used in the template (each checked against a table of published versions in the tests). */
export const API_VERSIONS = {
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2023-01-31',
  'Microsoft.Storage/storageAccounts': '2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices': '2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers': '2023-05-01',
  'Microsoft.OperationalInsights/workspaces': '2023-09-01',
  'Microsoft.Insights/components': '2020-02-02',
  'Microsoft.Web/serverfarms': '2024-04-01',
  'Microsoft.Web/sites': '2024-04-01',
  'Microsoft.Authorization/roleAssignments': '2022-04-01',
  'Microsoft.Authorization/roleDefinitions': '2022-04-01',
  'Microsoft.KeyVault/vaults': '2023-07-01',
  'Microsoft.KeyVault/vaults/secrets': '2023-07-01',
  'Microsoft.Resources/deployments': '2022-09-01',
  'Microsoft.EventGrid/systemTopics': '2025-02-15',
  'Microsoft.EventGrid/systemTopics/eventSubscriptions': '2025-02-15',
} as const;

/** `reference(<user-assigned identity>)`: its runtime properties (clientId, principalId). */
export const IDENTITY_REFERENCE = call(
  'reference',
  variable('identityId'),
  lit(API_VERSIONS['Microsoft.ManagedIdentity/userAssignedIdentities']),
);

/** Where a setting's value comes from in the deployed app. Expressions are ARM expression text without `[]`. */
export type SettingSource =
  /** A template parameter of the same meaning (its default is the setting's default). */
  | { readonly kind: 'parameter'; readonly parameter: string; readonly allowedValues?: readonly string[] }
  /** A template expression known before deployment (no `reference()`). */
  | { readonly kind: 'expression'; readonly value: string }
  /** Known only once resources exist (`reference()`); evaluated inside the Function App resource. */
  | { readonly kind: 'runtime'; readonly value: string }
  /** A secret: a secure parameter, or a Key Vault reference when its `...KeyVaultUri` parameter is set. */
  | { readonly kind: 'secret'; readonly parameter: string; readonly keyVaultUriParameter: string }
  /** Deliberately absent in Azure; the reason is part of the contract. */
  | { readonly kind: 'notInAzure'; readonly reason: string };

export interface SettingBinding {
  readonly source: SettingSource;
  /** Only emitted with `armCredential=servicePrincipal` (a managed identity needs neither tenant nor secret). */
  readonly onlyWithServicePrincipal?: true;
}

/** One binding per `SETTINGS` entry, by setting name. */
export const SETTING_BINDINGS: Readonly<Record<string, SettingBinding>> = {
  PROVIDER_TYPE: { source: { kind: 'parameter', parameter: 'providerType' } },
  AZURE_SUBSCRIPTION_ID: { source: { kind: 'expression', value: 'subscription().subscriptionId' } },
  AZURE_LOCATION: { source: { kind: 'expression', value: variable('gatewayLocation') } },
  GATEWAY_RESOURCE_GROUP: { source: { kind: 'parameter', parameter: 'gatewayResourceGroup' } },
  LOAD_BALANCER_NAME: { source: { kind: 'parameter', parameter: 'loadBalancerName' } },
  LOAD_BALANCER_RESOURCE_GROUP: {
    source: { kind: 'expression', value: variable('loadBalancerResourceGroup') },
  },
  VNET_NAME: { source: { kind: 'parameter', parameter: 'vnetName' } },
  VNET_RESOURCE_GROUP: { source: { kind: 'expression', value: variable('networkResourceGroup') } },
  SUBNET_NAME: { source: { kind: 'parameter', parameter: 'subnetName' } },
  AZURE_CREDENTIAL: { source: { kind: 'parameter', parameter: 'armCredential' } },
  AZURE_CLIENT_ID: {
    source: {
      kind: 'runtime',
      value: call(
        'if',
        variable('useServicePrincipal'),
        param('servicePrincipalClientId'),
        `${IDENTITY_REFERENCE}.clientId`,
      ),
    },
  },
  AZURE_TENANT_ID: {
    source: {
      kind: 'expression',
      value: call(
        'if',
        call('empty', param('servicePrincipalTenantId')),
        'subscription().tenantId',
        param('servicePrincipalTenantId'),
      ),
    },
    onlyWithServicePrincipal: true,
  },
  AZURE_CLIENT_SECRET: {
    source: {
      kind: 'secret',
      parameter: 'servicePrincipalSecret',
      keyVaultUriParameter: 'servicePrincipalSecretKeyVaultUri',
    },
    onlyWithServicePrincipal: true,
  },
  ARM_ENDPOINT: { source: { kind: 'expression', value: 'environment().resourceManager' } },
  ARM_CA_CERT_PATH: {
    source: {
      kind: 'notInAzure',
      reason:
        "only the local ARM stand-in's self-signed CA needs it; Azure Resource Manager has a public certificate",
    },
  },
  AzureWebJobsStorage: {
    source: {
      kind: 'notInAzure',
      reason:
        'a connection string carries the account key; in Azure the host and egret reach storage through the ' +
        'managed identity (AzureWebJobsStorage__accountName, __clientId, __credential)',
    },
  },
  AzureWebJobsStorage__accountName: { source: { kind: 'expression', value: variable('storageAccountName') } },
  AzureWebJobsStorage__clientId: { source: { kind: 'runtime', value: `${IDENTITY_REFERENCE}.clientId` } },
  RELAY_SHARED_SECRET: {
    source: {
      kind: 'secret',
      parameter: 'relaySharedSecret',
      keyVaultUriParameter: 'relaySharedSecretKeyVaultUri',
    },
  },
  RESYNC_SCHEDULE: { source: { kind: 'parameter', parameter: 'resyncSchedule' } },
};

/** A setting the Functions host reads (not egret's code), with the plans it applies to. */
export interface HostSetting {
  readonly name: string;
  /** ARM expression text (no `[]`), or a literal when `literal` is set. */
  readonly value: string;
  readonly literal?: true;
  readonly runtime?: true;
  readonly plans: readonly PlanKind[];
  readonly description: string;
}

/** Hosting plans the template offers (see renderTemplate.ts for why Elastic Premium is not one). */
export const PLAN_KINDS = ['FlexConsumption', 'Dedicated'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];

/**
 * Settings for the Functions host itself. Flex Consumption takes the runtime and its version from
 * `functionAppConfig.runtime` and deprecates FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION
 * (learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations),
 * so those two are emitted on the Dedicated plan only.
 */
export const HOST_SETTINGS: readonly HostSetting[] = [
  {
    name: 'AzureWebJobsStorage__credential',
    value: 'managedidentity',
    literal: true,
    plans: PLAN_KINDS,
    description:
      'Identity-based host storage: use the managed identity named by AzureWebJobsStorage__clientId.',
  },
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
    value: `${call('reference', variable('appInsightsId'), lit(API_VERSIONS['Microsoft.Insights/components']))}.ConnectionString`,
    runtime: true,
    plans: PLAN_KINDS,
    description: 'Application Insights (workspace-based) the host sends logs and traces to.',
  },
  {
    name: 'FUNCTIONS_EXTENSION_VERSION',
    value: '~4',
    literal: true,
    plans: ['Dedicated'],
    description: 'Functions runtime major version (set by the platform on Flex Consumption).',
  },
  {
    name: 'FUNCTIONS_WORKER_RUNTIME',
    value: 'node',
    literal: true,
    plans: ['Dedicated'],
    description: 'Language worker (Flex Consumption: functionAppConfig.runtime instead).',
  },
];
