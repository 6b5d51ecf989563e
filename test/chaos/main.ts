/**
 * `npm run chaos -- [--schedules N] [--seed S] [--replay <seed>[,<seed>…]] [--latency-scale X]
 *   [--converge-timeout SECONDS] [--without kills,secondHost,azuriteRestarts,excluded,lostEvents,armFaults,scale]
 *   [--json]`
 *
 * Runs N random, seeded chaos schedules (chaosRunner.ts) against the real local control plane and
 * prints the report: schedules, violations by class with replay seeds, convergence and crash-recovery
 * times, Ready-reason histograms, peak memory. Exits 1 when any schedule broke an invariant.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runChaos, type ChaosReport } from './chaosRunner.js';
import { FULL_PROFILE, type ScheduleProfile } from './chaosSchedule.js';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '20' },
    seed: { type: 'string' },
    replay: { type: 'string' },
    'latency-scale': { type: 'string', default: '0.001' },
    'converge-timeout': { type: 'string', default: '45' },
    without: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} ${v} is not a non-negative number`);
  return n;
};
const seed = int('seed', values.seed) ?? Math.floor(Math.random() * 2 ** 31);
const replay = values.replay?.split(',').map((x) => int('replay', x)!);
const without = values.without.split(',').filter((x) => x !== '');
for (const w of without)
  if (!(w in FULL_PROFILE))
    throw new Error(`--without ${w}: not one of ${Object.keys(FULL_PROFILE).join(', ')}`);
const profile: ScheduleProfile = {
  ...FULL_PROFILE,
  ...Object.fromEntries(without.map((w) => [w, false])),
};
const report = await runChaos({
  profile,
  schedules: int('schedules', values.schedules) ?? 20,
  seed,
  ...(replay === undefined ? {} : { replay }),
  latencyScale: int('latency-scale', values['latency-scale']) ?? 0.001,
  convergeTimeoutMs: (int('converge-timeout', values['converge-timeout']) ?? 45) * 1000,
});
if (values.json) console.log(JSON.stringify({ ...report, results: undefined }));
else console.log(render(report));
process.exit(report.violations === 0 ? 0 : 1);

function render(r: ChaosReport): string {
  const ms = (x: number | undefined): string => (x === undefined ? '-' : `${(x / 1000).toFixed(2)} s`);
  const lines = [
    `chaos: seed ${r.seed}, ${r.schedules} schedules in ${r.elapsedS} s (load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    `violations: ${r.violations} in ${r.failedSchedules} schedule(s)`,
    ...Object.entries(r.classes).map(
      ([k, c]) => `  ${k}: ${c.count} (seeds ${c.seeds.join(', ')}) e.g. ${c.example.slice(0, 160)}`,
    ),
    `converge (faults cleared → converged): p50 ${ms(r.convergeMs.p50)}, p99 ${ms(r.convergeMs.p99)}, max ${ms(r.convergeMs.max)}`,
    `crash recovery (restart → converged, ${r.recoveryMs.samples} schedules with a kill, ${r.recoveryMs.notConverged} not converged): p50 ${ms(r.recoveryMs.p50)}, p99 ${ms(r.recoveryMs.p99)}, max ${ms(r.recoveryMs.max)}`,
    `crash recovery target p99 ≤ 15 s: ${
      r.recoveryMs.p99 === undefined
        ? 'no sample'
        : r.recoveryMs.p99 <= 15_000 && r.recoveryMs.notConverged === 0
          ? 'met'
          : 'MISSED'
    }`,
    `Ready at the end of schedules: ${histogram(r.finalReasons)}`,
    `Ready across status pulls: ${histogram(r.observedReasons)}`,
    `peak RSS: host ${r.peakHostRssMiB} MiB, harness ${r.peakHarnessRssMiB} MiB; worlds started ${r.worldRestarts}`,
  ];
  return lines.join('\n');
}

function histogram(h: Readonly<Record<string, number>>): string {
  return Object.entries(h)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
