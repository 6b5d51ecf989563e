/**
 * The kustomize base (infra/k8s) and the sample overlay (docs/samples/egret-overlay, what install.md
 * §7 writes, with a CLUSTER_CIDRS patch) rendered by real kustomize (`kubectl kustomize`, v5 built into
 * kubectl): every object is valid against the Kubernetes schemas (kubernetes-models), every CRD's
 * schema is one the API server accepts (structural, CEL rules compile), and the sample custom
 * resources the docs and the sandbox apply are valid against their CRD's own schema. The tests'
 * kustomize-subset renderer gives the same base objects.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { JsonObject } from '../../infra/local/kube/json.js';
import {
  compileSchema,
  validateCustomResource,
  type JSONSchemaProps,
} from '../../infra/local/kube/schema/structuralSchema.js';
import { renderKustomization, renderWithKubectl, type Manifest } from './support/kustomize.js';

const REPO = resolve(import.meta.dirname, '../..');
const key = (o: Manifest): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

async function validateBuiltIn(o: Manifest): Promise<void> {
  const module = (await import(`kubernetes-models/${o.apiVersion}`)) as Record<string, unknown>;
  const Model = module[o.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  assert.ok(typeof Model === 'function', `kubernetes-models has no ${o.apiVersion} ${o.kind}`);
  assert.doesNotThrow(() => new Model(o).validate(), key(o));
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: JSONSchemaProps } }[];
  };
}

describe('real kustomize rendering', () => {
  let base: Manifest[];
  let overlay: Manifest[];
  before(async () => {
    base = await renderWithKubectl(join(REPO, 'infra/k8s'));
    overlay = await renderWithKubectl(join(REPO, 'docs/samples/egret-overlay'));
  });

  it('renders the base as the subset renderer the other tests use does', async () => {
    const subset = await renderKustomization(join(REPO, 'infra/k8s'));
    const byKey = (os: Manifest[]) => Object.fromEntries(os.map((o) => [key(o), o]));
    assert.deepEqual(byKey(base), byKey(subset));
  });

  it('every object of the base and of the overlay is valid against the Kubernetes schemas', async () => {
    assert.ok(base.length > 10);
    for (const o of [...base, ...overlay]) await validateBuiltIn(o);
  });

  it('the overlay points every image at the registry and sets the node agent CLUSTER_CIDRS', () => {
    assert.deepEqual(overlay.map(key).sort(), base.map(key).sort());
    for (const o of overlay) {
      const spec = (o.spec as { template?: { spec?: JsonObject } } | undefined)?.template?.spec;
      const containers = [
        ...((spec?.containers as { image: string }[] | undefined) ?? []),
        ...((spec?.initContainers as { image: string }[] | undefined) ?? []),
      ];
      for (const c of containers) assert.match(c.image, /^myregistry\.azurecr\.io\/egret(-agents)?:0\.1\.0$/);
    }
    const agent = overlay.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'egret-node-agent') as
      | {
          spec: {
            template: { spec: { containers: { name: string; env: { name: string; value?: string }[] }[] } };
          };
        }
      | undefined;
    const env = agent?.spec.template.spec.containers.find((c) => c.name === 'node-agent')?.env ?? [];
    assert.deepEqual(
      env.filter((e) => e.name === 'CLUSTER_CIDRS'),
      [{ name: 'CLUSTER_CIDRS', value: '10.0.0.0/16,10.224.0.0/12' }],
    );
  });

  it("each CRD's schema is accepted as the API server accepts it, and the sample resources validate against it", () => {
    const crds = base.filter((o) => o.kind === 'CustomResourceDefinition') as unknown as Crd[];
    assert.equal(crds.length, 3);
    const compiled = new Map<string, ReturnType<typeof compileSchema>['schema']>();
    for (const crd of crds)
      for (const v of crd.spec.versions) {
        const { schema, errors } = compileSchema(
          v.schema.openAPIV3Schema,
          `${crd.spec.names.kind}.${v.name}`,
        );
        assert.deepEqual(errors, [], crd.spec.names.kind);
        compiled.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, schema);
      }
    const samples = [
      'infra/local/sandbox/sample-staticgatewayconfiguration.yaml',
      ...['docs/install.md', 'docs/gateway-pools.md'].map((f) => f),
    ];
    let checked = 0;
    for (const file of samples) {
      const text = readFileSync(join(REPO, file), 'utf8');
      const yamls = file.endsWith('.md')
        ? [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
        : [text];
      for (const y of yamls)
        for (const doc of parseAllDocuments(y)) {
          const o = doc.toJS() as (JsonObject & { kind?: string }) | null;
          if (o === null || typeof o.apiVersion !== 'string' || !o.apiVersion.startsWith('egressgateway.'))
            continue;
          const schema = compiled.get(`${o.apiVersion}/${o.kind ?? ''}`);
          assert.ok(schema, `${file}: no CRD for ${o.apiVersion} ${o.kind ?? ''}`);
          assert.deepEqual(
            validateCustomResource(o, undefined, schema),
            [],
            `${file}: ${JSON.stringify(o.metadata)}`,
          );
          checked += 1;
        }
    }
    assert.ok(checked >= 5, `sample resources checked: ${checked}`);
  });
});
