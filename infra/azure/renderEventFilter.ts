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

export interface RenderEventFilterInput {
  /** The event types `armEvents` consumes (shared/core: the ARM success events). */
  readonly eventTypes: readonly string[];
  /** The ARM operation names `armEvents` handles (shared/core: HANDLED_ARM_OPERATIONS). */
  readonly operationNames: readonly string[];
}

/**
 * Builds the filter from the event types and operation names `armEvents` handles.
 * @throws Error naming the problem when a name is malformed, duplicated (Event Grid compares
 *   case-insensitively), too long, or when the list exceeds Event Grid's 25-value limit.
 */
export function renderEventFilter(input: RenderEventFilterInput): EventSubscriptionFilter {
  const { eventTypes, operationNames } = input;
  if (eventTypes.length === 0 || eventTypes.some((t) => !/^Microsoft\.Resources\.Resource\w+$/.test(t)))
    throw new Error(`renderEventFilter: ${JSON.stringify(eventTypes)} are not ARM resource event types`);
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
  // Code-unit order of the lower-cased names: deterministic whatever the locale.
  const key = (x: string): string => x.toLowerCase();
  const values = [...operationNames].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    includedEventTypes: [...eventTypes],
    advancedFilters: [{ operatorType: 'StringIn', key: OPERATION_NAME_KEY, values }],
    enableAdvancedFilteringOnArrays: false,
  };
}
