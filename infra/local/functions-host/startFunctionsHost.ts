/**
 * The local Azure Functions host. No real host can be installed here (Core Tools downloads a binary),
 * so this one loads the app exactly as the Node worker does — a fake `@azure/functions-core` captures
 * the registrations and the app's own `@azure/functions` programming model converts every invocation
 * — and serves the triggers the way the Functions host does: HTTP routes with keys, the Event Grid
 * webhook, timers on an injectable clock and queue triggers from Azurite.
 *
 * App settings become `process.env` before the app loads, as the host does with local.settings.json
 * `Values` (restored on stop). One process can run several hosts over the same modules (an ES module
 * is evaluated once; its registrations are remembered), but `process.env` is shared between them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '../../../shared/core/errors.js';
import { describeRegistration, type FunctionRegistration } from './describeRegistration.js';
import { addSystemLogListener } from './functionsCore.js';
import { readHostConfig } from './hostConfig.js';
import { systemClock, type HostClock } from './hostClock.js';
import { HostRuntime, type FunctionKeys, type HostEvent } from './hostRuntime.js';
import { runHooks, type HostLogEntry, type HostLogSink } from './invokeFunction.js';
import { loadApp, resolveEntryFiles } from './loadApp.js';
import { parseTimerSchedule, ScheduleError } from './ncrontab.js';
import { QueueTriggers, type QueueBinding } from './queueTriggers.js';
import { isReservedRoute } from './routeTemplate.js';
import { createHttpFrontDoor } from './serveHttp.js';
import { TimerTriggers } from './timerTriggers.js';

export type { FunctionKeys, HostEvent } from './hostRuntime.js';
export type { FunctionRegistration, TriggerDescription } from './describeRegistration.js';
export type { HostLogEntry, HostLogSink } from './invokeFunction.js';

export interface StartFunctionsHostOptions {
  /** The app folder: its package.json `main` names the entry files; its host.json is read. */
  readonly appRoot?: string;
  /** Entry modules (paths or file URLs) to load instead of package.json `main` — for tests. */
  readonly modules?: readonly string[];
  /** App settings (local.settings.json `Values`), set as `process.env` before the app loads. */
  readonly settings?: Readonly<Record<string, string>>;
  /** host.json content; defaults to `<appRoot>/host.json`, else the host's defaults. */
  readonly hostJson?: unknown;
  /** Loopback port; 0 (default) lets the OS choose. */
  readonly port?: number;
  /** Keys to enforce; without them no key is checked (as Core Tools runs locally). */
  readonly keys?: FunctionKeys;
  /** Time source of timer triggers. */
  readonly clock?: HostClock;
  /** Times the waits between polls of an empty queue (host.json `maxPollingInterval`); real time by default. */
  readonly queueClock?: HostClock;
  /** Where app and host log lines go; default: stderr (warnings and errors only). */
  readonly log?: HostLogSink;
  readonly maxRequestBodyBytes?: number;
}

export interface FunctionsHost {
  /** `http://127.0.0.1:<port>`; HTTP functions are under `/api/` (host.json routePrefix). */
  readonly baseUrl: string;
  /** Every function the app registered, in registration order. */
  readonly registrations: readonly FunctionRegistration[];
  /** Fires a timer function now (outside its schedule); rejects with the handler's error. */
  invokeTimer(name: string): Promise<void>;
  /** Observes invocations, poisoned messages and polling errors. */
  onEvent(listener: (e: HostEvent) => void): () => void;
  /** Resolves once no invocation is in flight. */
  idle(): Promise<void>;
  /** Stops accepting work, drains in-flight invocations, runs appTerminate hooks, restores env. */
  stop(): Promise<void>;
}

const defaultLog: HostLogSink = (e: HostLogEntry) => {
  if (e.level === 'warning' || e.level === 'error' || e.level === 'critical')
    process.stderr.write(
      `[functions-host]${e.functionName ? ` ${e.functionName}` : ''} ${e.level}: ${e.message}\n`,
    );
};

/**
 * Loads the app and starts serving it.
 * @throws ConfigError for a bad app (no functions, duplicate names, a route the host reserves, bad
 *   schedule, missing setting).
 */
