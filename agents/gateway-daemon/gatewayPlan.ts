/**
 * The gateway node's data path as data: what the cluster asks of this node (`desiredGatewayNode`),
 * what the node has (`ObservedGatewayNode`, filled by gatewayObserve.ts), and the actions that turn
 * one into the other (`planGatewayNode`). Pure: no I/O, no clock. Applying a plan and planning again
 * gives an empty plan (tested as a property).
 *
 * Upstream layout (reference §4), kept: one namespace (`ns-static-egress-gateway`) holding a
 * `wg-<port>` device per configuration with `fe80::1/64`, a veth `host-gateway`/`host0` carrying each
 * configuration's secondary IP, the ILB frontend IP as a /32 labelled `<if>:egress` on the host
 * interface, a `<podIP>/32 dev wg-<port>` route and a peer per PodEndpoint. iptables chains are
 * replaced by two nftables tables (rendered below).
 */
import {
  configurationAppliesToNode,
  findGatewayVMProfile,
  gatewayEndpointOf,
  isDeleting,
  isIPv4,
  isWireGuardKey,
} from '../common/gatewayConfig.js';
import type { NodeIdentity } from '../common/imds.js';
import type { GatewayClusterSnapshot } from '../common/kube/clusterPorts.js';
import { keyOf } from '../common/kube/types.js';

/** Names the daemon uses on the node; defaults are upstream's. */
export interface GatewayLayout {
  /** The node's primary interface (upstream: eth0). */
  readonly hostInterface: string;
  /** The gateway namespace (upstream: ns-static-egress-gateway). */
  readonly netns: string;
  readonly vethHost: string;
  readonly vethPeer: string;
}

export const DEFAULT_GATEWAY_LAYOUT: GatewayLayout = {
  hostInterface: 'eth0',
  netns: 'ns-static-egress-gateway',
  vethHost: 'host-gateway',
  vethPeer: 'host0',
};

/** The link-local address every gateway WireGuard device carries (pods route `via inet6 fe80::1`). */
export const GATEWAY_TUNNEL_ADDRESS = 'fe80::1/64';
/**
 * Routing table (and rule priority) that makes a gateway's WireGuard replies leave from the ILB
 * frontend IP. The LB uses floating IP: pods talk to `<ILB IP>:<port>` and the replies must come
 * from that address too, or the pod's WireGuard roams its peer endpoint to the gateway node's own IP
 * and bypasses the LB (and its failover) from then on. Kernel WireGuard answers from the address a
 * packet arrived on; wireguard-go (Debian's 0.0.20220316) does not, so the daemon adds
 * `ip rule ipproto udp sport <port> lookup 7000` with table 7000 holding the host interface's routes
 * with `src <ILB IP>`. Harmless with the kernel device, so it is done in both modes.
 */
export const GATEWAY_REPLY_TABLE = 7000;
export const GATEWAY_REPLY_RULE_PRIORITY = 32000;

/** Name of the nftables table the daemon owns, in the host namespace and in the gateway namespace. */
export const GATEWAY_NFT_TABLE = 'egret-gateway';

export interface DesiredPeer {
  /** `<namespace>/<name>` of the PodEndpoint. */
  readonly podEndpoint: string;
  readonly publicKey: string;
  /** `<pod IPv4>/32`. */
  readonly allowedIp: string;
}

/** One configuration as this node must serve it. */
export interface DesiredGateway {
  readonly uid: string;
  /** `<namespace>/<name>`. */
  readonly key: string;
  readonly port: number;
  /** `wg-<port>`. */
  readonly link: string;
  readonly privateKey: string;
  readonly ilbIp: string;
  readonly primaryIp: string;
  readonly secondaryIp: string;
  /** Sorted by public key. */
  readonly peers: readonly DesiredPeer[];
}

export interface DesiredGatewayNode {
  /** Sorted by port. */
  readonly gateways: readonly DesiredGateway[];
  /** Configurations that apply to this node but cannot be served yet, with the reason. */
  readonly pending: readonly { readonly key: string; readonly uid: string; readonly reason: string }[];
  /** PodEndpoints skipped because they are malformed. */
  readonly invalidPeers: readonly { readonly podEndpoint: string; readonly reason: string }[];
}

