/**
 * Static checks of the checked-in ARM template (infra/azure/azuredeploy.json): the template-language
 * rules a real deployment enforces, checked without Azure (see support/armTemplateChecks.ts). Each rule
 * is also shown to catch the mistake it exists for, on a copy of the template with that mistake made.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- the template is walked and mutated as a JSON tree; the assertions check its shape */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkTemplate } from './support/armTemplateChecks.js';
import { readTemplate, templatePath } from './support/azureTemplate.js';

/**
 * Built-in role ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles), verified in
 * MicrosoftDocs/azure-docs:articles/role-based-access-control/built-in-roles/storage.md (Storage Queue
 * Data Contributor, Storage Table Data Contributor) and Azure-Samples/azure-functions-flex-consumption-samples
 * IaC/armtemplate/azuredeploy.json (Storage Blob Data Owner), built-in-roles/security.md (Key Vault
 * Secrets User). The ARM roles are custom (infra/azure/armPermissions.ts), not built-in.
 */
const DOCUMENTED_ROLES = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
};
const DOCUMENTED_ROLE_IDS = new Set(Object.values(DOCUMENTED_ROLES));

type Json = Record<string, any>;
const clone = (): Json => JSON.parse(readFileSync(templatePath, 'utf8')) as Json;
const resource = (t: Json, type: string): Json => t.resources.find((r: Json) => r.type === type);
const firstNested = (t: Json): Json => resource(t, 'Microsoft.Resources/deployments');

describe('infra/azure/azuredeploy.json as ARM template language', () => {
  it('is valid JSON with the resource-group deployment schema', () => {
    const t = JSON.parse(readFileSync(templatePath, 'utf8')) as Json;
    assert.equal(
      t.$schema,
      'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    );
    assert.equal(t.contentVersion, '1.0.0.0');
    assert.ok(Array.isArray(t.resources) && t.resources.length > 0);
  });

  it('passes every static check', () => {
    assert.deepEqual(checkTemplate(readTemplate(), DOCUMENTED_ROLE_IDS), []);
  });

  it('points the built-in role variables at the documented role definition ids', () => {
    assert.deepEqual(readTemplate().variables.builtInRoles, DOCUMENTED_ROLES);
  });

  const mutations: { what: string; mutate: (t: Json) => void; problem: RegExp }[] = [
    {
      what: 'a misspelt parameter',
      mutate: (t) => (t.variables.appSettingsCommon[0].value = "[parameters('providerTyp')]"),
      problem: /undeclared parameter providerTyp/,
    },
    {
      what: 'a declared parameter nothing uses',
      mutate: (t) => (t.parameters.forgotten = { type: 'string', defaultValue: '' }),
      problem: /parameter forgotten is never used/,
    },
    {
      what: "a nested template using the outer template's variable",
      mutate: (t) =>
        (firstNested(t).properties.template.resources[0].properties.principalId =
          "[variables('identityId')]"),
      problem: /\$\.resources\[\d+\]: .*undeclared variable identityId/,
    },
    {
      what: 'an unbalanced expression',
      mutate: (t) => (t.variables.identityName = "[format('{0}-id', parameters('appName')]"),
      problem: /does not parse/,
    },
    {
      what: 'reference() in a variable',
      mutate: (t) => (t.variables.identityName = "[reference(variables('identityId')).clientId]"),
      problem: /variable identityName uses \[reference/,
    },
    {
      what: 'listing storage keys',
      mutate: (t) =>
        t.variables.appSettingsCommon.push({
          name: 'X',
          value:
            "[concat('AccountKey=', listKeys(variables('storageAccountId'), '2023-05-01').keys[0].value)]",
        }),
      problem: /lists storage keys/,
    },
    {
      what: 'resourceId() of a type the template does not declare',
      mutate: (t) =>
        resource(t, 'Microsoft.Web/sites').dependsOn.push("[resourceId('Microsoft.Sql/servers', 'db')]"),
      problem: /names Microsoft\.Sql\/servers, which this template does not declare/,
    },
    {
      what: 'resourceId() with too few names',
      mutate: (t) =>
        resource(t, 'Microsoft.Web/sites').dependsOn.push(
          "[resourceId('Microsoft.Storage/storageAccounts/blobServices', variables('storageAccountName'))]",
        ),
      problem: /1 name\(s\) for Microsoft\.Storage\/storageAccounts\/blobServices, which needs 2/,
    },
    {
      what: 'an unpublished apiVersion',
      mutate: (t) => (resource(t, 'Microsoft.Storage/storageAccounts').apiVersion = '2023-05-02'),
      problem: /Microsoft\.Storage\/storageAccounts@2023-05-02 is not a published version/,
    },
    {
      what: 'a preview apiVersion',
      mutate: (t) => (resource(t, 'Microsoft.Web/sites').apiVersion = '2024-04-01-preview'),
      problem: /is a preview/,
    },
    {
      what: 'a function the checks do not know',
      mutate: (t) => (t.variables.identityName = "[toUpper(parameters('appName'))]"),
      problem: /unknown function toUpper/,
    },
    {
      what: 'an outer-scoped nested deployment',
      mutate: (t) => (firstNested(t).properties.expressionEvaluationOptions.scope = 'outer'),
      problem: /is not inner-scoped/,
    },
    {
      what: 'a role assignment with a fixed name',
      mutate: (t) => (resource(t, 'Microsoft.Authorization/roleAssignments').name = 'my-assignment'),
      problem: /role assignment name my-assignment is not guid/,
    },
    {
      what: 'a broader role than documented (Contributor)',
      mutate: (t) => (t.variables.builtInRoles.keyVaultSecretsUser = 'b24988ac-6180-42a0-ab88-20f7382dd24c'),
      problem: /builtInRoles\.keyVaultSecretsUser = b24988ac-6180-42a0-ab88-20f7382dd24c is not a documented/,
    },
    {
      what: 'a wildcard action in a custom role',
      mutate: (t) =>
        resource(t, 'Microsoft.Authorization/roleDefinitions').properties.permissions[0].actions.push(
          'Microsoft.Compute/virtualMachines/*',
        ),
      problem: /custom role .* grants a wildcard action Microsoft\.Compute\/virtualMachines\/\*/,
    },
    {
      what: 'a custom role assignable at subscription scope',
      mutate: (t) =>
        (resource(t, 'Microsoft.Authorization/roleDefinitions').properties.assignableScopes =
          '[createArray(subscription().id)]'),
      problem: /custom role .* assignableScopes .* subscription/,
    },
  ];
  for (const m of mutations)
    it(`catches ${m.what}`, () => {
      const t = clone();
      m.mutate(t);
      const problems = checkTemplate(t, DOCUMENTED_ROLE_IDS);
      assert.ok(
        problems.some((p) => m.problem.test(p)),
        `expected a problem matching ${m.problem}, got:\n${problems.join('\n') || '(none)'}`,
      );
    });
});
