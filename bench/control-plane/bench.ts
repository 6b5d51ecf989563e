/**
 * `npm run bench:control-plane [-- --quick] [-- --json] [-- --latency-scale X]`: the control plane's
 * speed, memory and ARM-write figures, measured (bench/README.md explains each one):
 * 1. the pure planner (`planPool`) on pools of M members × N configurations, scratch and steady state;
 * 2. N configurations created at once on one VMSS pool through the real stack (local Functions host,
 *    Azurite, ARM stand-in with its latency model, real SDKs): time to all Ready, reconcile passes, ARM
 *    writes by kind against upstream's writes (modelled from its algorithm), a steady-state resync and
 *    a scale-out by one instance;
 * 3. armEvents and relayEvents throughput, and what the hints become (reconcile messages, rounds);
 * 4. the Functions worker process's memory around each run.
 * Figures, not assertions: it prints a table (or one JSON line with `--json`) and exits 0; it exits 1
 * only when the world does not converge or a precondition of a figure fails.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AZURE_LRO_MS, AZURE_REQUEST_MS } from '../../infra/local/arm/engines/latencyModel.js';
import { formatKinds } from './armTraffic.js';
import { benchConvergence, type ConvergenceRow } from './convergenceBench.js';
import {
  benchArmEvents,
  benchRelayEvents,
  type ArmEventsFigures,
  type RelayEventsFigures,
} from './eventsBench.js';
import type { WorkerMemory } from './functionsWorker.js';
import { canCollect } from './measure.js';
import { benchPlanner, ipConfigurationsOf, PLANNER_GRID, type PlannerRow } from './plannerBench.js';
import { fmt, MiB, renderTable } from './table.js';
import { UPSTREAM_CREATE_FORMULA, UPSTREAM_FLOOR_FORMULA, UPSTREAM_RESYNC_FORMULA } from './upstreamModel.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'latency-scale': { type: 'string', default: '0.01' },
    'relay-batch': { type: 'string', default: '500' },
    only: { type: 'string' },
  },
});
const quick = values.quick === true;
const latencyScale = Number(values['latency-scale']);
if (!Number.isFinite(latencyScale) || latencyScale < 0)
  throw new Error(`--latency-scale ${values['latency-scale']} is not a non-negative number`);
const relayBatch = Number(values['relay-batch']);
if (!Number.isInteger(relayBatch) || relayBatch < 1 || relayBatch > 500)
  throw new Error(`--relay-batch ${values['relay-batch']} is not an event count from 1 to 500`);
const only = values.only;
if (only !== undefined && !['planner', 'converge'].includes(only))
  throw new Error(`--only ${only}: expected planner or converge`);

/** Sizes: the full run stays under ~5 minutes on 2 cores; --quick is a smoke run of every section. */
const PLAN = quick
  ? {
      plannerGrid: PLANNER_GRID.slice(0, 2).map((g) => ({ ...g, configurations: [1, 50] })),
      plannerBudgetMs: 50,
      configurations: [1, 10],
      armEvents: 100,
      redelivered: 25,
      concurrency: [1, 8],
      relayRequests: 2,
    }
  : {
      plannerGrid: PLANNER_GRID,
      plannerBudgetMs: 300,
      configurations: [1, 10, 50, 200],
      armEvents: 500,
      redelivered: 125,
      concurrency: [1, 8],
      relayRequests: 10,
    };
const INSTANCES = 2;

const progress = (line: string): void => {
  process.stderr.write(`[bench ${fmt((performance.now() - started) / 1000, 0)} s] ${line}\n`);
};
const started = performance.now();

const machine = {
  cores: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: totalmem() / 2 ** 30,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageAtStart: loadavg()[0] ?? 0,
};

let planner: PlannerRow[] = [];
if (only === undefined || only === 'planner') {
  progress('planner: timing planPool');
  planner = benchPlanner({
    grid: PLAN.plannerGrid,
    budgetMs: PLAN.plannerBudgetMs,
    onRow: (r) =>
      progress(
        `planner: ${r.pool} M=${r.members} N=${r.configurations} ${r.state}: ${fmt(r.timing.medianMs, 2)} ms`,
      ),
  });
}

