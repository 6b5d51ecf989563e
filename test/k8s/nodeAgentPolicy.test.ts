/**
 * The node agent's PodEndpoint writes, bound to its own node. RBAC lets the agent write PodEndpoints in
 * every namespace. The base's ValidatingAdmissionPolicy lets a request of egret-node-agent through only
 * when the PodEndpoint is labelled with the node its ServiceAccount token is bound to. On UPDATE and
 * DELETE the stored object must carry that label too.
 *
 * The policy's CEL is evaluated here with the CEL library the API stand-in uses, over the admission
 * request shapes the API server builds. The PodEndpoint is the one the agent's real cluster port
 * writes to the stand-in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Environment } from '@marcbachmann/cel-js';
import { createClientNodeAgentCluster } from '../../agents/common/kube/clientNodeCluster.js';
import { API_GROUP, API_VERSION, POD_ENDPOINT_NODE_LABEL } from '../../shared/core/wellKnown.js';
import { startEgretKube, type EgretKube } from './support/egretKube.js';
import { renderKustomization, type Manifest } from './support/kustomize.js';

const baseDir = fileURLToPath(new URL('../../infra/k8s/', import.meta.url));
const AGENT = 'system:serviceaccount:egret-system:egret-node-agent';
const NODE_CLAIM = 'authentication.kubernetes.io/node-name';

type Json = Record<string, unknown>;
interface Policy {
  spec: {
    failurePolicy: string;
    matchConstraints: { resourceRules: { apiGroups: string[]; operations: string[]; resources: string[] }[] };
    matchConditions: { name: string; expression: string }[];
    variables: { name: string; expression: string }[];
    validations: { expression: string; message?: string; messageExpression?: string }[];
  };
}

/** What a ValidatingAdmissionPolicy decides for one request (the API server's evaluation order). */
function admit(
  policy: Policy,
  input: {
    operation: string;
    user: string;
    extra?: Record<string, string[]>;
    object?: Json;
    oldObject?: Json;
  },
): { matched: boolean; denied: string[] } {
  const env = new Environment({ enableOptionalTypes: true })
    .registerVariable('request', 'dyn')
    .registerVariable('object', 'dyn')
    .registerVariable('oldObject', 'dyn')
    .registerVariable('variables', 'dyn');
  const variables: Record<string, unknown> = {};
  const ctx = {
    request: {
      operation: input.operation,
      userInfo: { username: input.user, ...(input.extra === undefined ? {} : { extra: input.extra }) },
    },
    object: input.object ?? null,
    oldObject: input.oldObject ?? null,
    variables,
  };
  const run = (expression: string): unknown => env.parse(expression)(ctx) as unknown;
  if (!policy.spec.matchConditions.every((c) => run(c.expression) === true))
    return { matched: false, denied: [] };
  for (const v of policy.spec.variables) variables[v.name] = run(v.expression);
  const denied = policy.spec.validations
    .filter((v) => run(v.expression) !== true)
    .map((v) => (v.messageExpression === undefined ? (v.message ?? '') : String(run(v.messageExpression))));
  return { matched: true, denied };
}

