/**
 * Event Grid ARM system-topic events (Event Grid schema or CloudEvents 1.0) → a hint naming an Azure
 * resource, or why the event is ignored, or what is wrong with it.
 *
 * Events are only hints (DESIGN.md): they carry no resource body, arrive at least once and unordered,
 * and egret's own writes produce them too. So normalisation decides only "might a gateway pool need a
 * look?"; the reconcile re-observes the pool. Classification is by `eventType` (`…Success`), never by
 * `data.status`: the official Failure/Cancel samples carry `"status": "Succeeded"` in `data`.
 *
 * Decoded here, by hand, not with @azure/eventgrid (which egret no longer depends on): the Functions
 * host already parses the delivery and hands one event object per invocation (Event Grid schema, as
 * the template subscribes), so the SDK's `EventGridDeserializer` would add only `eventTime` → `Date`
 * (unused) and generic TypeErrors instead of problems naming the field, and `isSystemEvent` is a
 * case-sensitive `eventType ===`; in the Functions bundle it costs ~155 KB (its system-event mappers),
 * and it could not live here (shared/core imports no SDK).
 */
import type { ArmResourceId } from './armId.js';
import { parseArmId, sameArmId } from './armId.js';
import type { FieldProblem } from './errors.js';
import {
  escapedKeyLength,
  isWellFormedText,
  MAX_EVENT_KEY,
  MAX_RESOURCE_ID,
  textProblem,
} from './inputLimits.js';
import type { PoolRef } from './pool.js';

/**
 * The ARM operations egret reacts to, and why. The deployment template's Event Grid subscription
 * filters on exactly these (`data.operationName`, StringIn, case-insensitive), and a test checks it.
 * Left out on purpose: VM power actions (start, deallocate, powerOff, restart) and reimage change no
 * NIC or ipConfig; the periodic resync covers anything else that slips through.
 */
export const HANDLED_ARM_OPERATIONS = [
  /** VMSS model written (also scale via PATCH, and model rollouts that strip ipConfigs, upstream #1381). */
  'Microsoft.Compute/virtualMachineScaleSets/write',
  /** VMSS deleted: its pool is gone. */
  'Microsoft.Compute/virtualMachineScaleSets/delete',
  /** Bulk instance delete (POST …/delete with instanceIds; the event does not say which). */
  'Microsoft.Compute/virtualMachineScaleSets/delete/action',
  /** Model applied to instances (updateInstances): may replace instance ipConfigs. */
  'Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action',
  /** An instance written: a new or re-created instance needs egret's ipConfigs. */
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write',
  /** An instance deleted: status must drop its node. */
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/delete',
  /** A VM written: a VirtualMachines-pool node or a standalone gateway VM appeared or changed. */
  'Microsoft.Compute/virtualMachines/write',
  /** A VM deleted. */
  'Microsoft.Compute/virtualMachines/delete',
  /** A NIC written out of band (ipConfigs edited) or pre-created for a VirtualMachines pool. */
  'Microsoft.Network/networkInterfaces/write',
  /** A NIC deleted. */
  'Microsoft.Network/networkInterfaces/delete',
  /** The ILB edited out of band (rules, probes, frontends). */
  'Microsoft.Network/loadBalancers/write',
  /** The ILB deleted out of band. */
  'Microsoft.Network/loadBalancers/delete',
  /** A prefix created (a missing bring-your-own prefix may now exist) or changed. */
  'Microsoft.Network/publicIPPrefixes/write',
  /** A prefix deleted out of band. */
  'Microsoft.Network/publicIPPrefixes/delete',
] as const;
/** One of {@link HANDLED_ARM_OPERATIONS}. */
export type HandledArmOperation = (typeof HANDLED_ARM_OPERATIONS)[number];

/** The event types that report a completed ARM operation. */
export const SUCCESS_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
] as const;

/** The outcome of {@link normalizeArmEvent}. */
export type NormalizedArmEvent =
  | {
      readonly kind: 'pool-hint';
      /** Event Grid's id: dedupe on it (delivery is at least once). */
      readonly eventId: string;
      readonly eventType: (typeof SUCCESS_EVENT_TYPES)[number];
      /** Canonical spelling from {@link HANDLED_ARM_OPERATIONS}. */
      readonly operation: HandledArmOperation;
      readonly resource: ArmResourceId;
    }
  | { readonly kind: 'ignored'; readonly eventId?: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly problems: readonly FieldProblem[] };

type Json = Readonly<Record<string, unknown>>;