/** The daemon's reading of the cluster for this node (upstream: SGC controller + PodEndpoint controller). */
export function desiredGatewayNode(input: {
  readonly node: NodeIdentity;
  readonly snapshot: GatewayClusterSnapshot;
}): DesiredGatewayNode {
  const { node, snapshot } = input;
  const gateways: DesiredGateway[] = [];
  const pending: { key: string; uid: string; reason: string }[] = [];
  const invalidPeers: { podEndpoint: string; reason: string }[] = [];
  const usedPorts = new Set<number>();
  const configs = [...snapshot.configurations].sort((a, b) =>
    keyOf(a.metadata).localeCompare(keyOf(b.metadata)),
  );
  for (const c of configs) {
    if (isDeleting(c) || !configurationAppliesToNode(c, node)) continue;
    const key = keyOf(c.metadata);
    const { uid } = c.metadata;
    const profile = gatewayEndpointOf(c);
    const ref = profile?.privateKeySecretRef;
    if (profile === undefined || ref === undefined) continue;
    const miss = (reason: string): void => {
      pending.push({ key, uid, reason });
    };
    const vm = findGatewayVMProfile(c, node);
    if (vm === undefined) {
      miss(`status.gatewayVMProfiles has no entry for node ${node.computerName || node.vmName}`);
      continue;
    }
    if (!isIPv4(vm.primaryIP) || !isIPv4(vm.secondaryIP)) {
      miss(`status.gatewayVMProfiles entry for ${vm.nodeName} has no valid primaryIP/secondaryIP`);
      continue;
    }
    if (!isIPv4(profile.ip)) {
      miss(`status.gatewayServerProfile.ip ${JSON.stringify(profile.ip)} is not an IPv4 address`);
      continue;
    }
    const secret = snapshot.secrets.get(`${ref.namespace}/${ref.name}`);
    const privateKey = secret?.['PrivateKey']?.trim() ?? '';
    if (!isWireGuardKey(privateKey)) {
      miss(`Secret ${ref.namespace}/${ref.name} has no valid PrivateKey`);
      continue;
    }
    if (usedPorts.has(profile.port)) {
      miss(`port ${profile.port} is already served for another configuration on this node`);
      continue;
    }
    usedPorts.add(profile.port);
    const peers: DesiredPeer[] = [];
    for (const pe of snapshot.podEndpoints) {
      if (pe.namespace !== c.metadata.namespace || pe.staticGatewayConfiguration !== c.metadata.name)
        continue;
      const ip = pe.podIpAddress.endsWith('/32') ? pe.podIpAddress.slice(0, -3) : pe.podIpAddress;
      if (!isIPv4(ip))
        invalidPeers.push({
          podEndpoint: keyOf(pe),
          reason: `podIpAddress ${JSON.stringify(pe.podIpAddress)} is not an IPv4 /32`,
        });
      else if (!isWireGuardKey(pe.podPublicKey))
        invalidPeers.push({ podEndpoint: keyOf(pe), reason: 'podPublicKey is not a WireGuard key' });
      else peers.push({ podEndpoint: keyOf(pe), publicKey: pe.podPublicKey, allowedIp: `${ip}/32` });
    }
    peers.sort(
      (a, b) => a.publicKey.localeCompare(b.publicKey) || a.podEndpoint.localeCompare(b.podEndpoint),
    );
    // Two PodEndpoints with the same key (a pod recreated before the old object is gone): keep one.
    const unique = peers.filter((p, i) => i === 0 || peers[i - 1]?.publicKey !== p.publicKey);
    gateways.push({
      uid,
      key,
      port: profile.port,
      link: `wg-${profile.port}`,
      privateKey,
      ilbIp: profile.ip,
      primaryIp: vm.primaryIP,
      secondaryIp: vm.secondaryIP,
      peers: unique,
    });
  }
  gateways.sort((a, b) => a.port - b.port);
  return { gateways, pending, invalidPeers };
}

// ---- observation ---------------------------------------------------------------------------------

export interface ObservedWireGuardLink {
  readonly name: string;
  readonly up: boolean;
  readonly hasTunnelAddress: boolean;
  /** Undefined when the device does not answer (a TUN whose wireguard-go died, a foreign link). */
  readonly device?: {
    readonly privateKey: string;
    readonly listenPort: number;
    readonly peers: readonly { readonly publicKey: string; readonly allowedIps: readonly string[] }[];
  };
}

