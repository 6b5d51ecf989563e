/**
 * Admin health: can the control plane reach its state (one point read of the pools table) and ARM
 * (one GET of the ILB: 200 or 404 both prove reachability and authorisation)? Each check has a
 * deadline, so a hanging dependency turns into a failed check rather than a hanging request.
 */
import type { ArmInventory } from '../ports/armInventory.js';
import type { Clock } from '../ports/clock.js';
import type { PoolStore } from '../ports/stateStore.js';
import type { ControlPlaneSettings } from './controlPlaneSettings.js';
import { errorMessage } from '../core/errors.js';

/** One dependency's check. */
export interface HealthCheck {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

/** The health report. */
export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: { readonly storage: HealthCheck; readonly arm: HealthCheck };
}

/** Runs both checks concurrently. */
export async function checkHealth(
  deps: {
    readonly state: Pick<PoolStore, 'getPool'>;
    readonly inventory: Pick<ArmInventory, 'getLoadBalancer'>;
    readonly clock: Clock;
    readonly settings: ControlPlaneSettings;
  },
  options: { readonly timeoutMs?: number },
  signal: AbortSignal,
): Promise<HealthReport> {
  const timeout = options.timeoutMs ?? 5_000;
  const check = async (run: (s: AbortSignal) => Promise<unknown>): Promise<HealthCheck> => {
    const started = deps.clock.nowMs();
    const s = AbortSignal.any([signal, AbortSignal.timeout(timeout)]);
    try {
      await run(s);
      return { ok: true, latencyMs: deps.clock.nowMs() - started };
    } catch (e) {
      return { ok: false, latencyMs: deps.clock.nowMs() - started, error: errorMessage(e) };
    }
  };
  const [storage, arm] = await Promise.all([
    check((s) => deps.state.getPool({ poolKey: 'health-check' }, s)),
    check((s) =>
      deps.inventory.getLoadBalancer(
        deps.settings.loadBalancer.resourceGroup,
        deps.settings.loadBalancer.name,
        s,
      ),
    ),
  ]);
  return { healthy: storage.ok && arm.ok, checks: { storage, arm } };
}
