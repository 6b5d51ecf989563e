/**
 * docs/install.md against the in-cluster manifests: the guide applies the kustomize base infra/k8s
 * through an overlay it writes (`egret-overlay/kustomization.yaml`: `resources` pointing at the base,
 * `images` pointing the base's images at the user's registry) with `kubectl apply -k egret-overlay`. The
 * overlay, rendered as the guide writes it, includes the base and defines the namespace, workloads and
 * CRDs the guide names; every container runs an image the guide built into the registry it attached to
 * the cluster; and the relay reads the ConfigMap and Secret keys the guide creates. Neither the base nor
 * the overlay may define that ConfigMap or Secret: the guide creates them with the user's values, and
 * `kubectl apply -k` would overwrite them. The overlay is rendered by real kustomize (`kubectl
 * kustomize`), the base also by the tests' kustomize-subset renderer (test/k8s/kustomizeReal.test.ts
 * holds the two equal).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { renderKustomization, renderWithKubectl, type Manifest } from '../k8s/support/kustomize.js';
import { repoRoot } from './support/azureTemplate.js';
import { shellCommands } from '../support/guideShell.js';

type K8sObject = Manifest;

const install = readFileSync(join(repoRoot, 'docs/install.md'), 'utf8');
const migrate = readFileSync(join(repoRoot, 'docs/migrate-from-kube-egress-gateway.md'), 'utf8');
const base = join(repoRoot, 'infra/k8s');

/** The directory the guide runs `kubectl apply -k` on (relative to the clone, where every command runs). */
const applied = [...install.matchAll(/kubectl apply -k ([\w./-]+)/g)].map((m) => m[1]!);
const overlayDir = applied[0] ?? '';
/**
 * The kustomization the guide writes into that directory with a here-document, if it does. The
 * delimiter must be unquoted: that is what makes the shell expand the registry variable in it.
 */
const overlayText = new RegExp(
  `cat > ${overlayDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/kustomization\\.yaml <<EOF\\n([\\s\\S]*?)\\nEOF\\n`,
).exec(install)?.[1];

