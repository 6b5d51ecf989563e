/**
 * The data path, end to end, in network namespaces (root; real ip, nft, wg and wireguard-go): the
 * real gateway daemons and node agent as processes in their node namespaces, the real egret-cni
 * executable run from the conflist the agent installed, client-node adapters against the Kubernetes
 * API stand-in, an ILB stand-in that routes by health probe, and an external server that echoes the
 * source address it saw. See support/world.ts for the topology.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ConfigurationSpec,
  DataPathWorld,
  dataPathPrerequisites,
  EXTERNAL_IP,
  EXTERNAL_IP_2,
  GATEWAY_NODES,
  NODE1_IP,
  PROBE_PORT,
} from './support/world.js';

const missing = dataPathPrerequisites();
// Outside CI a machine without root or the tools skips, saying why; under CI=true it must run.
const skip = missing !== undefined && process.env.CI !== 'true' ? `data-path tests ${missing}` : false;

const A: ConfigurationSpec = {
  name: 'sgc-a',
  port: 6000,
  selector: 'nodepool',
  secondaryIps: { gw1: '10.0.0.111', gw2: '10.0.0.112' },
  excludeCidrs: [`${EXTERNAL_IP_2}/32`],
};
const B: ConfigurationSpec = {
  name: 'sgc-b',
  port: 6001,
  selector: 'vmss',
  secondaryIps: { gw1: '10.0.0.121', gw2: '10.0.0.122' },
};
const NOT_READY: ConfigurationSpec = {
  name: 'sgc-pending',
  port: 6002,
  selector: 'nodepool',
  secondaryIps: {},
  ready: false,
};
/** IPv6 excludeCidrs, which the API accepts (issue 10 §6): upstream's ADD fails for every such pod. */
const V6_STATIC: ConfigurationSpec = {
  name: 'sgc-v6-static',
  port: 6003,
  selector: 'nodepool',
  secondaryIps: { gw1: '10.0.0.131', gw2: '10.0.0.132' },
  excludeCidrs: ['2001:db8:65::/48', `${EXTERNAL_IP_2}/32`],
};
const V6_AZURE: ConfigurationSpec = {
  name: 'sgc-v6-azure',
  port: 6004,
  selector: 'nodepool',
  secondaryIps: { gw1: '10.0.0.141', gw2: '10.0.0.142' },
  defaultRoute: 'azureNetworking',
  excludeCidrs: [`${EXTERNAL_IP}/32`, '2001:db8:64::/48'],
};
const egressIps = (c: ConfigurationSpec): string[] => Object.values(c.secondaryIps);

