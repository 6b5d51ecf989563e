import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadGatewayDaemonConfig, loadNodeAgentConfig } from '../../agents/common/agentConfig.js';

describe('agent settings', () => {
  it('the gateway daemon watches key Secrets in KEY_SECRET_NAMESPACE, by default its own namespace', () => {
    const base = { MY_NODE_NAME: 'gw-0', MY_POD_NAMESPACE: 'egret' };
    assert.equal(loadGatewayDaemonConfig(base).keySecretNamespace, 'egret');
    const c = loadGatewayDaemonConfig({ ...base, KEY_SECRET_NAMESPACE: 'egret-keys' });
    assert.equal(c.keySecretNamespace, 'egret-keys');
    assert.equal(c.namespace, 'egret', 'GatewayStatus objects stay in the pod namespace');
  });
  it("gateway daemon: upstream's defaults", () => {
    const c = loadGatewayDaemonConfig({ MY_NODE_NAME: 'gw-0', MY_POD_NAMESPACE: 'egret' });
    assert.equal(c.netns, 'ns-static-egress-gateway');
    assert.equal(c.hostInterface, 'eth0');
    assert.deepEqual(c.probe, { host: '0.0.0.0', port: 8082, drainDelayMs: 10_000 });
    assert.equal(c.imdsEndpoint, 'http://169.254.169.254');
    assert.equal(c.wireguardMode, 'auto');
    assert.equal(c.withdrawOnExit, true);
  });

  it('lists every problem at once', () => {
    assert.throws(
      () =>
        loadGatewayDaemonConfig({
          LB_PROBE_PORT: 'x',
          WIREGUARD_MODE: 'magic',
          HOST_INTERFACE: 'averyveryverylongname',
        }),
      (e: Error) =>
        /MY_NODE_NAME is required/.test(e.message) &&
        /MY_POD_NAMESPACE is required/.test(e.message) &&
        /LB_PROBE_PORT="x" is not an integer/.test(e.message) &&
        /WIREGUARD_MODE="magic" is unknown/.test(e.message) &&
        /HOST_INTERFACE/.test(e.message),
    );
  });

  it('node agent: exception CIDRs default to IMDS and node-local DNS; bad CIDRs and commands are refused', () => {
    const c = loadNodeAgentConfig({ MY_NODE_NAME: 'n', CLUSTER_CIDRS: '10.244.0.0/16, 10.0.0.0/16' });
    assert.deepEqual(c.exceptionCidrs, ['169.254.169.254/32', '169.254.10.11/32']);
    assert.deepEqual(c.clusterCidrs, ['10.244.0.0/16', '10.0.0.0/16']);
    assert.deepEqual(c.pluginCommand, ['/opt/egret/bin/node', '/opt/egret/lib/cni/egretCni.js']);
    assert.throws(
      () =>
        loadNodeAgentConfig({
          MY_NODE_NAME: 'n',
          CLUSTER_CIDRS: '10.0.0.0/33',
          CNI_PLUGIN_COMMAND: '"node"',
        }),
      (e: Error) =>
        /"10\.0\.0\.0\/33" is not an IPv4 CIDR/.test(e.message) && /CNI_PLUGIN_COMMAND/.test(e.message),
    );
  });
});
