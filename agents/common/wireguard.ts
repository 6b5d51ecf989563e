/**
 * One WireGuard driver, two implementations:
 *
 * - `kernel`: `ip link add <tmp> type wireguard` and `wg` over generic netlink (upstream's way).
 * - `userspace`: `wireguard-go <tmp>`, for hosts without the module (these test machines). It
 *   creates a TUN device and listens on the UAPI socket `/var/run/wireguard/<tmp>.sock`; `wg`
 *   finds that socket by name, from any network namespace.
 *
 * Both keep upstream's property that the device's UDP socket lives in the namespace the agent runs
 * in (the node's host namespace, where the ILB / node IP is) while the interface itself sits in the
 * gateway or pod namespace: the device is created in the agent's namespace under a temporary
 * "control name", moved with `ip link set … netns`, then renamed. A kernel WireGuard device keeps its
 * socket in the namespace it was created in. wireguard-go binds its UDP socket in its own (the
 * agent's) namespace when the device comes up, and notices "up" on a TUN that moved to another
 * namespace through its write-probe of the TUN fd (its netlink watcher only sees its own
 * namespace), so the same sequence works; the UDP socket then belongs to the wireguard-go process,
 * which outlives the agent process that started it.
 *
 * The control name is derived from (namespace, final name), so a restarted agent finds the UAPI
 * socket of a device it created earlier without storing anything. Private keys go to `wg` on stdin,
 * never through a file or an argument.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '../../shared/core/errors.js';
import { type CommandRunner, runChecked } from './commandRunner.js';
import { IpDriver } from './ip.js';

export type WireGuardMode = 'kernel' | 'userspace';

/** Where a WireGuard interface ends up: its namespace and final name (`wg-6000`, `wg0`). */
export interface WireGuardLinkRef {
  readonly netns: string;
  readonly name: string;
}

export interface WireGuardPeer {
  readonly publicKey: string;
  readonly endpoint?: string;
  readonly allowedIps: readonly string[];
}

/** What `wg show <dev> dump` reports about a device. */
export interface WireGuardDeviceState {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly listenPort: number;
  readonly peers: readonly (WireGuardPeer & {
    readonly latestHandshake: number;
    readonly rxBytes: number;
    readonly txBytes: number;
  })[];
}

export interface WireGuardDriver {
  readonly mode: WireGuardMode;
  /**
   * Creates the device with its UDP socket in the agent's namespace and its interface in
   * `ref.netns` as `ref.name` (down). On any failure everything it made is removed again.
   */
  createLink(ref: WireGuardLinkRef): Promise<void>;
  /** Deletes the interface (a wireguard-go process exits when its TUN goes away). */
  deleteLink(ref: WireGuardLinkRef): Promise<void>;
  /** The device's configuration, or undefined when it cannot be reached. */
  show(ref: WireGuardLinkRef): Promise<WireGuardDeviceState | undefined>;
  /** Sets the private key and, when given, the listen port. */
  configure(
    ref: WireGuardLinkRef,
    config: { readonly privateKey: string; readonly listenPort?: number },
  ): Promise<void>;
  /** Adds or updates a peer; its allowed IPs are replaced by the given ones. */
  setPeer(ref: WireGuardLinkRef, peer: WireGuardPeer): Promise<void>;
  removePeer(ref: WireGuardLinkRef, publicKey: string): Promise<void>;
}

/** The temporary / UAPI name of a device: ≤ 15 characters, unique per (namespace, name). */
export function wireGuardControlName(ref: WireGuardLinkRef): string {
  return `wg${createHash('sha256').update(`${ref.netns}/${ref.name}`).digest('hex').slice(0, 12)}`;
}

