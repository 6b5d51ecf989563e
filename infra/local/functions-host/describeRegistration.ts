/**
 * A readable view of one captured registration: its name, trigger kind and the binding metadata the
 * real host reads (route, methods, authLevel, schedule, queueName, connection). Tests assert on it,
 * and a later check compares it with the functions the deployment template names.
 */
import type { CoreFunctionMetadata, RpcBindingInfo } from './functionsCore.js';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export type TriggerDescription =
  | {
      readonly kind: 'http';
      /** The route template without the route prefix; the function name when none was given. */
      readonly route: string;
      /** Upper-case HTTP methods. */
      readonly methods: readonly string[];
      readonly authLevel: AuthLevel;
    }
  | { readonly kind: 'eventGrid' }
  | {
      readonly kind: 'timer';
      readonly schedule: string;
      readonly runOnStartup: boolean;
      /** As registered; when absent the host monitors schedules that recur at most once a minute. */
      readonly useMonitor: boolean | undefined;
    }
  | { readonly kind: 'queue'; readonly queueName: string; readonly connection: string }
  | { readonly kind: 'other'; readonly type: string };

/** One function as the host sees it. */
export interface FunctionRegistration {
  readonly name: string;
  /** The trigger binding's `type` as registered, e.g. `httpTrigger`, `queueTrigger`. */
  readonly triggerType: string;
  /** The trigger binding's generated name (it carries a random suffix). */
  readonly triggerBindingName: string;
  readonly trigger: TriggerDescription;
  /** The raw binding metadata, keyed by binding name (`$return` for the return binding). */
  readonly bindings: Readonly<Record<string, RpcBindingInfo>>;
  readonly retryOptions: CoreFunctionMetadata['retryOptions'];
}

export function describeRegistration(metadata: CoreFunctionMetadata): FunctionRegistration {
  const entry = Object.entries(metadata.bindings).find(
    ([, b]) => b.direction === 'in' && /trigger$/i.test(b.type ?? ''),
  );
  if (!entry) throw new Error(`function '${metadata.name}' has no trigger binding`);
  const [bindingName, b] = entry;
  const type = b.type ?? '';
  const str = (k: string): string | undefined => (typeof b[k] === 'string' ? b[k] : undefined);
  let trigger: TriggerDescription;
  switch (type.toLowerCase()) {
    case 'httptrigger': {
      const methods = Array.isArray(b.methods)
        ? b.methods.map((m) => String(m).toUpperCase())
        : ['GET', 'POST'];
      const level = (str('authLevel') ?? 'function').toLowerCase();
      if (level !== 'anonymous' && level !== 'function' && level !== 'admin')
        throw new Error(`function '${metadata.name}': unknown authLevel ${JSON.stringify(level)}`);
      trigger = { kind: 'http', route: str('route') ?? metadata.name, methods, authLevel: level };
      break;
    }
    case 'eventgridtrigger':
      trigger = { kind: 'eventGrid' };
      break;
    case 'timertrigger':
      trigger = {
        kind: 'timer',
        schedule: str('schedule') ?? '',
        runOnStartup: b.runOnStartup === true,
        useMonitor: typeof b.useMonitor === 'boolean' ? b.useMonitor : undefined,
      };
      break;
    case 'queuetrigger':
      trigger = {
        kind: 'queue',
        queueName: str('queueName') ?? '',
        connection: str('connection') ?? 'AzureWebJobsStorage',
      };
      break;
    default:
      trigger = { kind: 'other', type };
  }
  return {
    name: metadata.name,
    triggerType: type,
    triggerBindingName: bindingName,
    trigger,
    bindings: metadata.bindings,
    retryOptions: metadata.retryOptions,
  };
}
