/**
 * Small helpers every ARM adapter uses: a GET that maps 404 to `undefined`, a paged list that maps a
 * 404 (missing resource group or parent) to `[]`, a write that awaits its long-running operation, all
 * translating errors at the edge; and the conversions between the SDKs' model interfaces and
 * shared/core's observed types (which are structurally the same flattened models, plus an index
 * signature so unknown fields flow through).
 */
import { parseArmId } from '../../core/armId.js';
import type { ArmResourceId } from '../../core/armId.js';
import { InvariantError } from '../../core/errors.js';
import type { ArmErrorContext } from './translateArmError.js';
import { isArmNotFound, translateArmError } from './translateArmError.js';

/** A GET: the value, or `undefined` when ARM answers 404. */
export async function armGet<T>(call: () => Promise<T>, context: ArmErrorContext): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isArmNotFound(e)) return undefined;
    throw translateArmError(e, context);
  }
}

/** Every page of a list; `[]` when ARM answers 404 (e.g. the resource group does not exist). */
export async function armList<T>(
  list: () => AsyncIterable<T>,
  context: ArmErrorContext,
): Promise<readonly T[]> {
  const out: T[] = [];
  try {
    for await (const item of list()) out.push(item);
  } catch (e) {
    if (isArmNotFound(e)) return [];
    throw translateArmError(e, context);
  }
  return out;
}

/** A write (PUT/DELETE): awaits the SDK's poller (the long-running operation) and translates errors. */
export async function armWrite<T>(call: () => PromiseLike<T>, context: ArmErrorContext): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw translateArmError(e, context);
  }
}

/** A DELETE: an absent resource counts as deleted. */
export async function armDelete(call: () => PromiseLike<unknown>, context: ArmErrorContext): Promise<void> {
  try {
    await call();
  } catch (e) {
    if (isArmNotFound(e)) return;
    throw translateArmError(e, context);
  }
}

/** Parses an id egret built or Azure returned; a malformed one is a bug. */
export function requireArmId(id: string): ArmResourceId {
  const parsed = parseArmId(id);
  if (parsed.kind !== 'ok') throw new InvariantError(`not an ARM resource id (${parsed.problem}): ${id}`);
  return parsed.resource;
}

/**
 * An SDK model as a shared/core observed type. Checks the fields the observed type requires
 * (`id`, and `name` unless told otherwise); the rest is the same flattened shape.
 */
export function asObserved<T>(value: object, what: string, options: { readonly name?: boolean } = {}): T {
  const v = value as { readonly id?: unknown; readonly name?: unknown };
  if (typeof v.id !== 'string' || v.id === '')
    throw new InvariantError(`ARM returned a ${what} without an id`);
  if (options.name !== false && (typeof v.name !== 'string' || v.name === ''))
    throw new InvariantError(`ARM returned a ${what} without a name: ${v.id}`);
  return value as T;
}

/**
 * A planner body as the SDK model it is sent as. The observed types are the SDKs' flattened models
 * (plus unknown fields), so this is a view change, not a conversion: the SDK serializer picks the
 * writable fields it knows and drops read-only ones (etag, provisioningState, …).
 */
export function asSdkModel<T>(body: object): T {
  return body as T;
}

/** `{ 'If-Match': etag }` for Network SDK calls (Network has no ifMatch option), or `If-None-Match: *` to create. */
export function conditionHeaders(
  condition: { readonly ifMatch?: string } | { readonly create: true },
): Record<string, string> {
  if ('create' in condition) return { 'If-None-Match': '*' };
  return condition.ifMatch === undefined ? {} : { 'If-Match': condition.ifMatch };
}
