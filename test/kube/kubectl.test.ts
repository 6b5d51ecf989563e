/**
 * kubectl against the stand-in: discovery, OpenAPI download, Table output, client-side and
 * server-side apply, patch, delete. kubectl comes from Debian's `kubernetes-client` (installed by
 * scripts/bootstrap.sh); outside CI the test is skipped when kubectl is absent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { sgcCrd } from './crdFixtures.js';

const run = promisify(execFile);

async function findKubectl(): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v kubectl']);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

const kubectl = await findKubectl();
if (kubectl === undefined && process.env['CI'] === 'true')
  throw new Error('kubectl is required under CI (scripts/bootstrap.sh installs kubernetes-client)');

describe(
  'kubectl against the stand-in',
  { skip: kubectl === undefined ? 'kubectl is not installed' : false },
  () => {
    let kube: KubeStandIn;
    let home: string;
    const k = async (...args: string[]): Promise<string> => {
      const { stdout } = await run(kubectl!, args, {
        env: { PATH: process.env['PATH'] ?? '', HOME: home, KUBECONFIG: kube.kubeconfigPath },
        timeout: 30_000,
      });
      return stdout;
    };
    const fails = async (...args: string[]): Promise<string> => {
      try {
        await k(...args);
      } catch (e) {
        return String((e as { stderr?: string }).stderr ?? e);
      }
      assert.fail(`kubectl ${args.join(' ')} succeeded`);
    };

    before(async () => {
      kube = await startKubeStandIn();
      home = await mkdtemp(join(tmpdir(), 'egret-kubectl-'));
    });
    after(async () => {
      await kube.stop();
      await rm(home, { recursive: true, force: true });
    });

    it('applies a CRD and custom resources, prints Tables, patches, applies server-side and deletes', async () => {
      const crdFile = join(home, 'crd.json');
      await writeFile(crdFile, JSON.stringify(sgcCrd));
      assert.match(
        await k('apply', '-f', crdFile),
        /customresourcedefinition.apiextensions.k8s.io\/staticgatewayconfigurations.egressgateway.kubernetes.azure.com created/,
      );

      const sgcFile = join(home, 'sgc.yaml');
      const manifest = (pool: string): string =>
        `apiVersion: egressgateway.kubernetes.azure.com/v1alpha1\nkind: StaticGatewayConfiguration\nmetadata:\n  name: gw1\n  namespace: default\nspec:\n  gatewayNodepoolName: ${pool}\n`;
      await writeFile(sgcFile, manifest('pool-a'));
      assert.match(await k('apply', '-f', sgcFile), /gw1 created/);
      await writeFile(sgcFile, manifest('pool-b'));
      assert.match(await k('apply', '-f', sgcFile), /gw1 configured/);

      const table = await k('get', 'sgc');
      assert.match(table, /^NAME\s+NODEPOOL\s+EGRESS\s+AGE\n/);
      assert.match(table, /\ngw1\s+pool-b\s+/);
      assert.equal(await k('get', 'sgc', 'gw1', '-o', 'jsonpath={.metadata.generation}'), '2');

      assert.match(
        await fails(
          'patch',
          'sgc',
          'gw1',
          '--type',
          'merge',
          '-p',
          '{"spec":{"gatewayVmssProfile":{"vmssName":"x"}}}',
        ),
        /exactly one of gatewayNodepoolName, gatewayVmssProfile, gatewayProfile must be set/,
      );
      assert.match(
        await k(
          'patch',
          'sgc',
          'gw1',
          '--type',
          'json',
          '-p',
          '[{"op":"replace","path":"/spec/gatewayNodepoolName","value":"pool-c"}]',
        ),
        /patched/,
      );
      assert.match(
        await k('apply', '--server-side', '--force-conflicts', '-f', sgcFile),
        /serverside-applied/,
      );
      assert.equal(await k('get', 'sgc', 'gw1', '-o', 'jsonpath={.spec.gatewayNodepoolName}'), 'pool-b');
      assert.match(await k('delete', '-f', sgcFile), /deleted/);
      assert.match(await k('get', 'sgc'), /^$/);
    });

    it('creates, labels, selects and deletes built-in objects', async () => {
      await k('create', 'namespace', 'kc');
      await k('-n', 'kc', 'create', 'configmap', 'cm', '--from-literal=a=1');
      await k('-n', 'kc', 'label', 'configmap', 'cm', 'team=net');
      assert.equal(
        await k('-n', 'kc', 'get', 'cm', '-l', 'team in (net)', '-o', 'jsonpath={.items[*].metadata.name}'),
        'cm',
      );
      assert.match(await k('delete', 'namespace', 'kc'), /namespace "kc" deleted/);
      assert.doesNotMatch(await k('get', 'ns', '-o', 'name'), /namespace\/kc/);
    });
  },
);
