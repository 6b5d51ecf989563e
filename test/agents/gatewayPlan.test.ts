import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { NodeIdentity } from '../../agents/common/imds.js';
import type { GatewayClusterSnapshot } from '../../agents/common/kube/clusterPorts.js';
import { normalizeStaticGatewayConfiguration, type PodEndpoint } from '../../agents/common/kube/types.js';
import { generateWireGuardKeyPair } from '../../agents/common/wireguard.js';
import {
  blockedConfigurations,
  DEFAULT_GATEWAY_LAYOUT,
  type DesiredGatewayNode,
  desiredGatewayNode,
  type GatewayAction,
  type ObservedGatewayNode,
  planGatewayNode,
  renderHostRules,
  renderNetnsRules,
} from '../../agents/gateway-daemon/gatewayPlan.js';

const layout = DEFAULT_GATEWAY_LAYOUT;
const node: NodeIdentity = {
  computerName: 'gwpool-vmss000001',
  vmName: 'gwpool-vmss_1',
  vmScaleSetName: 'GWPOOL-VMSS',
  resourceGroupName: 'rg-nodes',
  tags: { 'aks-managed-poolName': 'GwPool' },
};
const KEYS = Array.from({ length: 8 }, () => generateWireGuardKeyPair());

function sgc(o: {
  name: string;
  port: number;
  selector?: Record<string, unknown>;
  secondaryIP?: string;
  secret?: string;
  ready?: boolean;
}): unknown {
  return {
    metadata: { namespace: 'apps', name: o.name, uid: `uid-${o.name}` },
    spec: o.selector ?? { gatewayNodepoolName: 'gwpool' },
    status:
      o.ready === false
        ? {}
        : {
            egressIpPrefix: '20.1.2.0/31',
            gatewayServerProfile: {
              ip: '10.0.1.100',
              port: o.port,
              publicKey: KEYS[0]!.publicKey,
              privateKeySecretRef: { namespace: 'egret', name: o.secret ?? `sgw-uid-${o.name}` },
            },
            gatewayVMProfiles: [
              { nodeName: 'gwpool-vmss000000', primaryIP: '10.0.0.4', secondaryIP: '10.0.0.40' },
              {
                nodeName: 'gwpool-vmss000001',
                primaryIP: '10.0.0.5',
                secondaryIP: o.secondaryIP ?? `10.0.0.${o.port - 5950}`,
              },
            ],
          },
  };
}

function snapshot(configs: unknown[], podEndpoints: PodEndpoint[] = []): GatewayClusterSnapshot {
  const normalized = configs.map(normalizeStaticGatewayConfiguration);
  const secrets = new Map(
    normalized.map((c) => [`egret/sgw-${c.metadata.uid}`, { PrivateKey: KEYS[1]!.privateKey }]),
  );
  return { configurations: normalized, secrets, podEndpoints };
}

const pe = (name: string, config: string, ip: string, key: number, namespace = 'apps'): PodEndpoint => ({
  namespace,
  name,
  staticGatewayConfiguration: config,
  podIpAddress: `${ip}/32`,
  podPublicKey: KEYS[key]!.publicKey,
});

const EMPTY: ObservedGatewayNode = {
  hostAddresses: [{ ip: '10.0.0.5', prefixlen: 24, label: 'eth0' }],
  netnsExists: false,
  forwarding: false,
  veth: {
    hostExists: false,
    hostUp: false,
    peerInNetns: false,
    peerUp: false,
    loopbackUp: false,
    hasPrimaryRoute: false,
  },
  secondaryIps: [],
  hostVethRoutes: [],
  links: [],
  peerRoutes: [],
  rulesCurrent: false,
  hostRoutes: [{ dst: '10.0.0.0/24' }, { dst: '0.0.0.0/0', gateway: '10.0.0.1' }],
  replyRoutes: [],
  replyRulePorts: [],
};