let convergence: ConvergenceRow[] = [];
const armEvents: ArmEventsFigures[] = [];
let relayEvents: RelayEventsFigures | undefined;
let memoryAfterEvents: WorkerMemory | undefined;
if (only === undefined || only === 'converge') {
  const last = PLAN.configurations.at(-1) ?? 1;
  convergence = await benchConvergence({
    configurations: PLAN.configurations,
    instances: INSTANCES,
    latencyScale,
    relayBatch,
    progress,
    async onLastWorld(world) {
      for (const concurrency of PLAN.concurrency) {
        const a = await benchArmEvents(world, {
          events: PLAN.armEvents,
          redelivered: PLAN.redelivered,
          concurrency,
        });
        progress(
          `events: ${a.distinct + a.redelivered} ARM events, ${concurrency} in flight: ${fmt(a.perSecond)}/s`,
        );
        armEvents.push(a);
      }
      relayEvents = await benchRelayEvents(world, { requests: PLAN.relayRequests, configurations: last });
      progress(
        `events: ${relayEvents.configurations} relayed configurations: ${fmt(relayEvents.perSecond)}/s`,
      );
      memoryAfterEvents = await world.worker.memory();
    },
  });
}
const totalSeconds = (performance.now() - started) / 1000;

const settings = {
  mode: quick ? 'quick' : 'full',
  latencyScale,
  instances: INSTANCES,
  gcExposed: canCollect(),
  loadAverageAtEnd: loadavg()[0] ?? 0,
  totalSeconds,
};

if (values.json === true) {
  console.log(
    JSON.stringify({
      machine,
      settings,
      formulas: {
        upstreamWrites: UPSTREAM_CREATE_FORMULA,
        upstreamFloor: UPSTREAM_FLOOR_FORMULA,
        upstreamResyncReads: UPSTREAM_RESYNC_FORMULA,
      },
      planner,
      convergence,
      events: { arm: armEvents, relay: relayEvents },
      memoryAfterEvents,
    }),
  );
} else {
  console.log(report());
}

