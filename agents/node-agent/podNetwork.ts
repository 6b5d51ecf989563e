/**
 * A gateway-annotated pod's network, as data (pure): which routes its namespace gets and the
 * ingress-reply rule set. Upstream's SetPodRoutes + addRoutingForIngress (reference §5.4).
 */
import { parseCidrClearingHostBits } from '../../shared/core/cidr.js';
import type { DefaultRoute } from '../../shared/core/staticGatewayConfiguration.js';
import type { RouteInfo } from '../common/ip.js';

/** The pod's WireGuard interface. */
export const POD_WIREGUARD_LINK = 'wg0';
/** Next hop every pod route through the tunnel uses (the gateway's link-local tunnel address). */
export const GATEWAY_TUNNEL_NEXT_HOP = 'fe80::1';
/** fwmark and routing table of replies to inbound connections (upstream 8738 = 0x2222). */
export const POD_INGRESS_MARK = 0x2222;
/** nftables table egret owns inside the pod's namespace. */
export const POD_NFT_TABLE = 'egret-pod';

export type PodRouteChange =
  | { readonly kind: 'delete'; readonly dst: string; readonly dev: string }
  | {
      readonly kind: 'add';
      readonly dst: string;
      readonly dev: string;
      readonly via?: string;
      readonly via6?: string;
      readonly scopeLink?: boolean;
      readonly table?: number;
      /** An IPv6 route (`ip -6`); IPv4 when absent. */
      readonly ipv6?: true;
    };

/** CIDRs split by family, canonical (host bits zero), sorted and distinct; `unusable` are not CIDRs. */
export interface CidrsByFamily {
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly unusable: readonly string[];
}

/** Splits CIDR texts by family (what `ip` needs to know before it is run, not after it fails). */
export function cidrsByFamily(cidrs: readonly string[]): CidrsByFamily {
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  const unusable = new Set<string>();
  for (const text of cidrs) {
    // Host bits set: the network it names, as the validator normalised it (with a warning).
    const parsed = parseCidrClearingHostBits(text.trim());
    if (parsed.kind === 'invalid') unusable.add(text);
    else (parsed.cidr.family === 4 ? ipv4 : ipv6).add(parsed.cidr.text);
  }
  return { ipv4: [...ipv4].sort(), ipv6: [...ipv6].sort(), unusable: [...unusable].sort() };
}

/**
 * Route changes for the pod namespace's main table, plus the ingress table.
 *
 * - `staticEgressGateway`: every eth0 route goes; `<gw>/32 dev eth0 scope link`; default
 *   `via inet6 fe80::1 dev wg0` (RTA_VIA: an IPv4 route with an IPv6 next hop — works on
 *   wireguard-go's TUN as on a kernel device, checked by the data-path tests); each exception
 *   (configuration `excludeCidrs` + node exceptions + cluster CIDRs) `via <gw> dev eth0`.
 * - `azureNetworking`: eth0 routes stay; only the configuration's `excludeCidrs` go through wg0
 *   (upstream's reading of `excludeCidrs` in this mode).
 * - Both: table 0x2222 `default via <gw> dev eth0` for replies to inbound connections.
 *
 * IPv6 entries (the API accepts them, as upstream's does): the tunnel carries IPv4 only (the gateways
 * SNAT to IPv4 secondary addresses; Azure gives them no IPv6 egress) and egret leaves the pod's IPv6
 * routes alone. So in `staticEgressGateway` an IPv6 exception already bypasses the gateway and needs no
 * route; in `azureNetworking` an IPv6 destination the user sends "through the gateway" is routed
 * `ip -6 … via fe80::1 dev wg0`, where the IPv4-only peer drops it: it fails closed rather than leave
 * from the pod's own address. Upstream routes `<v6> via <IPv4 gateway>`, which netlink refuses, and
 * every pod of the configuration fails its ADD. Entries that are no CIDR at all are skipped (the
 * validator names them on the configuration's status); none of them fails an ADD.
 */
