/**
 * A container runtime's CNI side, as libcni does it (containerd's CRI plugin, CRI-O): the
 * alphabetically first configuration file in the conf dir is the network; ADD runs its plugins in
 * order, each with the list's `name` and `cniVersion`, the previous plugin's result as `prevResult`
 * and, for every capability the plugin declares and the runtime has, `runtimeConfig[capability]`;
 * DEL runs them in reverse with the cached ADD result. Plugins are real executables found on
 * CNI_PATH (containernetworking-plugins' bridge, host-local, portmap; egret-cni as the agent installed
 * it), run in the node's network namespace with the CNI_* environment.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CniPod {
  readonly namespace: string;
  readonly name: string;
  readonly containerId: string;
  /** A named network namespace path: /var/run/netns/<name>. */
  readonly netnsPath: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ChainOutcome {
  readonly ok: boolean;
  /** The file the runtime used. */
  readonly file: string;
  /** Plugin types run, in order. */
  readonly ran: readonly string[];
  /** The last result (ADD) or the failing plugin's CNI error. */
  readonly output: Record<string, unknown>;
  readonly stderr: string;
}

interface ConfList {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: readonly Record<string, unknown>[];
}

export class CniRuntime {
  private readonly cache = new Map<string, unknown>();

  constructor(
    private readonly o: {
      readonly confDir: string;
      readonly cniPath: readonly string[];
      /** The node's network namespace (plugins run there). */
      readonly nodeNetns: string;
      /** Pass pod annotations to plugins declaring `io.kubernetes.cri.pod-annotations` (containerd ≥ 1.5, CRI-O). */
      readonly passAnnotations: boolean;
      readonly env?: Readonly<Record<string, string>>;
    },
  ) {}

  /** The network configuration the runtime loads now. */
  activeConflist(): { readonly file: string; readonly list: ConfList } {
    const file = readdirSync(this.o.confDir)
      .filter((f) => /\.(conflist|conf|json)$/.test(f))
      .sort()[0];
    if (file === undefined) throw new Error(`no CNI configuration in ${this.o.confDir}`);
    return { file, list: JSON.parse(readFileSync(join(this.o.confDir, file), 'utf8')) as ConfList };
  }

  async add(pod: CniPod): Promise<ChainOutcome> {
    const { file, list } = this.activeConflist();
    let prev: unknown;
    const ran: string[] = [];
    let stderr = '';
    for (const plugin of list.plugins) {
      ran.push(String(plugin.type));
      const r = await this.exec('ADD', pod, this.netConf(list, plugin, pod, prev));
      stderr += r.stderr;
      if (r.code !== 0) return { ok: false, file, ran, output: parse(r.stdout), stderr };
      prev = parse(r.stdout);
    }
    this.cache.set(pod.containerId, { file, list, prev });
    return { ok: true, file, ran, output: prev as Record<string, unknown>, stderr };
  }

  /** DEL with the configuration and result cached at ADD (as libcni does), in reverse order. */
  async del(pod: CniPod): Promise<ChainOutcome> {
    const cached = this.cache.get(pod.containerId) as
      { file: string; list: ConfList; prev: unknown } | undefined;
    const { file, list } = cached ?? this.activeConflist();
    const ran: string[] = [];
    let stderr = '';
    for (const plugin of [...list.plugins].reverse()) {
      ran.push(String(plugin.type));
      const r = await this.exec('DEL', pod, this.netConf(list, plugin, pod, cached?.prev));
      stderr += r.stderr;
      if (r.code !== 0) return { ok: false, file, ran, output: parse(r.stdout), stderr };
    }
    this.cache.delete(pod.containerId);
    return { ok: true, file, ran, output: {}, stderr };
  }

  private netConf(
    list: ConfList,
    plugin: Record<string, unknown>,
    pod: CniPod,
    prev: unknown,
  ): Record<string, unknown> {
    const caps = (plugin.capabilities ?? {}) as Record<string, unknown>;
    const runtimeConfig: Record<string, unknown> = {};
    if (this.o.passAnnotations && caps['io.kubernetes.cri.pod-annotations'] === true)
      runtimeConfig['io.kubernetes.cri.pod-annotations'] = pod.annotations;
    if (caps.portMappings === true) runtimeConfig.portMappings = [];
    return {
      ...plugin,
      cniVersion: list.cniVersion,
      name: list.name,
      ...(Object.keys(runtimeConfig).length === 0 ? {} : { runtimeConfig }),
      ...(prev === undefined ? {} : { prevResult: prev }),
    };
  }

  private exec(
    command: 'ADD' | 'DEL',
    pod: CniPod,
    conf: Record<string, unknown>,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const type = String(conf.type);
    const bin = this.o.cniPath.map((d) => join(d, type)).find((p) => existsSync(p));
    if (bin === undefined)
      return Promise.resolve({
        code: 1,
        stdout: JSON.stringify({ code: 100, msg: `plugin ${type} not found on CNI_PATH` }),
        stderr: '',
      });
    return new Promise((resolve) => {
      const child = spawn('nsenter', [`--net=/var/run/netns/${this.o.nodeNetns}`, '--', bin], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...this.o.env,
          CNI_COMMAND: command,
          CNI_CONTAINERID: pod.containerId,
          CNI_NETNS: pod.netnsPath,
          CNI_IFNAME: 'eth0',
          CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
          CNI_PATH: this.o.cniPath.join(':'),
        },
        cwd: '/',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(JSON.stringify(conf));
    });
  }
}

function parse(s: string): Record<string, unknown> {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return { raw: s };
  }
}
