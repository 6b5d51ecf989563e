/**
 * IPv6 excludeCidrs (issue 10 §6) in real network namespaces with the real `ip`: the API accepts
 * them, so the pod routes the node agent plans for them must apply. Before, the plan held
 * `ip route replace <v6> via <IPv4 gateway>`, which `ip` refuses ("inet6 address is expected"), and
 * every pod of the configuration failed its ADD. A pod namespace with eth0 (a veth to a node
 * namespace) and a wg0 with its link-local address, as the agent sets it up; the planned changes are
 * applied exactly as cniService applies them, then the kernel's route lookups are checked.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createExecRunner } from '../../agents/common/commandRunner.js';
import { IpDriver } from '../../agents/common/ip.js';
import { planPodRoutes, routeArgs } from '../../agents/node-agent/podNetwork.js';

const root = process.getuid?.() === 0;
const skip = !root && process.env['CI'] !== 'true' ? 'needs root (network namespaces)' : false;
const id = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const NODE = `egret-v6n-${id}`;
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

function makePod(name: string): string {
  const ns = `egret-v6p-${id}-${name}`;
  ip('netns', 'add', ns);
  const host = `v6h${name}${id}`.slice(0, 15);
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  ip('link', 'set', host, 'netns', NODE);
  ip('-n', NODE, 'link', 'set', host, 'master', 'br0', 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'addr', 'add', name === 'static' ? '10.244.1.5/24' : '10.244.1.6/24', 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  ip('-n', ns, 'route', 'add', 'default', 'via', '10.244.1.1', 'dev', 'eth0');
  // wg0 as the agent leaves it before routing: up, with a link-local address (one end of a veth pair
  // stands in for the WireGuard device: routing does not depend on the device's type).
  ip('-n', ns, 'link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0peer');
  ip('-n', ns, 'link', 'set', 'wg0peer', 'up');
  ip('-n', ns, 'addr', 'replace', 'fe80::2/64', 'dev', 'wg0');
  ip('-n', ns, 'link', 'set', 'wg0', 'up');
  return ns;
}

async function applyPlan(
  ns: string,
  mode: 'staticEgressGateway' | 'azureNetworking',
  excludeCidrs: readonly string[],
): Promise<void> {
  const ipd = new IpDriver(createExecRunner());
  const changes = planPodRoutes({
    mode,
    eth0: 'eth0',
    gateway: '10.244.1.1',
    eth0Routes: await ipd.routes({ netns: ns }),
    excludeCidrs,
    nodeExceptionCidrs: ['169.254.169.254/32'],
    clusterCidrs: ['10.244.0.0/16', 'fd00:10:244::/56'],
  });
  for (const c of changes) {
    if (c.kind === 'delete') await ipd.ipTry(routeArgs(c), { netns: ns });
    else await ipd.ip(routeArgs(c), { netns: ns });
  }
}

describe('pod routes for IPv6 excludeCidrs, in network namespaces', { skip }, () => {
  const made: string[] = [];
  before(() => {
    if (!root) throw new Error('needs root (CI=true: this test must run)');
    ip('netns', 'add', NODE);
    made.push(NODE);
    ip('-n', NODE, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', NODE, 'addr', 'add', '10.244.1.1/24', 'dev', 'br0');
    ip('-n', NODE, 'link', 'set', 'br0', 'up');
  });
  after(() => {
    for (const ns of made.reverse()) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it('staticEgressGateway: the routes apply; IPv4 goes to wg0 except the exceptions, IPv6 never', async () => {
    const ns = makePod('static');
    made.push(ns);
    await applyPlan(ns, 'staticEgressGateway', ['2001:db8:65::/48', '203.0.113.20/32']);
    assert.match(ip('-n', ns, 'route', 'get', '198.51.100.1'), /dev wg0/);
    assert.match(ip('-n', ns, 'route', 'get', '203.0.113.20'), /via 10\.244\.1\.1 dev eth0/);
    // The tunnel carries IPv4 only: no IPv6 destination is routed into it.
    const v6 = ip('-n', ns, '-6', 'route', 'show', 'dev', 'wg0')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('fe80::/64'));
    assert.deepEqual(v6, []);
  });

  it('azureNetworking: an IPv6 destination sent to the gateway is held in wg0 (ip -6), not sent from the pod', async () => {
    const ns = makePod('azure');
    made.push(ns);
    await applyPlan(ns, 'azureNetworking', ['198.51.100.0/24', '2001:db8:64::/48']);
    assert.match(ip('-n', ns, 'route', 'get', '198.51.100.7'), /dev wg0/);
    assert.match(ip('-n', ns, 'route', 'get', '192.0.2.1'), /via 10\.244\.1\.1 dev eth0/);
    assert.match(ip('-n', ns, '-6', 'route', 'get', '2001:db8:64::1'), /via fe80::1 dev wg0/);
  });
});