function report(): string {
  const out: string[] = [];
  const ms = (kind: keyof typeof AZURE_LRO_MS): string => `${fmt(AZURE_LRO_MS[kind] * latencyScale, 0)} ms`;
  out.push(`egret control-plane bench (${settings.mode}) — ${new Date().toISOString()}`);
  out.push(
    `machine: ${machine.cores} cores (${machine.cpuModel}), ${fmt(machine.memoryGiB)} GiB RAM, Node ${machine.node}, ` +
      `${machine.platform}; load average ${fmt(machine.loadAverageAtStart, 2)} at start, ` +
      `${fmt(settings.loadAverageAtEnd, 2)} at end (the machine may be shared: figures move with load)`,
  );
  out.push(
    `ARM stand-in: latency scale ${latencyScale} (Azure durations × ${latencyScale}: VMSS instance PUT ` +
      `${ms('vmssVmWrite')}, VMSS model PUT ${ms('vmssWrite')}, network PUT ${ms('networkWrite')}, ` +
      `request ${fmt(AZURE_REQUEST_MS.write * latencyScale, 1)} ms write / ${fmt(AZURE_REQUEST_MS.read * latencyScale, 1)} ms read); ` +
      `throttling on (Azure's token buckets, refills × 10)`,
  );
  out.push(
    `heap figures: ${settings.gcExposed ? 'after a full GC (--expose-gc)' : 'WITHOUT GC (run with --expose-gc)'}`,
  );

  if (planner.length > 0) {
    out.push('', '1. Planner — planPool (pure, in this process), one pool of M members × N configurations');
    out.push(
      renderTable(
        [
          'pool',
          'M',
          'N',
          'state',
          'plan steps',
          'ms/plan (median)',
          'µs per 1,000 ipConfigs',
          'CPU ms/plan',
          'plans/s',
          'max ms',
          'input heap MiB',
          'plan heap KiB',
        ],
        planner.map((r) => [
          r.pool,
          r.members,
          r.configurations,
          r.state,
          r.steps,
          fmt(r.timing.medianMs, 2),
          fmt((r.timing.medianMs * 1e6) / ipConfigurationsOf(r), 0),
          fmt(r.cpuMs, 2),
          fmt(r.timing.perSecond),
          fmt(r.timing.maxMs, 1),
          fmt(r.inputHeapMiB, 2),
          fmt(r.planHeapKiB, 0),
        ]),
      ),
    );
    out.push(
      "scratch: nothing exists in Azure yet; steady: the scratch plan applied (the planner tests' ARM model), " +
        're-planned — checked empty. µs per 1,000 ipConfigs: the median over M × N (egret ipConfigurations of ' +
        'the pool); flat across N means the planner is linear in them. CPU ms/plan: process CPU time per plan, ' +
        'which the load of other processes inflates less than wall-clock time.',
      'A VMSS pool in public mode is capped by its prefix (/28 = 16 instances), so M = 100 is a VirtualMachines ' +
        "pool in private mode. N = 1000 exceeds Azure's 256 IP configurations per NIC (a pool holds at most " +
        '255 configurations): it shows how the planner scales, not a deployable pool. M = 16 × N = 1000 is ' +
        'left out (building its steady state through the test ARM model takes about a minute).',
    );
  }

  if (convergence.length > 0) {
    out.push(
      '',
      `2. End-to-end convergence — N configurations created at once (signed relayEvents requests of up to ` +
        `${relayBatch} events) on one VMSS pool of M = ${INSTANCES} instances; local Functions host + ` +
        'Azurite + ARM stand-in, real SDKs',
    );
    out.push(
      renderTable(
        [
          'N',
          'prefix',
          'relay requests',
          'all Ready s',
          'settled s',
          'reconcile invocations',
          'rounds',
          'applied plans',
          'ARM writes',
          'writes by kind',
          'refused writes',
          'ARM reads',
          '429s',
          'upstream writes*',
          'egret ÷ upstream',
          'upstream floor s*',
        ],
        convergence.map((r) => [
          r.configurations,
          `/${r.prefixLength}`,
          r.relayRequests,
          fmt(r.convergeMs / 1000, 2),
          fmt(r.settleMs / 1000, 2),
          r.reconcile.invocations,
          r.reconcile.rounds,
          r.reconcile.passes,
          r.arm.writes,
          formatKinds(r.arm.writesByKind),
          Object.values(r.arm.refusedWrites).reduce((a, b) => a + b, 0),
          r.arm.reads,
          r.arm.throttled,
          r.upstream.writes,
          fmt(r.writeRatio, 3),
          fmt(r.upstream.floorMs / 1000, 1),
        ]),
      ),
    );
    out.push(
      `* MODELLED from upstream's algorithm (not measured): ${UPSTREAM_CREATE_FORMULA}.`,
      `* ${UPSTREAM_FLOOR_FORMULA}, at this latency scale.`,
      'all Ready: from the first relayEvents request until the status pull (every 200 ms) shows every ' +
        "configuration Ready for its generation — it includes the queue trigger's idle polling " +
        `(host.json maxPollingInterval ${fmt(convergence[0]?.maxPollingIntervalMs ?? NaN, 0)} ms); settled: ` +
        'until no event delivery, invocation, queued message or dirty pool is left. ARM writes: accepted ' +
        "(2xx) in the stand-in's request log; refused writes: 409/412/429 answers.",
      'rounds: observe → plan cycles (each ends when a plan is empty); applied plans: plans with writes, ' +
        'each applied phase by phase. Configurations first land on the pending nodepool pool, which moves ' +
        'them to the VMSS pool (one round, no ARM write).',
    );
    out.push('', '2b. Steady-state resync (timer fired by hand) and scale-out of the pool by one instance');
    out.push(
      renderTable(
        [
          'N',
          'resync settled s',
          'resync writes',
          'resync reads',
          'upstream reads*',
          'status unchanged',
          'scale-out shown s',
          'scale-out writes',
          'scale-out reads',
          'upstream writes*',
        ],
        convergence.map((r) => [
          r.configurations,
          fmt(r.resync.ms / 1000, 2),
          r.resync.arm.writes,
          r.resync.arm.reads,
          r.resync.upstreamReads,
          r.resync.statusUnchanged ? 'yes' : 'NO',
          r.scaleOut.kind === 'measured' ? fmt(r.scaleOut.ms / 1000, 2) : 'skipped',
          r.scaleOut.kind === 'measured' ? r.scaleOut.arm.writes : '-',
          r.scaleOut.kind === 'measured' ? r.scaleOut.arm.reads : '-',
          r.scaleOut.kind === 'measured' ? r.scaleOut.upstreamWrites : '-',
        ]),
      ),
    );
    out.push(
      `* MODELLED: ${UPSTREAM_RESYNC_FORMULA}; upstream's scale-out writes: 0 (the new instance is built from ` +
        'the VMSS model, which already carries every ipConfig).',
      "scale-out shown: from the end of the platform scale-out (new instance running) to every configuration's " +
        'status listing M + 1 gateway nodes (Event Grid event → armEvents → reconcile → status).',
    );
    for (const r of convergence)
      if (r.scaleOut.kind === 'skipped')
        out.push(`scale-out skipped at N = ${r.configurations}: ${r.scaleOut.reason}.`);
  }

  if (armEvents.length > 0 || relayEvents !== undefined) {
    const n = convergence.at(-1)?.configurations ?? 0;
    out.push('', `3. Event handling — on the converged N = ${n} world`);
    out.push(
      renderTable(
        [
          'armEvents',
          'in flight',
          'events/s',
          'p50 ms',
          'p95 ms',
          '5xx answers',
          'enqueued',
          'duplicates',
          'reconcile messages',
          'invocations (clean/busy/reconciled)',
          'rounds',
          'applied plans',
          'ARM writes',
          'drained s',
        ],
        armEvents.map((a) => [
          `${a.distinct} + ${a.redelivered} again`,
          a.concurrency,
          fmt(a.perSecond),
          fmt(a.requestP50Ms),
          fmt(a.requestP95Ms),
          a.failedAnswers,
          a.enqueued,
          a.duplicates,
          a.drain.messages,
          `${a.drain.reconcile.invocations} (${results(a.drain.reconcile.results)})`,
          a.drain.reconcile.rounds,
          a.drain.reconcile.passes,
          a.drain.arm.writes,
          fmt(a.drain.drainMs / 1000, 2),
        ]),
      ),
    );
    out.push(
      "armEvents: one event per POST to /runtime/webhooks/EventGrid (Event Grid's default batch of 1), each a " +
        'fresh id cloned from a VMSS instance write the stand-in published, then some ids delivered again ' +
        '(dedupe). A non-2xx answer is delivered again 10 ms later, as Event Grid retries.',
    );
    for (const a of armEvents)
      if (a.firstFailure !== undefined)
        out.push(`  ${a.concurrency} in flight: first non-2xx answer: ${a.firstFailure}`);
    if (relayEvents !== undefined) {
      const r = relayEvents;
      out.push(
        '',
        renderTable(
          [
            'relayEvents',
            'configurations/s',
            'p50 ms/request',
            'p95 ms/request',
            'outcomes',
            'reconcile messages',
            'invocations (clean/busy/reconciled)',
            'rounds',
            'applied plans',
            'ARM writes',
            'drained s',
          ],
          [
            [
              `${r.requests} × 100`,
              fmt(r.perSecond),
              fmt(r.requestP50Ms),
              fmt(r.requestP95Ms),
              results(r.outcomes),
              r.drain.messages,
              `${r.drain.reconcile.invocations} (${results(r.drain.reconcile.results)})`,
              r.drain.reconcile.rounds,
              r.drain.reconcile.passes,
              r.drain.arm.writes,
              fmt(r.drain.drainMs / 1000, 2),
            ],
          ],
        ),
      );
      out.push(
        "relayEvents: signed batches of 100 MODIFIED events (newer resourceVersion, same spec) of the world's " +
          'configurations, one request at a time as the relay sends them.',
        'busy invocations re-enqueue their message for after the lease (they then find the pool clean); the ' +
          'bench does not wait for those.',
      );
    }
  }

  if (convergence.length > 0) {
    out.push(
      '',
      '4. Functions worker process memory (the local host + the app, its own process; app from source via tsx)',
    );
    const rows: (string | number)[][] = convergence.map((r) =>
      memoryRow(`N = ${r.configurations} run`, r.memory.before, r.memory.after),
    );
    const lastRun = convergence.at(-1);
    if (memoryAfterEvents !== undefined && lastRun !== undefined)
      rows.push(
        memoryRow(`N = ${lastRun.configurations} + event section`, lastRun.memory.before, memoryAfterEvents),
      );
    out.push(
      renderTable(
        [
          '',
          'RSS before MiB',
          'heap before MiB',
          'RSS after MiB',
          'heap after MiB',
          'heap Δ MiB',
          'peak RSS MiB',
        ],
        rows,
      ),
    );
    out.push(
      'before: the fresh worker (app loaded, nothing handled); after: the run settled; heap after a full GC.',
    );
  }
  out.push('', `total: ${fmt(totalSeconds, 0)} s`);
  return out.join('\n');
}

function memoryRow(label: string, before: WorkerMemory, after: WorkerMemory): (string | number)[] {
  return [
    label,
    fmt(before.rssBytes / MiB),
    fmt(before.heapUsedBytes / MiB),
    fmt(after.rssBytes / MiB),
    fmt(after.heapUsedBytes / MiB),
    fmt((after.heapUsedBytes - before.heapUsedBytes) / MiB),
    fmt(after.maxRssBytes / MiB),
  ];
}

function results(r: Readonly<Record<string, number>>): string {
  const parts = Object.entries(r).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}