/** What the node looks like after the actions ran (the model the observer reports). */
function simulate(
  start: ObservedGatewayNode,
  actions: readonly GatewayAction[],
  desired: DesiredGatewayNode,
): ObservedGatewayNode {
  const o = structuredClone(start) as {
    -readonly [K in keyof ObservedGatewayNode]: ObservedGatewayNode[K] extends readonly (infer T)[]
      ? T[]
      : ObservedGatewayNode[K];
  };
  type Link = { -readonly [K in keyof (typeof o.links)[number]]: (typeof o.links)[number][K] };
  const link = (name: string): Link | undefined => o.links.find((l) => l.name === name);
  for (const a of actions) {
    switch (a.kind) {
      case 'createNetns':
        o.netnsExists = true;
        break;
      case 'enableForwarding':
        o.forwarding = true;
        break;
      case 'ensureVeth':
        o.veth = {
          hostExists: true,
          hostUp: true,
          peerInNetns: true,
          peerUp: true,
          loopbackUp: true,
          defaultVia: a.primaryIp,
          hasPrimaryRoute: true,
        };
        break;
      case 'addSecondaryIp':
        if (!o.secondaryIps.includes(a.ip)) o.secondaryIps.push(a.ip);
        if (!o.hostVethRoutes.includes(a.ip)) o.hostVethRoutes.push(a.ip);
        break;
      case 'removeSecondaryIp':
        o.secondaryIps = o.secondaryIps.filter((x) => x !== a.ip);
        o.hostVethRoutes = o.hostVethRoutes.filter((x) => x !== a.ip);
        break;
      case 'removeHostSecondaryIp':
      case 'removeIlbIp':
        o.hostAddresses = o.hostAddresses.filter((x) => x.ip !== a.ip);
        break;
      case 'addIlbIp':
        o.hostAddresses.push({ ip: a.ip, prefixlen: 32, label: 'eth0:egress' });
        break;
      case 'createWireGuard':
        o.links.push({
          name: a.link,
          up: false,
          hasTunnelAddress: false,
          device: { privateKey: a.privateKey, listenPort: a.port, peers: [] },
        });
        break;
      case 'configureWireGuard': {
        const l = link(a.link)!;
        l.device = { ...l.device!, privateKey: a.privateKey, listenPort: a.port };
        break;
      }
      case 'upWireGuard': {
        const l = link(a.link)!;
        l.up = true;
        l.hasTunnelAddress = true;
        break;
      }
      case 'deleteWireGuard':
        o.links = o.links.filter((l) => l.name !== a.link);
        o.peerRoutes = o.peerRoutes.filter((r) => r.dev !== a.link);
        break;
      case 'setPeer': {
        const l = link(a.link)!;
        const peers = l.device!.peers.filter((p) => p.publicKey !== a.publicKey);
        l.device = { ...l.device!, peers: [...peers, { publicKey: a.publicKey, allowedIps: [a.allowedIp] }] };
        break;
      }
      case 'removePeer': {
        const l = link(a.link)!;
        l.device = { ...l.device!, peers: l.device!.peers.filter((p) => p.publicKey !== a.publicKey) };
        break;
      }
      case 'addPeerRoute':
        o.peerRoutes.push({ dst: a.dst, dev: a.link });
        break;
      case 'removePeerRoute':
        o.peerRoutes = o.peerRoutes.filter((r) => !(r.dst === a.dst && r.dev === a.link));
        break;
      case 'applyRules':
        o.rulesCurrent = a.host === renderHostRules(desired) && a.netns === renderNetnsRules(desired, layout);
        break;
      case 'addReplyRoute':
        o.replyRoutes = [
          ...o.replyRoutes.filter((r) => r.dst !== a.dst),
          { dst: a.dst, ...(a.gateway === undefined ? {} : { gateway: a.gateway }), prefsrc: a.src },
        ];
        break;
      case 'removeReplyRoute':
        o.replyRoutes = o.replyRoutes.filter((r) => r.dst !== a.dst);
        break;
      case 'addReplyRule':
        o.replyRulePorts.push(a.port);
        break;
      case 'removeReplyRule':
        o.replyRulePorts = o.replyRulePorts.filter((p) => p !== a.port);
        break;
    }
  }
  return o;
}

