/**
 * Static checks of an ARM template — the template-language rules a real deployment enforces, checked
 * without Azure. Each check returns the problems it finds (empty = fine), so tests can show both that the
 * checked-in template passes and that each check catches the mistake it is for.
 */
import { calls, KNOWN_FUNCTIONS, parseTemplateString, type Expr } from './armExpression.js';
import { expressionsIn } from './armDeployment.js';

/**
 * Published API versions per resource type (GA only), each from the ARM type definitions generated from
 * Azure/azure-rest-api-specs: Azure/bicep-types-az:generated/<rp>/<namespace>/<version>/types.md.
 */
export const PUBLISHED_API_VERSIONS: Record<
  string,
  { readonly versions: readonly string[]; readonly source: string }
> = {
  'Microsoft.ManagedIdentity/userAssignedIdentities': {
    versions: ['2018-11-30', '2023-01-31', '2024-11-30'],
    source: 'Azure/bicep-types-az:generated/msi/microsoft.managedidentity/<version>/types.md',
  },
  'Microsoft.Storage/storageAccounts': {
    versions: ['2023-05-01'],
    source: 'Azure/bicep-types-az:generated/storage/microsoft.storage/2023-05-01/types.md',
  },
  'Microsoft.Storage/storageAccounts/blobServices': {
    versions: ['2023-05-01'],
    source: 'Azure/bicep-types-az:generated/storage/microsoft.storage/2023-05-01/types.md',
  },
  'Microsoft.Storage/storageAccounts/blobServices/containers': {
    versions: ['2023-05-01'],
    source: 'Azure/bicep-types-az:generated/storage/microsoft.storage/2023-05-01/types.md',
  },
  'Microsoft.OperationalInsights/workspaces': {
    versions: ['2023-09-01'],
    source:
      'Azure/bicep-types-az:generated/operationalinsights/microsoft.operationalinsights/2023-09-01/types.md',
  },
  'Microsoft.Insights/components': {
    versions: ['2020-02-02'],
    source: 'Azure/bicep-types-az:generated/applicationinsights/microsoft.insights/2020-02-02/types.md',
  },
  'Microsoft.Web/serverfarms': {
    versions: [
      '2022-03-01',
      '2022-09-01',
      '2023-01-01',
      '2023-12-01',
      '2024-04-01',
      '2024-11-01',
      '2025-03-01',
    ],
    source: 'Azure/bicep-types-az:generated/web/microsoft.web/<version>/types.md',
  },
  'Microsoft.Web/sites': {
    // functionAppConfig (Flex Consumption) exists from 2023-12-01 on.
    versions: ['2023-12-01', '2024-04-01', '2024-11-01', '2025-03-01'],
    source: 'Azure/bicep-types-az:generated/web/microsoft.web/<version>/types.md',
  },
  'Microsoft.Authorization/roleAssignments': {
    versions: ['2022-04-01'],
    source: 'Azure/bicep-types-az:generated/authorization/microsoft.authorization/2022-04-01/types.md',
  },
  'Microsoft.Authorization/roleDefinitions': {
    versions: ['2022-04-01'],
    source: 'Azure/bicep-types-az:generated/authorization/microsoft.authorization/2022-04-01/types.md',
  },
  'Microsoft.KeyVault/vaults': {
    versions: ['2022-07-01', '2023-02-01', '2023-07-01', '2024-11-01'],
    source: 'Azure/bicep-types-az:generated/keyvault/microsoft.keyvault/<version>/types.md',
  },
  'Microsoft.KeyVault/vaults/secrets': {
    versions: ['2022-07-01', '2023-02-01', '2023-07-01', '2024-11-01'],
    source: 'Azure/bicep-types-az:generated/keyvault/microsoft.keyvault/<version>/types.md',
  },
  'Microsoft.Resources/deployments': {
    versions: ['2022-09-01'],
    source: 'Azure/bicep-types-az:generated/resources/microsoft.resources/2022-09-01/types.md',
  },
  'Microsoft.EventGrid/systemTopics': {
    versions: ['2020-06-01', '2021-12-01', '2022-06-15', '2025-02-15'],
    source: 'Azure/bicep-types-az:generated/eventgrid/microsoft.eventgrid/<version>/types.md',
  },
  'Microsoft.EventGrid/systemTopics/eventSubscriptions': {
    // deadLetterWithResourceIdentity and the AzureFunction destination were read in 2025-02-15.
    versions: ['2021-12-01', '2022-06-15', '2025-02-15'],
    source: 'Azure/bicep-types-az:generated/eventgrid/microsoft.eventgrid/2025-02-15/types.md',
  },
};

