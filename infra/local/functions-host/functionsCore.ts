/**
 * The `@azure/functions-core` module, as the Azure Functions Node worker provides it.
 *
 * `@azure/functions` (CommonJS) calls `require('@azure/functions-core')` lazily, on the first `app.*`
 * call, and caches the answer; outside the worker that require fails and the library silently drops
 * every registration ("test mode"). The worker (azure-functions-nodejs-worker `setupCoreModule`)
 * proxies `Module.prototype.require` so that this id resolves to its own API object. We do the same,
 * so the app registers exactly as in Azure and hands us its `ProgrammingModel`, which we then use to
 * build handler arguments and convert results, exactly as the worker does.
 *
 * Loading order matters: `installFunctionsCore()` must run before the app's first `app.*` call.
 * Importing `@azure/functions` earlier is harmless (the lookup is lazy).
 */
import Module from 'node:module';

/** One binding of a function, as the library sends it (`toCoreFunctionMetadata`). */
export interface RpcBindingInfo {
  readonly type?: string;
  readonly direction?: 'in' | 'out' | 'inout';
  readonly [key: string]: unknown;
}

/** A function's metadata, as `registerFunction` receives it. */
export interface CoreFunctionMetadata {
  readonly name: string;
  readonly bindings: Readonly<Record<string, RpcBindingInfo>>;
  readonly retryOptions?: {
    readonly retryStrategy?: string;
    readonly maxRetryCount?: number;
    readonly delayInterval?: { readonly seconds?: number };
    readonly minimumInterval?: { readonly seconds?: number };
    readonly maximumInterval?: { readonly seconds?: number };
  };
}

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: object) => unknown;

/** The subset of the worker's RPC `TypedData` the host sends and the library answers with. */
export interface RpcTypedData {
  readonly string?: string;
  readonly json?: string;
  readonly bytes?: Uint8Array;
  readonly int?: number;
  readonly double?: number;
  readonly http?: RpcHttpData;
}

export interface RpcHttpCookie {
  readonly name?: string;
  readonly value?: string;
  readonly domain?: { readonly value?: string } | null;
  readonly path?: { readonly value?: string } | null;
  readonly expires?: { readonly value?: { readonly seconds?: number } } | null;
  readonly secure?: { readonly value?: boolean } | null;
  readonly httpOnly?: { readonly value?: boolean } | null;
  readonly sameSite?: string | number | null;
  readonly maxAge?: { readonly value?: number } | null;
}

export interface RpcHttpData {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RpcTypedData | null;
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly statusCode?: string;
  readonly cookies?: readonly RpcHttpCookie[];
  readonly identities?: readonly unknown[];
}

export interface RpcInvocationRequest {
  readonly invocationId: string;
  readonly functionId: string;
  readonly inputData: readonly { readonly name: string; readonly data: RpcTypedData }[];
  readonly triggerMetadata: Readonly<Record<string, RpcTypedData>>;
  readonly retryContext?: { readonly retryCount: number; readonly maxRetryCount: number };
}

export interface RpcInvocationResponse {
  readonly returnValue?: RpcTypedData | null;
  readonly outputData?: readonly { readonly name: string; readonly data: RpcTypedData }[];
}

/** What the worker hands the programming model for one invocation. */
export interface CoreInvocationContext {
  readonly invocationId: string;
  readonly request: RpcInvocationRequest;
  readonly metadata: CoreFunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation' | undefined;
  log(level: string, category: string, message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: object; inputs: unknown[] }>;
  invokeFunction(context: object, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: object, result: unknown): Promise<RpcInvocationResponse>;
}

/** The object `@azure/functions` installs through `setProgrammingModel`. */
export interface ProgrammingModel {
  readonly name: string;
  readonly version: string;
  getInvocationModel(context: CoreInvocationContext): InvocationModel;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

/** One function the app registered. */
export interface CapturedFunction {
  readonly metadata: CoreFunctionMetadata;
  readonly callback: FunctionCallback;
}

export interface CapturedHook {
  readonly name: HookName;
  readonly callback: HookCallback;
}

/** Everything one module registered while it was first loaded. */
export interface CapturedModule {
  readonly functions: readonly CapturedFunction[];
  readonly hooks: readonly CapturedHook[];
}

/** A system log line from the library (`workerSystemLog`), not tied to an invocation. */
export type SystemLogListener = (level: string, category: string, message: string) => void;

class Disposable {
  readonly #dispose: (() => void) | undefined;
  constructor(dispose?: () => void) {
    this.#dispose = dispose;
  }
  dispose(): void {
    this.#dispose?.();
  }
}

interface CaptureWindow {
  readonly functions: CapturedFunction[];
  readonly hooks: CapturedHook[];
}

let programmingModel: ProgrammingModel | undefined;
let window: CaptureWindow | undefined;
const systemLogListeners = new Set<SystemLogListener>();
/** Modules already loaded through the host, with what they registered (ESM caches modules). */
const loadedModules = new Map<string, CapturedModule>();
let loadChain: Promise<unknown> = Promise.resolve();

const coreApi = {
  version: '4.0.0-egret-local',
  hostVersion: '4.1040.0-egret-local',
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
    // The worker refuses registrations after startup ("A function can only be registered during app startup.").
    const w = window;
    if (!w) throw new Error('A function can only be registered during app startup.');
    const entry = { metadata, callback };
    w.functions.push(entry);
    return new Disposable(() => {
      const i = w.functions.indexOf(entry);
      if (i >= 0) w.functions.splice(i, 1);
    });
  },
  registerHook(name: HookName, callback: HookCallback): Disposable {
    const w = window;
    if (!w) throw new Error(`The ${name} hook can only be registered during app startup in this local host.`);
    const entry = { name, callback };
    w.hooks.push(entry);
    return new Disposable(() => {
      const i = w.hooks.indexOf(entry);
      if (i >= 0) w.hooks.splice(i, 1);
    });
  },
  log(level: string, category: string, message: string): void {
    for (const l of systemLogListeners) l(level, category, message);
  },
  Disposable,
};

let installed = false;

/** Makes `require('@azure/functions-core')` return this host's API, as the Node worker does. Idempotent. */
export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, args: unknown[]): unknown {
      if (args[0] === '@azure/functions-core') return coreApi;
      return Reflect.apply(target, thisArg, args);
    },
  });
}

/** The programming model the app's `@azure/functions` installed (after its first `app.*` call). */
export function getProgrammingModel(): ProgrammingModel | undefined {
  return programmingModel;
}

export function addSystemLogListener(listener: SystemLogListener): () => void {
  systemLogListeners.add(listener);
  return () => systemLogListeners.delete(listener);
}

/**
 * Imports `moduleUrl` inside a capture window and returns what it registered. A module is evaluated
 * once per process (ESM cache), so a second host loading the same module gets the registrations
 * recorded the first time. Loads are serialized, so concurrent hosts never mix their captures.
 * @throws Error when the module was imported before, outside the host (its registrations were lost).
 */
export function loadModuleCapturing(moduleUrl: string): Promise<CapturedModule> {
  const run = async (): Promise<CapturedModule> => {
    const known = loadedModules.get(moduleUrl);
    if (known) return known;
    const w: CaptureWindow = { functions: [], hooks: [] };
    window = w;
    try {
      await import(moduleUrl);
    } finally {
      window = undefined;
    }
    const captured: CapturedModule = { functions: w.functions, hooks: w.hooks };
    loadedModules.set(moduleUrl, captured);
    return captured;
  };
  const next = loadChain.then(run, run);
  loadChain = next.catch(() => undefined);
  return next;
}
