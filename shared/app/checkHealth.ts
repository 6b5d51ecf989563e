/**
 * Admin health. Two questions, answered in one report:
 *
 * - can the control plane reach its dependencies? Storage (one list of the pools table, which the
 *   second question needs anyway), ARM (one GET of the ILB: 200 or 404 both prove reachability and
 *   authorisation) and the poison queue (one peek). Each check has a deadline, so a hanging dependency
 *   turns into a failed check rather than a hanging request. Any failed check: `unhealthy`.
 * - is it doing its work? A pool whose last reconcile failed (and has not succeeded since), or a
 *   reconcile request waiting in the poison queue, makes the report `degraded`, naming the pools (key,
 *   when, the generation it was working towards, the error) and the poison messages (count, the pool
 *   keys they name).
 *
 * `healthy` is true only for `status: 'healthy'`; the HTTP handler answers 200 for it and 503 otherwise,
 * so a probe or an availability test that only reads the status code sees the truth.
 */
import type { ArmInventory } from '../ports/armInventory.js';
import type { Clock } from '../ports/clock.js';
import type { PoolState, PoolStore } from '../ports/stateStore.js';
import type { ControlPlaneSettings } from './controlPlaneSettings.js';
import { errorMessage } from '../core/errors.js';
import type { PoisonMessage, PoisonQueueReader } from './listPoisonMessages.js';

/** One dependency's check. */
export interface HealthCheck {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

/** A pool whose last reconcile failed. */
export interface FailingPool {
  readonly poolKey: string;
  /** When the failed reconcile ended (ISO 8601). */
  readonly at: string;
  /** The dirty generation it was working towards. */
  readonly generation: number;
  readonly error: string;
}

/** The poison queue as health sees it. */
export interface PoisonSummary {
  /** Messages peeked (at most {@link POISON_PEEK}). */
  readonly count: number;
  /** True when the peek was full: there may be more. */
  readonly atLeast: boolean;
  /** The pool keys the messages name, sorted and distinct (egret's own requests carry one). */
  readonly poolKeys: readonly string[];
}

/** The health report (the body of `GET /api/manage/health`). */
export interface HealthReport {
  readonly healthy: boolean;
  /** `unhealthy`: a dependency check failed; `degraded`: reachable, but pools fail or poison waits. */
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly checks: {
    readonly storage: HealthCheck;
    readonly arm: HealthCheck;
    readonly poisonQueue: HealthCheck;
  };
  /** Pools whose last reconcile failed, sorted by key (absent when storage could not be read). */
  readonly failingPools?: readonly FailingPool[];
  /** Absent when the poison queue could not be read. */
  readonly poison?: PoisonSummary;
}

/** How many poison messages health peeks (the queue service's maximum for one peek). */
export const POISON_PEEK = 32;

/** Runs the checks concurrently. */
export async function checkHealth(
  deps: {
    readonly state: Pick<PoolStore, 'listPools'>;
    readonly inventory: Pick<ArmInventory, 'getLoadBalancer'>;
    readonly poison: PoisonQueueReader;
    readonly clock: Clock;
    readonly settings: ControlPlaneSettings;
  },
  options: { readonly timeoutMs?: number },
  signal: AbortSignal,
): Promise<HealthReport> {
  const timeout = options.timeoutMs ?? 5_000;
  const check = async <T>(run: (s: AbortSignal) => Promise<T>): Promise<[HealthCheck, T | undefined]> => {
    const started = deps.clock.nowMs();
    const s = AbortSignal.any([signal, AbortSignal.timeout(timeout)]);
    try {
      const value = await run(s);
      return [{ ok: true, latencyMs: deps.clock.nowMs() - started }, value];
    } catch (e) {
      return [{ ok: false, latencyMs: deps.clock.nowMs() - started, error: errorMessage(e) }, undefined];
    }
  };
  const [[storage, pools], [arm], [poisonQueue, messages]] = await Promise.all([
    check((s) => deps.state.listPools(s)),
    check((s) =>
      deps.inventory.getLoadBalancer(
        deps.settings.loadBalancer.resourceGroup,
        deps.settings.loadBalancer.name,
        s,
      ),
    ),
    check((s) => deps.poison.peek(POISON_PEEK, s)),
  ]);
  const failingPools = pools === undefined ? undefined : failingPoolsOf(pools);
  const poison = messages === undefined ? undefined : summarizePoison(messages);
  const status =
    !storage.ok || !arm.ok || !poisonQueue.ok
      ? 'unhealthy'
      : (failingPools?.length ?? 0) > 0 || (poison?.count ?? 0) > 0
        ? 'degraded'
        : 'healthy';
  return {
    healthy: status === 'healthy',
    status,
    checks: { storage, arm, poisonQueue },
    ...(failingPools === undefined ? {} : { failingPools }),
    ...(poison === undefined ? {} : { poison }),
  };
}

/** Pools whose last recorded reconcile failed, sorted by key. */
export function failingPoolsOf(pools: readonly PoolState[]): readonly FailingPool[] {
  return pools
    .flatMap((p): FailingPool[] => {
      const last = p.lastReconcile;
      if (last?.outcome !== 'failed') return [];
      return [
        {
          poolKey: p.poolKey,
          at: last.at.toISOString(),
          generation: last.generation,
          error: last.error === undefined || last.error === '' ? 'failed (no message)' : last.error,
        },
      ];
    })
    .sort((a, b) => (a.poolKey < b.poolKey ? -1 : a.poolKey > b.poolKey ? 1 : 0));
}

/** Counts poison messages and names the pools they are for. */
export function summarizePoison(messages: readonly PoisonMessage[]): PoisonSummary {
  const keys = new Set<string>();
  for (const m of messages) {
    const body = m.body;
    if (typeof body !== 'object' || body === null) continue;
    const key = (body as { readonly poolKey?: unknown }).poolKey;
    if (typeof key === 'string') keys.add(key);
  }
  return { count: messages.length, atLeast: messages.length >= POISON_PEEK, poolKeys: [...keys].sort() };
}
