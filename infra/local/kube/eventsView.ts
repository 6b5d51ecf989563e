/**
 * events.k8s.io/v1 Events as the real API server serves them: one stored object, two views. The
 * stand-in stores core/v1 Events; an events.k8s.io/v1 request reads and writes the same objects
 * through the field mapping of k8s.io/kubernetes pkg/apis/events/v1 conversion:
 *
 * | events.k8s.io/v1           | core/v1              |
 * |----------------------------|----------------------|
 * | regarding                  | involvedObject       |
 * | note                       | message              |
 * | reportingController        | reportingComponent   |
 * | deprecatedSource           | source               |
 * | deprecatedFirstTimestamp   | firstTimestamp       |
 * | deprecatedLastTimestamp    | lastTimestamp        |
 * | deprecatedCount            | count                |
 * | eventTime, series, action, reason, type, related, reportingInstance: the same |
 *
 * So an Event written through events.k8s.io/v1 is listed by `kubectl describe` (core/v1, field
 * selector on involvedObject) and the other way round. Writes through events.k8s.io/v1 are validated
 * as the API server's `ValidateEventCreate`/`ValidateEventUpdate` do for that version; MicroTime
 * fields (`eventTime`, `series.lastObservedTime`) must carry exactly six fractional digits, as Go's
 * `time.Parse(RFC3339Micro)` demands, or the request fails to decode (400).
 */
import { badRequest, fieldError, type FieldError } from './kubeStatus.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';

/** events.k8s.io/v1 name → core/v1 name, for the fields that differ. */
const RENAMED: readonly (readonly [string, string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];
const SAME = ['eventTime', 'series', 'action', 'reason', 'type', 'related', 'reportingInstance'];

/** Core/v1 storage form of an events.k8s.io/v1 body. */
export function eventsV1ToCore(obj: JsonObject): JsonObject {
  const out: JsonObject = { apiVersion: 'v1', kind: 'Event' };
  if (obj['metadata'] !== undefined) out['metadata'] = obj['metadata'];
  for (const k of SAME) if (obj[k] !== undefined && obj[k] !== null) out[k] = obj[k];
  for (const [v1, core] of RENAMED) if (obj[v1] !== undefined && obj[v1] !== null) out[core] = obj[v1];
  return out;
}

/** The events.k8s.io/v1 view of a stored core/v1 Event. */
export function eventsV1FromCore(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  if (obj['metadata'] !== undefined) out['metadata'] = obj['metadata'];
  for (const k of SAME) if (obj[k] !== undefined && obj[k] !== null) out[k] = obj[k];
  for (const [v1, core] of RENAMED) {
    const v = obj[core];
    if (v === undefined || v === null) continue;
    if (core === 'source' && isJsonObject(v) && Object.keys(v).length === 0) continue;
    if (core === 'count' && v === 0) continue;
    out[v1] = v;
  }
  return out;
}

/** Field selectors of events.k8s.io/v1 Events, read from the stored core/v1 form. */
export const EVENTS_V1_FIELD_SELECTORS: Readonly<Record<string, string>> = {
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reason: 'reason',
  reportingController: 'reportingComponent',
  type: 'type',
};

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/** Rejects (400) a MicroTime field Go's decoder could not parse. Applies to both versions. */
export function checkMicroTimes(obj: JsonObject): void {
  const check = (value: Json | undefined, path: string): void => {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string' || !MICRO_TIME.test(value))
      throw badRequest(
        `Event in version "v1" cannot be handled as a Event: ${path}: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`,
      );
  };
  check(obj['eventTime'], 'eventTime');
  const series = obj['series'];
  if (isJsonObject(series)) check(series['lastObservedTime'], 'series.lastObservedTime');
}

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** `ValidateEventCreate`/`Update` for an events.k8s.io/v1 body (in its v1 form). */
export function validateEventsV1(obj: JsonObject, namespace: string | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const str = (k: string): string | undefined => {
    const v = obj[k];
    return typeof v === 'string' ? v : undefined;
  };
  if ((str('eventTime') ?? '') === '') errors.push(fieldError.required('eventTime', ''));
  const type = str('type');
  if (type !== 'Normal' && type !== 'Warning')
    errors.push(fieldError.invalid('type', type ?? '', 'has invalid value: must be Normal or Warning'));
  for (const k of ['deprecatedFirstTimestamp', 'deprecatedLastTimestamp'])
    if (obj[k] !== undefined && obj[k] !== null) errors.push(fieldError.invalid(k, '', 'needs to be unset'));
  if (typeof obj['deprecatedCount'] === 'number' && obj['deprecatedCount'] !== 0)
    errors.push(fieldError.invalid('deprecatedCount', String(obj['deprecatedCount']), 'needs to be unset'));
  const source = obj['deprecatedSource'];
  if (isJsonObject(source) && Object.values(source).some((v) => v !== '' && v !== null))
    errors.push(fieldError.invalid('deprecatedSource', '', 'needs to be unset'));
  const series = obj['series'];
  if (isJsonObject(series)) {
    const count = series['count'];
    if (typeof count !== 'number' || count < 2)
      errors.push(fieldError.invalid('series.count', JSON.stringify(count ?? null), 'should be at least 2'));
    if (series['lastObservedTime'] === undefined || series['lastObservedTime'] === null)
      errors.push(fieldError.required('series.lastObservedTime', ''));
  }
  const controller = str('reportingController') ?? '';
  if (controller === '') errors.push(fieldError.required('reportingController', ''));
  else if (!QUALIFIED_NAME.test(controller) || controller.length > 316)
    errors.push(fieldError.invalid('reportingController', controller, 'must be a qualified name'));
  for (const k of ['reportingInstance', 'action', 'reason']) {
    const v = str(k) ?? '';
    if (v === '') errors.push(fieldError.required(k, ''));
    else if (v.length > 128) errors.push(fieldError.invalid(k, v, 'can have at most 128 characters'));
  }
  const note = str('note') ?? '';
  if (Buffer.byteLength(note, 'utf8') > 1024)
    errors.push(fieldError.invalid('note', '', 'can have at most 1024 characters'));
  const regarding = obj['regarding'];
  const regardingNs = isJsonObject(regarding) ? regarding['namespace'] : undefined;
  if (typeof regardingNs === 'string' && regardingNs !== '' && regardingNs !== namespace)
    errors.push(fieldError.invalid('regarding.namespace', regardingNs, 'does not match event.namespace'));
  return errors;
}