export function planPodRoutes(input: {
  readonly mode: DefaultRoute;
  readonly eth0: string;
  readonly gateway: string;
  readonly eth0Routes: readonly RouteInfo[];
  readonly excludeCidrs: readonly string[];
  readonly nodeExceptionCidrs: readonly string[];
  readonly clusterCidrs: readonly string[];
}): PodRouteChange[] {
  const { eth0, gateway } = input;
  const out: PodRouteChange[] = [];
  if (input.mode === 'staticEgressGateway') {
    for (const r of input.eth0Routes) if (r.dev === eth0) out.push({ kind: 'delete', dst: r.dst, dev: eth0 });
    out.push({ kind: 'add', dst: `${gateway}/32`, dev: eth0, scopeLink: true });
    out.push({ kind: 'add', dst: '0.0.0.0/0', dev: POD_WIREGUARD_LINK, via6: GATEWAY_TUNNEL_NEXT_HOP });
    const exceptions = cidrsByFamily([
      ...input.excludeCidrs,
      ...input.nodeExceptionCidrs,
      ...input.clusterCidrs,
    ]).ipv4;
    for (const cidr of exceptions) out.push({ kind: 'add', dst: cidr, dev: eth0, via: gateway });
  } else {
    const through = cidrsByFamily(input.excludeCidrs);
    for (const cidr of through.ipv4)
      out.push({ kind: 'add', dst: cidr, dev: POD_WIREGUARD_LINK, via6: GATEWAY_TUNNEL_NEXT_HOP });
    for (const cidr of through.ipv6)
      out.push({
        kind: 'add',
        dst: cidr,
        dev: POD_WIREGUARD_LINK,
        via6: GATEWAY_TUNNEL_NEXT_HOP,
        ipv6: true,
      });
  }
  out.push({ kind: 'add', dst: '0.0.0.0/0', dev: eth0, via: gateway, table: POD_INGRESS_MARK });
  return out;
}

/** `ip route` arguments of a change. */
export function routeArgs(c: PodRouteChange): string[] {
  if (c.kind === 'delete') return ['route', 'del', c.dst, 'dev', c.dev];
  if (c.ipv6 === true) {
    const v6 = ['-6', 'route', 'replace', c.dst];
    if (c.via6 !== undefined) v6.push('via', c.via6);
    v6.push('dev', c.dev);
    if (c.table !== undefined) v6.push('table', String(c.table));
    return v6;
  }
  const args = ['route', 'replace', c.dst];
  if (c.via !== undefined) args.push('via', c.via);
  if (c.via6 !== undefined) args.push('via', 'inet6', c.via6);
  args.push('dev', c.dev);
  if (c.scopeLink === true) args.push('scope', 'link');
  if (c.table !== undefined) args.push('table', String(c.table));
  return args;
}

/**
 * Replies to connections that came in on eth0 leave through eth0 again, whatever the default route
 * says (otherwise a reply would go through the tunnel and be SNATed on the gateway). Connections
 * that are new on eth0 get conntrack mark 0x2222; packets of those connections that the pod sends
 * get fwmark 0x2222 in a `route` chain (so they are routed again) and the fwmark rule sends them to
 * table 0x2222. Upstream marks every eth0 packet with iptables MARK/CONNMARK; marking only new
 * connections leaves replies to the pod's own outbound connections alone.
 */
export function renderPodIngressRules(eth0: string): string {
  const mark = `0x${POD_INGRESS_MARK.toString(16)}`;
  return (
    `\tchain prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n` +
    `\t\tiifname "${eth0}" ct state new ct mark set ${mark}\n\t}\n` +
    `\tchain output {\n\t\ttype route hook output priority mangle; policy accept;\n` +
    `\t\tct mark ${mark} meta mark set ${mark}\n\t}\n`
  );
}
