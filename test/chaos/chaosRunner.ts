/**
 * Runs chaos schedules against a chaos world and reports. Per schedule:
 * 1. the steps run in order, the harness acting as the relay (a status pull every 400 ms removes the
 *    finalizer of what relayStatus reports `finalized` — after checking that Azure is clean of it);
 * 2. faults are cleared, and the relay's and the timer's periodic repairs happen as they would: a full
 *    SYNC (again every 10 s while waiting) and one resync;
 * 3. the harness waits (bounded) until the control plane is at rest AND every invariant holds against
 *    Azure (chaosInvariants.ts); the time from step 2 is the convergence time, and from the last host
 *    restart the crash-recovery time;
 * 4. teardown: every configuration is deleted and must leave Azure clean (also checked).
 * A schedule with a violation prints its seed and steps; the world is then started afresh, so one
 * failure does not spill into the next schedule.
 */
import { ValidationError } from '../../shared/core/errors.js';
import type { RelayEvent, RelayEventsRequest, RelayStatusItem } from '../../shared/core/relayContract.js';
import { checkInvariants, isCleanOf, readAzure, type Violation } from './chaosInvariants.js';
import {
  generateSchedule,
  uidFor,
  FULL_PROFILE,
  scheduleSeed,
  type Schedule,
  type ScheduleProfile,
  type Step,
} from './chaosSchedule.js';
import { CLUSTER_ID, sleep, startChaosWorld, type ChaosWorld } from './chaosWorld.js';
import { ClusterModel } from './clusterModel.js';

export interface ChaosOptions {
  readonly schedules: number;
  readonly seed: number;
  /** Run only these schedule seeds (each on a fresh world). */
  readonly replay?: readonly number[];
  readonly latencyScale?: number;
  /** How long a schedule may take to converge after its faults are cleared (default 45 s). */
  readonly convergeTimeoutMs?: number;
  readonly profile?: ScheduleProfile;
  /** Progress and failure lines (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly schedule: Schedule;
  readonly violations: readonly Violation[];
  /** Clear → converged, ms (undefined: did not converge). */
  readonly convergeMs: number | undefined;
  /** Last host restart → converged, ms (schedules with a kill). */
  readonly recoveryMs: number | undefined;
  readonly killed: boolean;
  /** Ready `status/reason` of each configuration at the end of the schedule. */
  readonly finalReasons: readonly string[];
}

export interface ChaosReport {
  readonly seed: number;
  readonly schedules: number;
  readonly failedSchedules: number;
  readonly violations: number;
  /** Violation class → count and the first seeds that showed it. */
  readonly classes: Readonly<Record<string, { count: number; seeds: number[]; example: string }>>;
  readonly convergeMs: Percentiles;
  readonly recoveryMs: Percentiles & { readonly samples: number; readonly notConverged: number };
  /** Ready reasons at the end of each schedule, and across every status pull. */
  readonly finalReasons: Readonly<Record<string, number>>;
  readonly observedReasons: Readonly<Record<string, number>>;
  readonly peakHostRssMiB: number;
  readonly peakHarnessRssMiB: number;
  readonly worldRestarts: number;
  readonly elapsedS: number;
  readonly results: readonly ScheduleResult[];
}

interface Percentiles {
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
}

const RESOURCE_VERSION_BASE = 1000;

