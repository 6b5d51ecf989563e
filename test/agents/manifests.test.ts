/** The agents' DaemonSet manifests agree with the agents: settings, placement, privileges. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { GATEWAY_DAEMON_SETTINGS, NODE_AGENT_SETTINGS } from '../../agents/common/agentConfig.js';

const REPO = resolve(import.meta.dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, walked by known paths
type Obj = Record<string, any>;
const load = (path: string): Obj[] => yaml.loadAll(readFileSync(join(REPO, path), 'utf8')) as Obj[];
const daemonSet = (path: string): Obj => load(path).find((o) => o.kind === 'DaemonSet')!;

describe('agent DaemonSets', () => {
  for (const [name, path, settings] of [
    ['gateway daemon', 'infra/k8s/gateway-daemon/daemonset.yaml', GATEWAY_DAEMON_SETTINGS],
    ['node agent', 'infra/k8s/node-agent/daemonset.yaml', NODE_AGENT_SETTINGS],
  ] as const) {
    it(`${name}: sets only declared settings, and runs with NET_ADMIN + SYS_ADMIN only`, () => {
      const pod = daemonSet(path).spec.template.spec;
      const main = pod.containers[0];
      for (const e of main.env as { name: string }[])
        assert.ok(
          settings.some((s) => s.name === e.name),
          `${e.name} is not a setting of the ${name}`,
        );
      assert.deepEqual(main.securityContext.capabilities, { drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN'] });
      assert.equal(main.securityContext.privileged, undefined);
      assert.equal(main.securityContext.allowPrivilegeEscalation, false);
      assert.equal(pod.hostNetwork, true);
    });
  }

  it('the gateway daemon goes to nodes with any gateway label and tolerates the gateway taint', () => {
    const pod = daemonSet('infra/k8s/gateway-daemon/daemonset.yaml').spec.template.spec;
    const terms = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      .nodeSelectorTerms as Obj[];
    const keys = terms.map((t) => (t.matchExpressions as Obj[]).find((m) => m.key !== 'kubernetes.io/os'));
    assert.deepEqual(
      keys.map((k) => `${k?.key}=${k?.values[0]}`),
      [
        'kubeegressgateway.azure.com/mode=true',
        'kubernetes.azure.com/mode=gateway',
        'kubernetes.azure.com/standalone-vm-mode=gateway',
      ],
    );
    assert.ok(
      (pod.tolerations as Obj[]).some(
        (t) => t.key === 'kubeegressgateway.azure.com/mode' && t.effect === 'NoSchedule',
      ),
    );
    // Only the init container that creates the namespace is privileged.
    assert.equal(pod.initContainers[0].securityContext.privileged, true);
  });

  it('the node agent avoids every gateway label', () => {
    const pod = daemonSet('infra/k8s/node-agent/daemonset.yaml').spec.template.spec;
    const [term] = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      .nodeSelectorTerms as Obj[];
    const notIn = (term!.matchExpressions as Obj[])
      .filter((m) => m.operator === 'NotIn')
      .map((m) => m.key as string);
    assert.deepEqual(notIn, [
      'kubeegressgateway.azure.com/mode',
      'kubernetes.azure.com/mode',
      'kubernetes.azure.com/standalone-vm-mode',
    ]);
  });
});
