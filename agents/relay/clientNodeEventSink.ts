/**
 * The relay's {@link EventSink} on client-node's EventsV1Api (events.k8s.io/v1).
 *
 * The API server parses `eventTime` and `series.lastObservedTime` as MicroTime, RFC 3339 with exactly
 * six fractional digits; a plain `Date` serialises with three and is refused. client-node's
 * `V1MicroTime` serialises with six.
 */
import { EventsV1Api, type EventsV1Event, type KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { kube, mergePatchOptions, signalOptions } from './clientNodeRelayCluster.js';
import type { EventSink } from './eventRecorder.js';

/** The sink over a kubeconfig. */
export function createClientNodeEventSink(options: { readonly kubeConfig: KubeConfig }): EventSink {
  const api = options.kubeConfig.makeApiClient(EventsV1Api);
  return {
    async create(e, signal) {
      const body: EventsV1Event = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { namespace: e.namespace, name: e.name },
        eventTime: new V1MicroTime(e.eventTimeMs),
        reportingController: e.reportingController,
        reportingInstance: e.reportingInstance,
        action: e.action,
        reason: e.reason,
        type: e.type,
        note: e.note,
        regarding: { ...e.regarding },
      };
      await kube(`create event ${e.namespace}/${e.name}`, () =>
        api.createNamespacedEvent({ namespace: e.namespace, body }, signalOptions(signal)),
      );
    },
    async updateSeries(ref, series, signal) {
      const body = {
        series: { count: series.count, lastObservedTime: new V1MicroTime(series.lastObservedMs) },
        note: series.note,
      };
      await kube(`patch event ${ref.namespace}/${ref.name}`, () =>
        api.patchNamespacedEvent(
          { namespace: ref.namespace, name: ref.name, body },
          mergePatchOptions(signal),
        ),
      );
    },
  };
}
