/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * The checked-in CRD YAML is exactly what `npm run render:crds` renders from the core's schema data, and
 * every CRD is a valid apiextensions.k8s.io/v1 object.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { parse } from 'yaml';
import { STATIC_GATEWAY_CONFIGURATION_SCHEMA } from '../../shared/core/staticGatewayConfigurationSchema.js';
import { crdFileText } from '../../infra/k8s/crdFileText.js';
import { renderCrds } from '../../infra/k8s/renderCrds.js';

const crdDir = fileURLToPath(new URL('../../infra/k8s/crds/', import.meta.url));

describe('CRD golden files', () => {
  it('each checked-in CRD equals the rendered one (run `npm run render:crds` when this fails)', async () => {
    for (const crd of renderCrds()) {
      const path = `${crdDir}${crd.fileName}`;
      const onDisk = await readFile(path, 'utf8').catch(() => '<missing>');
      assert.equal(onDisk, await crdFileText(crd, path), `${crd.fileName} is stale: run npm run render:crds`);
    }
  });

  it('the crds folder holds no CRD the renderer does not produce', async () => {
    const rendered = renderCrds().map((c) => c.fileName);
    const present = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml'));
    assert.deepEqual(present.sort(), [...rendered].sort());
  });

  it('the YAML reads back as the rendered object', async () => {
    for (const crd of renderCrds()) {
      assert.deepEqual(parse(await readFile(`${crdDir}${crd.fileName}`, 'utf8')), crd.object);
    }
  });

  it("StaticGatewayConfiguration's openAPIV3Schema is the core schema, verbatim", () => {
    const sgc = renderCrds().find((c) => c.fileName.startsWith('staticgatewayconfigurations.'))!;
    const schema = (sgc.object as any).spec.versions[0].schema.openAPIV3Schema;
    assert.deepEqual(schema, JSON.parse(JSON.stringify(STATIC_GATEWAY_CONFIGURATION_SCHEMA)));
    assert.equal(schema.properties.spec['x-kubernetes-validations'].length, 2);
  });

  it('every CRD validates against the Kubernetes apiextensions.k8s.io/v1 schema', () => {
    for (const crd of renderCrds()) {
      assert.doesNotThrow(() => new CustomResourceDefinition(crd.object as any).validate(), crd.fileName);
    }
  });

  it('the validator would catch a broken CRD (so the check above can fail)', () => {
    const crd = structuredClone(renderCrds()[0]!.object) as any;
    crd.spec.versions[0].additionalPrinterColumns[0].priority = 'high';
    assert.throws(() => new CustomResourceDefinition(crd).validate(), /priority/);
  });
});
