/**
 * What the host's front ends (HTTP, Event Grid webhook, timers, queues) share: the loaded app, its
 * registrations, keys, host.json settings, and bookkeeping of in-flight invocations and events.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FunctionRegistration } from './describeRegistration.js';
import type { CapturedFunction, RpcInvocationResponse } from './functionsCore.js';
import type { HostConfig } from './hostConfig.js';
import { invokeFunction, type InvocationEnvironment, type InvocationInput } from './invokeFunction.js';

/**
 * Keys, as the real host keeps them (admin/host/keys). When the host is started without keys, no key
 * is checked at all — that is how Core Tools runs locally.
 */
export interface FunctionKeys {
  /** The master key: admin-level, also accepted everywhere else. */
  readonly master?: string;
  /** Host keys: accepted for every `function`-level function. */
  readonly host?: readonly string[];
  /** Function keys by function name. */
  readonly functions?: Readonly<Record<string, readonly string[]>>;
  /** System keys by extension, e.g. `{ eventgrid_extension: '...' }` for the Event Grid webhook. */
  readonly system?: Readonly<Record<string, string>>;
}

export type TriggerSource = 'http' | 'eventGrid' | 'timer' | 'queue' | 'admin';

/** Something observable the host did: for tests and logs. */
export type HostEvent =
  | {
      readonly kind: 'invocation';
      readonly functionName: string;
      readonly source: TriggerSource;
      readonly outcome: 'succeeded' | 'failed';
      readonly error?: string;
      readonly dequeueCount?: number;
    }
  | {
      readonly kind: 'poisoned';
      readonly functionName: string;
      readonly queueName: string;
      readonly messageId: string;
      readonly reason: 'maxDequeueCount' | 'decodingFailed';
    }
  | { readonly kind: 'pollError'; readonly functionName: string; readonly error: string };

export class HostRuntime {
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #listeners = new Set<(e: HostEvent) => void>();
  readonly #idleWaiters: (() => void)[] = [];

  constructor(
    readonly functions: ReadonlyMap<string, CapturedFunction>,
    readonly registrations: ReadonlyMap<string, FunctionRegistration>,
    readonly env: InvocationEnvironment,
    readonly config: HostConfig,
    readonly keys: FunctionKeys | undefined,
  ) {}

  /** Finds a function by name, case-insensitively as the host does. */
  find(name: string): { fn: CapturedFunction; reg: FunctionRegistration } | undefined {
    for (const [k, fn] of this.functions)
      if (k.toLowerCase() === name.toLowerCase()) return { fn, reg: this.registrations.get(k)! };
    return undefined;
  }

  /** Invokes and records the outcome; rejects with the handler's error. */
  invoke(
    target: { fn: CapturedFunction; reg: FunctionRegistration },
    source: TriggerSource,
    input: InvocationInput,
    extra?: { readonly dequeueCount?: number },
  ): Promise<RpcInvocationResponse> {
    const run = async (): Promise<RpcInvocationResponse> => {
      try {
        const res = await invokeFunction(this.env, target.fn, input);
        this.emit({
          kind: 'invocation',
          functionName: target.reg.name,
          source,
          outcome: 'succeeded',
          ...extra,
        });
        return res;
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        this.env.log({
          level: 'error',
          category: 'system',
          message: `Executed '${target.reg.name}' (Failed): ${error}`,
          functionName: target.reg.name,
        });
        this.emit({
          kind: 'invocation',
          functionName: target.reg.name,
          source,
          outcome: 'failed',
          error,
          ...extra,
        });
        throw e;
      }
    };
    return this.track(run());
  }

  /** Counts `p` as in flight until it settles (stop() drains these). */
  track<T>(p: Promise<T>): Promise<T> {
    this.#inFlight.add(p);
    const done = (): void => {
      this.#inFlight.delete(p);
      if (this.#inFlight.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
    };
    p.then(done, done);
    return p;
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  emit(e: HostEvent): void {
    for (const l of this.#listeners) l(e);
  }

  onEvent(listener: (e: HostEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Checks a presented key for an access level, as the host does. `undefined` keys config = no checks.
   * `function` accepts the function's keys, host keys and the master key; `admin` only the master key;
   * `system:<name>` the named system key and the master key.
   */
  authorized(
    level: 'anonymous' | 'function' | 'admin' | `system:${string}`,
    functionName: string,
    presented: string | undefined,
  ): boolean {
    const keys = this.keys;
    if (!keys || level === 'anonymous') return true;
    if (presented === undefined || presented === '') return false;
    const accepted: string[] = [];
    if (keys.master !== undefined) accepted.push(keys.master);
    if (level === 'function') {
      accepted.push(...(keys.host ?? []));
      for (const [name, list] of Object.entries(keys.functions ?? {}))
        if (name.toLowerCase() === functionName.toLowerCase()) accepted.push(...list);
    } else if (level.startsWith('system:')) {
      const sys = keys.system?.[level.slice('system:'.length)];
      if (sys !== undefined) accepted.push(sys);
    }
    return accepted.some((k) => safeEqual(k, presented));
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