/** Parses `wg show <dev> dump` (tab-separated: one interface line, then one line per peer). */
export function parseWireGuardDump(dump: string): WireGuardDeviceState | undefined {
  const lines = dump.split('\n').filter((l) => l.trim() !== '');
  const head = lines[0]?.split('\t');
  if (head === undefined || head.length < 3) return undefined;
  const peers = lines.slice(1).map((line) => {
    const f = line.split('\t');
    const endpoint = f[2] ?? '(none)';
    const allowed = f[3] ?? '(none)';
    return {
      publicKey: f[0] ?? '',
      ...(endpoint === '(none)' ? {} : { endpoint }),
      allowedIps: allowed === '(none)' ? [] : allowed.split(',').filter((x) => x !== ''),
      latestHandshake: Number(f[4] ?? '0'),
      rxBytes: Number(f[5] ?? '0'),
      txBytes: Number(f[6] ?? '0'),
    };
  });
  return {
    privateKey: head[0] === '(none)' ? '' : (head[0] ?? ''),
    publicKey: head[1] === '(none)' ? '' : (head[1] ?? ''),
    listenPort: Number(head[2] ?? '0'),
    peers,
  };
}

/** A fresh key pair, made in memory (the private key is never written anywhere). */
export function generateWireGuardKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const d = privateKey.export({ format: 'jwk' }).d;
  const x = publicKey.export({ format: 'jwk' }).x;
  if (d === undefined || x === undefined) throw new Error('x25519 key export returned no key material');
  return {
    privateKey: Buffer.from(d, 'base64url').toString('base64'),
    publicKey: Buffer.from(x, 'base64url').toString('base64'),
  };
}

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The public key of a base64 WireGuard private key; throws on a malformed key. */
export function wireGuardPublicKey(privateKeyBase64: string): string {
  const raw = Buffer.from(privateKeyBase64.trim(), 'base64');
  if (raw.length !== 32) throw new Error('a WireGuard private key is 32 bytes of base64');
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, raw]),
    format: 'der',
    type: 'pkcs8',
  });
  const x = createPublicKey(key).export({ format: 'jwk' }).x;
  if (x === undefined) throw new Error('x25519 public key export failed');
  return Buffer.from(x, 'base64url').toString('base64');
}

abstract class BaseDriver implements WireGuardDriver {
  abstract readonly mode: WireGuardMode;
  protected readonly ipd: IpDriver;

  constructor(protected readonly runner: CommandRunner) {
    this.ipd = new IpDriver(runner);
  }

  /** Makes the device in the agent's namespace under `ctl`. */
  protected abstract spawnDevice(ctl: string): Promise<void>;
  /** How to run `wg` against the device. */
  protected abstract wg(ref: WireGuardLinkRef, args: readonly string[]): { cmd: string; args: string[] };

  async createLink(ref: WireGuardLinkRef): Promise<void> {
    const ctl = wireGuardControlName(ref);
    // Leftovers of an attempt that died halfway, in either namespace.
    await this.ipd.ipTry(['link', 'del', ctl]);
    await this.ipd.ipTry(['link', 'del', ctl], { netns: ref.netns });
    try {
      await this.spawnDevice(ctl);
      await this.ipd.ip(['link', 'set', ctl, 'netns', ref.netns]);
      await this.ipd.ip(['link', 'set', ctl, 'name', ref.name], { netns: ref.netns });
    } catch (e) {
      await this.ipd.ipTry(['link', 'del', ctl]);
      await this.ipd.ipTry(['link', 'del', ctl], { netns: ref.netns });
      throw e;
    }
  }

  async deleteLink(ref: WireGuardLinkRef): Promise<void> {
    await this.ipd.ipTry(['link', 'del', ref.name], { netns: ref.netns });
  }

  async show(ref: WireGuardLinkRef): Promise<WireGuardDeviceState | undefined> {
    const c = this.wg(ref, ['show', '', 'dump']);
    const r = await this.runner.run(c.cmd, c.args);
    return r.code === 0 ? parseWireGuardDump(r.stdout) : undefined;
  }

  async configure(
    ref: WireGuardLinkRef,
    config: { readonly privateKey: string; readonly listenPort?: number },
  ): Promise<void> {
    const args = ['set', '', 'private-key', '/dev/stdin'];
    if (config.listenPort !== undefined) args.push('listen-port', String(config.listenPort));
    const c = this.wg(ref, args);
    // `wg` opens /dev/stdin by path, which fails (ENXIO) when stdin is a socket, as Node's child
    // stdin is: `cat` turns it into a real pipe. The key never touches a file or an argument.
    await runChecked(this.runner, 'sh', ['-c', 'cat | "$@"', 'sh', c.cmd, ...c.args], {
      stdin: `${config.privateKey}\n`,
    });
  }

