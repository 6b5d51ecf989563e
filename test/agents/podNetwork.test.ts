import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cidrsByFamily,
  planPodRoutes,
  renderPodIngressRules,
  routeArgs,
} from '../../agents/node-agent/podNetwork.js';

const eth0Routes = [
  { dst: '10.244.1.0/24', dev: 'eth0', scope: 'link' },
  { dst: '0.0.0.0/0', dev: 'eth0', gateway: '10.244.1.1' },
];

describe('pod routes', () => {
  it('staticEgressGateway: everything through wg0 except the configuration, node and cluster exceptions', () => {
    const plan = planPodRoutes({
      mode: 'staticEgressGateway',
      eth0: 'eth0',
      gateway: '10.244.1.1',
      eth0Routes,
      excludeCidrs: ['203.0.113.20/32'],
      nodeExceptionCidrs: ['169.254.169.254/32', '169.254.10.11/32'],
      clusterCidrs: ['10.244.0.0/16', '10.0.0.0/16'],
    });
    assert.deepEqual(plan.map(routeArgs), [
      ['route', 'del', '10.244.1.0/24', 'dev', 'eth0'],
      ['route', 'del', '0.0.0.0/0', 'dev', 'eth0'],
      ['route', 'replace', '10.244.1.1/32', 'dev', 'eth0', 'scope', 'link'],
      ['route', 'replace', '0.0.0.0/0', 'via', 'inet6', 'fe80::1', 'dev', 'wg0'],
      ['route', 'replace', '10.0.0.0/16', 'via', '10.244.1.1', 'dev', 'eth0'],
      ['route', 'replace', '10.244.0.0/16', 'via', '10.244.1.1', 'dev', 'eth0'],
      ['route', 'replace', '169.254.10.11/32', 'via', '10.244.1.1', 'dev', 'eth0'],
      ['route', 'replace', '169.254.169.254/32', 'via', '10.244.1.1', 'dev', 'eth0'],
      ['route', 'replace', '203.0.113.20/32', 'via', '10.244.1.1', 'dev', 'eth0'],
      ['route', 'replace', '0.0.0.0/0', 'via', '10.244.1.1', 'dev', 'eth0', 'table', '8738'],
    ]);
  });

  it('azureNetworking: eth0 stays the default; only excludeCidrs go through wg0', () => {
    const plan = planPodRoutes({
      mode: 'azureNetworking',
      eth0: 'eth0',
      gateway: '10.244.1.1',
      eth0Routes,
      excludeCidrs: ['198.51.100.0/24'],
      nodeExceptionCidrs: ['169.254.169.254/32'],
      clusterCidrs: ['10.244.0.0/16'],
    });
    assert.deepEqual(plan.map(routeArgs), [
      ['route', 'replace', '198.51.100.0/24', 'via', 'inet6', 'fe80::1', 'dev', 'wg0'],
      ['route', 'replace', '0.0.0.0/0', 'via', '10.244.1.1', 'dev', 'eth0', 'table', '8738'],
    ]);
  });

  it('IPv6 entries never reach an IPv4 route: bypassed as they are (static), held in wg0 with ip -6 (azure)', () => {
    const input = {
      eth0: 'eth0',
      gateway: '10.244.1.1',
      eth0Routes,
      excludeCidrs: ['2001:db8:65::/48', '203.0.113.20/32', 'not-a-cidr', '198.51.100.7/24'],
      nodeExceptionCidrs: ['169.254.169.254/32'],
      clusterCidrs: ['10.244.0.0/16', 'fd00:10:244::/56'],
    };
    const staticPlan = planPodRoutes({ ...input, mode: 'staticEgressGateway' }).map(routeArgs);
    assert.deepEqual(
      staticPlan.filter((a) => a.includes('via') && a.includes('10.244.1.1') && !a.includes('table')),
      [
        ['route', 'replace', '10.244.0.0/16', 'via', '10.244.1.1', 'dev', 'eth0'],
        ['route', 'replace', '169.254.169.254/32', 'via', '10.244.1.1', 'dev', 'eth0'],
        ['route', 'replace', '198.51.100.0/24', 'via', '10.244.1.1', 'dev', 'eth0'],
        ['route', 'replace', '203.0.113.20/32', 'via', '10.244.1.1', 'dev', 'eth0'],
      ],
    );
    assert.ok(!staticPlan.flat().some((a) => a.includes(':') && a !== 'fe80::1'), 'no IPv6 destination');
    const azurePlan = planPodRoutes({ ...input, mode: 'azureNetworking' }).map(routeArgs);
    assert.deepEqual(azurePlan, [
      ['route', 'replace', '198.51.100.0/24', 'via', 'inet6', 'fe80::1', 'dev', 'wg0'],
      ['route', 'replace', '203.0.113.20/32', 'via', 'inet6', 'fe80::1', 'dev', 'wg0'],
      ['-6', 'route', 'replace', '2001:db8:65::/48', 'via', 'fe80::1', 'dev', 'wg0'],
      ['route', 'replace', '0.0.0.0/0', 'via', '10.244.1.1', 'dev', 'eth0', 'table', '8738'],
    ]);
    assert.deepEqual(cidrsByFamily(input.excludeCidrs).unusable, ['not-a-cidr']);
  });

  it('marks connections that arrive on eth0 and routes their packets by that mark', () => {
    const rules = renderPodIngressRules('eth0');
    assert.match(rules, /iifname "eth0" ct state new ct mark set 0x2222/);
    assert.match(rules, /type route hook output[^\n]*\n\t\tct mark 0x2222 meta mark set 0x2222/);
  });
});
