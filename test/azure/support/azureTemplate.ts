/**
 * Test facade over the checked-in deployment template: read it, deploy it in memory with a parameter
 * set, and read back what a user would look at (app settings, role assignments, event subscriptions).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deployTemplate, type Deployment, type DeployedResource } from './armDeployment.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const templatePath = fileURLToPath(new URL('../../../infra/azure/azuredeploy.json', import.meta.url));
export const parametersExamplePath = fileURLToPath(
  new URL('../../../infra/azure/azuredeploy.parameters.example.json', import.meta.url),
);

export type TemplateJson = {
  parameters: Record<
    string,
    { type: string; defaultValue?: unknown; allowedValues?: unknown[]; maxLength?: number }
  >;
  variables: Record<string, unknown>;
  resources: Record<string, unknown>[];
  outputs: Record<string, { type: string; value: unknown }>;
};

/** The checked-in template (the deployable artefact), parsed. */
export function readTemplate(): TemplateJson {
  return JSON.parse(readFileSync(templatePath, 'utf8')) as TemplateJson;
}

export const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
export const TENANT = '99999999-8888-7777-6666-555555555555';
export const CONTROL_PLANE_RG = 'egret-rg';
export const GATEWAY_RG = 'MC_aks-rg_aks1_westeurope';
export const POOL_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GATEWAY_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gw-31415926-vmss`;
export const RELAY_SECRET = 'relay-secret-'.padEnd(48, 'x');

/** The smallest parameter set a user must give (the template's required parameters). */
export const REQUIRED_PARAMETERS = {
  gatewayResourceGroup: GATEWAY_RG,
  vnetName: 'aks-vnet',
  subnetName: 'ilb-subnet',
};

export function deploy(
  parameters: Readonly<Record<string, unknown>>,
  template: unknown = readTemplate(),
): Deployment {
  return deployTemplate(
    template,
    {
      subscriptionId: SUBSCRIPTION,
      tenantId: TENANT,
      resourceGroup: CONTROL_PLANE_RG,
      location: 'westeurope',
    },
    parameters,
  );
}

export function resourcesOfType(d: Deployment, type: string): DeployedResource[] {
  return d.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

export function only<T>(list: readonly T[], what: string): T {
  if (list.length !== 1) throw new Error(`expected exactly one ${what}, found ${list.length}`);
  return list[0]!;
}

/** The Function App's app settings as the platform would set them (name → value). */
export function appSettingsOf(d: Deployment): Record<string, string> {
  const site = only(resourcesOfType(d, 'Microsoft.Web/sites'), 'Function App');
  const list = (site.body.properties as { siteConfig: { appSettings: { name: string; value: unknown }[] } })
    .siteConfig.appSettings;
  const out: Record<string, string> = {};
  for (const { name, value } of list) {
    if (name in out) throw new Error(`app setting ${name} is set twice`);
    if (typeof value !== 'string')
      throw new Error(`app setting ${name} is not a string: ${JSON.stringify(value)}`);
    out[name] = value;
  }
  return out;
}

/** The secrets the deployment stores in its own Key Vault, by the URI a Key Vault reference names. */
export function vaultSecretsOf(d: Deployment): Record<string, string> {
  return Object.fromEntries(
    resourcesOfType(d, 'Microsoft.KeyVault/vaults/secrets').map((r) => {
      const [vault, name] = r.name.split('/') as [string, string];
      return [
        `https://${vault}.vault.azure.net/secrets/${name}`,
        (r.body.properties as { value: string }).value,
      ];
    }),
  );
}

/** What the platform does with `@Microsoft.KeyVault(SecretUri=...)` settings before the app reads them. */
export function resolveKeyVaultReferences(
  settings: Record<string, string>,
  secrets: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => {
      const m = /^@Microsoft\.KeyVault\(SecretUri=(.+)\)$/.exec(v);
      if (!m) return [k, v];
      const secret = secrets[m[1]!];
      if (secret === undefined) throw new Error(`no secret at ${m[1]!}`);
      return [k, secret];
    }),
  );
}

/** The app settings as the app reads them: references to the template's own vault resolved. */
export function resolvedAppSettingsOf(d: Deployment): Record<string, string> {
  return resolveKeyVaultReferences(appSettingsOf(d), vaultSecretsOf(d));
}

export interface RoleAssignment {
  readonly roleDefinitionId: string;
  readonly principalId: string;
  /** The id of the resource group or resource it applies to. */
  readonly scope: string;
  readonly name: string;
}

export function roleAssignmentsOf(d: Deployment): RoleAssignment[] {
  return resourcesOfType(d, 'Microsoft.Authorization/roleAssignments').map((r) => {
    const p = r.body.properties as { roleDefinitionId: string; principalId: string };
    return {
      roleDefinitionId: p.roleDefinitionId,
      principalId: p.principalId,
      scope: r.scopeId!,
      name: r.name,
    };
  });
}

export const rgId = (rg: string): string => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}`;
export const roleDefinitionId = (id: string): string =>
  `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${id}`;

export interface CustomRole {
  /** The title in roleName (`egret <title> (<group>/<app>)`). */
  readonly title: string;
  /** Which armPermissions.ts scope kind it is for (from the role definition's name seed). */
  readonly scopeKind: string | undefined;
  readonly actions: readonly string[];
  readonly assignableScopes: readonly string[];
}

/** The template's custom role definitions, by role definition id. */
export function customRolesOf(d: Deployment): Map<string, CustomRole> {
  const out = new Map<string, CustomRole>();
  for (const r of resourcesOfType(d, 'Microsoft.Authorization/roleDefinitions')) {
    const p = r.body.properties as {
      roleName: string;
      description: string;
      permissions: { actions: string[] }[];
      assignableScopes: string[];
    };
    const title = /^egret (.+) \(/.exec(p.roleName)?.[1] ?? p.roleName;
    out.set(r.id, {
      title,
      scopeKind: SCOPE_KIND_BY_TITLE[title],
      actions: p.permissions.flatMap((x) => x.actions),
      assignableScopes: p.assignableScopes,
    });
  }
  return out;
}

const SCOPE_KIND_BY_TITLE: Record<string, string> = {
  'gateway resource group': 'gatewayResourceGroup',
  'VMSS gateway pool': 'vmssPool',
  'NIC gateway pool': 'nicPool',
  'internal load balancer': 'loadBalancer',
  'virtual network': 'virtualNetwork',
  'BYO public IP prefixes': 'byoPrefixes',
};
