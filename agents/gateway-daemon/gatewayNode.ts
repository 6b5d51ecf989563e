/**
 * Observes and changes a gateway node through the drivers: the I/O half of the gateway data path
 * (gatewayPlan.ts is the pure half).
 */
import type { CommandRunner } from '../common/commandRunner.js';
import { IpDriver } from '../common/ip.js';
import type { Logger } from '../common/logger.js';
import { ManagedNftTable, NftDriver } from '../common/nftables.js';
import type { WireGuardDriver } from '../common/wireguard.js';
import {
  GATEWAY_NFT_TABLE,
  GATEWAY_REPLY_RULE_PRIORITY,
  GATEWAY_REPLY_TABLE,
  GATEWAY_TUNNEL_ADDRESS,
  type DesiredGatewayNode,
  type GatewayAction,
  type GatewayLayout,
  type ObservedGatewayNode,
  type ObservedWireGuardLink,
  renderHostRules,
  renderNetnsRules,
} from './gatewayPlan.js';
import { assertNever, errorMessage } from '../../shared/core/errors.js';

function replyRuleArgs(verb: 'add' | 'del', port: number): string[] {
  return [
    'rule',
    verb,
    'priority',
    String(GATEWAY_REPLY_RULE_PRIORITY),
    'ipproto',
    'udp',
    'sport',
    String(port),
    'lookup',
    String(GATEWAY_REPLY_TABLE),
  ];
}

export class GatewayNode {
  private readonly ipd: IpDriver;
  private readonly hostTable: ManagedNftTable;
  private readonly netnsTable: ManagedNftTable;

  constructor(
    private readonly runner: CommandRunner,
    private readonly wg: WireGuardDriver,
    readonly layout: GatewayLayout,
    private readonly log: Logger,
  ) {
    this.ipd = new IpDriver(runner);
    const nft = new NftDriver(runner);
    this.hostTable = new ManagedNftTable(nft, { family: 'ip', name: GATEWAY_NFT_TABLE });
    this.netnsTable = new ManagedNftTable(nft, {
      family: 'ip',
      name: GATEWAY_NFT_TABLE,
      netns: layout.netns,
    });
  }

