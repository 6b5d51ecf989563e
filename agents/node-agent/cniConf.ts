/**
 * Chains egret-cni into the node's CNI configuration, the way upstream's cni-manager does: the
 * alphabetically first `*.conflist|*.conf|*.json` in the conf dir (other than egret's own file) is the
 * main plugin's; egret writes a copy of it with its own plugin inserted right after the main plugin
 * as `01-egret.conflist`, which sorts first and so is the one the runtime uses. The main file is never
 * edited: when the main plugin rewrites it, egret regenerates its copy (file events + periodic
 * resync); uninstalling is deleting egret's file. Every write is a temp file + rename.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ValidationError, errorMessage } from '../../shared/core/errors.js';
import type { Logger } from '../common/logger.js';
import { EGRET_CNI_TYPE, POD_ANNOTATIONS_CAPABILITY } from './cni/cniProtocol.js';

/** egret's entry in the chain (the plugin's configuration; see cni/egretCni.ts). */
export interface EgretPluginEntry {
  readonly type: typeof EGRET_CNI_TYPE;
  readonly socketPath: string;
  readonly timeoutMs: number;
  /** The agent touches this file on every sync; the plugin reads its age when the agent is unreachable. */
  readonly heartbeatFile: string;
  /** A heartbeat older than this means egret was removed from the node: pods pass through. */
  readonly agentGoneAfterSeconds: number;
  /** Asks the runtime for the pod's annotations, so un-annotated pods never need the agent. */
  readonly capabilities: { readonly [POD_ANNOTATIONS_CAPABILITY]: true };
}

/** The chain entry for the agent's settings. */
export function egretPluginEntry(o: {
  readonly socketPath: string;
  readonly heartbeatFile: string;
  readonly agentGoneAfterSeconds: number;
}): EgretPluginEntry {
  return {
    type: EGRET_CNI_TYPE,
    socketPath: o.socketPath,
    timeoutMs: 20_000,
    heartbeatFile: o.heartbeatFile,
    agentGoneAfterSeconds: o.agentGoneAfterSeconds,
    capabilities: { [POD_ANNOTATIONS_CAPABILITY]: true },
  };
}

/** Picks the main plugin's file: first by name among conf files, egret's own file excluded. */
export function pickSourceConf(fileNames: readonly string[], ownFile: string): string | undefined {
  return [...fileNames]
    .filter((f) => f !== ownFile && /\.(conflist|conf|json)$/.test(f) && !f.startsWith('.'))
    .sort()[0];
}

/**
 * The chained conflist for a main file's content: a `.conflist` gets egret inserted at index 1
 * (any earlier egret entry removed); a single-plugin `.conf` is wrapped into a list first.
 * @throws ValidationError when the main file is not a CNI configuration.
 */
export function buildChainedConflist(
  source: { readonly fileName: string; readonly content: string },
  entry: EgretPluginEntry,
): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(source.content) as Record<string, unknown>;
  } catch (e) {
    throw new ValidationError([{ field: source.fileName, message: `not JSON: ${errorMessage(e)}` }]);
  }
  let list: Record<string, unknown>;
  if (Array.isArray(parsed.plugins)) list = { ...parsed };
  else if (typeof parsed.type === 'string') {
    const { name, cniVersion, ...plugin } = parsed;
    list = { name, cniVersion, plugins: [plugin] };
  } else
    throw new ValidationError([
      { field: source.fileName, message: 'neither a conflist (plugins[]) nor a plugin conf (type)' },
    ]);
  const plugins = (list.plugins as Record<string, unknown>[]).filter((p) => p.type !== EGRET_CNI_TYPE);
  if (plugins.length === 0)
    throw new ValidationError([{ field: source.fileName, message: 'has no main plugin' }]);
  list.plugins = [plugins[0], { ...entry }, ...plugins.slice(1)];
  return `${JSON.stringify(list, null, 2)}\n`;
}

