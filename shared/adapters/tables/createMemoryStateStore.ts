/**
 * An in-memory `StateStore` for unit tests of the use cases: the same store logic as the Table
 * Storage adapter over in-memory tables with Table Storage's semantics (the contract suite in
 * test/state runs both), so a test that passes here behaves the same against Azurite.
 */
import type { StateClock, StateStore } from '../../ports/stateStore.js';
import { createTableStateStore } from './createTableStateStore.js';
import { createMemoryStateTables } from './memoryStateTables.js';

export function createMemoryStateStore(options: { readonly clock?: StateClock } = {}): StateStore {
  let n = 0;
  return createTableStateStore({
    tables: createMemoryStateTables(),
    ...(options.clock ? { clock: options.clock } : {}),
    newId: () => String(++n).padStart(8, '0'),
  });
}
