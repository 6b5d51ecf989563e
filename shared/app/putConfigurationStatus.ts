/**
 * Writing one configuration's status: read the stored status (its condition transition times carry
 * over), project, store only when it changed (StatusStore.putStatus compares canonical JSON), so
 * identical reconciles never rewrite status.
 */
import { projectStatus, type ProjectStatusInput, type StatusProjection } from '../core/projectStatus.js';
import type { StaticGatewayConfigurationStatus } from '../core/staticGatewayConfiguration.js';
import type { Clock } from '../ports/clock.js';
import type { StatusStore } from '../ports/stateStore.js';
import type { ControlPlaneSettings } from './controlPlaneSettings.js';
import { statusSettingsOf } from './controlPlaneSettings.js';

/** The projection input without what this module fills in (previous status, clock, settings). */
export type StatusInput = Omit<ProjectStatusInput, 'previous' | 'now' | 'settings'>;

/** Projects and stores one status; returns the projection and whether the stored status changed. */
export async function putConfigurationStatus(
  deps: {
    readonly state: Pick<StatusStore, 'getStatus' | 'putStatus'>;
    readonly clock: Clock;
    readonly settings: ControlPlaneSettings;
  },
  input: { readonly clusterId: string; readonly status: StatusInput },
  signal: AbortSignal,
): Promise<StatusProjection & { readonly changed: boolean }> {
  const key = { clusterId: input.clusterId, uid: input.status.uid };
  const stored = await deps.state.getStatus(key, signal);
  const previous = stored?.status as StaticGatewayConfigurationStatus | undefined;
  const projection = projectStatus({
    ...input.status,
    ...(previous === undefined ? {} : { previous }),
    now: rfc3339(deps.clock.nowMs()),
    settings: statusSettingsOf(deps.settings),
  });
  const { changed } = await deps.state.putStatus({ ...key, status: projection.status }, signal);
  return { ...projection, changed };
}

/** RFC 3339 without fractions, as Kubernetes writes condition times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
