/**
 * iproute2 (`ip`) driver: observation through `ip -json`, changes through plain `ip` commands, in the
 * agent's own network namespace or in a named one (`ip -n <netns>`). Named namespaces are the files
 * under /var/run/netns (what `ip netns add` and container runtimes create).
 */
import { type CommandRunner, runChecked } from './commandRunner.js';

/** An interface as `ip -d -json link show` reports it (only the fields egret reads). */
export interface LinkInfo {
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly ifalias?: string;
  readonly kind?: string;
  readonly mtu?: number;
}

/** One address of an interface. */
export interface AddressInfo {
  readonly ifname: string;
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixlen: number;
  readonly label?: string;
  readonly scope?: string;
}

/** One route as `ip -json route` reports it. `gateway` is an IPv4 next hop, `via6` an RTA_VIA IPv6 one. */
export interface RouteInfo {
  readonly dst: string;
  readonly dev?: string;
  readonly gateway?: string;
  readonly via6?: string;
  readonly scope?: string;
  readonly protocol?: string;
  readonly type?: string;
  readonly prefsrc?: string;
}

/** One policy-routing rule (`ip -4 rule`). */
export interface RuleInfo {
  readonly priority: number;
  readonly table: string;
  readonly fwmark?: string;
  readonly ipproto?: string;
  readonly sport?: number;
}

interface RawLink {
  ifname: string;
  flags?: string[];
  ifalias?: string;
  mtu?: number;
  linkinfo?: { info_kind?: string };
}
interface RawAddr {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number; label?: string; scope?: string }[];
}
interface RawRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  via?: { family: string; host: string };
  scope?: string;
  protocol?: string;
  type?: string;
  prefsrc?: string;
}

/** `dst` as a CIDR: `ip` prints host routes without `/32` and the default route as `default`. */
export function normalizeRouteDst(dst: string): string {
  if (dst === 'default') return '0.0.0.0/0';
  return dst.includes('/') ? dst : `${dst}/32`;
}

export class IpDriver {
  constructor(private readonly runner: CommandRunner) {}

  /** `ip [-n netns] <args>`; throws on failure. */
  async ip(args: readonly string[], options: { readonly netns?: string | undefined } = {}): Promise<string> {
    return runChecked(this.runner, 'ip', options.netns === undefined ? args : ['-n', options.netns, ...args]);
  }

  /** `ip` that may fail harmlessly (deleting what is already gone): returns whether it succeeded. */
  async ipTry(
    args: readonly string[],
    options: { readonly netns?: string | undefined } = {},
  ): Promise<boolean> {
    const full = options.netns === undefined ? args : ['-n', options.netns, ...args];
    return (await this.runner.run('ip', full)).code === 0;
  }

