/**
 * Section 3: event handling on a converged world (the last convergence run's).
 * - armEvents: ARM events POSTed to the local host's Event Grid webhook, one event per POST (Event
 *   Grid's default `maxEventsPerBatch`), several in flight; each a fresh id cloned from a real event the
 *   stand-in published for the pool, plus re-deliveries of some ids (dedupe). Throughput is events
 *   answered per second; then the control plane drains and the bench reports what the hints became:
 *   reconcile messages, invocations, rounds, applied plans, ARM writes.
 * - relayEvents: signed batches of 100 MODIFIED events (a newer resourceVersion of the pool's existing
 *   configurations, spec unchanged — what a relay re-list sends), one request at a time as the relay
 *   does; throughput in configurations per second, then the same drain report.
 */
import { performance } from 'node:perf_hooks';
import type { RelayEvent } from '../../shared/core/relayContract.js';
import { armTraffic, type ArmTraffic } from './armTraffic.js';
import { benchConfiguration, type BenchWorld } from './controlPlaneWorld.js';
import { reconcileFigures, type ReconcileFigures } from './convergenceBench.js';
import { median, percentile } from './measure.js';

export interface DrainFigures {
  /** From the last answer until nothing is left to do. */
  readonly drainMs: number;
  /** Reconcile messages the handlers enqueued (one per pool per event / per request). */
  readonly messages: number;
  readonly reconcile: ReconcileFigures;
  /** Messages a busy reconcile re-enqueued for after the lease (they find the pool clean later). */
  readonly busyRequeues: number;
  readonly arm: ArmTraffic;
}

export interface ArmEventsFigures {
  readonly distinct: number;
  readonly redelivered: number;
  readonly concurrency: number;
  readonly ms: number;
  readonly perSecond: number;
  readonly requestP50Ms: number;
  readonly requestP95Ms: number;
  /** Events that enqueued pools / recognised as duplicates, as the handler logged them. */
  readonly enqueued: number;
  readonly duplicates: number;
  /** Answers other than 2xx (the delivery was retried, as Event Grid retries). */
  readonly failedAnswers: number;
  readonly firstFailure?: string;
  readonly drain: DrainFigures;
}

export interface RelayEventsFigures {
  readonly requests: number;
  readonly configurations: number;
  readonly ms: number;
  readonly perSecond: number;
  readonly requestP50Ms: number;
  readonly requestP95Ms: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly drain: DrainFigures;
}

export interface ArmEventsOptions {
  /** Distinct events. */
  readonly events: number;
  /** Of those, how many are delivered a second time. */
  readonly redelivered: number;
  /** POSTs in flight. */
  readonly concurrency: number;
}

export interface RelayEventsOptions {
  /** Requests of 100 events. */
  readonly requests: number;
  /** Configurations existing in the world (benchConfiguration 0..n-1). */
  readonly configurations: number;
}

async function drain(world: BenchWorld, since: number): Promise<DrainFigures> {
  await world.settle();
  const drainMs = performance.now() - since;
  const stats = await world.worker.stats();
  return {
    drainMs,
    messages: stats.armEvents.messages + stats.relayEvents.messages,
    reconcile: reconcileFigures(stats),
    busyRequeues: stats.busyRequeues,
    arm: armTraffic(world.requests()),
  };
}

/** Runs so far: each run's event ids are new (a second run must not be all duplicates). */
let armEventRuns = 0;

/** ARM events through the Event Grid webhook, then the drain (see the module comment). */
export async function benchArmEvents(
  world: BenchWorld,
  options: ArmEventsOptions,
): Promise<ArmEventsFigures> {
  const operationOf = (e: Readonly<Record<string, unknown>>): string => {
    const op = (e['data'] as Readonly<Record<string, unknown>> | undefined)?.['operationName'];
    return typeof op === 'string' ? op : '';
  };
  const template = [...world.arm.admin.publishedEvents()]
    .reverse()
    .find((e) => /virtualMachineScaleSets\/virtualMachines\/write$/i.test(operationOf(e)));
  if (template === undefined)
    throw new Error('events: the stand-in published no VMSS instance write to copy');
  const run = ++armEventRuns;
  const distinct = Array.from({ length: options.events }, (_, i) => ({
    ...template,
    id: `bench-arm-event-${run}-${String(i).padStart(6, '0')}`,
    eventTime: new Date().toISOString(),
  }));
  const deliveries = [...distinct, ...distinct.slice(0, options.redelivered)];
  const url = `${world.worker.baseUrl}/runtime/webhooks/EventGrid?functionName=armEvents`;

  world.clearRequests();
  await world.worker.resetStats();
  const requestMs: number[] = [];
  // A delivery answered with an error is delivered again, as Event Grid does (after 10 s, 30 s, ...;
  // here after 10 ms, the stand-in's default retry scale).
  const queue = deliveries.map((event, i) => ({ event, redelivery: i >= distinct.length }));
  let inFlight = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (;;) {
        const item = queue.shift();
        if (item === undefined) {
          if (inFlight === 0) return;
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        inFlight++;
        const s = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'aeg-event-type': 'Notification',
            'aeg-subscription-name': 'EGRET-BENCH',
            'aeg-delivery-count': item.redelivery ? '1' : '0',
          },
          body: JSON.stringify([item.event]),
        });
        const body = await res.text();
        requestMs.push(performance.now() - s);
        if (res.status !== 202 && res.status !== 200) {
          failures++;
          firstFailure ??= `${res.status} ${body.slice(0, 200)}`;
          await new Promise((r) => setTimeout(r, 10));
          queue.push({ event: item.event, redelivery: true });
        }
        inFlight--;
      }
    }),
  );
  const t1 = performance.now();
  const figures = await drain(world, t1);
  const stats = await world.worker.stats();
  const ms = t1 - t0;
  return {
    distinct: distinct.length,
    redelivered: deliveries.length - distinct.length,
    concurrency: options.concurrency,
    ms,
    perSecond: (deliveries.length / ms) * 1000,
    requestP50Ms: median(requestMs),
    requestP95Ms: percentile(requestMs, 95),
    enqueued: stats.armEvents.enqueued,
    duplicates: stats.armEvents.duplicates,
    failedAnswers: failures,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    drain: figures,
  };
}

/** Relay batches through relayEvents, then the drain (see the module comment). */
export async function benchRelayEvents(
  world: BenchWorld,
  options: RelayEventsOptions,
): Promise<RelayEventsFigures> {
  const n = options.configurations;
  const total = options.requests * 100;
  const events: RelayEvent[] = Array.from({ length: total }, (_, k) => ({
    type: 'MODIFIED',
    object: benchConfiguration(k % n, 100_000 + k),
  }));
  world.clearRequests();
  await world.worker.resetStats();
  const sent = await world.sendEvents(events, 100);
  const figures = await drain(world, performance.now());
  return {
    requests: sent.requests,
    configurations: sent.events,
    ms: sent.ms,
    perSecond: (sent.events / sent.ms) * 1000,
    requestP50Ms: median(sent.requestMs),
    requestP95Ms: percentile(sent.requestMs, 95),
    outcomes: sent.outcomes,
    drain: figures,
  };
}
