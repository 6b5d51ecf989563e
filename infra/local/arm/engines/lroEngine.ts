/**
 * Long-running operations, as ARM runs them: the write is accepted at once (the resource shows
 * `provisioningState` Creating/Updating/Deleting), the answer carries `Azure-AsyncOperation` (and
 * `Location` for 202) plus `Retry-After`, and the operation status resource moves from `InProgress` to
 * `Succeeded` or `Failed` (with an `error`). The completion callback mutates the store; the Event Grid
 * event goes out only then.
 *
 * Deliberate deviation: a poll of a running operation is held until the operation ends (at most
 * `maxPollHoldMs`). core-lro polls once right after the initial answer and then waits
 * `Retry-After` seconds, or 2 s when it is absent or 0 (`if (intervalInMs) setDelay(...)`), so holding
 * the poll keeps tests fast without touching the SDK's policies; to the SDK it looks like a slow ARM.
 */
import { randomUUID } from 'node:crypto';
import type { ArmError } from '../core/armError.js';
import type { JsonObject } from '../core/json.js';
import type { ArmEventSpec, EventGridEmitter } from './eventGridEmitter.js';

export type OperationProvider = 'Microsoft.Compute' | 'Microsoft.Network' | 'Microsoft.Resources';

export interface OperationFailure {
  readonly code: string;
  readonly message: string;
}

export interface OperationSpec {
  readonly provider: OperationProvider;
  readonly location: string;
  readonly durationMs: number;
  /** Lock keys held while the operation runs (conflict checks look them up). */
  readonly locks: readonly string[];
  /** When set, the operation ends `Failed` with this error (a fault rule or an RP-side failure). */
  readonly failure?: OperationFailure | undefined;
  /** Applies the final state on success. */
  readonly onSucceeded: () => void;
  /** Applies the final state on failure (typically `provisioningState: Failed`). */
  readonly onFailed: (failure: OperationFailure) => void;
  /** Published (Success or Failure) when the operation ends. */
  readonly event?: ArmEventSpec | undefined;
}

export interface Operation {
  readonly id: string;
  readonly provider: OperationProvider;
  readonly location: string;
  readonly locks: readonly string[];
  readonly startTime: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  endTime: string | undefined;
  error: OperationFailure | undefined;
  readonly done: Promise<void>;
}

export interface LroSettings {
  /** `Retry-After` seconds sent with operation headers (default 1). */
  readonly retryAfterSeconds?: number;
  /** Longest time a poll of a running operation is held (default 5000 ms). */
  readonly maxPollHoldMs?: number;
}

export class LroEngine {
  private readonly ops = new Map<string, Operation>();
  private settings: Required<LroSettings>;

  constructor(
    private readonly events: EventGridEmitter,
    private readonly apiVersions: Readonly<Record<OperationProvider, string>>,
    settings: LroSettings = {},
  ) {
    this.settings = { retryAfterSeconds: 1, maxPollHoldMs: 5000, ...settings };
  }

  configure(settings: LroSettings): void {
    this.settings = { ...this.settings, ...settings };
  }

  /** Starts an operation; it completes after `durationMs`. */
  begin(spec: OperationSpec): Operation {
    const id = randomUUID();
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolveDone = r));
    const op: Operation = {
      id,
      provider: spec.provider,
      location: spec.location,
      locks: spec.locks.map((l) => l.toLowerCase()),
      startTime: new Date().toISOString(),
      status: 'InProgress',
      endTime: undefined,
      error: undefined,
      done,
    };
    this.ops.set(id, op);
    setTimeout(
      () => {
        try {
          if (spec.failure) {
            op.status = 'Failed';
            op.error = spec.failure;
            spec.onFailed(spec.failure);
          } else {
            spec.onSucceeded();
            op.status = 'Succeeded';
          }
        } catch (e) {
          op.status = 'Failed';
          op.error = {
            code: 'InternalServerError',
            message: `stand-in failed to complete the operation: ${String(e)}`,
          };
        }
        op.endTime = new Date().toISOString();
        if (spec.event) this.events.publish(spec.event, op.status === 'Succeeded' ? 'Succeeded' : 'Failed');
        resolveDone();
      },
      Math.max(0, spec.durationMs),
    );
    return op;
  }

  /** True when a running operation holds a lock for which `test` is true. */
  isLocked(test: (lock: string) => boolean): boolean {
    for (const op of this.ops.values()) if (op.status === 'InProgress' && op.locks.some(test)) return true;
    return false;
  }

  /** Resolves when every operation started so far has ended. */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.ops.values()].filter((o) => o.status === 'InProgress');
      if (running.length === 0) return;
      await Promise.all(running.map((o) => o.done));
    }
  }

  /** `Azure-AsyncOperation`, `Location` (for 202 answers) and `Retry-After` for an operation. */
  headers(
    op: Operation,
    baseUrl: string,
    subscriptionId: string,
    withLocation: boolean,
  ): Record<string, string> {
    const api = this.apiVersions[op.provider];
    const root = `${baseUrl}/subscriptions/${subscriptionId}/providers/${op.provider}/locations/${op.location}`;
    const h: Record<string, string> = {
      'Azure-AsyncOperation':
        op.provider === 'Microsoft.Compute'
          ? `${root}/operations/${op.id}?p=${op.id}&api-version=${api}`
          : `${root}/operations/${op.id}?api-version=${api}`,
      'Retry-After': String(this.settings.retryAfterSeconds),
      'Azure-AsyncNotification': 'Enabled',
    };
    if (withLocation)
      h['Location'] =
        op.provider === 'Microsoft.Compute'
          ? `${root}/operations/${op.id}?p=${op.id}&monitor=true&api-version=${api}`
          : `${root}/operationResults/${op.id}?api-version=${api}`;
    return h;
  }

  /**
   * Serves `.../operations/{id}` (status resource) and the `Location` variants (`monitor=true`,
   * `operationResults`): 202 while running, then 200 (or the error).
   */
  async serveStatus(
    opId: string,
    mode: 'status' | 'result',
  ): Promise<{ status: number; body?: JsonObject; headers?: Record<string, string> } | ArmError | undefined> {
    const op = this.ops.get(opId);
    if (!op) return undefined;
    if (op.status === 'InProgress') {
      // The hold timer is cleared when the operation ends first: a pending 5 s timer per poll kept
      // every test process (and the sandbox's shutdown) alive for seconds after its last request.
      let hold: NodeJS.Timeout | undefined;
      await Promise.race([op.done, new Promise((r) => (hold = setTimeout(r, this.settings.maxPollHoldMs)))]);
      clearTimeout(hold);
    }
    const retry = { 'Retry-After': String(this.settings.retryAfterSeconds) };
    if (mode === 'result') {
      if (op.status === 'InProgress') return { status: 202, headers: retry };
      if (op.status === 'Failed') return { status: 200, body: this.statusBody(op) };
      return { status: 200 };
    }
    return {
      status: 200,
      body: this.statusBody(op),
      ...(op.status === 'InProgress' ? { headers: retry } : {}),
    };
  }

  private statusBody(op: Operation): JsonObject {
    const body: JsonObject =
      op.provider === 'Microsoft.Compute'
        ? { startTime: op.startTime, status: op.status, name: op.id }
        : { status: op.status };
    if (op.endTime !== undefined && op.provider === 'Microsoft.Compute') body['endTime'] = op.endTime;
    if (op.error) body['error'] = { code: op.error.code, message: op.error.message };
    return body;
  }
}