  async netnsExists(name: string): Promise<boolean> {
    const out = await this.ip(['-json', 'netns', 'list']);
    const list = out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]);
    return list.some((n) => n.name === name);
  }

  /** Creates a named network namespace unless it exists (safe to race with another creator). */
  async ensureNetns(name: string): Promise<void> {
    if (await this.netnsExists(name)) return;
    const r = await this.runner.run('ip', ['netns', 'add', name]);
    if (r.code !== 0 && !(await this.netnsExists(name))) await this.ip(['netns', 'add', name]);
  }

  async links(netns?: string): Promise<LinkInfo[]> {
    const out = await this.ip(['-d', '-json', 'link', 'show'], { netns });
    return (JSON.parse(out || '[]') as RawLink[]).map((l) => ({
      ifname: l.ifname,
      flags: l.flags ?? [],
      ...(l.ifalias === undefined ? {} : { ifalias: l.ifalias }),
      ...(l.mtu === undefined ? {} : { mtu: l.mtu }),
      ...(l.linkinfo?.info_kind === undefined ? {} : { kind: l.linkinfo.info_kind }),
    }));
  }

  async addresses(
    options: { readonly netns?: string | undefined; readonly dev?: string } = {},
  ): Promise<AddressInfo[]> {
    const args = ['-json', 'addr', 'show', ...(options.dev === undefined ? [] : ['dev', options.dev])];
    const r = await this.runner.run(
      'ip',
      options.netns === undefined ? args : ['-n', options.netns, ...args],
    );
    if (r.code !== 0) {
      if (/does not exist|Cannot find device/i.test(r.stderr)) return [];
      await this.ip(args, options);
    }
    const out: AddressInfo[] = [];
    for (const l of JSON.parse(r.stdout || '[]') as RawAddr[]) {
      for (const a of l.addr_info ?? []) {
        if (a.family !== 'inet' && a.family !== 'inet6') continue;
        out.push({
          ifname: l.ifname,
          family: a.family,
          local: a.local,
          prefixlen: a.prefixlen,
          ...(a.label === undefined ? {} : { label: a.label }),
          ...(a.scope === undefined ? {} : { scope: a.scope }),
        });
      }
    }
    return out;
  }

  /** IPv4 routes of a table (default: main). */
  async routes(
    options: { readonly netns?: string | undefined; readonly table?: string | number } = {},
  ): Promise<RouteInfo[]> {
    const args = ['-4', '-json', 'route', 'show', 'table', String(options.table ?? 'main')];
    const r = await this.runner.run(
      'ip',
      options.netns === undefined ? args : ['-n', options.netns, ...args],
    );
    if (r.code !== 0) {
      // An empty, never-used table is reported as an error by some iproute2 versions.
      if (/table id|FIB table does not exist/i.test(r.stderr)) return [];
      await this.ip(args, options);
    }
    return (JSON.parse(r.stdout || '[]') as RawRoute[]).map((x) => ({
      dst: normalizeRouteDst(x.dst),
      ...(x.dev === undefined ? {} : { dev: x.dev }),
      ...(x.gateway === undefined ? {} : { gateway: x.gateway }),
      ...(x.via?.family === 'inet6' ? { via6: x.via.host } : {}),
      ...(x.scope === undefined ? {} : { scope: x.scope }),
      ...(x.protocol === undefined ? {} : { protocol: x.protocol }),
      ...(x.type === undefined ? {} : { type: x.type }),
      ...(x.prefsrc === undefined ? {} : { prefsrc: x.prefsrc }),
    }));
  }

  /** Policy routing rules (`ip -4 rule`). */
  async rules(netns?: string): Promise<RuleInfo[]> {
    const out = await this.ip(['-4', '-json', 'rule', 'show'], { netns });
    return (JSON.parse(out || '[]') as RuleInfo[]).map((r) => ({
      priority: r.priority,
      table: r.table,
      ...(r.fwmark === undefined ? {} : { fwmark: r.fwmark }),
      ...(r.ipproto === undefined ? {} : { ipproto: r.ipproto }),
      ...(r.sport === undefined ? {} : { sport: r.sport }),
    }));
  }

  /**
   * Sets a sysctl (`net.ipv4.ip_forward` style key) by writing /proc/sys, in a named namespace when
   * given: net.* values are per namespace, and /proc/sys/net shows the writer's namespace. Written
   * directly rather than through sysctl(8), which minimal images lack.
   */
  async sysctl(key: string, value: string, netns?: string): Promise<void> {
    const path = `/proc/sys/${key.replace(/\./g, '/')}`;
    const write = ['sh', '-c', 'printf %s "$1" > "$0"', path, value];
    if (netns === undefined) await runChecked(this.runner, write[0] ?? 'sh', write.slice(1));
    else await runChecked(this.runner, 'ip', ['netns', 'exec', netns, ...write]);
  }

  /** Reads a sysctl the same way. */
  async readSysctl(key: string, netns?: string): Promise<string> {
    const path = `/proc/sys/${key.replace(/\./g, '/')}`;
    const out =
      netns === undefined
        ? await runChecked(this.runner, 'cat', [path])
        : await runChecked(this.runner, 'ip', ['netns', 'exec', netns, 'cat', path]);
    return out.trim();
  }
}
