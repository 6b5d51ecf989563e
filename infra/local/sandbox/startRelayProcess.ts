/**
 * Runs the relay the way its Deployment does: as its own process (`node dist/agents/relay/main.js`,
 * or the source through tsx for tests), configured only through the environment variables the
 * Deployment sets (agents/relay/relayConfig.ts), talking to the Kubernetes API through a kubeconfig and
 * to the control plane over HTTP. A separate process is what makes "relay restarted" and "leader
 * killed" real: SIGTERM runs the relay's graceful shutdown (it releases its Lease), SIGKILL leaves the
 * Lease held until it expires, exactly as a vanished pod does.
 *
 * The parent kills every relay it started when it exits (normal exit, uncaught error), so no relay
 * outlives the sandbox; only a SIGKILL of the parent itself could leave one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** One JSON log line of the relay (agents/common/logger.ts). */
export interface RelayLogLine {
  readonly time?: string;
  readonly level?: string;
  readonly component?: string;
  readonly message?: string;
  readonly [field: string]: unknown;
}

/** Options of {@link startRelayProcess}. */
export interface RelayProcessOptions {
  /** The repository root (where `dist/` and `agents/` are). */
  readonly repoRoot: string;
  /** `built` runs the relay image's bundle, dist/images/relay/dist/agents/relay/main.js (what the image runs); `source` runs the TypeScript through tsx. */
  readonly entry: 'built' | 'source';
  /** MY_POD_NAME: the replica's identity in the Lease. */
  readonly identity: string;
  /** MY_POD_NAMESPACE: where the key Secrets and the Lease live. */
  readonly namespace: string;
  /** EGRET_CONTROL_PLANE_URL (the Functions host's base URL). */
  readonly controlPlaneUrl: string;
  /** EGRET_CLUSTER_ID. */
  readonly clusterId: string;
  /** EGRET_SHARED_SECRET: must equal the control plane's RELAY_SHARED_SECRET. */
  readonly sharedSecret: string;
  /** KUBECONFIG. */
  readonly kubeconfigPath: string;
  /** More relay settings by environment variable name (e.g. STATUS_POLL_INTERVAL_SECONDS). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Called with every log line (parsed JSON; a line that is not JSON arrives as `{ message }`). */
  readonly onLog?: (line: RelayLogLine) => void;
  /** How long the relay may take to serve /readyz (default 60 s). */
  readonly readyTimeoutMs?: number;
}

/** A running relay process. */
export interface RelayProcess {
  readonly identity: string;
  readonly pid: number;
  /** `http://127.0.0.1:<port>`: /healthz, /readyz, /metrics. */
  readonly metricsUrl: string;
  /** Every log line so far. */
  readonly logs: readonly RelayLogLine[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** SIGTERM (graceful: the relay releases its Lease) and waits; SIGKILL after `timeoutMs` (default 20 s). */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** SIGKILL and waits: no shutdown, the Lease stays held until it expires. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts a relay process and resolves once it is ready (its informers have listed: /readyz answers
 * 200). Rejects, and leaves nothing running, when it exits or is not ready in time.
 */
export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const args =
    options.entry === 'built'
      ? [join(options.repoRoot, 'dist', 'images', 'relay', 'dist', 'agents', 'relay', 'main.js')]
      : ['--import', 'tsx', join(options.repoRoot, 'agents', 'relay', 'main.ts')];
  const script = args[args.length - 1]!;
  if (!existsSync(script))
    throw new Error(
      `${script} does not exist${options.entry === 'built' ? ' (run npm run build: it writes the relay image bundle, scripts/packageImages.ts)' : ''}`,
    );
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    EGRET_CONTROL_PLANE_URL: options.controlPlaneUrl,
    EGRET_CLUSTER_ID: options.clusterId,
    EGRET_SHARED_SECRET: options.sharedSecret,
    MY_POD_NAMESPACE: options.namespace,
    MY_POD_NAME: options.identity,
    KUBECONFIG: options.kubeconfigPath,
    METRICS_BIND_ADDRESS: '127.0.0.1',
    METRICS_PORT: '0',
    ...options.settings,
  };
  const child = spawn(process.execPath, args, {
    cwd: options.repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  const logs: RelayLogLine[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let port: number | undefined;
  let buffer = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const text = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (text.trim() === '') continue;
      let line: RelayLogLine;
      try {
        line = JSON.parse(text) as RelayLogLine;
      } catch {
        line = { message: text };
      }
      if (typeof line['port'] === 'number' && line.message?.startsWith('serving ') === true)
        port = line['port'];
      logs.push(line);
      options.onLog?.(line);
    }
  });

  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const signalAndWait = async (signal: NodeJS.Signals, timeoutMs: number): Promise<void> => {
    if (hasExited()) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const handle: RelayProcess = {
    identity: options.identity,
    pid: child.pid ?? -1,
    get metricsUrl() {
      return `http://127.0.0.1:${port ?? 0}`;
    },
    logs,
    exited,
    hasExited,
    stop: (o) => signalAndWait('SIGTERM', o?.timeoutMs ?? 20_000),
    kill: () => signalAndWait('SIGKILL', 10_000),
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (hasExited()) {
      const { code, signal } = await exited;
      throw new Error(
        `relay ${options.identity} exited (code ${String(code)}, signal ${String(signal)}) before it was ready:\n${logs
          .slice(-10)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    }
    if (port !== undefined && (await isReady(`http://127.0.0.1:${port}/readyz`))) return handle;
    if (Date.now() > deadline) {
      await handle.kill();
      throw new Error(
        `relay ${options.identity} was not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${logs
          .slice(-10)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function isReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: 'exit' listeners cannot wait. A relay left behind would keep retrying
  // against a Kubernetes API that is gone.
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}