/** Normalises one event in either schema. */
export function normalizeArmEvent(event: unknown): NormalizedArmEvent {
  if (!isObject(event))
    return { kind: 'invalid', problems: [{ field: 'event', message: 'must be a JSON object' }] };
  const cloud = typeof event['specversion'] === 'string';
  const typeField = cloud ? 'type' : 'eventType';
  const problems: FieldProblem[] = [];
  const text = (field: string): string => {
    const value = event[field];
    if (typeof value === 'string' && value !== '') return value;
    problems.push({ field, message: 'is required (a non-empty string)' });
    return '';
  };
  const eventId = text('id');
  const eventType = text(typeField);
  const subject = text('subject');
  if (cloud && event['specversion'] !== '1.0')
    problems.push({ field: 'specversion', message: 'must be "1.0"' });
  // The id becomes a dedupe RowKey (escaped): it must encode as UTF-8 and fit 512 characters.
  if (eventId !== '' && !isWellFormedText(eventId))
    problems.push({ field: 'id', message: 'must be valid Unicode (it holds a lone surrogate)' });
  else if (escapedKeyLength(eventId) > MAX_EVENT_KEY)
    problems.push({ field: 'id', message: `must be at most ${MAX_EVENT_KEY} characters once escaped` });
  const subjectProblem = textProblem('subject', subject, MAX_RESOURCE_ID);
  if (subjectProblem !== undefined) problems.push(subjectProblem);
  if (problems.length > 0) return { kind: 'invalid', problems };

  const id = { eventId };
  if (eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent') {
    return { kind: 'ignored', ...id, reason: 'subscription validation handshake (the webhook answers it)' };
  }
  if (!eventType.startsWith('Microsoft.Resources.Resource')) {
    return { kind: 'ignored', ...id, reason: `${eventType} is not an ARM resource event` };
  }
  const success = SUCCESS_EVENT_TYPES.find((t) => t.toLowerCase() === eventType.toLowerCase());
  if (success === undefined) {
    return {
      kind: 'ignored',
      ...id,
      reason: `${eventType}: the operation did not succeed, so it changed nothing to react to`,
    };
  }
  const data = event['data'];
  if (!isObject(data))
    return { kind: 'invalid', problems: [{ field: 'data', message: 'must be an object' }] };
  const operationName = data['operationName'];
  if (typeof operationName !== 'string' || operationName === '') {
    return {
      kind: 'invalid',
      problems: [{ field: 'data.operationName', message: 'is required (a non-empty string)' }],
    };
  }
  const operation = HANDLED_ARM_OPERATIONS.find((op) => op.toLowerCase() === operationName.toLowerCase());
  if (operation === undefined) {
    return { kind: 'ignored', ...id, reason: `operation ${operationName} does not concern gateway pools` };
  }
  const resourceUri =
    typeof data['resourceUri'] === 'string' && data['resourceUri'] !== '' ? data['resourceUri'] : subject;
  const uriProblem = textProblem(
    resourceUri === subject ? 'subject' : 'data.resourceUri',
    resourceUri,
    MAX_RESOURCE_ID,
  );
  if (uriProblem !== undefined) return { kind: 'invalid', problems: [uriProblem] };
  const parsed = parseArmId(resourceUri);
  if (parsed.kind === 'invalid') {
    return {
      kind: 'invalid',
      problems: [
        { field: resourceUri === subject ? 'subject' : 'data.resourceUri', message: parsed.problem },
      ],
    };
  }
  return { kind: 'pool-hint', eventId, eventType: success, operation, resource: parsed.resource };
}

/** Normalises a delivery: Event Grid posts an array (or, with batching off, sometimes one object). */
export function normalizeArmEvents(body: unknown): readonly NormalizedArmEvent[] {
  return Array.isArray(body) ? body.map((e) => normalizeArmEvent(e)) : [normalizeArmEvent(body)];
}

// ---- Resource → pool ------------------------------------------------------------------------------

/** A pool the control plane knows, with what inventory said about it. */
export interface KnownPool {
  readonly key: string;
  readonly ref: PoolRef;
  /** Ids of its NICs and VMs, when inventory listed them. */
  readonly memberIds?: readonly string[];
  /** Ids of the prefixes its configurations use. */
  readonly prefixIds?: readonly string[];
}

/** Options of {@link poolKeysForResource}. */
export interface PoolKeysOptions {
  /** The ILB's id: a change to it (or its children) concerns every pool. */
  readonly loadBalancerId: string;
}

/**
 * The keys of the pools an event's resource may concern (sorted, unique). It errs on the side of
 * more: a hint costs a cheap re-plan, a missed one waits for the resync. A VirtualMachines-pool VM or
 * NIC that inventory has not listed yet maps to every VirtualMachines pool of its resource group.
 */
export function poolKeysForResource(
  resource: ArmResourceId,
  knownPools: readonly KnownPool[],
  options: PoolKeysOptions,
): readonly string[] {
  const keys = new Set<string>();
  const type0 = (resource.provider + '/' + (resource.types[0] ?? '')).toLowerCase();
  const top = resource.names[0] ?? '';
  const rg = resource.resourceGroup.toLowerCase();
  const topLevelId = `/subscriptions/${resource.subscriptionId}/resourceGroups/${resource.resourceGroup}/providers/${resource.provider}/${resource.types[0] ?? ''}/${top}`;
  for (const pool of knownPools) {
    const ref = pool.ref;
    const sameRg = ref.resourceGroup.toLowerCase() === rg;
    const isMember = (pool.memberIds ?? []).some((id) => sameArmId(id, topLevelId));
    switch (type0) {
      case 'microsoft.compute/virtualmachinescalesets':
        if (ref.kind === 'vmss' && sameRg && ref.vmssName.toLowerCase() === top.toLowerCase())
          keys.add(pool.key);
        break;
      case 'microsoft.compute/virtualmachines':
        if (isMember) keys.add(pool.key);
        else if (
          ref.kind === 'standalone-vms' &&
          sameRg &&
          ref.vmNames.some((n) => n.toLowerCase() === top.toLowerCase())
        )
          keys.add(pool.key);
        else if (ref.kind === 'aks-vm-pool' && sameRg) keys.add(pool.key);
        break;
      case 'microsoft.network/networkinterfaces':
        if (isMember || (ref.kind === 'aks-vm-pool' && sameRg)) keys.add(pool.key);
        break;
      case 'microsoft.network/loadbalancers':
        if (sameArmId(topLevelId, options.loadBalancerId)) keys.add(pool.key);
        break;
      case 'microsoft.network/publicipprefixes':
        if ((pool.prefixIds ?? []).some((id) => sameArmId(id, topLevelId))) keys.add(pool.key);
        break;
      default:
        break;
    }
  }
  return [...keys].sort();
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