/** Runs the schedules; resolves with the report (never throws for a violation). */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const started = Date.now();
  const seeds =
    options.replay !== undefined
      ? options.replay
      : Array.from({ length: options.schedules }, (_, i) => scheduleSeed(options.seed, i));
  const results: ScheduleResult[] = [];
  const observed: Record<string, number> = {};
  let world: ChaosWorld | undefined;
  let worldRestarts = 0;
  let peakHost = 0;
  let rvBase = RESOURCE_VERSION_BASE;
  try {
    for (const [i, seed] of seeds.entries()) {
      const schedule = generateSchedule(seed, options.profile ?? FULL_PROFILE);
      if (world === undefined) {
        try {
          world = await startChaosWorld({ latencyScale: options.latencyScale ?? 0.001, faultSeed: seed });
        } catch (e) {
          // The machine cannot start a world (e.g. node_modules went away): report what ran.
          const detail = `the world did not start: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`;
          log(`schedule ${i + 1}/${seeds.length} seed ${seed}: ${detail}`);
          results.push({
            seed,
            schedule,
            violations: [{ kind: 'harness-error', detail }],
            convergeMs: undefined,
            recoveryMs: undefined,
            killed: false,
            finalReasons: [],
          });
          break;
        }
        worldRestarts++;
      }
      const result = await runSchedule(world, schedule, {
        convergeTimeoutMs: options.convergeTimeoutMs ?? 45_000,
        observed,
        rvBase,
        log,
      }).catch((e: unknown): ScheduleResult => ({
        seed,
        schedule,
        violations: [{ kind: 'harness-error', detail: e instanceof Error ? e.message : String(e) }],
        convergeMs: undefined,
        recoveryMs: undefined,
        killed: false,
        finalReasons: [],
      }));
      rvBase += 100_000;
      results.push(result);
      const line = `schedule ${i + 1}/${seeds.length} seed ${seed}: ${
        result.violations.length === 0 ? 'ok' : `${result.violations.length} violation(s)`
      }, converged ${result.convergeMs === undefined ? 'NOT' : `${result.convergeMs} ms`}${
        result.recoveryMs === undefined ? '' : `, recovery ${result.recoveryMs} ms`
      }`;
      log(line);
      if (result.violations.length > 0 || options.replay !== undefined) {
        log(`  replay: npm run chaos -- --replay ${seed}`);
        log(`  schedule: ${JSON.stringify(schedule.steps)}`);
        for (const v of result.violations.slice(0, 12)) log(`  ${v.kind}: ${v.detail}`);
        const problems = (await Promise.all(world.hosts.map((h) => h.logs().catch(() => [])))).flat();
        for (const p of problems.slice(-6)) log(`  host: ${p}`);
        await world.stop(); // samples each host's peak RSS on the way
        peakHost = Math.max(peakHost, world.peakHostRssBytes());
        world = undefined;
      }
    }
  } finally {
    if (world !== undefined) {
      await world.stop();
      peakHost = Math.max(peakHost, world.peakHostRssBytes());
    }
  }
  return summarize(options, results, observed, {
    peakHost,
    worldRestarts,
    elapsedS: (Date.now() - started) / 1000,
  });
}

interface RunContext {
  readonly convergeTimeoutMs: number;
  readonly observed: Record<string, number>;
  readonly rvBase: number;
  readonly log: (line: string) => void;
}

async function runSchedule(world: ChaosWorld, schedule: Schedule, ctx: RunContext): Promise<ScheduleResult> {
  const model = new ClusterModel(world, (n) => uidFor(schedule.seed, n), ctx.rvBase);
  const violations: Violation[] = [];
  const relay = createRelay(world, model, violations, ctx.observed);
  world.arm.admin.clearRequests();
  let lastRestart: number | undefined;
  let killed = false;
  relay.startPolling();
  try {
    let created = 0;
    for (const step of schedule.steps) {
      const restarted = await runStep(world, model, relay, step, () => created++);
      if (restarted !== undefined) {
        lastRestart = restarted;
        killed = true;
      }
    }
    const cleared = await clearFaults(world);
    const converged = await converge(world, model, relay, ctx.convergeTimeoutMs);
    violations.push(...converged.violations);
    const at = converged.at;
    const finalReasons = converged.reasons;
    if (violations.length === 0) {
      // Teardown: everything goes; Azure must end clean of all of it.
      for (const name of model.names()) await relay.send([model.delete(name, 'finalizer')]);
      if (world.hosts[1]!.running()) await world.hosts[1]!.stop();
      await world.arm.admin.scaleVmss({ vmssId: world.vmssId, capacity: 2 }).catch(() => undefined);
      const down = await converge(world, model, relay, ctx.convergeTimeoutMs);
      violations.push(...down.violations.map((v) => ({ ...v, kind: `teardown:${v.kind}` })));
    }
    return {
      seed: schedule.seed,
      schedule,
      violations,
      convergeMs: at === undefined ? undefined : at - cleared,
      recoveryMs: at === undefined || lastRestart === undefined ? undefined : at - lastRestart,
      killed,
      finalReasons,
    };
  } finally {
    await relay.stopPolling();
  }
}