/**
 * Resource types named by resourceId() without being declared, each for a reason: built-in role
 * definitions exist in every subscription; the armEvents function resource appears when the code is
 * deployed (it is the Event Grid destination, created in the second pass).
 */
export const EXTERNAL_RESOURCE_TYPES = new Set([
  'Microsoft.Authorization/roleDefinitions',
  'Microsoft.Web/sites/functions',
]);

type Json = Record<string, unknown>;
export type TemplateShape = Json & { parameters?: Json; variables?: Json; resources: Json[]; outputs?: Json };

export interface ScopedTemplate {
  readonly path: string;
  readonly template: TemplateShape;
}

/** The template and every nested template (`properties.template` of a nested deployment). */
export function templatesIn(root: unknown): ScopedTemplate[] {
  const out: ScopedTemplate[] = [];
  const visit = (path: string, t: TemplateShape): void => {
    out.push({ path, template: t });
    t.resources.forEach((r, i) => {
      const props = r.properties as Json | undefined;
      if (r.type === 'Microsoft.Resources/deployments' && props?.template)
        visit(`${path}.resources[${i}]`, props.template as TemplateShape);
    });
  };
  visit('$', root as TemplateShape);
  return out;
}

/** A template's own expressions (nested templates excluded: they are their own scope). */
export function ownExpressions(t: TemplateShape): { path: string; text: string; expr: Expr }[] {
  const shallow = {
    ...t,
    resources: t.resources.map((r) =>
      r.type === 'Microsoft.Resources/deployments'
        ? { ...r, properties: { ...(r.properties as Json), template: undefined } }
        : r,
    ),
  };
  return expressionsIn(shallow);
}

export const literalArg = (e: Expr | undefined): string | undefined =>
  e?.kind === 'string' ? e.value : undefined;

function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => allStrings(x, out));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      allStrings(k, out);
      allStrings(x, out);
    }
  return out;
}

/** Every `[...]` parses (balanced brackets, quotes and parentheses). */
export function checkSyntax(root: unknown): string[] {
  const problems: string[] = [];
  for (const s of allStrings(root))
    if (s.startsWith('[') && !s.startsWith('[['))
      try {
        parseTemplateString(s);
      } catch (e) {
        problems.push(`does not parse: ${s} (${(e as Error).message})`);
      }
  return problems;
}

/** Every function called is one the checks (and the in-memory deployment) understand. */
export function checkFunctions(root: unknown): string[] {
  const problems: string[] = [];
  for (const { path, template } of templatesIn(root))
    for (const e of ownExpressions(template))
      for (const c of calls(e.expr))
        if (!KNOWN_FUNCTIONS.has(c.name)) problems.push(`${path}: unknown function ${c.name}() in ${e.text}`);
  return problems;
}