describe("the node agent's PodEndpoint writes are bound to its node", () => {
  let objects: Manifest[];
  let policy: Policy;
  let kube: EgretKube;
  let written: Json;

  before(async () => {
    objects = await renderKustomization(baseDir);
    policy = objects.find((o) => o.kind === 'ValidatingAdmissionPolicy') as unknown as Policy;
    kube = await startEgretKube();
    kube.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    const pod = kube.kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'app' },
      spec: { nodeName: 'node-a', containers: [{ name: 'web', image: 'nginx' }] },
    });
    const podUid = (pod['metadata'] as { uid: string }).uid;
    const agent = createClientNodeAgentCluster({ kubeConfig: kube.kc, nodeName: 'node-a' });
    const signal = AbortSignal.timeout(10_000);
    await agent.applyPodEndpoint(
      {
        namespace: 'app',
        name: 'web-1',
        staticGatewayConfiguration: 'gw',
        podIpAddress: '10.244.1.7/32',
        podPublicKey: 'cHViLWtleS1vZi10aGUtcG9kLW9uLW5vZGUtYS0wMDA=',
      },
      { name: 'web-1', uid: podUid },
      signal,
    );
    written = kube.kube.get({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'PodEndpoint',
      namespace: 'app',
      name: 'web-1',
    }) as Json;
  });
  after(async () => kube?.stop());

  const onNode = (node: string): Record<string, string[]> => ({ [NODE_CLAIM]: [node] });
  const labelled = (node: string): Json => ({
    ...written,
    metadata: { ...(written['metadata'] as Json), labels: { [POD_ENDPOINT_NODE_LABEL]: node } },
  });

  it('is bound in the base: every PodEndpoint write of the agent, refused when the policy cannot run', () => {
    const binding = objects.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding') as unknown as {
      spec: { policyName: string; validationActions: string[] };
    };
    assert.equal(binding.spec.policyName, (policy as unknown as Manifest).metadata.name);
    assert.deepEqual(binding.spec.validationActions, ['Deny']);
    assert.equal(policy.spec.failurePolicy, 'Fail');
    const [rule] = policy.spec.matchConstraints.resourceRules;
    assert.deepEqual(rule?.apiGroups, [API_GROUP]);
    assert.deepEqual(rule?.resources, ['podendpoints']);
    assert.deepEqual([...(rule?.operations ?? [])].sort(), ['CREATE', 'DELETE', 'UPDATE']);
    // The agent's ServiceAccount as the base names it.
    assert.ok(
      objects.some(
        (o) =>
          o.kind === 'ServiceAccount' &&
          `system:serviceaccount:${o.metadata.namespace}:${o.metadata.name}` === AGENT,
      ),
    );
  });

  it("the agent labels what it writes with its node, which its own node's token may create", () => {
    const labels = (written['metadata'] as { labels?: Record<string, string> }).labels;
    assert.deepEqual(labels, { [POD_ENDPOINT_NODE_LABEL]: 'node-a' });
    assert.deepEqual(
      admit(policy, { operation: 'CREATE', user: AGENT, extra: onNode('node-a'), object: written }),
      {
        matched: true,
        denied: [],
      },
    );
  });

  it("refuses the agent of another node: create, replace, or delete of node-a's PodEndpoint", () => {
    const b = onNode('node-b');
    for (const input of [
      { operation: 'CREATE', object: written },
      { operation: 'UPDATE', object: labelled('node-b'), oldObject: written },
      { operation: 'UPDATE', object: written, oldObject: written },
      { operation: 'DELETE', oldObject: written },
    ]) {
      const r = admit(policy, { ...input, user: AGENT, extra: b });
      assert.ok(r.matched && r.denied.length > 0, `${input.operation} was let through`);
      assert.match(r.denied.join(' '), /node-b/);
    }
  });

  it('lets the own node replace and delete, and refuses a PodEndpoint without the label (written before the label existed)', () => {
    const a = onNode('node-a');
    assert.deepEqual(
      admit(policy, { operation: 'UPDATE', user: AGENT, extra: a, object: written, oldObject: written })
        .denied,
      [],
    );
    assert.deepEqual(
      admit(policy, { operation: 'DELETE', user: AGENT, extra: a, oldObject: written }).denied,
      [],
    );
    const unlabelled = { ...written, metadata: { name: 'web-1', namespace: 'app' } };
    assert.equal(
      admit(policy, { operation: 'CREATE', user: AGENT, extra: a, object: unlabelled }).denied.length,
      1,
    );
    assert.equal(
      admit(policy, { operation: 'DELETE', user: AGENT, extra: a, oldObject: unlabelled }).denied.length,
      1,
    );
  });

  it('refuses a token bound to no node, and leaves every other user alone (garbage collector, admins)', () => {
    const noClaim = admit(policy, { operation: 'CREATE', user: AGENT, object: written });
    assert.ok(
      noClaim.denied.some((m) => /bound to no node/.test(m)),
      noClaim.denied.join('; '),
    );
    assert.equal(
      admit(policy, { operation: 'CREATE', user: AGENT, extra: {}, object: written }).denied.length > 0,
      true,
    );
    for (const user of ['system:serviceaccount:kube-system:generic-garbage-collector', 'admin@example.com'])
      assert.equal(admit(policy, { operation: 'DELETE', user, oldObject: written }).matched, false, user);
  });
});