/** Runs one step; resolves with the time a killed host served again, for a kill. */
async function runStep(
  world: ChaosWorld,
  model: ClusterModel,
  relay: Relay,
  step: Step,
  nextIndex: () => number,
): Promise<number | undefined> {
  const { admin } = world.arm;
  switch (step.op) {
    case 'create':
      await relay.send([model.create(step.name, step.kind, nextIndex())]);
      return undefined;
    case 'edit':
      await relay.send([model.edit(step.name, step.kind)]);
      return undefined;
    case 'delete':
      await relay.send([model.delete(step.name, step.mode)]);
      return undefined;
    case 'replay':
      if (model.history.length > 0) await relay.send([model.history[step.pick % model.history.length]]);
      return undefined;
    case 'fullSync':
      await relay.fullSync(model.syncEvents());
      return undefined;
    case 'staleSync':
      await relay.fullSync(model.syncEvents(step.back));
      return undefined;
    case 'armFault':
      admin.addFault(step.rule);
      return undefined;
    case 'eventFaults':
      admin.setEvents({
        duplicateProbability: step.duplicateProbability,
        reorderJitterMs: step.reorderJitterMs,
      });
      return undefined;
    case 'loseEvents':
      world.setEventsDelivered(false);
      await sleep(step.ms);
      world.setEventsDelivered(true);
      return undefined;
    case 'kill': {
      const host = world.hosts[step.slot]!;
      if (!host.running()) return undefined;
      const writes = (): number =>
        admin.requests().filter((r) => r.category === 'arm' && r.method !== 'GET').length;
      const target = writes() + step.afterWrites;
      const deadline = Date.now() + step.maxWaitMs;
      while (writes() < target && Date.now() < deadline) await sleep(5);
      await host.kill();
      await sleep(step.downMs);
      await host.start();
      return Date.now();
    }
    case 'secondHost':
      if (step.on) await world.hosts[1]!.start();
      else await world.hosts[1]!.stop();
      return undefined;
    case 'restartAzurite':
      await world.restartAzurite(step.downMs);
      return undefined;
    case 'scale':
      await admin.scaleVmss({ vmssId: world.vmssId, capacity: step.capacity }).catch(() => undefined);
      return undefined;
    case 'wait':
      await sleep(step.ms);
      return undefined;
  }
}

/** Clears every fault; returns when. */
async function clearFaults(world: ChaosWorld): Promise<number> {
  world.arm.admin.clearFaults();
  world.arm.admin.setEvents({ duplicateProbability: 0, reorderJitterMs: 0 });
  world.setEventsDelivered(true);
  if (!world.hosts[0]!.running()) await world.hosts[0]!.start();
  return Date.now();
}

/**
 * Waits until the control plane is at rest and every invariant holds; the relay's full SYNC and the
 * resync timer run as they would in a cluster (SYNC every 10 s, one resync).
 */
async function converge(
  world: ChaosWorld,
  model: ClusterModel,
  relay: Relay,
  timeoutMs: number,
): Promise<{ at: number | undefined; violations: Violation[]; reasons: string[] }> {
  const deadline = Date.now() + timeoutMs;
  let lastSync = Date.now();
  await relay.fullSync(model.syncEvents());
  await world.hosts
    .find((h) => h.running())
    ?.invokeTimer('resync')
    .catch(() => undefined);
  let last: Violation[] = [];
  let reasons: string[] = [];
  for (;;) {
    const busy = await busyWith(world);
    const quiet = busy === undefined;
    try {
      const status = await relay.status();
      const azure = await readAzure(world);
      last = [...relay.takeEarlyFinalizations(), ...checkInvariants(model.expectations(), status, azure)];
      reasons = reasonsOf(status);
      if (quiet && last.length === 0) return { at: Date.now(), violations: [], reasons };
    } catch (e) {
      last = [{ kind: 'unreadable', detail: e instanceof Error ? e.message : String(e) }];
    }
    if (Date.now() > deadline) {
      const timedOut: Violation = {
        kind: quiet ? 'no-convergence' : 'no-quiescence',
        detail: `not converged ${timeoutMs} ms after the faults were cleared${quiet ? '' : ` (busy: ${busy})`}`,
      };
      return { at: undefined, violations: [timedOut, ...last], reasons };
    }
    if (Date.now() - lastSync > 10_000) {
      lastSync = Date.now();
      await relay.fullSync(model.syncEvents());
    }
    await sleep(250);
  }
}