/** parameters()/variables() name declarations of their own template; every declaration is used. */
export function checkDeclarations(root: unknown): string[] {
  const problems: string[] = [];
  for (const { path, template } of templatesIn(root)) {
    const declaredParams = new Set(Object.keys(template.parameters ?? {}));
    const declaredVars = new Set(Object.keys(template.variables ?? {}));
    const usedParams = new Set<string>();
    const usedVars = new Set<string>();
    for (const e of ownExpressions(template))
      for (const c of calls(e.expr)) {
        const name = literalArg(c.args[0]);
        if (c.name === 'parameters') {
          if (name === undefined || !declaredParams.has(name))
            problems.push(`${path}: ${e.text} names undeclared parameter ${String(name)}`);
          else usedParams.add(name);
        }
        if (c.name === 'variables') {
          if (name === undefined || !declaredVars.has(name))
            problems.push(`${path}: ${e.text} names undeclared variable ${String(name)}`);
          else usedVars.add(name);
        }
      }
    for (const p of declaredParams)
      if (!usedParams.has(p)) problems.push(`${path}: parameter ${p} is never used`);
    for (const v of declaredVars) if (!usedVars.has(v)) problems.push(`${path}: variable ${v} is never used`);
  }
  return problems;
}

/** No reference()/list*() where ARM evaluates before any resource exists; no key listing at all. */
export function checkReferencePlacement(root: unknown): string[] {
  const problems: string[] = [];
  const forbidden = (e: Expr): boolean =>
    calls(e).some((c) => c.name === 'reference' || c.name.startsWith('list'));
  for (const { path, template } of templatesIn(root)) {
    for (const [name, value] of Object.entries(template.variables ?? {}))
      for (const e of expressionsIn(value))
        if (forbidden(e.expr)) problems.push(`${path}: variable ${name} uses ${e.text}`);
    for (const [name, spec] of Object.entries(template.parameters ?? {}))
      for (const e of expressionsIn(spec))
        if (forbidden(e.expr)) problems.push(`${path}: parameter ${name} uses ${e.text}`);
    for (const r of template.resources)
      for (const key of ['condition', 'type', 'apiVersion', 'name', 'dependsOn', 'resourceGroup', 'scope'])
        for (const e of expressionsIn(r[key]))
          if (forbidden(e.expr)) problems.push(`${path}: ${String(r.type)} ${key} uses ${e.text}`);
  }
  for (const s of allStrings(root))
    if (/list(Keys|AccountSas|ServiceSas)\(/.test(s)) problems.push(`lists storage keys: ${s}`);
  return problems;
}

/** resourceId() & co. name declared (or known external) types, with one name per type segment. */
export function checkResourceIds(root: unknown): string[] {
  const problems: string[] = [];
  for (const { path, template } of templatesIn(root)) {
    const declared = new Set(template.resources.map((r) => String(r.type)));
    for (const e of ownExpressions(template))
      for (const c of calls(e.expr)) {
        if (!['resourceId', 'subscriptionResourceId', 'extensionResourceId'].includes(c.name)) continue;
        const typeIndex = c.args.findIndex((a) => literalArg(a)?.includes('/') === true);
        const type = literalArg(c.args[typeIndex]);
        if (type === undefined) {
          problems.push(`${path}: ${e.text}: the resource type must be a literal`);
          continue;
        }
        if (!declared.has(type) && !EXTERNAL_RESOURCE_TYPES.has(type))
          problems.push(`${path}: ${e.text} names ${type}, which this template does not declare`);
        const names = c.args.length - typeIndex - 1;
        if (names !== type.split('/').length - 1)
          problems.push(
            `${path}: ${e.text}: ${names} name(s) for ${type}, which needs ${type.split('/').length - 1}`,
          );
      }
  }
  return problems;
}

/** Each (type, apiVersion) is in the published-versions table, and none is a preview. */
export function checkApiVersions(root: unknown): string[] {
  const problems: string[] = [];
  for (const { path, template } of templatesIn(root))
    for (const r of template.resources) {
      const type = String(r.type);
      const apiVersion = String(r.apiVersion);
      const known = PUBLISHED_API_VERSIONS[type];
      if (!known) problems.push(`${path}: no published apiVersion table for ${type}`);
      else if (!known.versions.includes(apiVersion))
        problems.push(`${path}: ${type}@${apiVersion} is not a published version (${known.source})`);
      if (/preview/i.test(apiVersion)) problems.push(`${path}: ${type}@${apiVersion} is a preview`);
    }
  return problems;
}

/** Nested deployments are inner-scoped and incremental. */
export function checkNestedDeployments(root: unknown): string[] {
  const problems: string[] = [];
  for (const { path, template } of templatesIn(root))
    for (const r of template.resources.filter((x) => x.type === 'Microsoft.Resources/deployments')) {
      const props = r.properties as { expressionEvaluationOptions?: { scope?: string }; mode?: string };
      if (props.expressionEvaluationOptions?.scope !== 'inner')
        problems.push(`${path}: ${String(r.name)} is not inner-scoped`);
      if (props.mode !== 'Incremental') problems.push(`${path}: ${String(r.name)} is not Incremental`);
    }
  return problems;
}

/** Role assignments: deterministic guid() names, built-in role definition ids, principalType set. */
export function checkRoleAssignments(root: unknown, documentedRoleIds: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const roles =
    (root as { variables?: { builtInRoles?: Record<string, string> } }).variables?.builtInRoles ?? {};
  for (const [name, id] of Object.entries(roles))
    if (!documentedRoleIds.has(id))
      problems.push(`builtInRoles.${name} = ${id} is not a documented built-in role id`);
  for (const { path, template } of templatesIn(root))
    for (const r of template.resources.filter((x) => x.type === 'Microsoft.Authorization/roleAssignments')) {
      const name = parseTemplateString(String(r.name));
      if (!(name.kind === 'expression' && name.expr.kind === 'call' && name.expr.name === 'guid'))
        problems.push(`${path}: role assignment name ${String(r.name)} is not guid(...)`);
      const roleId = parseTemplateString(String((r.properties as Json).roleDefinitionId));
      if (!(
        roleId.kind === 'expression' &&
        roleId.expr.kind === 'call' &&
        roleId.expr.name === 'subscriptionResourceId' &&
        literalArg(roleId.expr.args[0]) === 'Microsoft.Authorization/roleDefinitions'
      ))
        problems.push(
          `${path}: roleDefinitionId is not subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ...)`,
        );
      if ((r.properties as Json).principalType !== 'ServicePrincipal')
        problems.push(`${path}: role assignment without principalType ServicePrincipal`);
    }
  return problems;
}

/**
 * Custom roles: explicit actions only (no wildcard, no data actions, no notActions to subtract from a
 * wildcard), assignable only to resource groups the template computes (never `subscription().id` alone).
 */
export function checkRoleDefinitions(root: unknown): string[] {
  const problems: string[] = [];
  for (const { path, template } of templatesIn(root))
    for (const r of template.resources.filter((x) => x.type === 'Microsoft.Authorization/roleDefinitions')) {
      const props = r.properties as {
        roleName?: unknown;
        permissions?: { actions?: string[]; notActions?: string[]; dataActions?: string[] }[];
        assignableScopes?: unknown;
      };
      const what = `${path}: custom role ${String(props.roleName)}`;
      for (const p of props.permissions ?? []) {
        for (const a of p.actions ?? [])
          if (a.includes('*')) problems.push(`${what} grants a wildcard action ${a}`);
        if ((p.notActions ?? []).length > 0) problems.push(`${what} has notActions`);
        if ((p.dataActions ?? []).length > 0) problems.push(`${what} has dataActions`);
      }
      const scopes = JSON.stringify(props.assignableScopes ?? '');
      if (!scopes.includes('/resourceGroups/'))
        problems.push(`${what}: assignableScopes ${scopes} are not resource groups (a subscription?)`);
    }
  return problems;
}

/** All static checks. */
export function checkTemplate(root: unknown, documentedRoleIds: ReadonlySet<string>): string[] {
  const syntax = checkSyntax(root);
  if (syntax.length > 0) return syntax;
  return [
    ...checkFunctions(root),
    ...checkDeclarations(root),
    ...checkReferencePlacement(root),
    ...checkResourceIds(root),
    ...checkApiVersions(root),
    ...checkNestedDeployments(root),
    ...checkRoleAssignments(root, documentedRoleIds),
    ...checkRoleDefinitions(root),
  ];
}