describe('gateway desired state', () => {
  it('serves configurations of its pool matched by pool tag, VMSS or standalone VM, case-insensitively', () => {
    const d = desiredGatewayNode({
      node,
      snapshot: snapshot([
        sgc({ name: 'by-pool', port: 6000 }),
        sgc({
          name: 'by-vmss',
          port: 6001,
          selector: { gatewayVmssProfile: { vmssResourceGroup: 'RG-NODES', vmssName: 'gwpool-vmss' } },
        }),
        sgc({
          name: 'by-vm',
          port: 6002,
          selector: {
            gatewayProfile: {
              standaloneVMProfile: { vmResourceGroup: 'rg-nodes', vmNames: ['GWPOOL-VMSS_1'] },
            },
          },
        }),
        sgc({ name: 'other-pool', port: 6003, selector: { gatewayNodepoolName: 'elsewhere' } }),
        sgc({ name: 'not-ready', port: 6004, ready: false }),
      ]),
    });
    assert.deepEqual(
      d.gateways.map((g) => [g.key, g.link, g.secondaryIp, g.primaryIp]),
      [
        ['apps/by-pool', 'wg-6000', '10.0.0.50', '10.0.0.5'],
        ['apps/by-vmss', 'wg-6001', '10.0.0.51', '10.0.0.5'],
        ['apps/by-vm', 'wg-6002', '10.0.0.52', '10.0.0.5'],
      ],
    );
    assert.deepEqual(d.pending, []);
  });

  it('says why an applicable configuration cannot be served yet', () => {
    const noProfile = sgc({ name: 'no-profile', port: 6000 }) as { status: { gatewayVMProfiles: unknown[] } };
    noProfile.status.gatewayVMProfiles = [];
    const d = desiredGatewayNode({
      node,
      snapshot: {
        ...snapshot([
          noProfile,
          sgc({ name: 'no-secret', port: 6001, secret: 'missing' }),
          sgc({ name: 'a', port: 6002 }),
          sgc({ name: 'b', port: 6002 }),
        ]),
      },
    });
    assert.deepEqual(
      d.gateways.map((g) => g.key),
      ['apps/a'],
    );
    assert.deepEqual(
      d.pending.map((p) => [p.key, p.reason]),
      [
        ['apps/b', 'port 6002 is already served for another configuration on this node'],
        ['apps/no-profile', 'status.gatewayVMProfiles has no entry for node gwpool-vmss000001'],
        ['apps/no-secret', 'Secret egret/missing has no valid PrivateKey'],
      ],
    );
  });

  it("takes each configuration's PodEndpoints of the same namespace as peers, skipping malformed ones", () => {
    const d = desiredGatewayNode({
      node,
      snapshot: snapshot(
        [sgc({ name: 'a', port: 6000 })],
        [
          pe('p1', 'a', '10.244.1.2', 2),
          pe('p2', 'a', '10.244.1.3', 3),
          pe('other-ns', 'a', '10.244.1.4', 4, 'elsewhere'),
          pe('bad-ip', 'a', 'not-an-ip', 5),
          { ...pe('bad-key', 'a', '10.244.1.6', 6), podPublicKey: 'short' },
        ],
      ),
    });
    assert.deepEqual([...d.gateways[0]!.peers.map((p) => p.podEndpoint)].sort(), ['apps/p1', 'apps/p2']);
    assert.deepEqual(
      d.invalidPeers.map((p) => p.podEndpoint),
      ['apps/bad-ip', 'apps/bad-key'],
    );
  });
});

