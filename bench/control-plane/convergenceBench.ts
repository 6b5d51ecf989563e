/**
 * Sections 2 and 4: N configurations created at once on one VMSS pool of M instances, through the real
 * stack (controlPlaneWorld.ts): time until the relay's status pull shows all of them Ready, reconcile
 * invocations / rounds / passes (the worker's own log), ARM writes by kind (the stand-in's request
 * log) against upstream's modelled writes; then a steady-state resync (timer fired by hand) and a
 * scale-out of the pool by one instance; and the Functions worker's memory around the run.
 */
import { performance } from 'node:perf_hooks';
import type { RelayEvent, RelayStatusItem } from '../../shared/core/relayContract.js';
import { armTraffic, type ArmTraffic } from './armTraffic.js';
import { benchConfiguration, isReady, startBenchWorld, type BenchWorld } from './controlPlaneWorld.js';
import type { WorkerMemory, WorkerStats } from './functionsWorker.js';
import {
  UPSTREAM_SCALE_OUT_WRITES,
  upstreamCreateWrites,
  upstreamFloorMs,
  upstreamResyncReads,
} from './upstreamModel.js';

/** Public IP prefix space of the ARM stand-in: 203.0.113.0/24 + 198.51.100.0/24. */
const STAND_IN_PREFIX_ADDRESSES = 512;

/** Reconcile work as the worker counted it. */
export interface ReconcileFigures {
  /** `reconcile` queue-trigger invocations (one per message dequeued). */
  readonly invocations: number;
  readonly results: Readonly<Record<string, number>>;
  readonly rounds: number;
  /** observe → plan → apply cycles. */
  readonly passes: number;
}

export interface MemoryFigures {
  readonly before: WorkerMemory;
  readonly after: WorkerMemory;
}

export interface ConvergenceRow {
  readonly configurations: number;
  readonly instances: number;
  readonly prefixLength: number;
  /** From the first relayEvents request to the status pull showing all Ready. */
  readonly convergeMs: number;
  /** From the first request until nothing is left to do (events delivered, pools clean). */
  readonly settleMs: number;
  readonly relayRequests: number;
  /** The queue trigger's longest idle polling interval (host.json), ms. */
  readonly maxPollingIntervalMs: number;
  readonly reconcile: ReconcileFigures;
  readonly arm: ArmTraffic;
  readonly upstream: { readonly writes: number; readonly floorMs: number };
  /** egret's accepted writes ÷ upstream's modelled writes. */
  readonly writeRatio: number;
  readonly resync: {
    readonly ms: number;
    readonly arm: ArmTraffic;
    readonly reconcile: ReconcileFigures;
    readonly upstreamReads: number;
    readonly statusUnchanged: boolean;
  };
  readonly scaleOut:
    | {
        readonly kind: 'measured';
        /** From the new instance's creation (end of the scale-out operation) to every status listing it. */
        readonly ms: number;
        readonly arm: ArmTraffic;
        readonly reconcile: ReconcileFigures;
        readonly upstreamWrites: number;
      }
    | { readonly kind: 'skipped'; readonly reason: string };
  readonly memory: MemoryFigures;
}

export interface ConvergenceOptions {
  readonly configurations: readonly number[];
  /** Events per relayEvents request (at most 500). */
  readonly relayBatch: number;
  readonly instances: number;
  readonly latencyScale: number;
  /** Called with the world of the last run before it is stopped (the events section runs there). */
  readonly onLastWorld?: (world: BenchWorld) => Promise<void>;
  readonly onRow?: (row: ConvergenceRow) => void;
  readonly progress?: (line: string) => void;
}

/**
 * The pool's prefix length: the longest prefix with room for one more instance than the pool has (for
 * the scale-out) while N such prefixes fit in the stand-in's public prefix space, else /31.
 */
export function prefixLengthFor(configurations: number, instances: number): number {
  const length = 32 - Math.ceil(Math.log2(instances + 2));
  return configurations * 2 ** (32 - length) <= STAND_IN_PREFIX_ADDRESSES && length >= 28 ? length : 31;
}

export async function benchConvergence(options: ConvergenceOptions): Promise<ConvergenceRow[]> {
  const rows: ConvergenceRow[] = [];
  for (const [index, n] of options.configurations.entries()) {
    const m = options.instances;
    const prefixLength = prefixLengthFor(n, m);
    options.progress?.(
      `converge: starting a world for ${n} configurations on ${m} instances (/${prefixLength})`,
    );
    const world = await startBenchWorld({ instances: m, prefixLength, latencyScale: options.latencyScale });
    try {
      const row = await runOne(world, n, options);
      rows.push(row);
      options.onRow?.(row);
      if (index === options.configurations.length - 1) await options.onLastWorld?.(world);
    } finally {
      await world.stop();
    }
  }
  return rows;
}

export function reconcileFigures(stats: WorkerStats): ReconcileFigures {
  return {
    invocations:
      (stats.invocations['reconcile']?.succeeded ?? 0) + (stats.invocations['reconcile']?.failed ?? 0),
    results: stats.reconcile.results,
    rounds: stats.reconcile.rounds,
    passes: stats.reconcile.passes,
  };
}

/**
 * Polls the relay's status pull every 200 ms until all N are Ready. Meanwhile another loop looks for
 * a control plane at rest (no invocation, no visible message, every pool clean) with configurations
 * still not Ready: three such looks in a row, a polling interval apart, and the run stops — those
 * configurations would wait for the next resync, and the figure would be the resync schedule.
 */
