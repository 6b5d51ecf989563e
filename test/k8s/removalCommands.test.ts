/**
 * The removal order of docs/install.md step 11, its kubectl commands run for real (kubectl against the
 * Kubernetes API stand-in, with the ConfigMap and node-agent pods the base creates): the patch turns
 * the cni-uninstall switch on, and the wait returns only once every node agent reports not ready (as
 * an agent does once it has removed its conflist, test/datapath/uninstall.test.ts); before that it
 * times out, so `kubectl delete -k` cannot run while an agent still has egret in its chain.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { shellCommands, shellWords } from '../support/guideShell.js';
import { renderWithKubectl } from './support/kustomize.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const install = readFileSync(join(REPO, 'docs/install.md'), 'utf8');
const cmds = shellCommands(install);
const patchCmd = cmds.find((c) => c.includes('patch configmap egret-cni-uninstall'));
const waitCmd = cmds.find((c) => c.includes('--for=condition=Ready=false'));

const kubectl = async (kubeconfig: string, line: string, override: string[] = []) => {
  const words = shellWords(line);
  assert.equal(words[0], 'kubectl', line);
  return run('kubectl', ['--kubeconfig', kubeconfig, ...words.slice(1), ...override]);
};

describe('docs/install.md removal commands against the API', () => {
  let kube: KubeStandIn;
  const agentPod = (name: string, ready: boolean) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'egret-system', name, labels: { 'app.kubernetes.io/name': 'egret-node-agent' } },
    spec: { nodeName: name, containers: [{ name: 'node-agent', image: 'egret-agents:0.1.0' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });

  before(async () => {
    kube = await startKubeStandIn({ namespaces: ['egret-system'], bookmarkIntervalMs: 0 });
    const base = await renderWithKubectl(join(REPO, 'infra/k8s'));
    const cm = base.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'egret-cni-uninstall');
    assert.ok(cm, 'the base defines the switch');
    kube.create(cm);
    for (const n of ['node-a', 'node-b']) kube.create(agentPod(n, true), { keepStatus: true });
  });
  after(async () => kube?.stop());

  it('the patch turns the switch on', async () => {
    assert.ok(patchCmd && waitCmd, 'the guide patches the switch and waits');
    await kubectl(kube.kubeconfigPath, patchCmd);
    const cm = kube.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'egret-system',
      name: 'egret-cni-uninstall',
    });
    assert.deepEqual(cm?.data, { uninstall: 'true' });
  });

  it('the wait holds while an agent is still ready, and returns once all are not ready', async () => {
    kube.put(agentPod('node-a', false));
    await assert.rejects(kubectl(kube.kubeconfigPath, waitCmd!, ['--timeout=2s']), (e: { stderr: string }) =>
      /timed out waiting for the condition on pods\/node-b/.test(e.stderr),
    );
    kube.put(agentPod('node-b', false));
    await kubectl(kube.kubeconfigPath, waitCmd!);
  });
});
