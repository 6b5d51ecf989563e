/**
 * The limits every value from outside (the relay, Event Grid, the admin API) is checked against at the
 * boundary, BEFORE anything is stored, so a request is refused with a 4xx naming the field instead of
 * failing half-way at Table Storage, the queue or Azure (found by fuzzing: 500s, a wedged pool).
 *
 * Where they come from:
 * - Table Storage: PartitionKey and RowKey are at most 1 KiB (512 UTF-16 characters) and must not hold
 *   `/ \ # ?` or control characters (U+0000–U+001F, U+007F–U+009F); Azurite answers 500 where Azure
 *   answers 400, so egret checks them itself. The port-claim RowKey is `config-<uid>`.
 * - A lone UTF-16 surrogate cannot be encoded as UTF-8: the storage client fails on the wire, which
 *   looked transient (503) and made the relay retry forever.
 * - Kubernetes: `metadata.name` of a custom resource is a DNS subdomain (≤ 253), `metadata.namespace`
 *   a DNS label (≤ 63); the API server's uids are UUIDs (36 characters).
 * - Azure: egret names resources `egressgateway-<uid>` (ipConfigurations, prefixes, LB rules and
 *   probes), whose names are at most 80 characters of letters, digits, `_ . -`, ending in a letter,
 *   digit or `_`: so a uid is at most 66 such characters.
 * - Queue messages: a reconcile reason is at most 1024 characters (the message stays far below 64 KiB).
 */
import type { FieldProblem } from './errors.js';

/** Longest cluster id: a PartitionKey, and part of queue reasons. */
export const MAX_CLUSTER_ID = 253;
/** Longest uid: `egressgateway-<uid>` must fit Azure's 80-character names. */
export const MAX_UID = 66;
/** Longest `metadata.name` (DNS subdomain). */
export const MAX_NAME = 253;
/** Longest `metadata.namespace` (DNS label). */
export const MAX_NAMESPACE = 63;
/** Longest `metadata.resourceVersion` / `deletionTimestamp` egret stores. */
export const MAX_SHORT_TEXT = 128;
/** Deepest JSON nesting of a spec (the schema itself is 4 levels deep). */
export const MAX_SPEC_DEPTH = 32;
/** Longest spec as JSON (stored split over Table properties; far above any real spec). */
export const MAX_SPEC_JSON = 200_000;
/** Longest Event Grid event id once escaped into a RowKey. */
export const MAX_EVENT_KEY = 512;
/** Longest ARM resource id egret reads from an event. */
export const MAX_RESOURCE_ID = 2048;
/** Longest reconcile reason a queue message carries. */
export const MAX_REASON = 1024;

const KEY_FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
const UID = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

/** True when `s` holds no lone UTF-16 surrogate (so it has a UTF-8 encoding). */
export function isWellFormedText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** The problem with a value used as a Table key (or part of one), or undefined. */
export function keyProblem(field: string, value: string, maxLength: number): FieldProblem | undefined {
  if (value === '') return { field, message: 'is required (a non-empty string)' };
  if (!isWellFormedText(value))
    return { field, message: 'must be valid Unicode (it holds a lone surrogate)' };
  if (value.length > maxLength) return { field, message: `must be at most ${maxLength} characters` };
  if (KEY_FORBIDDEN.test(value)) return { field, message: 'must not contain / \\ # ? or control characters' };
  return undefined;
}

/** The problem with a configuration uid, or undefined. */
export function uidProblem(field: string, uid: string): FieldProblem | undefined {
  const p = keyProblem(field, uid, MAX_UID);
  if (p !== undefined) return p;
  return UID.test(uid)
    ? undefined
    : {
        field,
        message: 'must be letters, digits, _ . - (starting with a letter or digit, as in a UUID)',
      };
}

/** The problem with `metadata.name` (DNS subdomain) or `metadata.namespace` (DNS label), or undefined. */
export function objectNameProblem(
  field: string,
  value: string,
  kind: 'name' | 'namespace',
): FieldProblem | undefined {
  const max = kind === 'name' ? MAX_NAME : MAX_NAMESPACE;
  const p = keyProblem(field, value, max);
  if (p !== undefined) return p;
  const ok = (kind === 'name' ? DNS_SUBDOMAIN : DNS_LABEL).test(value);
  return ok
    ? undefined
    : {
        field,
        message:
          kind === 'name'
            ? 'must be a DNS subdomain (lower-case letters, digits, - and .)'
            : 'must be a DNS label (lower-case letters, digits and -)',
      };
}

/** The problem with a short free-text field (well-formed, bounded), or undefined. */
export function textProblem(field: string, value: string, maxLength: number): FieldProblem | undefined {
  if (!isWellFormedText(value))
    return { field, message: 'must be valid Unicode (it holds a lone surrogate)' };
  if (value.length > maxLength) return { field, message: `must be at most ${maxLength} characters` };
  return undefined;
}

/**
 * The problem with a JSON value nested deeper than `maxDepth`, or holding a lone surrogate in a key or
 * string, or undefined. Iterative, so a hostile 100,000-deep value cannot overflow the stack.
 */
export function jsonShapeProblem(field: string, value: unknown, maxDepth: number): FieldProblem | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v === 'string') {
      if (!isWellFormedText(v))
        return { field, message: 'must be valid Unicode (a string holds a lone surrogate)' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { field, message: `must be nested at most ${maxDepth} levels deep` };
    if (Array.isArray(v)) for (const item of v) stack.push([item, depth + 1]);
    else
      for (const [k, item] of Object.entries(v)) {
        if (!isWellFormedText(k))
          return { field, message: 'must be valid Unicode (a key holds a lone surrogate)' };
        stack.push([item, depth + 1]);
      }
  }
  return undefined;
}

/**
 * Length of `id` once escaped into a RowKey the way the event-dedupe table does (`%`, the forbidden
 * key characters and control characters become `%XX` per UTF-8 byte).
 */
export function escapedKeyLength(id: string): number {
  let n = 0;
  for (const ch of id) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '%' || KEY_FORBIDDEN.test(ch)) n += c >= 0x80 ? 6 : 3;
    else n += ch.length;
  }
  return n;
}

/** `text` cut to at most `max` characters (never splitting a surrogate pair), with a marker when cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const c = text.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}