async function waitForAllReady(world: BenchWorld, n: number): Promise<void> {
  let done = false;
  const summary = (items: readonly RelayStatusItem[]): string => {
    const ready = items.filter((i) => isReady(i)).length;
    const none = items.filter((i) => i.status.conditions?.some((c) => c.type === 'Ready') !== true).length;
    return `${ready} of ${n} Ready, ${none + n - items.length} without a Ready condition`;
  };
  const ready = (async () => {
    const deadline = performance.now() + 180_000;
    while (!done) {
      const items = await world.status();
      if (items.length === n && items.every((i) => isReady(i))) return;
      if (performance.now() > deadline) throw new Error(`not converged after 180 s: ${summary(items)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })().finally(() => {
    done = true;
  });
  const stranded = (async () => {
    let looks = 0;
    while (!done) {
      await new Promise((r) => setTimeout(r, world.maxPollingIntervalMs));
      if (done) return;
      const quiet = await world.quiet();
      const items = await world.status();
      if (done || (items.length === n && items.every((i) => isReady(i)))) return;
      looks = quiet ? looks + 1 : 0;
      if (looks >= 3)
        throw new Error(
          `stranded: ${summary(items)} while the control plane is at rest (no invocation, no queued ` +
            `message, every pool clean) — they would wait for the next resync`,
        );
    }
  })();
  await Promise.race([ready, stranded]);
  done = true;
}

async function runOne(world: BenchWorld, n: number, options: ConvergenceOptions): Promise<ConvergenceRow> {
  const m = world.shape.instances;
  const progress = options.progress ?? (() => undefined);
  const before = await world.worker.memory();
  world.clearRequests();
  await world.worker.resetStats();

  const events: RelayEvent[] = Array.from({ length: n }, (_, i) => ({
    type: 'ADDED',
    object: benchConfiguration(i, 10_000 + i),
  }));
  const t0 = performance.now();
  const sent = await world.sendEvents(events, options.relayBatch);
  await waitForAllReady(world, n);
  const convergeMs = performance.now() - t0;
  await world.settle();
  const settleMs = performance.now() - t0;
  const stats = await world.worker.stats();
  const arm = armTraffic(world.requests());
  const after = await world.worker.memory();
  progress(`converge: ${n} Ready in ${Math.round(convergeMs)} ms, ${arm.writes} ARM writes`);
  if (stats.errors > 0) progress(`converge: the worker logged errors: ${stats.lastProblems.join(' | ')}`);

  // Steady state: the resync timer marks every pool dirty; re-planning the converged pool writes nothing.
  const statusBefore = JSON.stringify(await world.status());
  world.clearRequests();
  await world.worker.resetStats();
  const r0 = performance.now();
  await world.worker.invokeTimer('resync');
  await world.settle();
  const resyncMs = performance.now() - r0;
  const resyncStats = await world.worker.stats();
  const resync = {
    ms: resyncMs,
    arm: armTraffic(world.requests()),
    reconcile: reconcileFigures(resyncStats),
    upstreamReads: upstreamResyncReads(n, m),
    statusUnchanged: JSON.stringify(await world.status()) === statusBefore,
  };
  progress(`converge: resync settled in ${Math.round(resyncMs)} ms, ${resync.arm.writes} writes`);

  let scaleOut: ConvergenceRow['scaleOut'];
  const capacity = 2 ** (32 - world.shape.prefixLength);
  if (capacity <= m) {
    scaleOut = {
      kind: 'skipped',
      reason:
        `a /${world.shape.prefixLength} prefix per configuration holds ${capacity} addresses, so instance ` +
        `${m + 1} would get none (PublicIpPrefixOutOfIpAddressesForVMScaleSet); ${n} larger prefixes do ` +
        `not fit in the stand-in's public prefix space (${STAND_IN_PREFIX_ADDRESSES} addresses)`,
    };
  } else {
    world.clearRequests();
    await world.worker.resetStats();
    await world.arm.admin.scaleVmss({ vmssId: world.vmssId, capacity: m + 1 });
    const s0 = performance.now();
    await world.waitForStatus(`every status to list ${m + 1} gateway nodes`, (items) =>
      items.every((i) => isReady(i) && (i.status.gatewayVMProfiles?.length ?? 0) === m + 1),
    );
    const ms = performance.now() - s0;
    await world.settle();
    scaleOut = {
      kind: 'measured',
      ms,
      arm: armTraffic(world.requests()),
      reconcile: reconcileFigures(await world.worker.stats()),
      upstreamWrites: UPSTREAM_SCALE_OUT_WRITES,
    };
    progress(`converge: scale-out to ${m + 1} instances shown in ${Math.round(ms)} ms`);
  }

  const upstreamWrites = upstreamCreateWrites(n, m);
  return {
    configurations: n,
    instances: m,
    prefixLength: world.shape.prefixLength,
    convergeMs,
    settleMs,
    relayRequests: sent.requests,
    maxPollingIntervalMs: world.maxPollingIntervalMs,
    reconcile: reconcileFigures(stats),
    arm,
    upstream: { writes: upstreamWrites, floorMs: upstreamFloorMs(n, m, world.shape.latencyScale) },
    writeRatio: arm.writes / upstreamWrites,
    resync,
    scaleOut,
    memory: { before, after },
  };
}