/** What the node has, as far as the daemon's layout goes. */
export interface ObservedGatewayNode {
  /** IPv4 addresses on the host interface. */
  readonly hostAddresses: readonly {
    readonly ip: string;
    readonly prefixlen: number;
    readonly label?: string;
  }[];
  readonly netnsExists: boolean;
  readonly forwarding: boolean;
  readonly veth: {
    readonly hostExists: boolean;
    readonly hostUp: boolean;
    readonly peerInNetns: boolean;
    readonly peerUp: boolean;
    readonly loopbackUp: boolean;
    /** Next hop of the namespace's default route, when there is one via the veth. */
    readonly defaultVia?: string;
    readonly hasPrimaryRoute: boolean;
  };
  /** IPv4 addresses on the veth peer in the namespace. */
  readonly secondaryIps: readonly string[];
  /** Host-namespace routes (`/32` destinations, as IPs) through the veth. */
  readonly hostVethRoutes: readonly string[];
  /** `wg-*` links in the namespace. */
  readonly links: readonly ObservedWireGuardLink[];
  /** Namespace routes through `wg-*` links: `{dst: "<ip>/32", dev}`. */
  readonly peerRoutes: readonly { readonly dst: string; readonly dev: string }[];
  /** True when both nftables tables hold exactly the rendered rule sets. */
  readonly rulesCurrent: boolean;
  /** Main-table routes through the host interface (what the reply table mirrors). */
  readonly hostRoutes: readonly { readonly dst: string; readonly gateway?: string }[];
  /** Routes of the reply table. */
  readonly replyRoutes: readonly {
    readonly dst: string;
    readonly gateway?: string;
    readonly prefsrc?: string;
  }[];
  /** UDP source ports that have a reply rule. */
  readonly replyRulePorts: readonly number[];
}

// ---- actions -------------------------------------------------------------------------------------

export type GatewayAction =
  | { readonly kind: 'createNetns' }
  | { readonly kind: 'enableForwarding' }
  | { readonly kind: 'ensureVeth'; readonly primaryIp: string }
  | { readonly kind: 'addSecondaryIp'; readonly uid: string; readonly ip: string }
  | { readonly kind: 'removeSecondaryIp'; readonly ip: string }
  | { readonly kind: 'removeHostSecondaryIp'; readonly ip: string; readonly prefixlen: number }
  | { readonly kind: 'addIlbIp'; readonly ip: string }
  | { readonly kind: 'removeIlbIp'; readonly ip: string; readonly prefixlen: number }
  | {
      readonly kind: 'createWireGuard';
      readonly uid: string;
      readonly link: string;
      readonly port: number;
      readonly privateKey: string;
    }
  | {
      readonly kind: 'configureWireGuard';
      readonly uid: string;
      readonly link: string;
      readonly port: number;
      readonly privateKey: string;
    }
  | {
      readonly kind: 'upWireGuard';
      readonly uid: string;
      readonly link: string;
      readonly addTunnelAddress: boolean;
    }
  | { readonly kind: 'deleteWireGuard'; readonly link: string }
  | {
      readonly kind: 'setPeer';
      readonly link: string;
      readonly publicKey: string;
      readonly allowedIp: string;
    }
  | { readonly kind: 'removePeer'; readonly link: string; readonly publicKey: string }
  | { readonly kind: 'addPeerRoute'; readonly link: string; readonly dst: string }
  | { readonly kind: 'removePeerRoute'; readonly link: string; readonly dst: string }
  | { readonly kind: 'applyRules'; readonly host: string; readonly netns: string }
  | { readonly kind: 'addReplyRoute'; readonly dst: string; readonly gateway?: string; readonly src: string }
  | { readonly kind: 'removeReplyRoute'; readonly dst: string }
  | { readonly kind: 'addReplyRule'; readonly uid: string; readonly port: number }
  | { readonly kind: 'removeReplyRule'; readonly port: number };

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/**
 * The host table: forwarded traffic that already carries a secondary (egress) IP must not be
 * masqueraded again by the node's own NAT (kube-proxy, ip-masq-agent, the network plugin).
 * Upstream puts an iptables `-j ACCEPT` first in nat POSTROUTING. In nftables an `accept` ends only
 * its own base chain, and later NAT chains still run; but the NAT core stops consulting NAT chains
 * once one has bound the connection. So this chain runs before the standard srcnat priority (also
 * before iptables' nat table, priority 100) and binds with an identity SNAT.
 */
export function renderHostRules(desired: DesiredGatewayNode): string {
  if (desired.gateways.length === 0) return '';
  const rules = desired.gateways
    .map(
      (g) =>
        `\t\tip saddr ${g.secondaryIp} snat to ${g.secondaryIp} comment "egret keep egress IP ${g.key}"\n`,
    )
    .join('');
  return `\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat - 10; policy accept;\n${rules}\t}\n`;
}

