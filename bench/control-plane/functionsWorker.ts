/**
 * The Functions worker of the end-to-end bench, as its own process (so its memory is its own): the
 * local Functions host (infra/local/functions-host) serving the control plane's functions from source,
 * driven by the bench over IPC. It counts what the functions report in their log lines — reconcile
 * results (rounds, passes, writes), armEvents outcomes, relayEvents requests — and answers:
 * `memory` (after a GC), `idle`, `stats`, `resetStats`, `invokeTimer`, `stop`.
 *
 * Started by `controlPlaneWorld.ts` with `fork` and `--import tsx --expose-gc`; the first IPC message
 * is `{ type: 'start', settings, hostJson, modules }`, answered `{ type: 'ready', baseUrl }`.
 */
import {
  startFunctionsHost,
  type FunctionsHost,
  type HostLogEntry,
} from '../../infra/local/functions-host/startFunctionsHost.js';

/** What the worker counted since the last `resetStats`. */
export interface WorkerStats {
  /** Invocations per function name, by outcome. */
  readonly invocations: Record<string, { succeeded: number; failed: number }>;
  readonly reconcile: {
    /** Results by kind: clean | busy | reconciled | retrying | lease-lost. */
    readonly results: Record<string, number>;
    rounds: number;
    passes: number;
    /** ARM writes the reconciles attempted (their own count). */
    writes: number;
  };
  readonly armEvents: {
    /** Events that enqueued at least one pool. */
    enqueued: number;
    /** Reconcile messages those events enqueued (one per pool per event). */
    messages: number;
    duplicates: number;
    ignored: number;
    invalid: number;
  };
  readonly relayEvents: { requests: number; events: number; messages: number };
  /** Reconcile messages re-enqueued by a busy reconcile (delayed until the lease expires). */
  busyRequeues: number;
  warnings: number;
  errors: number;
  /** The last few warning/error lines. */
  readonly lastProblems: string[];
}

/** A memory sample of this process. */
export interface WorkerMemory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  /** Peak resident set size since the process started. */
  readonly maxRssBytes: number;
  readonly collected: boolean;
}

export type WorkerCommand =
  | { readonly id: number; readonly cmd: 'memory' }
  | { readonly id: number; readonly cmd: 'idle' }
  | { readonly id: number; readonly cmd: 'stats' }
  | { readonly id: number; readonly cmd: 'resetStats' }
  | { readonly id: number; readonly cmd: 'invokeTimer'; readonly name: string }
  | { readonly id: number; readonly cmd: 'stop' };

export interface WorkerStart {
  readonly type: 'start';
  readonly settings: Readonly<Record<string, string>>;
  readonly hostJson: unknown;
  readonly modules: readonly string[];
}

function emptyStats(): WorkerStats {
  return {
    invocations: {},
    reconcile: { results: {}, rounds: 0, passes: 0, writes: 0 },
    armEvents: { enqueued: 0, messages: 0, duplicates: 0, ignored: 0, invalid: 0 },
    relayEvents: { requests: 0, events: 0, messages: 0 },
    busyRequeues: 0,
    warnings: 0,
    errors: 0,
    lastProblems: [],
  };
}

let stats = emptyStats();

/** `<message> <json fields>` as shared/adapters/system/createLineLogger.ts writes it. */
function fieldsOf(line: string): Record<string, unknown> {
  const at = line.indexOf(' {');
  if (at < 0) return {};
  try {
    return JSON.parse(line.slice(at + 1)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function count(entry: HostLogEntry): void {
  const line = entry.message;
  if (entry.level === 'warning' || entry.level === 'error' || entry.level === 'critical') {
    if (entry.level === 'warning') stats.warnings++;
    else stats.errors++;
    stats.lastProblems.push(`${entry.level}: ${line.slice(0, 300)}`);
    if (stats.lastProblems.length > 5) stats.lastProblems.shift();
  }
  if (line.startsWith('reconcile: ')) {
    const kind = /^reconcile: ([a-z-]+)/.exec(line)?.[1];
    if (kind === undefined) return;
    if (!['clean', 'busy', 'reconciled', 'retrying', 'lease-lost'].includes(kind)) {
      if (kind === 'lease') stats.busyRequeues++; // "reconcile: lease held by another worker; …"
      return;
    }
    const result = fieldsOf(line)['result'] as
      { rounds?: number; passes?: number; writes?: number } | undefined;
    if (result === undefined) return; // the use case's own "reconcile: pool clean" line
    stats.reconcile.results[kind] = (stats.reconcile.results[kind] ?? 0) + 1;
    stats.reconcile.rounds += result.rounds ?? 0;
    stats.reconcile.passes += result.passes ?? 0;
    stats.reconcile.writes += result.writes ?? 0;
  } else if (line.startsWith('armEvents: pools enqueued')) {
    const pools = fieldsOf(line)['pools'];
    stats.armEvents.enqueued++;
    stats.armEvents.messages += Array.isArray(pools) ? pools.length : 0;
  } else if (line.startsWith('armEvents: duplicate')) stats.armEvents.duplicates++;
  else if (line.startsWith('armEvents: event ignored')) stats.armEvents.ignored++;
  else if (line.startsWith('armEvents: malformed')) stats.armEvents.invalid++;
  else if (line.startsWith('relayEvents: accepted')) {
    const f = fieldsOf(line);
    stats.relayEvents.requests++;
    stats.relayEvents.events += typeof f['events'] === 'number' ? f['events'] : 0;
    stats.relayEvents.messages += Array.isArray(f['pools']) ? f['pools'].length : 0;
  }
}

function memory(): WorkerMemory {
  const collected = typeof globalThis.gc === 'function';
  if (collected) {
    globalThis.gc?.();
    globalThis.gc?.();
  }
  const m = process.memoryUsage();
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    collected,
  };
}

function send(message: unknown): void {
  process.send?.(message);
}

let host: FunctionsHost | undefined;

async function handle(command: WorkerCommand): Promise<unknown> {
  if (host === undefined) throw new Error('the Functions host is not running');
  switch (command.cmd) {
    case 'memory':
      return memory();
    case 'idle':
      await host.idle();
      return null;
    case 'stats':
      return stats;
    case 'resetStats':
      stats = emptyStats();
      return null;
    case 'invokeTimer':
      await host.invokeTimer(command.name);
      return null;
    case 'stop':
      await host.stop();
      host = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (raw: unknown) => {
  const message = raw as WorkerStart | WorkerCommand;
  if ('type' in message) {
    startFunctionsHost({
      modules: message.modules,
      settings: message.settings,
      hostJson: message.hostJson,
      log: count,
    }).then(
      (started) => {
        host = started;
        host.onEvent((e) => {
          if (e.kind !== 'invocation') return;
          const c = (stats.invocations[e.functionName] ??= { succeeded: 0, failed: 0 });
          c[e.outcome]++;
        });
        send({ type: 'ready', baseUrl: started.baseUrl });
      },
      (e: unknown) =>
        send({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
    return;
  }
  handle(message).then(
    (value) => send({ id: message.id, ok: true, value }),
    (e: unknown) => send({ id: message.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});

// The bench going away takes the worker with it.
process.on('disconnect', () => {
  void (host?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
});