/** Polls `check` until it returns true (state that settles asynchronously, e.g. through a watch). */
async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  deadlineMs = 15_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: not within ${deadlineMs} ms`);
}

describe('data path in network namespaces', { skip, timeout: 240_000 }, () => {
  const world = new DataPathWorld({ probeIntervalMs: 250, drainDelaySeconds: 3 });
  let failed = false;

  before(async () => {
    if (missing !== undefined) throw new Error(`data-path tests ${missing} (CI=true: they must run)`);
    await world.start([A, B, NOT_READY, V6_STATIC, V6_AZURE]);
    // Both gateways serve both ready configurations once their probes answer 200.
    const gws = GATEWAY_NODES.map((g) => g.ip);
    await world.waitForLb(A.port, gws, 30_000);
    await world.waitForLb(B.port, gws, 30_000);
    await world.waitForLb(V6_STATIC.port, gws, 30_000);
    await world.waitForLb(V6_AZURE.port, gws, 30_000);
  });

  after(async () => {
    if (failed) process.stderr.write(world.diagnostics());
    await world.close();
  });

  const step = (name: string, fn: () => Promise<void>): void => {
    it(name, async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    });
  };

  step("the agent chains egret-cni into the node's first conflist and keeps it there", async () => {
    const active = world.activeConflist();
    assert.equal(active.file, '01-egret.conflist');
    assert.deepEqual(
      active.plugins.map((p) => p.type),
      ['bridge', 'egret-cni', 'portmap'],
    );
    // The main plugin rewrites its own file: egret's copy follows.
    const main = join(world.confDir, '10-testnet.conflist');
    const list = JSON.parse(readFileSync(main, 'utf8')) as { plugins: Record<string, unknown>[] };
    list.plugins.push({ type: 'bandwidth' });
    writeFileSync(main, JSON.stringify(list));
    await eventually(
      'conflist regenerated',
      () =>
        world
          .activeConflist()
          .plugins.map((p) => p.type)
          .join(',') === 'bridge,egret-cni,portmap,bandwidth',
    );
  });

  step(
    'the LB probe answers 200 for a configured configuration, 503 otherwise, 400 for other paths',
    async () => {
      const lb = world.ns('lb');
      for (const g of GATEWAY_NODES) {
        assert.equal(
          await world.httpStatus(lb, g.ip, PROBE_PORT, `/gw/${world.configurationUid(A.name)}`),
          200,
        );
        assert.equal(
          await world.httpStatus(lb, g.ip, PROBE_PORT, `/gw/${world.configurationUid(NOT_READY.name)}`),
          503,
        );
        assert.equal(await world.httpStatus(lb, g.ip, PROBE_PORT, '/gw'), 400);
      }
      const status = world.gatewayStatus('gw1');
      assert.deepEqual(status?.readyGatewayConfigurations, [
        { staticGatewayConfiguration: `default/${A.name}`, interfaceName: 'wg-6000' },
        { staticGatewayConfiguration: `default/${B.name}`, interfaceName: 'wg-6001' },
        { staticGatewayConfiguration: `default/${V6_STATIC.name}`, interfaceName: 'wg-6003' },
        { staticGatewayConfiguration: `default/${V6_AZURE.name}`, interfaceName: 'wg-6004' },
      ]);
    },
  );

  step(
    "an annotated pod's requests reach the external server from its configuration's egress IP",
    async () => {
      const { pod, add } = await world.addPod('pod-a', A.name);
      assert.equal(add.code, 0, add.stdout + add.stderr);
      const result = JSON.parse(add.stdout) as { interfaces: { name: string; sandbox?: string }[] };
      assert.deepEqual(result.interfaces.at(-1), { name: 'wg0', sandbox: pod.netnsPath });
      const pe = world.podEndpoint('pod-a') as {
        spec: Record<string, string>;
        metadata: { ownerReferences: { kind: string }[] };
      };
      assert.equal(pe.spec.podIpAddress, `${pod.ip}/32`);
      assert.equal(pe.spec.staticGatewayConfiguration, A.name);
      assert.equal(pe.metadata.ownerReferences[0]?.kind, 'Pod');
      const seen = await world.requestEventually(pod.ns, EXTERNAL_IP, 20_000);
      assert.ok(egressIps(A).includes(seen), `seen ${seen}, expected one of ${egressIps(A).join(', ')}`);
      // Every gateway of the pool has the pod as a peer (the LB may send its flow to either).
      await eventually('peer on both gateways', () =>
        GATEWAY_NODES.every((g) => world.gatewayPeers(g.name, A.port).includes(pe.spec.podPublicKey ?? '')),
      );
    },
  );

  step("an un-annotated pod passes through untouched and leaves with its node's IP", async () => {
    const { pod, add } = await world.addPod('pod-plain');
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const result = JSON.parse(add.stdout) as { interfaces: { name: string }[] };
    assert.deepEqual(
      result.interfaces.map((i) => i.name),
      ['vp2', 'eth0'],
    );
    assert.equal(world.podEndpoint('pod-plain'), undefined);
    assert.equal(await world.request(pod.ns, EXTERNAL_IP), NODE1_IP);
  });

  step('a destination in excludeCidrs bypasses the gateway', async () => {
    const pod = world.pods.get('pod-a')!;
    assert.equal(await world.request(pod.ns, EXTERNAL_IP_2), NODE1_IP);
    assert.ok(egressIps(A).includes(await world.request(pod.ns, EXTERNAL_IP)));
  });

  step('two configurations: each pod leaves with its own egress IP', async () => {
    const { pod, add } = await world.addPod('pod-b', B.name);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const seenB = await world.requestEventually(pod.ns, EXTERNAL_IP, 20_000);
    assert.ok(egressIps(B).includes(seenB), `pod-b seen as ${seenB}`);
    const seenA = await world.request(world.pods.get('pod-a')!.ns, EXTERNAL_IP);
    assert.ok(egressIps(A).includes(seenA), `pod-a seen as ${seenA}`);
  });

  step('IPv6 excludeCidrs: the ADD succeeds and IPv4 egress is unchanged (staticEgressGateway)', async () => {
    const { pod, add } = await world.addPod('pod-v6-static', V6_STATIC.name);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const seen = await world.requestEventually(pod.ns, EXTERNAL_IP, 20_000);
    assert.ok(egressIps(V6_STATIC).includes(seen), `seen ${seen}`);
    assert.equal(await world.request(pod.ns, EXTERNAL_IP_2), NODE1_IP, 'the IPv4 exception still bypasses');
    // The tunnel carries IPv4 only: no IPv6 destination is routed into it.
    const v6 = execFileSync('ip', ['-n', pod.ns, '-6', 'route', 'show', 'dev', 'wg0'], { encoding: 'utf8' });
    assert.deepEqual(
      v6.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('fe80::/64')),
      [],
    );
  });

  step(
    'IPv6 excludeCidrs in azureNetworking: ADD succeeds, the IPv6 destination is held in wg0 with ip -6',
    async () => {
      const { pod, add } = await world.addPod('pod-v6-azure', V6_AZURE.name);
      assert.equal(add.code, 0, add.stdout + add.stderr);
      const seen = await world.requestEventually(pod.ns, EXTERNAL_IP, 20_000);
      assert.ok(egressIps(V6_AZURE).includes(seen), `through the gateway, seen ${seen}`);
      assert.equal(await world.request(pod.ns, EXTERNAL_IP_2), NODE1_IP, 'the rest stays on eth0');
      const route = execFileSync('ip', ['-n', pod.ns, '-6', 'route', 'get', '2001:db8:64::1'], {
        encoding: 'utf8',
      });
      assert.match(route, /via fe80::1 dev wg0/);
    },
  );

  step(
    'ADD for a configuration that is not ready fails with a message saying so, leaving nothing behind',
    async () => {
      const { pod, add } = await world.addPod('pod-early', NOT_READY.name);
      assert.notEqual(add.code, 0);
      const err = JSON.parse(add.stdout) as { code: number; msg: string };
      assert.equal(err.code, 11);
      assert.match(err.msg, /sgc-pending is not ready/);
      assert.equal(world.podEndpoint('pod-early'), undefined);
      const del = await world.deletePod('pod-early');
      assert.equal(del.code, 0);
      assert.equal(pod.name, 'pod-early');
    },
  );

  step('the ingress-reply rule keeps inbound connections to an annotated pod working', async () => {
    const pod = world.pods.get('pod-a')!;
    await world.startEchoServer(pod.ns, 9090);
    const ext = world.ns('ext');
    assert.equal(await world.request(ext, pod.ip, 9090), EXTERNAL_IP);
    // Without the rule the reply would take the tunnel and the connection would fail.
    execFileSync('ip', ['-n', pod.ns, 'rule', 'del', 'fwmark', '0x2222', 'lookup', '8738']);
    try {
      await assert.rejects(world.request(ext, pod.ip, 9090, 1500));
    } finally {
      execFileSync('ip', [
        '-n',
        pod.ns,
        'rule',
        'add',
        'fwmark',
        '0x2222',
        'lookup',
        '8738',
        'priority',
        '100',
      ]);
    }
    assert.equal(await world.request(ext, pod.ip, 9090), EXTERNAL_IP);
  });

  step("a deleted pod's PodEndpoint goes at DEL and its peer leaves both gateways", async () => {
    const key = (world.podEndpoint('pod-b') as { spec: { podPublicKey: string } }).spec.podPublicKey;
    assert.ok(GATEWAY_NODES.every((g) => world.gatewayPeers(g.name, B.port).includes(key)));
    const del = await world.deletePod('pod-b', { keepObject: true });
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.equal(world.podEndpoint('pod-b'), undefined);
    await eventually('peer removed from both gateways', () =>
      GATEWAY_NODES.every((g) => !world.gatewayPeers(g.name, B.port).includes(key)),
    );
    type Status = { readyPeerConfigurations: { podEndpoint: string }[] };
    await eventually(
      'GatewayStatus without the peer',
      () =>
        !(world.gatewayStatus('gw1') as Status).readyPeerConfigurations.some(
          (p) => p.podEndpoint === 'default/pod-b',
        ),
    );
  });

  step(
    'a gateway stopped with SIGTERM answers 503 and new connections leave through the other gateway',
    async () => {
      const pod = world.pods.get('pod-a')!;
      const before = await world.request(pod.ns, EXTERNAL_IP);
      const serving = GATEWAY_NODES.find((g) => A.secondaryIps[g.name] === before)!;
      const other = GATEWAY_NODES.find((g) => g !== serving)!;
      const daemon = world.gatewayDaemons.get(serving.name)!;
      daemon.child.kill('SIGTERM');
      const uid = world.configurationUid(A.name);
      await eventually(
        'probe answers 503 while draining',
        async () => (await world.httpStatus(world.ns('lb'), serving.ip, PROBE_PORT, `/gw/${uid}`)) === 503,
      );
      await world.waitForLb(A.port, [other.ip], 10_000);
      // The pod's WireGuard session was with the stopped gateway. Once it withdraws, the pod hears
      // nothing back; the agent's watchdog resets the session (WireGuard alone would wait 15 s) and
      // the pod's next packet handshakes, through the LB, with the other gateway (same key).
      const after = await world.requestEventually(pod.ns, EXTERNAL_IP, 40_000);
      assert.equal(after, A.secondaryIps[other.name]);
      assert.equal(await daemon.exited, 0);
    },
  );

  step(
    'the agents serve health and metrics; told to uninstall, the agent takes egret-cni out of the chain',
    async () => {
      const n1 = world.ns('node1');
      assert.equal((await world.httpGet(n1, '127.0.0.1', 18081, '/readyz')).status, 200);
      const agentMetrics = (await world.httpGet(n1, '127.0.0.1', 18081, '/metrics')).body;
      assert.match(agentMetrics, /^egret_cni_operations_total\{command="ADD",result="ok"\} [1-9]/m);
      assert.match(agentMetrics, /^egret_cni_operations_total\{command="ADD",result="error"\} 1$/m);
      const gw = GATEWAY_NODES.find((g) => world.gatewayDaemons.get(g.name)?.child.exitCode === null)!;
      const gwMetrics = (await world.httpGet(world.ns(gw.name), '127.0.0.1', 18080, '/metrics')).body;
      assert.match(gwMetrics, /^egret_gateway_configuration_ready\{configuration="default\/sgc-a"\} 1$/m);
      writeFileSync(join(world.dir, 'uninstall'), 'true\n');
      world.agent.child.kill('SIGTERM');
      assert.equal(await world.agent.exited, 0);
      assert.equal(world.activeConflist().file, '10-testnet.conflist');
    },
  );
});