  async observe(desired: DesiredGatewayNode): Promise<ObservedGatewayNode> {
    const L = this.layout;
    const hostAddresses = (await this.ipd.addresses({ dev: L.hostInterface }))
      .filter((a) => a.family === 'inet')
      .map((a) => ({
        ip: a.local,
        prefixlen: a.prefixlen,
        ...(a.label === undefined ? {} : { label: a.label }),
      }));
    const hostLinks = await this.ipd.links();
    const hostVeth = hostLinks.find((l) => l.ifname === L.vethHost);
    const mainRoutes = await this.ipd.routes();
    const hostVethRoutes = mainRoutes
      .filter((r) => r.dev === L.vethHost && r.dst.endsWith('/32'))
      .map((r) => r.dst.slice(0, -3));
    const hostRoutes = mainRoutes
      .filter((r) => r.dev === L.hostInterface && (r.type === undefined || r.type === 'unicast'))
      .map((r) => ({ dst: r.dst, ...(r.gateway === undefined ? {} : { gateway: r.gateway }) }));
    const replyRoutes = (await this.ipd.routes({ table: GATEWAY_REPLY_TABLE })).map((r) => ({
      dst: r.dst,
      ...(r.gateway === undefined ? {} : { gateway: r.gateway }),
      ...(r.prefsrc === undefined ? {} : { prefsrc: r.prefsrc }),
    }));
    const replyRulePorts = (await this.ipd.rules())
      .filter((r) => r.table === String(GATEWAY_REPLY_TABLE) && r.sport !== undefined)
      .map((r) => r.sport ?? 0);
    const reply = { hostRoutes, replyRoutes, replyRulePorts };
    const netnsExists = await this.ipd.netnsExists(L.netns);
    const hostRules = renderHostRules(desired);
    const netnsRules = renderNetnsRules(desired, L);
    const hostRulesCurrent = await this.hostTable.isCurrent(hostRules);
    if (!netnsExists)
      return {
        hostAddresses,
        netnsExists,
        forwarding: false,
        veth: {
          hostExists: hostVeth !== undefined,
          hostUp: hostVeth?.flags.includes('UP') ?? false,
          peerInNetns: false,
          peerUp: false,
          loopbackUp: false,
          hasPrimaryRoute: false,
        },
        secondaryIps: [],
        hostVethRoutes,
        links: [],
        peerRoutes: [],
        rulesCurrent: hostRulesCurrent && netnsRules === '',
        ...reply,
      };
    const nsLinks = await this.ipd.links(L.netns);
    const nsAddrs = await this.ipd.addresses({ netns: L.netns });
    const nsRoutes = await this.ipd.routes({ netns: L.netns });
    const forwarding = (await this.ipd.readSysctl('net.ipv4.ip_forward', L.netns).catch(() => '0')) === '1';
    const peer = nsLinks.find((l) => l.ifname === L.vethPeer);
    const lo = nsLinks.find((l) => l.ifname === 'lo');
    const defaultRoute = nsRoutes.find((r) => r.dst === '0.0.0.0/0' && r.dev === L.vethPeer);
    const links: ObservedWireGuardLink[] = [];
    for (const l of nsLinks.filter((x) => x.ifname.startsWith('wg-'))) {
      const device = await this.wg.show({ netns: L.netns, name: l.ifname });
      links.push({
        name: l.ifname,
        up: l.flags.includes('UP'),
        hasTunnelAddress: nsAddrs.some(
          (a) => a.ifname === l.ifname && `${a.local}/${a.prefixlen}` === GATEWAY_TUNNEL_ADDRESS,
        ),
        ...(device === undefined
          ? {}
          : {
              device: {
                privateKey: device.privateKey,
                listenPort: device.listenPort,
                peers: device.peers.map((p) => ({ publicKey: p.publicKey, allowedIps: p.allowedIps })),
              },
            }),
      });
    }
    const primaryIp = desired.gateways[0]?.primaryIp;
    return {
      hostAddresses,
      netnsExists,
      forwarding,
      veth: {
        hostExists: hostVeth !== undefined,
        hostUp: hostVeth?.flags.includes('UP') ?? false,
        peerInNetns: peer !== undefined,
        peerUp: peer?.flags.includes('UP') ?? false,
        loopbackUp: lo?.flags.includes('UP') ?? false,
        ...(defaultRoute?.gateway === undefined ? {} : { defaultVia: defaultRoute.gateway }),
        hasPrimaryRoute:
          primaryIp !== undefined &&
          nsRoutes.some((r) => r.dst === `${primaryIp}/32` && r.dev === L.vethPeer),
      },
      secondaryIps: nsAddrs.filter((a) => a.ifname === L.vethPeer && a.family === 'inet').map((a) => a.local),
      hostVethRoutes,
      links,
      peerRoutes: nsRoutes
        .filter((r) => r.dev?.startsWith('wg-') === true && r.dst.endsWith('/32'))
        .map((r) => ({ dst: r.dst, dev: r.dev ?? '' })),
      rulesCurrent: hostRulesCurrent && (await this.netnsTable.isCurrent(netnsRules)),
      ...reply,
    };
  }

  /** Runs the actions in order; a failed action is logged and reported, the rest still run. */
  async apply(actions: readonly GatewayAction[]): Promise<{ readonly failed: number }> {
    let failed = 0;
    for (const a of actions) {
      try {
        await this.applyOne(a);
        this.log.debug('applied', { action: a.kind });
      } catch (e) {
        failed += 1;
        this.log.warn('action failed', { action: a.kind, error: errorMessage(e) });
      }
    }
    return { failed };
  }

