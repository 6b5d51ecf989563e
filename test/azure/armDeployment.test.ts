/**
 * The in-memory deployment enforces what a real one would fail on, so the template tests built on it can
 * fail: each case breaks a copy of the checked-in template (or its parameters) and expects the error.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- the template is walked and mutated as a JSON tree; the assertions check its shape */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, readTemplate, RELAY_SECRET, REQUIRED_PARAMETERS } from './support/azureTemplate.js';
import { armGuid } from './support/armExpression.js';

type Json = Record<string, any>;
const MI = { ...REQUIRED_PARAMETERS, relaySharedSecret: RELAY_SECRET };
const byType = (t: Json, type: string): Json[] => t.resources.filter((r: Json) => r.type === type);

describe('in-memory deployment of the template', () => {
  it('deploys the template as checked in', () => {
    assert.ok(deploy(MI).resources.length > 10);
  });

  it('rejects a parameter the template does not declare (ARM fails the deployment the same way)', () => {
    assert.throws(() => deploy({ ...MI, relaySecret: 'x' }), /parameter relaySecret is not declared/);
  });

  it('rejects a value outside allowedValues', () => {
    assert.throws(
      () => deploy({ ...MI, planKind: 'ElasticPremium' }),
      /planKind="ElasticPremium" is not one of/,
    );
    assert.throws(() => deploy({ ...MI, armCredential: 'standIn' }), /armCredential="standIn" is not one of/);
  });

  it('rejects reference() to a resource the referencing resource does not depend on', () => {
    const t = readTemplate() as unknown as Json;
    const site = byType(t, 'Microsoft.Web/sites')[0]!;
    site.dependsOn = site.dependsOn.filter((d: string) => !d.includes('appInsightsId'));
    assert.throws(
      () => deploy(MI, t),
      /Microsoft\.Web\/sites .* uses reference\(\) to .*Microsoft\.Insights\/components.* but does not depend on it/,
    );
  });

  it('rejects a dependsOn that names nothing in the template', () => {
    const t = readTemplate() as unknown as Json;
    byType(t, 'Microsoft.Web/sites')[0]!.dependsOn.push(
      "[resourceId('Microsoft.Web/serverfarms', 'other-plan')]",
    );
    assert.throws(() => deploy(MI, t), /dependsOn .*other-plan.*names nothing here/);
  });

  it('rejects a resource defined twice', () => {
    const t = readTemplate() as unknown as Json;
    t.resources.push(structuredClone(byType(t, 'Microsoft.Storage/storageAccounts')[0]));
    assert.throws(() => deploy(MI, t), /storageAccounts\/st\w+ is defined more than once/);
  });

  it('rejects a nested template reading a parameter it was not given', () => {
    const t = readTemplate() as unknown as Json;
    const nested = byType(t, 'Microsoft.Resources/deployments')[0]!;
    nested.properties.template.resources[0].properties.principalId = "[parameters('principal')]";
    assert.throws(() => deploy(MI, t), /parameters\('principal'\) is not declared/);
  });

  it('computes guid() as ARM does: a version-5 UUID in the ARM namespace, stable and case-sensitive', () => {
    // Independent implementation: Python's uuid.uuid5(UUID('11fb06fb-712d-4ddd-98c7-e71bbd588830'), 'a-b-c').
    assert.equal(armGuid('a', 'b', 'c'), 'a98fa280-e03f-5afa-8d8e-92d0a9c201e8');
    const a = armGuid('/subscriptions/x/resourceGroups/rg', 'principal', 'role');
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(armGuid('/subscriptions/x/resourceGroups/rg', 'principal', 'role'), a);
    assert.notEqual(armGuid('/subscriptions/x/resourceGroups/RG', 'principal', 'role'), a);
  });
});
