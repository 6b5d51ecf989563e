/**
 * Records Kubernetes Events (events.k8s.io/v1) on StaticGatewayConfigurations, through an
 * {@link EventSink} (client-node's EventsV1Api in clientNodeEventSink.ts), correlated as client-go's
 * recorder does (eventCorrelator.ts): spam filter, aggregation, and series updates by PATCH of the
 * recorded Event instead of a new object.
 *
 * Events are best effort, as in client-go: a failed write is logged and dropped; it never fails or
 * delays the reconcile that asked for it beyond the one request. A series PATCH that finds its Event
 * gone (the API's event TTL, someone deleted it) creates a new one.
 */
import { NotFoundError } from '../../shared/core/errors.js';
import type { Logger } from '../common/logger.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { EventIntent } from './configurationEvents.js';
import { EventCorrelator, type EventCorrelationOptions, type EventRegarding } from './eventCorrelator.js';

/** `reportingController` of egret's Events (a qualified name, as the API requires). */
export const EGRET_REPORTING_CONTROLLER = 'egressgateway.kubernetes.azure.com/egret-relay';

/** An events.k8s.io/v1 Event as egret writes it (times are epoch milliseconds; the sink formats them). */
export interface NewEvent {
  readonly namespace: string;
  readonly name: string;
  readonly eventTimeMs: number;
  readonly reportingController: string;
  readonly reportingInstance: string;
  readonly action: string;
  readonly reason: string;
  readonly type: 'Normal' | 'Warning';
  readonly note: string;
  readonly regarding: EventRegarding;
}

/** The narrow port the recorder writes through. */
export interface EventSink {
  /** POST the Event. */
  create(event: NewEvent, signal: AbortSignal): Promise<void>;
  /**
   * Merge-PATCH `series {count, lastObservedTime}` (and the note) of a recorded Event.
   * @throws NotFoundError when the Event is gone.
   */
  updateSeries(
    ref: { readonly namespace: string; readonly name: string },
    series: { readonly count: number; readonly lastObservedMs: number; readonly note: string },
    signal: AbortSignal,
  ): Promise<void>;
}

/** What the recorder did with one Event (for tests and metrics). */
export type RecordOutcome = 'created' | 'series' | 'dropped' | 'failed';

/** Records Events for one relay replica. */
export class EventRecorder {
  private readonly correlator: EventCorrelator;
  private seq = 0;

  constructor(
    private readonly options: {
      readonly sink: EventSink;
      /** `reportingInstance`: this replica (its pod name). */
      readonly instance: string;
      readonly clock: Clock;
      readonly log: Logger;
      readonly correlation?: Partial<EventCorrelationOptions>;
    },
  ) {
    this.correlator = new EventCorrelator(options.correlation);
  }

  /** Records `intent` on `regarding`; never throws. */
  async record(regarding: EventRegarding, intent: EventIntent, signal: AbortSignal): Promise<RecordOutcome> {
    const { sink, clock, log } = this.options;
    const reportingInstance = this.options.instance.slice(0, 128);
    const now = clock.nowMs();
    const decision = this.correlator.correlate(
      { reportingController: EGRET_REPORTING_CONTROLLER, reportingInstance, regarding, ...intent },
      now,
    );
    const about = `${regarding.namespace}/${regarding.name}`;
    try {
      switch (decision.kind) {
        case 'drop':
          log.debug('event dropped by the spam filter', { configuration: about, reason: intent.reason });
          return 'dropped';
        case 'series':
          try {
            await sink.updateSeries(
              { namespace: regarding.namespace, name: decision.name },
              { count: decision.count, lastObservedMs: decision.lastObservedMs, note: decision.note },
              signal,
            );
            return 'series';
          } catch (e) {
            if (!(e instanceof NotFoundError)) throw e;
            this.correlator.forget(decision.key);
          }
          return await this.create(regarding, intent, decision.note, decision.key, now, signal);
        case 'create':
          return await this.create(regarding, intent, decision.note, decision.key, now, signal);
      }
    } catch (e) {
      this.correlator.forget(decision.kind === 'drop' ? '' : decision.key);
      log.warn('recording an event failed; dropped', {
        configuration: about,
        reason: intent.reason,
        error: e instanceof Error ? e.message : String(e),
      });
      return 'failed';
    }
  }

  private async create(
    regarding: EventRegarding,
    intent: EventIntent,
    note: string,
    key: string,
    now: number,
    signal: AbortSignal,
  ): Promise<RecordOutcome> {
    // client-go names Events `<regarding name>.<unix nanoseconds in hex>`; a counter keeps two Events
    // of one millisecond apart.
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const name = `${regarding.name}.${nanos.toString(16)}`;
    await this.options.sink.create(
      {
        namespace: regarding.namespace,
        name,
        eventTimeMs: now,
        reportingController: EGRET_REPORTING_CONTROLLER,
        reportingInstance: this.options.instance.slice(0, 128),
        action: intent.action,
        reason: intent.reason,
        type: intent.type,
        note,
        regarding,
      },
      signal,
    );
    this.correlator.created(key, name, now);
    return 'created';
  }
}