/** Writes `content` to `path` atomically (temp file in the same directory, then rename). */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  const tmp = `${path}.egret-tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** The `egret-cni` executable: a shell wrapper that runs the plugin with the node runtime. */
export function renderPluginWrapper(command: readonly string[]): string {
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return `#!/bin/sh\n# egret-cni: chained CNI plugin (installed by the egret node agent).\nexec ${quoted} "$@"\n`;
}

export class CniConfInstaller {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      readonly confDir: string;
      readonly confFile: string;
      readonly binDir: string;
      readonly pluginCommand: readonly string[];
      readonly entry: EgretPluginEntry;
      readonly resyncMs: number;
      readonly log: Logger;
      readonly onError?: () => void;
      /**
       * Upstream's cni-uninstall switch, read on every sync: while it says so, egret's conflist is
       * removed and not written again (the agent stays up but out of the chain, and not ready).
       */
      readonly uninstallRequested?: () => boolean;
    },
  ) {}

  private uninstalled = false;

  /** True once the uninstall switch took egret out of the chain. */
  get isUninstalled(): boolean {
    return this.uninstalled;
  }

  get confPath(): string {
    return join(this.options.confDir, this.options.confFile);
  }

  /** Installs the plugin executable and (re)writes the chained conflist when it differs. */
  sync(): 'written' | 'unchanged' | 'no-source' | 'uninstalled' {
    const o = this.options;
    if (o.uninstallRequested?.() === true) {
      if (!this.uninstalled) o.log.info('CNI uninstall requested: conflist removed', { file: this.confPath });
      this.uninstall();
      this.uninstalled = true;
      return 'uninstalled';
    }
    this.uninstalled = false;
    this.touchHeartbeat();
    const bin = join(o.binDir, EGRET_CNI_TYPE);
    const wrapper = renderPluginWrapper(o.pluginCommand);
    if (!existsSync(bin) || readFileSync(bin, 'utf8') !== wrapper) writeFileAtomic(bin, wrapper, 0o755);
    const source = pickSourceConf(readdirSync(o.confDir), o.confFile);
    if (source === undefined) {
      // Without a main plugin egret's copy would be the only network: remove it.
      rmSync(this.confPath, { force: true });
      return 'no-source';
    }
    const content = buildChainedConflist(
      { fileName: source, content: readFileSync(join(o.confDir, source), 'utf8') },
      o.entry,
    );
    if (existsSync(this.confPath) && readFileSync(this.confPath, 'utf8') === content) return 'unchanged';
    writeFileAtomic(this.confPath, content);
    o.log.info('CNI configuration written', { file: this.confPath, from: source });
    return 'written';
  }

  /** Refreshes the heartbeat file the plugin reads when the agent does not answer. */
  private touchHeartbeat(): void {
    const file = this.options.entry.heartbeatFile;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${process.pid}\n`);
  }

  /** Keeps the conflist in sync: directory events (debounced) and a periodic resync. */
  start(): void {
    const run = (): void => {
      try {
        this.sync();
      } catch (e) {
        this.options.onError?.();
        this.options.log.warn('CNI configuration sync failed', { error: errorMessage(e) });
      }
    };
    run();
    this.watcher = watch(this.options.confDir, (_event, file) => {
      if (file === this.options.confFile || (file?.includes('.egret-tmp-') ?? false)) return;
      if (this.debounce !== undefined) clearTimeout(this.debounce);
      this.debounce = setTimeout(run, 50);
    });
    this.timer = setInterval(run, this.options.resyncMs);
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
  }

  /**
   * Takes egret out of the chain by deleting its conflist. The plugin executable stays: runtimes
   * replay a sandbox's cached configuration on DEL, and a missing binary would keep pods created
   * before the uninstall from ever being deleted (egret-cni's DEL succeeds without an agent).
   */
  uninstall(): void {
    rmSync(this.confPath, { force: true });
  }
}