describe('docs/install.md against infra/k8s', () => {
  let objects: K8sObject[] = [];
  let renderError: unknown;
  before(async () => {
    // A guide without the overlay, or an overlay that does not render, fails the first test by name.
    if (overlayText === undefined) return;
    // Real kustomize (kubectl kustomize): the guide's overlay patches the node agent's CLUSTER_CIDRS.
    objects = await renderWithKubectl(join(repoRoot, overlayDir), overlayText).catch((e: unknown) => {
      renderError = e;
      return [];
    });
  });
  const find = (kind: string, name: string): K8sObject | undefined =>
    objects.find((o) => o.kind === kind && o.metadata?.name === name);

  it('applies the kustomize base at infra/k8s through the overlay the guide writes, and nothing else', async () => {
    assert.deepEqual(
      [...new Set(applied)],
      [overlayDir],
      `the guide applies one overlay (install, upgrade), found: ${applied.join(', ')}`,
    );
    assert.ok(overlayDir !== '');
    assert.ok(
      overlayText !== undefined,
      `the guide writes no ${overlayDir}/kustomization.yaml (cat > … <<EOF)`,
    );
    const overlay = parse(overlayText) as { resources?: string[] };
    assert.deepEqual(
      (overlay.resources ?? []).map((r) => resolve(repoRoot, overlayDir, r)),
      [resolve(base)],
      `${overlayDir}/kustomization.yaml must include the base infra/k8s (resources are relative to the overlay)`,
    );
    assert.ok(existsSync(join(base, 'kustomization.yaml')), 'infra/k8s/kustomization.yaml');
    assert.equal(renderError, undefined, `${overlayDir}/kustomization.yaml does not render`);
    const baseObjects = await renderKustomization(base);
    const ids = (os: K8sObject[]) =>
      os.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
    assert.deepEqual(ids(objects), ids(baseObjects), 'the overlay renders exactly the base objects');
    assert.ok(objects.length > 0);
    for (const [, dir] of [
      ...install.matchAll(/kubectl (?:apply|delete) -k ([\w./-]+)/g),
      ...migrate.matchAll(/kubectl (?:apply|delete) -k ([\w./-]+)/g),
    ])
      assert.equal(dir, overlayDir, `the guides use the overlay with -k, not ${dir}`);
  });

  it('runs every container from an image the guide built, in the registry it attached to the cluster', () => {
    const cmds = shellCommands(install);
    const builds = cmds
      .filter((c) => c.startsWith('az acr build '))
      .map((c) => ({
        registry: /--registry "?(\$\w+|[\w.-]+)"?/.exec(c)?.[1],
        image: /--image (\S+)/.exec(c)?.[1],
      }));
    assert.ok(builds.length > 0, 'the guide builds no image');
    const registries = new Set(builds.map((b) => b.registry));
    assert.equal(registries.size, 1, `one registry for all builds: ${[...registries].join(', ')}`);
    const registry = [...registries][0]!;
    // The login server the overlay uses is read from that same registry.
    const server = cmds
      .map((c) => /^(\w+)=\$\(az acr show -n "?(\$\w+)"? --query loginServer -o tsv\)$/.exec(c))
      .find((m) => m?.[2] === registry)?.[1];
    assert.ok(server, `the guide reads the login server of ${registry} (az acr show --query loginServer)`);
    const attach = cmds.findIndex(
      (c) => c.startsWith('az aks update ') && c.includes(`--attach-acr "${registry}"`),
    );
    const apply = cmds.findIndex((c) => c.startsWith('kubectl apply -k '));
    const lastBuild = cmds.findLastIndex((c) => c.startsWith('az acr build '));
    assert.ok(attach >= 0, `the cluster is attached to ${registry} (az aks update --attach-acr)`);
    assert.ok(lastBuild < apply && attach < apply, 'images built and the registry attached before the apply');
    const built = new Set(builds.map((b) => `$${server}/${b.image!}`));
    const running = objects.flatMap((o) => {
      const pod = (o as { spec?: { template?: { spec?: Record<string, { image: string }[]> } } }).spec
        ?.template?.spec;
      return [...(pod?.['initContainers'] ?? []), ...(pod?.['containers'] ?? [])].map((c) => c.image);
    });
    assert.ok(running.length >= 5, running.join(', '));
    for (const image of running)
      assert.ok(built.has(image), `${image} is not an image the guide built (${[...built].join(', ')})`);
  });

  it('defines the namespace, the relay Deployment and both DaemonSets the guide waits for', () => {
    const ns = [...install.matchAll(/kubectl (?:-n|create namespace) (egret-[\w-]+)/g)].map((m) => m[1]!);
    assert.ok(ns.length > 0);
    for (const n of new Set(ns)) assert.ok(find('Namespace', n), `Namespace ${n}`);
    for (const [, kind, name] of install.matchAll(/rollout status (deployment|daemonset)\/([\w-]+)/g)) {
      const o = find(kind === 'deployment' ? 'Deployment' : 'DaemonSet', name!);
      assert.ok(o, `${kind}/${name!}`);
      assert.equal(o.metadata?.namespace, 'egret-system', `${kind}/${name!} namespace`);
    }
  });

  it('ships the CRDs under infra/k8s/crds, including StaticGatewayConfiguration', () => {
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata?.name);
    assert.ok(
      crds.includes('staticgatewayconfigurations.egressgateway.kubernetes.azure.com'),
      crds.join(', '),
    );
  });

  it('lets the relay read exactly the ConfigMap and Secret keys the guide creates, without defining them', () => {
    const configMap = /create configmap ([\w-]+)((?:\s+--from-literal=\w+=\S+)+)/.exec(
      install.replace(/\\\n\s*/g, ' '),
    );
    const secret = /create secret generic ([\w-]+)((?:\s+--from-literal=\w+=\S+)+)/.exec(
      install.replace(/\\\n\s*/g, ' '),
    );
    assert.ok(configMap && secret, 'the guide creates a ConfigMap and a Secret');
    const keys = (s: string): string[] => [...s.matchAll(/--from-literal=(\w+)=/g)].map((m) => m[1]!).sort();
    const relay = JSON.stringify(find('Deployment', 'egret-relay') ?? {});
    for (const [name, ks] of [
      [configMap[1]!, keys(configMap[2]!)],
      [secret[1]!, keys(secret[2]!)],
    ] as const) {
      assert.ok(relay.includes(`"${name}"`), `the relay does not reference ${name}`);
      for (const k of ks)
        assert.ok(
          relay.includes(`"${k}"`) || relay.includes(`"envFrom"`),
          `the relay does not read ${name}/${k}`,
        );
      assert.equal(find('ConfigMap', name) ?? find('Secret', name), undefined, `the base defines ${name}`);
    }
  });
});