/**
 * The gateway-namespace table (upstream's EGRESS-GATEWAY-MARK-<port> / -SNAT-<port> chains):
 * connections arriving from `wg-<port>` get conntrack mark `<port>`; marked connections leaving
 * through the veth are SNATed to that configuration's secondary IP.
 */
export function renderNetnsRules(desired: DesiredGatewayNode, layout: GatewayLayout): string {
  if (desired.gateways.length === 0) return '';
  const mark = desired.gateways
    .map((g) => `\t\tiifname "${g.link}" ct state new ct mark set ${g.port} comment "egret ${g.key}"\n`)
    .join('');
  const snat = desired.gateways
    .map(
      (g) =>
        `\t\toifname "${layout.vethPeer}" ct mark ${g.port} snat to ${g.secondaryIp} comment "egret ${g.key}"\n`,
    )
    .join('');
  return (
    `\tchain prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n${mark}\t}\n` +
    `\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n${snat}\t}\n`
  );
}

/** The actions that make `observed` match `desired`, in a safe order (build before tear down). */
export function planGatewayNode(
  desired: DesiredGatewayNode,
  observed: ObservedGatewayNode,
  layout: GatewayLayout,
): GatewayAction[] {
  const actions: GatewayAction[] = [];
  const gws = desired.gateways;
  const ilbLabel = (label: string | undefined): boolean => label !== undefined && label.endsWith(':egress');

  if (gws.length > 0) {
    const primaryIp = gws[0]?.primaryIp ?? '';
    if (!observed.netnsExists) actions.push({ kind: 'createNetns' });
    if (!observed.netnsExists || !observed.forwarding) actions.push({ kind: 'enableForwarding' });
    const v = observed.veth;
    if (
      !observed.netnsExists ||
      !v.hostExists ||
      !v.hostUp ||
      !v.peerInNetns ||
      !v.peerUp ||
      !v.loopbackUp ||
      v.defaultVia !== primaryIp ||
      !v.hasPrimaryRoute
    )
      actions.push({ kind: 'ensureVeth', primaryIp });
    for (const g of gws) {
      if (!observed.secondaryIps.includes(g.secondaryIp) || !observed.hostVethRoutes.includes(g.secondaryIp))
        actions.push({ kind: 'addSecondaryIp', uid: g.uid, ip: g.secondaryIp });
      const link = observed.links.find((l) => l.name === g.link);
      if (link === undefined || link.device === undefined) {
        if (link !== undefined) actions.push({ kind: 'deleteWireGuard', link: g.link });
        actions.push({
          kind: 'createWireGuard',
          uid: g.uid,
          link: g.link,
          port: g.port,
          privateKey: g.privateKey,
        });
        actions.push({ kind: 'upWireGuard', uid: g.uid, link: g.link, addTunnelAddress: true });
      } else {
        if (link.device.privateKey !== g.privateKey || link.device.listenPort !== g.port)
          actions.push({
            kind: 'configureWireGuard',
            uid: g.uid,
            link: g.link,
            port: g.port,
            privateKey: g.privateKey,
          });
        if (!link.up || !link.hasTunnelAddress)
          actions.push({
            kind: 'upWireGuard',
            uid: g.uid,
            link: g.link,
            addTunnelAddress: !link.hasTunnelAddress,
          });
      }
    }
  }
  for (const a of observed.hostAddresses)
    if (gws.some((g) => g.secondaryIp === a.ip))
      actions.push({ kind: 'removeHostSecondaryIp', ip: a.ip, prefixlen: a.prefixlen });

  if (!observed.rulesCurrent)
    actions.push({
      kind: 'applyRules',
      host: renderHostRules(desired),
      netns: renderNetnsRules(desired, layout),
    });

  const ilbIps = [...new Set(gws.map((g) => g.ilbIp))].sort();
  for (const ip of ilbIps)
    if (!observed.hostAddresses.some((a) => a.ip === ip)) actions.push({ kind: 'addIlbIp', ip });

  // WireGuard replies leave from the ILB IP (see GATEWAY_REPLY_TABLE).
  const replySrc = ilbIps[0];
  const wantReply =
    replySrc === undefined ? [] : observed.hostRoutes.map((r) => ({ ...r, prefsrc: replySrc }));
  const sameRoute = (
    a: { dst: string; gateway?: string; prefsrc?: string },
    b: { dst: string; gateway?: string; prefsrc?: string },
  ): boolean => a.dst === b.dst && a.gateway === b.gateway && a.prefsrc === b.prefsrc;
  for (const r of wantReply)
    if (!observed.replyRoutes.some((x) => sameRoute(x, r)))
      actions.push({
        kind: 'addReplyRoute',
        dst: r.dst,
        ...(r.gateway === undefined ? {} : { gateway: r.gateway }),
        src: r.prefsrc,
      });
  for (const r of observed.replyRoutes)
    if (!wantReply.some((x) => sameRoute(x, r)) && !wantReply.some((x) => x.dst === r.dst))
      actions.push({ kind: 'removeReplyRoute', dst: r.dst });
  for (const g of gws)
    if (!observed.replyRulePorts.includes(g.port))
      actions.push({ kind: 'addReplyRule', uid: g.uid, port: g.port });
  for (const port of observed.replyRulePorts)
    if (!gws.some((g) => g.port === port)) actions.push({ kind: 'removeReplyRule', port });

  // Peers and their routes.
  for (const g of gws) {
    const link = observed.links.find((l) => l.name === g.link);
    const have = link?.device?.peers ?? [];
    for (const p of g.peers) {
      const cur = have.find((x) => x.publicKey === p.publicKey);
      if (cur === undefined || !sameSet(cur.allowedIps, [p.allowedIp]))
        actions.push({ kind: 'setPeer', link: g.link, publicKey: p.publicKey, allowedIp: p.allowedIp });
    }
    for (const x of have)
      if (!g.peers.some((p) => p.publicKey === x.publicKey))
        actions.push({ kind: 'removePeer', link: g.link, publicKey: x.publicKey });
    const wantRoutes = g.peers.map((p) => p.allowedIp);
    for (const dst of [...new Set(wantRoutes)].sort())
      if (!observed.peerRoutes.some((r) => r.dev === g.link && r.dst === dst))
        actions.push({ kind: 'addPeerRoute', link: g.link, dst });
    for (const r of observed.peerRoutes)
      if (r.dev === g.link && !wantRoutes.includes(r.dst))
        actions.push({ kind: 'removePeerRoute', link: g.link, dst: r.dst });
  }

  // Tear down what no longer applies (upstream's periodic cleanUp; the namespace and veth stay).
  for (const l of observed.links)
    if (!gws.some((g) => g.link === l.name)) actions.push({ kind: 'deleteWireGuard', link: l.name });
  for (const ip of observed.secondaryIps)
    if (!gws.some((g) => g.secondaryIp === ip)) actions.push({ kind: 'removeSecondaryIp', ip });
  for (const ip of observed.hostVethRoutes)
    if (!gws.some((g) => g.secondaryIp === ip) && !observed.secondaryIps.includes(ip))
      actions.push({ kind: 'removeSecondaryIp', ip });
  for (const a of observed.hostAddresses)
    if (ilbLabel(a.label) && !ilbIps.includes(a.ip))
      actions.push({ kind: 'removeIlbIp', ip: a.ip, prefixlen: a.prefixlen });
  return actions;
}

