/**
 * Admin view of configurations: what the control plane stored for each (pool, version, deletion) and
 * the status it computed. With a cluster id: every configuration of that cluster (invalid and
 * unresolved ones included); without: every configuration of every known pool.
 */
import type { PoolStore, ConfigurationStore, StatusStore } from '../ports/stateStore.js';
import { MAX_PAGE, pageOf, type Page, type PageRequest } from './pageOf.js';

/** One configuration as admin shows it. */
export interface ConfigurationView {
  readonly clusterId: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly poolKey: string;
  readonly generation: number;
  readonly deletedAt?: string;
  readonly finalizedAt?: string;
  readonly status: unknown;
}

/** What the view needs. */
export interface DescribeConfigurationsDeps {
  readonly state: Pick<ConfigurationStore, 'listConfigurations' | 'listConfigurationsByPool'> &
    Pick<StatusStore, 'getStatus'> &
    Pick<PoolStore, 'listPools'>;
}

/**
 * One page of configurations with their status, sorted by cluster, namespace, name, uid. Statuses are
 * read only for the page's items (a listing used to read one status per configuration: 5–15 s).
 */
export async function describeConfigurations(
  deps: DescribeConfigurationsDeps,
  input: { readonly clusterId?: string; readonly page?: PageRequest },
  signal: AbortSignal,
): Promise<Page<ConfigurationView>> {
  const configs =
    input.clusterId !== undefined
      ? await deps.state.listConfigurations({ clusterId: input.clusterId }, signal)
      : (
          await Promise.all(
            (await deps.state.listPools(signal)).map((p) =>
              deps.state.listConfigurationsByPool({ poolKey: p.poolKey }, signal),
            ),
          )
        ).flat();
  const page = pageOf(
    configs,
    (c) => `${c.clusterId}\u0000${c.namespace}\u0000${c.name}\u0000${c.uid}`,
    input.page ?? { limit: MAX_PAGE },
  );
  const items = await Promise.all(
    page.items.map(async (c): Promise<ConfigurationView> => {
      const status = await deps.state.getStatus({ clusterId: c.clusterId, uid: c.uid }, signal);
      return {
        clusterId: c.clusterId,
        namespace: c.namespace,
        name: c.name,
        uid: c.uid,
        poolKey: c.poolKey,
        generation: c.version.generation,
        ...(c.deletedAt === undefined ? {} : { deletedAt: c.deletedAt.toISOString() }),
        ...(c.finalizedAt === undefined ? {} : { finalizedAt: c.finalizedAt.toISOString() }),
        status: status?.status ?? {},
      };
    }),
  );
  return { ...page, items };
}
