/**
 * One Functions host of the chaos harness, as its own process so the harness can SIGKILL it mid-way:
 * the local Functions host (infra/local/functions-host) serving the control plane's functions from
 * source on a fixed loopback port (so the relay's URL and the Event Grid subscription survive a
 * restart). Started by `chaosWorld.ts` with `fork` and `--import tsx`; the first IPC message is
 * `{ type: 'start', settings, hostJson, modules, port }`, answered `{ type: 'ready', baseUrl }`.
 * Commands: `idle`, `invokeTimer`, `memory`, `logs` (the last warning/error lines), `stop`.
 */
import {
  startFunctionsHost,
  type FunctionsHost,
  type HostLogEntry,
} from '../../infra/local/functions-host/startFunctionsHost.js';

export interface HostWorkerStart {
  readonly type: 'start';
  readonly settings: Readonly<Record<string, string>>;
  readonly hostJson: unknown;
  readonly modules: readonly string[];
  readonly port: number;
}

export type HostWorkerCommand =
  | { readonly id: number; readonly cmd: 'idle' }
  | { readonly id: number; readonly cmd: 'invokeTimer'; readonly name: string }
  | { readonly id: number; readonly cmd: 'memory' }
  | { readonly id: number; readonly cmd: 'logs' }
  | { readonly id: number; readonly cmd: 'stop' };

/** Peak and current resident set size of this process, bytes. */
export interface HostWorkerMemory {
  readonly rssBytes: number;
  readonly maxRssBytes: number;
}

const problems: string[] = [];
let host: FunctionsHost | undefined;

function record(entry: HostLogEntry): void {
  if (entry.level !== 'warning' && entry.level !== 'error' && entry.level !== 'critical') return;
  problems.push(`${entry.level}: ${entry.message.slice(0, 400)}`);
  if (problems.length > 50) problems.shift();
}

async function handle(command: HostWorkerCommand): Promise<unknown> {
  if (command.cmd === 'memory')
    return {
      rssBytes: process.memoryUsage().rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    } satisfies HostWorkerMemory;
  if (command.cmd === 'logs') return problems.slice();
  if (host === undefined) throw new Error('the Functions host is not running');
  switch (command.cmd) {
    case 'idle':
      await host.idle();
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
  const message = raw as HostWorkerStart | HostWorkerCommand;
  if ('type' in message) {
    startFunctionsHost({
      modules: message.modules,
      settings: message.settings,
      hostJson: message.hostJson,
      port: message.port,
      log: record,
    }).then(
      (started) => {
        host = started;
        process.send?.({ type: 'ready', baseUrl: started.baseUrl });
      },
      (e: unknown) =>
        process.send?.({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
    return;
  }
  handle(message).then(
    (value) => process.send?.({ id: message.id, ok: true, value }),
    (e: unknown) =>
      process.send?.({ id: message.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});

// The harness going away takes the host with it.
process.on('disconnect', () => process.exit(0));