/** What keeps the control plane busy (undefined: nothing), each look bounded by 10 s. */
async function busyWith(world: ChaosWorld): Promise<string | undefined> {
  const bounded = <T>(p: Promise<T>, what: string): Promise<T> =>
    Promise.race([p, sleep(10_000).then(() => Promise.reject(new Error(`${what} did not answer in 10 s`)))]);
  try {
    await bounded(world.arm.admin.waitForEvents(), 'Event Grid deliveries');
    for (const h of world.hosts) await bounded(h.idle(), `host ${h.slot} idle`);
    const visible = await bounded(world.visibleMessages(), 'the reconcile queue');
    if (visible > 0) return 'reconcile messages are visible in the queue';
    const pools = (await bounded(world.admin('pools'), 'admin pools')) as
      { items: { poolKey?: string; dirty: boolean }[] } | undefined;
    if (pools === undefined) return 'no host runs';
    const dirty = pools.items.filter((p) => p.dirty).map((p) => p.poolKey ?? '?');
    return dirty.length === 0 ? undefined : `dirty pools: ${dirty.join(', ')}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

interface Relay {
  /** Forwards events (retrying while the control plane is unreachable, as the relay does). */
  send(events: readonly (RelayEvent | undefined)[]): Promise<void>;
  fullSync(events: readonly RelayEvent[]): Promise<void>;
  status(): Promise<readonly RelayStatusItem[]>;
  startPolling(): void;
  stopPolling(): Promise<void>;
  /** `finalized` reported while Azure still held something of the configuration. */
  takeEarlyFinalizations(): Violation[];
}

function createRelay(
  world: ChaosWorld,
  model: ClusterModel,
  violations: Violation[],
  observed: Record<string, number>,
): Relay {
  const early: Violation[] = [];
  const post = async (body: RelayEventsRequest): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await world.relay.sendEvents(body, AbortSignal.timeout(15_000));
        return;
      } catch (e) {
        if (e instanceof ValidationError) {
          violations.push({ kind: 'relay-refused', detail: e instanceof Error ? e.message : String(e) });
          return;
        }
        if (attempt >= 60) return; // given up: the next full SYNC carries it
        await sleep(250);
      }
    }
  };
  const status = async (): Promise<readonly RelayStatusItem[]> =>
    (await world.relay.fetchStatus(AbortSignal.timeout(15_000))).items;
  let polling: Promise<void> | undefined;
  let stop = false;
  const pollOnce = async (): Promise<void> => {
    const items = await status();
    for (const item of items) {
      const c = item.status.conditions?.find((x) => x.type === 'Ready');
      const key = c === undefined ? '(none)' : `${c.status}/${c.reason}`;
      observed[key] = (observed[key] ?? 0) + 1;
      if (!item.finalized || !model.isDeleting(item.uid)) continue;
      const azure = await readAzure(world).catch(() => undefined);
      if (azure !== undefined && !isCleanOf(azure, item.uid))
        early.push({
          kind: 'finalized-early',
          uid: item.uid,
          detail: `${item.name} reported finalized while Azure still holds some of it`,
        });
      const e = model.finalized(item.uid);
      if (e !== undefined) await post({ clusterId: CLUSTER_ID, events: [e] });
    }
  };
  return {
    async send(events) {
      const list = events.filter((e): e is RelayEvent => e !== undefined);
      if (list.length > 0) await post({ clusterId: CLUSTER_ID, events: list });
    },
    fullSync: (events) => post({ clusterId: CLUSTER_ID, fullSync: true, events }),
    status,
    startPolling() {
      stop = false;
      polling = (async () => {
        while (!stop) {
          await pollOnce().catch(() => undefined);
          await sleep(400);
        }
      })();
    },
    async stopPolling() {
      stop = true;
      await polling;
    },
    takeEarlyFinalizations: () => early.splice(0),
  };
}

function reasonsOf(items: readonly RelayStatusItem[]): string[] {
  return items.map((i) => {
    const c = i.status.conditions?.find((x) => x.type === 'Ready');
    return i.finalized ? 'finalized' : c === undefined ? '(none)' : `${c.status}/${c.reason}`;
  });
}

function percentiles(xs: readonly number[]): Percentiles {
  if (xs.length === 0) return { p50: undefined, p99: undefined, max: undefined };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

function summarize(
  options: ChaosOptions,
  results: readonly ScheduleResult[],
  observed: Record<string, number>,
  figures: { peakHost: number; worldRestarts: number; elapsedS: number },
): ChaosReport {
  const classes: Record<string, { count: number; seeds: number[]; example: string }> = {};
  const finalReasons: Record<string, number> = {};
  for (const r of results) {
    for (const v of r.violations) {
      const c = (classes[v.kind] ??= { count: 0, seeds: [], example: v.detail });
      c.count++;
      if (!c.seeds.includes(r.seed) && c.seeds.length < 5) c.seeds.push(r.seed);
    }
    for (const reason of r.finalReasons) finalReasons[reason] = (finalReasons[reason] ?? 0) + 1;
  }
  const killed = results.filter((r) => r.killed);
  return {
    seed: options.replay?.[0] ?? options.seed,
    schedules: results.length,
    failedSchedules: results.filter((r) => r.violations.length > 0).length,
    violations: results.reduce((s, r) => s + r.violations.length, 0),
    classes,
    convergeMs: percentiles(results.flatMap((r) => (r.convergeMs === undefined ? [] : [r.convergeMs]))),
    recoveryMs: {
      ...percentiles(killed.flatMap((r) => (r.recoveryMs === undefined ? [] : [r.recoveryMs]))),
      samples: killed.length,
      notConverged: killed.filter((r) => r.recoveryMs === undefined).length,
    },
    finalReasons,
    observedReasons: observed,
    peakHostRssMiB: Math.round(figures.peakHost / 2 ** 20),
    peakHarnessRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    worldRestarts: figures.worldRestarts,
    elapsedS: Math.round(figures.elapsedS),
    results,
  };
}