describe('gateway plan', () => {
  it('builds a fresh node in order: namespace, veth, addresses, device, rules, ILB IP, reply routing, peers', () => {
    const d = desiredGatewayNode({
      node,
      snapshot: snapshot([sgc({ name: 'a', port: 6000 })], [pe('p1', 'a', '10.244.1.2', 2)]),
    });
    assert.deepEqual(
      planGatewayNode(d, EMPTY, layout).map((a) => a.kind),
      [
        'createNetns',
        'enableForwarding',
        'ensureVeth',
        'addSecondaryIp',
        'createWireGuard',
        'upWireGuard',
        'applyRules',
        'addIlbIp',
        'addReplyRoute',
        'addReplyRoute',
        'addReplyRule',
        'setPeer',
        'addPeerRoute',
      ],
    );
  });

  it('renders one identity SNAT per egress IP on the host, and mark + SNAT per port in the namespace', () => {
    const d = desiredGatewayNode({
      node,
      snapshot: snapshot([sgc({ name: 'a', port: 6000 }), sgc({ name: 'b', port: 6001 })]),
    });
    assert.equal(
      renderHostRules(d),
      '\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat - 10; policy accept;\n' +
        '\t\tip saddr 10.0.0.50 snat to 10.0.0.50 comment "egret keep egress IP apps/a"\n' +
        '\t\tip saddr 10.0.0.51 snat to 10.0.0.51 comment "egret keep egress IP apps/b"\n\t}\n',
    );
    const ns = renderNetnsRules(d, layout);
    assert.match(ns, /iifname "wg-6000" ct state new ct mark set 6000/);
    assert.match(ns, /oifname "host0" ct mark 6001 snat to 10.0.0.51/);
    assert.equal(renderHostRules({ gateways: [], pending: [], invalidPeers: [] }), '');
  });

  it('a configuration is not reported ready while something it needs is left to do', () => {
    const d = desiredGatewayNode({
      node,
      snapshot: snapshot([sgc({ name: 'a', port: 6000 }), sgc({ name: 'b', port: 6001 })]),
    });
    const done = simulate(EMPTY, planGatewayNode(d, EMPTY, layout), d);
    const broken = {
      ...done,
      links: done.links.map((l) => (l.name === 'wg-6001' ? { ...l, up: false } : l)),
    };
    const remaining = planGatewayNode(d, broken, layout);
    assert.deepEqual(
      remaining.map((a) => a.kind),
      ['upWireGuard'],
    );
    assert.deepEqual([...blockedConfigurations(remaining, d)], ['uid-b']);
  });

  it('removes what no longer applies and keeps the namespace and veth', () => {
    const d = desiredGatewayNode({
      node,
      snapshot: snapshot([sgc({ name: 'a', port: 6000 })], [pe('p1', 'a', '10.244.1.2', 2)]),
    });
    const built = simulate(EMPTY, planGatewayNode(d, EMPTY, layout), d);
    const none: DesiredGatewayNode = { gateways: [], pending: [], invalidPeers: [] };
    const plan = planGatewayNode(none, { ...built, rulesCurrent: false }, layout);
    assert.deepEqual(
      plan.map((a) => a.kind).sort(),
      [
        'applyRules',
        'deleteWireGuard',
        'removeIlbIp',
        'removeReplyRoute',
        'removeReplyRoute',
        'removeReplyRule',
        'removeSecondaryIp',
      ].sort(),
    );
    const after = simulate(built, plan, none);
    assert.ok(after.netnsExists && after.veth.hostExists);
    assert.deepEqual(planGatewayNode(none, after, layout), []);
  });

  it('applying a plan and planning again gives an empty plan (property)', () => {
    const candidates = [
      sgc({ name: 'a', port: 6000 }),
      sgc({ name: 'b', port: 6001 }),
      sgc({
        name: 'c',
        port: 6002,
        selector: { gatewayVmssProfile: { vmssResourceGroup: 'rg-nodes', vmssName: 'gwpool-vmss' } },
      }),
      sgc({ name: 'd', port: 6003, selector: { gatewayNodepoolName: 'elsewhere' } }),
    ];
    const peerArb = fc.record({
      config: fc.constantFrom('a', 'b', 'c', 'd'),
      ip: fc.integer({ min: 2, max: 6 }),
      key: fc.integer({ min: 2, max: 7 }),
    });
    const stateArb = fc.record({
      configs: fc.subarray(candidates),
      peers: fc.array(peerArb, { maxLength: 6 }),
    });
    const toDesired = (s: {
      configs: unknown[];
      peers: { config: string; ip: number; key: number }[];
    }): DesiredGatewayNode =>
      desiredGatewayNode({
        node,
        snapshot: snapshot(
          s.configs,
          s.peers.map((p, i) => pe(`p${i}`, p.config, `10.244.1.${p.ip}`, p.key)),
        ),
      });
    fc.assert(
      fc.property(
        stateArb,
        stateArb,
        fc.boolean(),
        fc.boolean(),
        (before, now, linkDown, hostHasSecondary) => {
          const old = toDesired(before);
          const desired = toDesired(now);
          // A node converged on an older cluster state, then drifted.
          let start = simulate(EMPTY, planGatewayNode(old, EMPTY, layout), old);
          const sameRules =
            renderHostRules(old) === renderHostRules(desired) &&
            renderNetnsRules(old, layout) === renderNetnsRules(desired, layout);
          start = { ...start, rulesCurrent: start.rulesCurrent && sameRules };
          if (linkDown)
            start = { ...start, links: start.links.map((l, i) => (i === 0 ? { ...l, up: false } : l)) };
          if (hostHasSecondary && desired.gateways[0] !== undefined)
            start = {
              ...start,
              hostAddresses: [...start.hostAddresses, { ip: desired.gateways[0].secondaryIp, prefixlen: 24 }],
            };
          const plan = planGatewayNode(desired, start, layout);
          const after = simulate(start, plan, desired);
          const again = planGatewayNode(desired, after, layout);
          assert.deepEqual(again, []);
          assert.equal(blockedConfigurations(again, desired).size, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