export async function startFunctionsHost(options: StartFunctionsHostOptions): Promise<FunctionsHost> {
  if (!options.appRoot && !options.modules)
    throw new ConfigError('startFunctionsHost needs appRoot or modules');
  const settings = options.settings ?? {};
  const log = options.log ?? defaultLog;
  const savedEnv = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(settings)) {
    savedEnv.set(k, process.env[k]);
    process.env[k] = v;
  }
  const restoreEnv = (): void => {
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const removeSystemLog = addSystemLogListener((level, category, message) =>
    log({ level, category, message }),
  );

  let server: Server | undefined;
  try {
    const modules = options.modules ?? (await resolveEntryFiles(options.appRoot!));
    const app = await loadApp(modules);
    const registrations = new Map<string, FunctionRegistration>();
    for (const [name, f] of app.functions) registrations.set(name, describeRegistration(f.metadata));

    let hostJson = options.hostJson;
    if (hostJson === undefined && options.appRoot && existsSync(join(options.appRoot, 'host.json')))
      hostJson = JSON.parse(readFileSync(join(options.appRoot, 'host.json'), 'utf8')) as unknown;
    const config = readHostConfig(hostJson);

    const setting = (name: string): string | undefined => settings[name] ?? process.env[name];
    const resolveExpr = (value: string, what: string): string =>
      value.replace(/%([^%]+)%/g, (_, key: string) => {
        const v = setting(key);
        if (v === undefined) throw new ConfigError(`${what}: app setting '${key}' is not set`);
        return v;
      });

    const schedules = new Map<string, string>();
    const queues: QueueBinding[] = [];
    for (const reg of registrations.values()) {
      const t = reg.trigger;
      if (t.kind === 'http' && isReservedRoute(t.route))
        // The real host only puts this function in error and starts the others; a local host that did
        // the same would hide the mistake until a deployment, so it refuses to start.
        throw new ConfigError(
          `function '${reg.name}': route '${t.route}' conflicts with the host's built-in routes — the ` +
            `Functions host refuses HTTP routes that start with 'admin' or 'runtime' (any case, any ` +
            `routePrefix; a function without a route uses its name): "The specified route conflicts ` +
            `with one or more built in routes."`,
        );
      if (t.kind === 'timer') {
        const schedule = resolveExpr(t.schedule, `function '${reg.name}' schedule`);
        try {
          parseTimerSchedule(schedule);
        } catch (e) {
          if (e instanceof ScheduleError) throw new ConfigError(`function '${reg.name}': ${e.message}`);
          throw e;
        }
        schedules.set(reg.name, schedule);
      } else if (t.kind === 'queue') {
        queues.push({
          reg,
          queueName: resolveExpr(t.queueName, `function '${reg.name}' queueName`).toLowerCase(),
          connectionString: resolveConnection(reg.name, t.connection, setting),
        });
      }
    }

    const appHookData: Record<string, unknown> = {};
    const rt = new HostRuntime(
      app.functions,
      registrations,
      { model: app.model, hooks: app.hooks, appHookData, log },
      config,
      options.keys,
    );
    const timers = new TimerTriggers(rt, options.clock ?? systemClock, schedules);
    const queueTriggers = new QueueTriggers(rt, queues, options.queueClock ?? systemClock);

    await runHooks(rt.env, 'appStart', {
      hookData: {},
      appHookData,
      functionAppDirectory: options.appRoot ?? process.cwd(),
    });

    const invokeNonHttp = (name: string, input: unknown): Promise<void> | 'notFound' => {
      const target = rt.find(name);
      if (!target || target.reg.trigger.kind === 'http') return 'notFound';
      if (target.reg.trigger.kind === 'timer') return timers.invokeNow(target.reg.name);
      const data = typeof input === 'string' ? { string: input } : { json: JSON.stringify(input ?? null) };
      return rt.invoke(target, 'admin', { triggerData: data }).then(() => undefined);
    };
    const srv = createServer(
      createHttpFrontDoor(rt, {
        invokeNonHttp,
        ...(options.maxRequestBodyBytes ? { maxRequestBodyBytes: options.maxRequestBodyBytes } : {}),
      }),
    );
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = srv.address() as AddressInfo;

    timers.start();
    queueTriggers.start();

    let stopping: Promise<void> | undefined;
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      registrations: [...registrations.values()],
      invokeTimer: (name) => {
        if (!timers.has(name)) return Promise.reject(new Error(`no timer function named '${name}'`));
        return rt.track(timers.invokeNow(name));
      },
      onEvent: (l) => rt.onEvent(l),
      idle: () => rt.idle(),
      stop: () =>
        (stopping ??= (async () => {
          const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
          srv.closeIdleConnections();
          timers.stop();
          await queueTriggers.stop();
          await rt.idle();
          try {
            await runHooks(rt.env, 'appTerminate', { hookData: {}, appHookData });
          } finally {
            srv.closeAllConnections();
            await closed;
            removeSystemLog();
            restoreEnv();
          }
        })()),
    };
  } catch (e) {
    server?.close();
    removeSystemLog();
    restoreEnv();
    throw e;
  }
}

/**
 * Resolves a trigger's `connection` the way the host does: the setting named `<connection>`, else
 * `AzureWebJobs<connection>`. Identity-based connections (`<connection>__queueServiceUri`, ...) need
 * Azure AD and are not supported locally.
 */
function resolveConnection(
  fn: string,
  connection: string,
  setting: (n: string) => string | undefined,
): string {
  const cs = setting(connection) ?? setting(`AzureWebJobs${connection}`);
  if (cs !== undefined && cs !== '') return cs;
  if (
    setting(`${connection}__queueServiceUri`) ??
    setting(`${connection}__serviceUri`) ??
    setting(`${connection}__accountName`)
  )
    throw new ConfigError(
      `function '${fn}': identity-based connection '${connection}' is not supported by the local host; set a connection string`,
    );
  throw new ConfigError(`function '${fn}': connection setting '${connection}' is not set`);
}
