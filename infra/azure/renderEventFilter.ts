/**
 * Renders the Event Grid filter that feeds `armEvents` exactly the ARM operations it handles.
 *
 * Event Grid facts this relies on (learn.microsoft.com/azure/event-grid/event-filtering,
 * reference/azure-platform.md §2.6):
 * - all string comparisons are case-insensitive;
 * - an event subscription takes at most 25 advanced-filter values in total, 512 characters each;
 * - `StringBeginsWith` on `Microsoft.Compute/virtualMachines` (no trailing `/`) also matches every
 *   `Microsoft.Compute/virtualMachineScaleSets/...` operation. We therefore use `StringIn` with the
 *   exact operation names, which cannot over-match, and fail loudly instead of widening the filter
 *   when the list outgrows the limit.
 */

/** The ARM system-topic event types `armEvents` consumes (completions only: no Failure/Cancel). */
export const ARM_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
] as const;

/** Event Grid: advanced-filter values per event subscription, across all advanced filters. */
export const EVENT_GRID_MAX_ADVANCED_FILTER_VALUES = 25;
/** Event Grid: characters per string value in an advanced filter. */
export const EVENT_GRID_MAX_STRING_VALUE_LENGTH = 512;
/** The event field the operation filter applies to. */
export const OPERATION_NAME_KEY = 'data.operationName';

export interface StringInAdvancedFilter {
  readonly operatorType: 'StringIn';
  readonly key: string;
  readonly values: readonly string[];
}

/** The `filter` object of a `Microsoft.EventGrid/systemTopics/eventSubscriptions` resource. */
export interface EventSubscriptionFilter {
  readonly includedEventTypes: readonly string[];
  readonly advancedFilters: readonly StringInAdvancedFilter[];
  readonly enableAdvancedFilteringOnArrays: boolean;
}

// An ARM operation name as the RBAC provider-operations list spells it: Provider.Namespace/type[/type...]/verb.
const OPERATION_NAME = /^[A-Za-z]+\.[A-Za-z]+(\/[A-Za-z0-9]+)+$/;

/**
 * Builds the filter from the operation names `armEvents` handles.
 * @throws Error naming the problem when a name is malformed, duplicated (Event Grid compares
 *   case-insensitively), too long, or when the list exceeds Event Grid's 25-value limit.
 */
export function renderEventFilter(operationNames: readonly string[]): EventSubscriptionFilter {
  if (operationNames.length === 0) throw new Error('renderEventFilter: the ARM operation list is empty');
  const seen = new Map<string, string>();
  for (const name of operationNames) {
    if (!OPERATION_NAME.test(name))
      throw new Error(`renderEventFilter: ${JSON.stringify(name)} is not an ARM operation name`);
    if (name.length > EVENT_GRID_MAX_STRING_VALUE_LENGTH)
      throw new Error(
        `renderEventFilter: ${name} is longer than ${EVENT_GRID_MAX_STRING_VALUE_LENGTH} characters`,
      );
    const key = name.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined)
      throw new Error(
        `renderEventFilter: ${name} duplicates ${earlier} (Event Grid matches operation names case-insensitively)`,
      );
    seen.set(key, name);
  }
  if (operationNames.length > EVENT_GRID_MAX_ADVANCED_FILTER_VALUES)
    throw new Error(
      `renderEventFilter: ${operationNames.length} operation names exceed Event Grid's limit of ` +
        `${EVENT_GRID_MAX_ADVANCED_FILTER_VALUES} advanced-filter values per subscription; split the ` +
        'subscription or filter on exact prefixes ending in "/" (never "Microsoft.Compute/virtualMachines" ' +
        'without the slash: it also matches virtualMachineScaleSets)',
    );
  const values = [...operationNames].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  return {
    includedEventTypes: [...ARM_EVENT_TYPES],
    advancedFilters: [{ operatorType: 'StringIn', key: OPERATION_NAME_KEY, values }],
    enableAdvancedFilteringOnArrays: false,
  };
}
