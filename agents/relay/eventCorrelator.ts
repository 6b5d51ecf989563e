/**
 * Event correlation as client-go does it (pure; time is passed in), so a configuration that fails
 * the same way on every status pull does not flood the API:
 *
 * 1. **Spam filter** (tools/record `EventSourceObjectSpamFilter`): a token bucket per source and
 *    object (reportingController + reportingInstance + regarding), burst 25, refilled at 1 token per
 *    300 s. An Event with no token left is dropped.
 * 2. **Aggregation** (tools/record `EventAggregator`): Events of one source and object with the same
 *    type, reason and action but different notes are "similar"; from the 10th distinct note within
 *    10 minutes of each other on, they are recorded as one Event whose note is
 *    `(combined from similar events): <latest note>`.
 * 3. **Series** (tools/events, events.k8s.io/v1): an Event isomorphic to a recorded one (same source,
 *    regarding, type, reason, action and note) is not created again: the recorded one gets
 *    `series {count, lastObservedTime}` by PATCH — count 2 at the first repeat, then +1. A series not
 *    observed for 6 minutes is finished; the next occurrence starts a new Event.
 *
 * The regarding object's resourceVersion is not part of any key: every status write bumps it, and the
 * Event is about the object, not one of its versions (client-go's recorder keys by the whole
 * reference; egret's relay writes the status itself, so it would never repeat).
 */

/** The object an Event is about (events.k8s.io/v1 `regarding`). */
export interface EventRegarding {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion?: string;
}

/** What the correlator is asked about. */
export interface CorrelationInput {
  readonly reportingController: string;
  readonly reportingInstance: string;
  readonly regarding: EventRegarding;
  readonly type: string;
  readonly reason: string;
  readonly action: string;
  readonly note: string;
}

/** The decision. */
export type Correlation =
  | { readonly kind: 'drop' }
  /** Create a new Event with this note; report its name with {@link EventCorrelator.created}. */
  | { readonly kind: 'create'; readonly key: string; readonly note: string }
  /** PATCH the recorded Event `name` with this series. */
  | {
      readonly kind: 'series';
      readonly key: string;
      readonly name: string;
      readonly count: number;
      readonly lastObservedMs: number;
      /** The note to set (an aggregated Event's note follows the latest similar one). */
      readonly note: string;
    };

/** client-go's numbers (tools/record/events_cache.go, tools/events/event_broadcaster.go). */
export const EVENT_CORRELATION_DEFAULTS = {
  spamBurst: 25,
  spamRefillMs: 300_000,
  maxSimilarNotes: 10,
  similarWindowMs: 600_000,
  seriesFinishMs: 360_000,
  /** LRU bound of every cache (client-go's maxLruCacheEntries). */
  maxEntries: 4096,
} as const;

export type EventCorrelationOptions = { -readonly [K in keyof typeof EVENT_CORRELATION_DEFAULTS]: number };

interface Bucket {
  tokens: number;
  atMs: number;
}
interface Similar {
  readonly notes: Set<string>;
  lastMs: number;
}
interface Recorded {
  readonly name: string;
  count: number;
  lastObservedMs: number;
}

/** The correlator of one recorder. */
export class EventCorrelator {
  private readonly buckets = new Map<string, Bucket>();
  private readonly similar = new Map<string, Similar>();
  private readonly recorded = new Map<string, Recorded>();
  private readonly options: EventCorrelationOptions;

  constructor(options: Partial<EventCorrelationOptions> = {}) {
    this.options = { ...EVENT_CORRELATION_DEFAULTS, ...options };
  }

  /** Decides what to do with one Event at `nowMs`. */
  correlate(input: CorrelationInput, nowMs: number): Correlation {
    const source = `${input.reportingController}\u0000${input.reportingInstance}\u0000${objectKey(input.regarding)}`;
    if (!this.takeToken(source, nowMs)) return { kind: 'drop' };
    const similarKey = [source, input.type, input.reason, input.action].join('\u0000');
    const aggregated = this.aggregate(similarKey, input.note, nowMs);
    // Aggregated Events share one key (the similar key): they become one Event whose note follows.
    const note = aggregated ? `(combined from similar events): ${input.note}` : input.note;
    const key = aggregated ? `${similarKey}\u0000*` : `${similarKey}\u0000${note}`;
    const seen = this.recorded.get(key);
    if (seen !== undefined && nowMs - seen.lastObservedMs <= this.options.seriesFinishMs) {
      seen.count = seen.count < 2 ? 2 : seen.count + 1;
      seen.lastObservedMs = nowMs;
      touch(this.recorded, key, seen);
      return { kind: 'series', key, name: seen.name, count: seen.count, lastObservedMs: nowMs, note };
    }
    this.recorded.delete(key);
    return { kind: 'create', key, note };
  }

  /** Remembers the Event created for `key` (after the API accepted it). */
  created(key: string, name: string, nowMs: number): void {
    touch(this.recorded, key, { name, count: 1, lastObservedMs: nowMs });
    bound(this.recorded, this.options.maxEntries);
  }

  /** Forgets a recorded Event (e.g. the API no longer has it): the next occurrence creates one. */
  forget(key: string): void {
    this.recorded.delete(key);
  }

  private takeToken(source: string, nowMs: number): boolean {
    const { spamBurst, spamRefillMs } = this.options;
    const b = this.buckets.get(source) ?? { tokens: spamBurst, atMs: nowMs };
    const refill = Math.floor((nowMs - b.atMs) / spamRefillMs);
    if (refill > 0) {
      b.tokens = Math.min(spamBurst, b.tokens + refill);
      b.atMs += refill * spamRefillMs;
    }
    if (b.tokens >= spamBurst) b.atMs = nowMs; // a full bucket starts its refill clock now
    const ok = b.tokens > 0;
    if (ok) b.tokens--;
    touch(this.buckets, source, b);
    bound(this.buckets, this.options.maxEntries);
    return ok;
  }

  /** Counts distinct notes of similar Events in the window; true from the 10th on. */
  private aggregate(key: string, note: string, nowMs: number): boolean {
    let s = this.similar.get(key);
    // As client-go: the record is reset when the last similar Event is older than the window.
    if (s === undefined || nowMs - s.lastMs > this.options.similarWindowMs) {
      s = { notes: new Set(), lastMs: nowMs };
    }
    s.notes.add(note);
    s.lastMs = nowMs;
    touch(this.similar, key, s);
    bound(this.similar, this.options.maxEntries);
    return s.notes.size >= this.options.maxSimilarNotes;
  }
}

function objectKey(r: EventRegarding): string {
  return [r.apiVersion, r.kind, r.namespace, r.name, r.uid].join('\u0000');
}

/** Re-inserts so Map order is least recently used first. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}

function bound<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}