  async setPeer(ref: WireGuardLinkRef, peer: WireGuardPeer): Promise<void> {
    const args = ['set', '', 'peer', peer.publicKey];
    if (peer.endpoint !== undefined) args.push('endpoint', peer.endpoint);
    args.push('allowed-ips', peer.allowedIps.join(','));
    const c = this.wg(ref, args);
    await runChecked(this.runner, c.cmd, c.args);
  }

  async removePeer(ref: WireGuardLinkRef, publicKey: string): Promise<void> {
    const c = this.wg(ref, ['set', '', 'peer', publicKey, 'remove']);
    await runChecked(this.runner, c.cmd, c.args);
  }
}

/** In-kernel WireGuard: `wg` talks generic netlink inside the device's namespace. */
class KernelWireGuardDriver extends BaseDriver {
  readonly mode = 'kernel';

  protected async spawnDevice(ctl: string): Promise<void> {
    await this.ipd.ip(['link', 'add', ctl, 'type', 'wireguard']);
  }

  protected wg(ref: WireGuardLinkRef, args: readonly string[]): { cmd: string; args: string[] } {
    const a = args.map((x) => (x === '' ? ref.name : x));
    return { cmd: 'ip', args: ['netns', 'exec', ref.netns, 'wg', ...a] };
  }
}

/** wireguard-go: `wg` talks to its UAPI socket, named after the control name. */
class UserspaceWireGuardDriver extends BaseDriver {
  readonly mode = 'userspace';

  protected async spawnDevice(ctl: string): Promise<void> {
    // Without WG_PROCESS_FOREGROUND wireguard-go creates the TUN and the (listening) UAPI socket,
    // starts its background copy with both file descriptors and exits 0. An empty LOG_LEVEL makes
    // the background copy write to /dev/null instead of holding our pipes. WG_PROCESS_FOREGROUND
    // must be absent, not empty: the background copy gets "=1" appended to the environment, and
    // Go reads the first of duplicate keys.
    await runChecked(this.runner, 'wireguard-go', [ctl], {
      detached: true,
      env: { LOG_LEVEL: '' },
      unsetEnv: ['WG_PROCESS_FOREGROUND'],
    });
    // The background copy looks the TUN up by name in this namespace before it serves anything:
    // moved to another namespace before then, the lookup fails, the copy exits and the TUN is
    // gone (7 of 40 devices moved at once were lost on this machine). It accepts on the UAPI
    // socket only once the device is up, so one answered `wg show` means it is safe to move;
    // a copy that died refuses the connection and the create fails here, cleanly.
    await runChecked(this.runner, 'wg', ['show', ctl, 'listen-port']);
  }

  protected wg(ref: WireGuardLinkRef, args: readonly string[]): { cmd: string; args: string[] } {
    const ctl = wireGuardControlName(ref);
    return { cmd: 'wg', args: args.map((x) => (x === '' ? ctl : x)) };
  }
}

/** The driver for `mode`. */
export function createWireGuardDriver(mode: WireGuardMode, runner: CommandRunner): WireGuardDriver {
  return mode === 'kernel' ? new KernelWireGuardDriver(runner) : new UserspaceWireGuardDriver(runner);
}

/**
 * `auto` probes for the kernel module by creating (and deleting) a throw-away WireGuard link, and
 * falls back to wireguard-go; a forced mode is taken as given.
 * @throws ConfigError when neither is available.
 */
export async function selectWireGuardMode(
  wanted: WireGuardMode | 'auto',
  runner: CommandRunner,
): Promise<WireGuardMode> {
  if (wanted !== 'auto') return wanted;
  const probe = `egwgprobe${process.pid % 100000}`;
  if ((await runner.run('ip', ['link', 'add', probe, 'type', 'wireguard'])).code === 0) {
    await runner.run('ip', ['link', 'del', probe]);
    return 'kernel';
  }
  if ((await runner.run('wireguard-go', ['--version'])).code === 0) return 'userspace';
  throw new ConfigError('no WireGuard: the kernel module is missing and wireguard-go is not installed');
}