  private async applyOne(a: GatewayAction): Promise<void> {
    const L = this.layout;
    const ns = { netns: L.netns };
    switch (a.kind) {
      case 'createNetns':
        await this.ipd.ensureNetns(L.netns);
        await this.ipd.ip(['link', 'set', 'lo', 'up'], ns);
        return;
      case 'enableForwarding':
        // A new namespace copies the host's IPv4 settings, which may have forwarding off.
        await this.ipd.sysctl('net.ipv4.ip_forward', '1', L.netns);
        return;
      case 'ensureVeth':
        return this.ensureVeth(a.primaryIp);
      case 'addSecondaryIp':
        await this.ipd.ip(['addr', 'replace', `${a.ip}/32`, 'dev', L.vethPeer], ns);
        await this.ipd.ip(['route', 'replace', `${a.ip}/32`, 'dev', L.vethHost]);
        return;
      case 'removeSecondaryIp':
        await this.ipd.ipTry(['addr', 'del', `${a.ip}/32`, 'dev', L.vethPeer], ns);
        await this.ipd.ipTry(['route', 'del', `${a.ip}/32`, 'dev', L.vethHost]);
        return;
      case 'removeHostSecondaryIp':
      case 'removeIlbIp':
        await this.ipd.ip(['addr', 'del', `${a.ip}/${a.prefixlen}`, 'dev', L.hostInterface]);
        return;
      case 'addIlbIp':
        // A /32, not the subnet mask: a subnet route with src=ILB IP broke nodes (upstream #1295).
        await this.ipd.ip([
          'addr',
          'add',
          `${a.ip}/32`,
          'dev',
          L.hostInterface,
          'label',
          `${L.hostInterface}:egress`,
        ]);
        return;
      case 'createWireGuard': {
        const ref = { netns: L.netns, name: a.link };
        await this.wg.createLink(ref);
        try {
          await this.wg.configure(ref, { privateKey: a.privateKey, listenPort: a.port });
        } catch (e) {
          await this.wg.deleteLink(ref);
          throw e;
        }
        return;
      }
      case 'configureWireGuard':
        await this.wg.configure(
          { netns: L.netns, name: a.link },
          { privateKey: a.privateKey, listenPort: a.port },
        );
        return;
      case 'upWireGuard':
        if (a.addTunnelAddress)
          await this.ipd.ip(['addr', 'replace', GATEWAY_TUNNEL_ADDRESS, 'dev', a.link], ns);
        await this.ipd.ip(['link', 'set', a.link, 'up'], ns);
        return;
      case 'deleteWireGuard':
        await this.wg.deleteLink({ netns: L.netns, name: a.link });
        return;
      case 'setPeer':
        await this.wg.setPeer(
          { netns: L.netns, name: a.link },
          { publicKey: a.publicKey, allowedIps: [a.allowedIp] },
        );
        return;
      case 'removePeer':
        await this.wg.removePeer({ netns: L.netns, name: a.link }, a.publicKey);
        return;
      case 'addPeerRoute':
        await this.ipd.ip(['route', 'replace', a.dst, 'dev', a.link, 'scope', 'link'], ns);
        return;
      case 'removePeerRoute':
        await this.ipd.ipTry(['route', 'del', a.dst, 'dev', a.link], ns);
        return;
      case 'addReplyRoute':
        await this.ipd.ip([
          'route',
          'replace',
          a.dst,
          ...(a.gateway === undefined ? [] : ['via', a.gateway]),
          'dev',
          L.hostInterface,
          'src',
          a.src,
          'table',
          String(GATEWAY_REPLY_TABLE),
        ]);
        return;
      case 'removeReplyRoute':
        await this.ipd.ipTry(['route', 'del', a.dst, 'table', String(GATEWAY_REPLY_TABLE)]);
        return;
      case 'addReplyRule':
        await this.ipd.ip(replyRuleArgs('add', a.port));
        return;
      case 'removeReplyRule':
        await this.ipd.ipTry(replyRuleArgs('del', a.port));
        return;
      case 'applyRules':
        await this.hostTable.apply(a.host);
        if (await this.ipd.netnsExists(L.netns)) await this.netnsTable.apply(a.netns);
        return;
      default:
        assertNever(a, 'gateway action');
    }
  }

  /** The veth pair into the gateway namespace; a pair left half-built is removed and made again. */
  private async ensureVeth(primaryIp: string): Promise<void> {
    const L = this.layout;
    const ns = { netns: L.netns };
    const hostLinks = await this.ipd.links();
    const nsLinks = await this.ipd.links(L.netns);
    const hostSide = hostLinks.some((l) => l.ifname === L.vethHost);
    const peerInHost = hostLinks.some((l) => l.ifname === L.vethPeer);
    const peerInNs = nsLinks.some((l) => l.ifname === L.vethPeer);
    let created = false;
    if (hostSide && !peerInHost && !peerInNs) {
      await this.ipd.ipTry(['link', 'del', L.vethHost]);
    }
    if (!hostSide || (!peerInHost && !peerInNs)) {
      await this.ipd.ip([
        'link',
        'add',
        L.vethHost,
        'type',
        'veth',
        'peer',
        'name',
        L.vethPeer,
        'netns',
        L.netns,
      ]);
      created = true;
    } else if (peerInHost) {
      await this.ipd.ip(['link', 'set', L.vethPeer, 'netns', L.netns]);
    }
    try {
      await this.ipd.ip(['link', 'set', L.vethHost, 'up']);
      await this.ipd.ip(['link', 'set', 'lo', 'up'], ns);
      await this.ipd.ip(['link', 'set', L.vethPeer, 'up'], ns);
      await this.ipd.ip(['route', 'replace', `${primaryIp}/32`, 'dev', L.vethPeer, 'scope', 'link'], ns);
      await this.ipd.ip(['route', 'replace', 'default', 'via', primaryIp, 'dev', L.vethPeer], ns);
    } catch (e) {
      if (created) await this.ipd.ipTry(['link', 'del', L.vethHost]);
      throw e;
    }
  }

  /** Creates the gateway namespace (the init container's job; upstream cmd/add-netns). */
  async ensureNamespace(): Promise<void> {
    await this.ipd.ensureNetns(this.layout.netns);
  }
}
