/**
 * The control plane's settings: the ONLY module that reads `process.env` (STYLE.md §5).
 *
 * `SETTINGS` declares every app setting the Functions app reads, with its default and meaning; it is
 * the single source the deployment template, `local.settings.sample.json` and the docs are checked
 * against. `loadConfig()` validates them all at start and throws one `ConfigError` listing every
 * problem, so a misconfigured app stops at start instead of failing on the first event.
 */
import { ConfigError } from './core/errors.js';

/** Which platform's gateway pools the control plane manages (the provider-factory pattern). */
export const PROVIDER_TYPES = ['aks'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** How the control plane authenticates to ARM (installation guide: managed identity or service principal). */
export const CREDENTIAL_KINDS = ['managedIdentity', 'servicePrincipal', 'standIn'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** One app setting: its name (an environment variable), whether it is required, its default. */
export interface SettingSpec {
  readonly name: string;
  readonly required: boolean;
  readonly default?: string;
  /** Secret values are never logged and come from Key Vault or a secure parameter in Azure. */
  readonly secret?: boolean;
  /** Only read in some modes (e.g. a service principal's secret); says when. */
  readonly when?: string;
  readonly description: string;
}

/** Every setting `loadConfig` reads. Order is the order they are documented in. */
export const SETTINGS: readonly SettingSpec[] = [
  {
    name: 'PROVIDER_TYPE',
    required: false,
    default: 'aks',
    description: `Platform of the gateway pools: ${PROVIDER_TYPES.join(' | ')}. An unknown value stops the app.`,
  },
  {
    name: 'AZURE_SUBSCRIPTION_ID',
    required: true,
    description: 'Subscription of the gateway pools and the ILB.',
  },
  { name: 'AZURE_LOCATION', required: true, description: 'Azure region of the ILB and public IP prefixes.' },
  {
    name: 'GATEWAY_RESOURCE_GROUP',
    required: true,
    description: 'Resource group where the gateway VMSS/VMs/NICs live (the AKS node resource group).',
  },
  {
    name: 'LOAD_BALANCER_NAME',
    required: false,
    default: 'kubeegressgateway-ilb',
    description: "Name of the internal load balancer (upstream's default, so existing ones are adopted).",
  },
  {
    name: 'LOAD_BALANCER_RESOURCE_GROUP',
    required: false,
    description: 'Resource group of the ILB; defaults to GATEWAY_RESOURCE_GROUP.',
  },
  { name: 'VNET_NAME', required: true, description: 'Virtual network of the ILB frontend subnet.' },
  {
    name: 'VNET_RESOURCE_GROUP',
    required: false,
    description: 'Resource group of the virtual network; defaults to GATEWAY_RESOURCE_GROUP.',
  },
  { name: 'SUBNET_NAME', required: true, description: 'Subnet the ILB frontend IPs are allocated from.' },
  {
    name: 'AZURE_CREDENTIAL',
    required: false,
    default: 'managedIdentity',
    description: `How to authenticate to ARM: ${CREDENTIAL_KINDS.join(' | ')} (standIn only for the local ARM stand-in).`,
  },
  {
    name: 'AZURE_CLIENT_ID',
    required: false,
    when: 'managedIdentity (user-assigned identity; empty = system-assigned) or servicePrincipal',
    description: 'Client id of the user-assigned managed identity or of the service principal.',
  },
  {
    name: 'AZURE_TENANT_ID',
    required: false,
    when: 'servicePrincipal',
    description: 'Tenant of the service principal.',
  },
  {
    name: 'AZURE_CLIENT_SECRET',
    required: false,
    secret: true,
    when: 'servicePrincipal',
    description: 'Secret of the service principal.',
  },
  {
    name: 'ARM_ENDPOINT',
    required: false,
    default: 'https://management.azure.com',
    description: 'Azure Resource Manager endpoint (the local sandbox points it at the ARM stand-in).',
  },
  {
    name: 'ARM_CA_CERT_PATH',
    required: false,
    when: 'standIn',
    description: "PEM file of the CA that signed the ARM stand-in's certificate.",
  },
  {
    name: 'AzureWebJobsStorage',
    required: false,
    secret: true,
    description:
      'Storage connection string for state tables and the reconcile queue (local/Azurite). In Azure, ' +
      'identity-based storage is used instead: AzureWebJobsStorage__accountName.',
  },
  {
    name: 'AzureWebJobsStorage__accountName',
    required: false,
    description: 'Storage account reached through the managed identity (identity-based connection).',
  },
  {
    name: 'AzureWebJobsStorage__clientId',
    required: false,
    description: 'Client id of the user-assigned identity used for storage (identity-based connection).',
  },
  {
    name: 'RELAY_SHARED_SECRET',
    required: true,
    secret: true,
    description:
      'HMAC key shared with the in-cluster relays (at least 32 characters), or a JSON object mapping ' +
      'cluster ids to their own keys, "*" for any other cluster: {"aks-1": "…", "*": "…"}.',
  },
  {
    name: 'RESYNC_SCHEDULE',
    required: false,
    default: '0 */5 * * * *',
    description: 'NCRONTAB (6 fields) of the drift-repairing resync timer.',
  },
];

export type CredentialConfig =
  | { readonly kind: 'managedIdentity'; readonly clientId?: string }
  | {
      readonly kind: 'servicePrincipal';
      readonly tenantId: string;
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | { readonly kind: 'standIn' };

export type StorageConfig =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly accountName: string;
      readonly clientId?: string;
      readonly tableEndpoint: string;
      readonly queueEndpoint: string;
    };

/** The validated settings of the control plane. */
export interface EgretConfig {
  readonly providerType: ProviderType;
  readonly subscriptionId: string;
  readonly location: string;
  readonly gatewayResourceGroup: string;
  readonly loadBalancer: { readonly name: string; readonly resourceGroup: string };
  readonly network: {
    readonly resourceGroup: string;
    readonly vnetName: string;
    readonly subnetName: string;
  };
  readonly arm: { readonly endpoint: string; readonly caCertPath?: string };
  readonly credential: CredentialConfig;
  readonly storage: StorageConfig;
  /** The relay key of clusters without their own ('' when every cluster has its own). */
  readonly relaySharedSecret: string;
  /** Relay keys of clusters that have their own. */
  readonly relayClusterSecrets: Readonly<Record<string, string>>;
  readonly resyncSchedule: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure resource group names: 1-90 chars of letters, digits, _ - . ( ), not ending in a period.
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const NAME = /^[A-Za-z0-9][-\w.]{0,78}[\w]$|^[A-Za-z0-9]$/;
const NCRONTAB6 = /^(\S+\s+){5}\S+$/;

/**
 * Reads and validates the settings from `env` (the process environment by default).
 * @throws ConfigError naming every missing or invalid setting.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): EgretConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const spec = (name: string): SettingSpec => {
    const s = SETTINGS.find((x) => x.name === name);
    if (!s) throw new ConfigError(`setting ${name} is not declared in SETTINGS`);
    return s;
  };
  const read = (name: string, check?: { readonly pattern: RegExp; readonly what: string }): string => {
    const s = spec(name);
    const v = get(name) ?? s.default;
    // An app setting that still reads @Microsoft.KeyVault(...) is a Key Vault reference the platform
    // could not resolve (missing access policy/role, wrong URI): never use it as the value.
    if (v?.startsWith('@Microsoft.KeyVault(')) {
      problems.push(
        `${name} is an unresolved Key Vault reference; check the app's identity can read the secret`,
      );
      return '';
    }
    if (v === undefined) {
      if (s.required) problems.push(`${name} is required: ${s.description}`);
      return '';
    }
    if (check && !check.pattern.test(v)) problems.push(`${name}=${JSON.stringify(v)} is not ${check.what}`);
    return v;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T => {
    const v = read(name);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push(`${name}=${JSON.stringify(v)} is unknown; expected one of: ${allowed.join(', ')}`);
    return allowed[0] as T;
  };

  const providerType = oneOf('PROVIDER_TYPE', PROVIDER_TYPES);
  const subscriptionId = read('AZURE_SUBSCRIPTION_ID', { pattern: GUID, what: 'a subscription GUID' });
  const location = read('AZURE_LOCATION', {
    pattern: /^[a-z0-9]+$/,
    what: 'an Azure region name like westeurope',
  });
  const rg = { pattern: RESOURCE_GROUP, what: 'a resource group name' };
  const name = { pattern: NAME, what: 'an Azure resource name' };
  const gatewayResourceGroup = read('GATEWAY_RESOURCE_GROUP', rg);
  const loadBalancer = {
    name: read('LOAD_BALANCER_NAME', name),
    resourceGroup: get('LOAD_BALANCER_RESOURCE_GROUP') ?? gatewayResourceGroup,
  };
  const network = {
    resourceGroup: get('VNET_RESOURCE_GROUP') ?? gatewayResourceGroup,
    vnetName: read('VNET_NAME', name),
    subnetName: read('SUBNET_NAME', name),
  };
  if (!RESOURCE_GROUP.test(loadBalancer.resourceGroup) && loadBalancer.resourceGroup !== '')
    problems.push(
      `LOAD_BALANCER_RESOURCE_GROUP=${JSON.stringify(loadBalancer.resourceGroup)} is not ${rg.what}`,
    );
  if (!RESOURCE_GROUP.test(network.resourceGroup) && network.resourceGroup !== '')
    problems.push(`VNET_RESOURCE_GROUP=${JSON.stringify(network.resourceGroup)} is not ${rg.what}`);

  const credential = readCredential();
  const armEndpoint = read('ARM_ENDPOINT', {
    pattern: /^https:\/\/[^\s/]+(:\d+)?\/?$/,
    what: 'an https URL',
  });
  const caCertPath = get('ARM_CA_CERT_PATH');
  if (credential.kind === 'standIn' && caCertPath === undefined)
    problems.push(
      'ARM_CA_CERT_PATH is required with AZURE_CREDENTIAL=standIn (the stand-in serves a self-signed CA)',
    );
  const storage = readStorage();

  const { relaySharedSecret, relayClusterSecrets } = readRelaySecrets(read('RELAY_SHARED_SECRET'), problems);
  const resyncSchedule = read('RESYNC_SCHEDULE', {
    pattern: NCRONTAB6,
    what: 'a 6-field NCRONTAB expression',
  });

  if (problems.length > 0) throw new ConfigError(`invalid settings:\n  - ${problems.join('\n  - ')}`);
  return {
    providerType,
    subscriptionId,
    location,
    gatewayResourceGroup,
    loadBalancer,
    network,
    arm: { endpoint: armEndpoint.replace(/\/$/, ''), ...(caCertPath === undefined ? {} : { caCertPath }) },
    credential,
    storage,
    relaySharedSecret,
    relayClusterSecrets,
    resyncSchedule,
  };

  function readCredential(): CredentialConfig {
    const kind = oneOf('AZURE_CREDENTIAL', CREDENTIAL_KINDS);
    const clientId = get('AZURE_CLIENT_ID');
    if (clientId !== undefined && !GUID.test(clientId)) problems.push('AZURE_CLIENT_ID is not a GUID');
    switch (kind) {
      case 'managedIdentity':
        return clientId === undefined ? { kind } : { kind, clientId };
      case 'servicePrincipal': {
        const tenantId = get('AZURE_TENANT_ID');
        const clientSecret = get('AZURE_CLIENT_SECRET');
        if (tenantId === undefined)
          problems.push('AZURE_TENANT_ID is required with AZURE_CREDENTIAL=servicePrincipal');
        if (clientId === undefined)
          problems.push('AZURE_CLIENT_ID is required with AZURE_CREDENTIAL=servicePrincipal');
        if (clientSecret === undefined)
          problems.push('AZURE_CLIENT_SECRET is required with AZURE_CREDENTIAL=servicePrincipal');
        return { kind, tenantId: tenantId ?? '', clientId: clientId ?? '', clientSecret: clientSecret ?? '' };
      }
      case 'standIn':
        return { kind };
    }
  }

  function readStorage(): StorageConfig {
    const connectionString = get('AzureWebJobsStorage');
    const accountName = get('AzureWebJobsStorage__accountName');
    if (connectionString !== undefined) return { kind: 'connectionString', connectionString };
    if (accountName !== undefined) {
      if (!/^[a-z0-9]{3,24}$/.test(accountName))
        problems.push('AzureWebJobsStorage__accountName is not a storage account name');
      const clientId = get('AzureWebJobsStorage__clientId');
      return {
        kind: 'identity',
        accountName,
        ...(clientId === undefined ? {} : { clientId }),
        tableEndpoint: `https://${accountName}.table.core.windows.net`,
        queueEndpoint: `https://${accountName}.queue.core.windows.net`,
      };
    }
    problems.push('storage is not configured: set AzureWebJobsStorage or AzureWebJobsStorage__accountName');
    return { kind: 'connectionString', connectionString: '' };
  }
}

/** `RELAY_SHARED_SECRET`: one key, or a JSON map of cluster id → key (`*`: any other cluster). */
function readRelaySecrets(
  value: string,
  problems: string[],
): { relaySharedSecret: string; relayClusterSecrets: Readonly<Record<string, string>> } {
  if (!value.startsWith('{')) {
    if (value !== '' && value.length < 32)
      problems.push('RELAY_SHARED_SECRET must be at least 32 characters');
    return { relaySharedSecret: value, relayClusterSecrets: {} };
  }
  let map: unknown;
  try {
    map = JSON.parse(value);
  } catch {
    problems.push('RELAY_SHARED_SECRET starts with { but is not a JSON object of cluster id → key');
    return { relaySharedSecret: '', relayClusterSecrets: {} };
  }
  const byCluster: Record<string, string> = {};
  let shared = '';
  for (const [clusterId, key] of Object.entries(map as Record<string, unknown>)) {
    if (typeof key !== 'string' || key.length < 32)
      problems.push(
        `RELAY_SHARED_SECRET: the key of ${JSON.stringify(clusterId)} must be at least 32 characters`,
      );
    else if (clusterId === '*') shared = key;
    else byCluster[clusterId] = key;
  }
  return { relaySharedSecret: shared, relayClusterSecrets: byCluster };
}