/**
 * Configurations a remaining action still blocks: the LB probe answers 200 for a configuration only
 * when nothing it depends on is left to do. Peer changes and removals block nobody.
 */
export function blockedConfigurations(
  actions: readonly GatewayAction[],
  desired: DesiredGatewayNode,
): Set<string> {
  const all = desired.gateways.map((g) => g.uid);
  const blocked = new Set<string>();
  for (const a of actions) {
    switch (a.kind) {
      case 'createNetns':
      case 'enableForwarding':
      case 'ensureVeth':
      case 'applyRules':
        all.forEach((u) => blocked.add(u));
        break;
      case 'addIlbIp':
        desired.gateways.filter((g) => g.ilbIp === a.ip).forEach((g) => blocked.add(g.uid));
        break;
      case 'addReplyRoute':
        all.forEach((u) => blocked.add(u));
        break;
      case 'addReplyRule':
      case 'addSecondaryIp':
      case 'createWireGuard':
      case 'configureWireGuard':
      case 'upWireGuard':
        blocked.add(a.uid);
        break;
      case 'removeSecondaryIp':
      case 'removeHostSecondaryIp':
      case 'removeIlbIp':
      case 'deleteWireGuard':
      case 'setPeer':
      case 'removePeer':
      case 'addPeerRoute':
      case 'removePeerRoute':
      case 'removeReplyRoute':
      case 'removeReplyRule':
        break;
    }
  }
  return blocked;
}
