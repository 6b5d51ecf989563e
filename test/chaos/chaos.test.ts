/**
 * A short seeded chaos run in the normal suite (the full one is `npm run chaos`): a few schedules of
 * relay traffic (creates, edits with pool moves, BYO prefixes, private mode, deletes, replays, full
 * and stale SYNCs) under ARM faults (429/409/412/500, failed LROs, latency, reads and writes), Event
 * Grid duplicates, reordering, delays and losses, a second host and VMSS scaling,
 * against the real local control plane; every invariant is checked against ARM afterwards.
 *
 * Left out here, until the control plane handles them (issue 12 §2, §3; `npm run chaos` runs them):
 * host SIGKILLs (a dead worker's pool lease holds its pool for 120 s), excluded configurations
 * (one blocks cleanup of its whole pool) and Azurite restarts (a deletion can stay unreconciled).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChaos } from './chaosRunner.js';
import { FULL_PROFILE, generateSchedule, scheduleSeed } from './chaosSchedule.js';

const PROFILE = { ...FULL_PROFILE, kills: false, excluded: false, azuriteRestarts: false };
/** Two schedules with creates, edits (pool moves), a delete, ARM faults, Event Grid faults, lost events, a second host, SYNCs. */
const SEED = 3;
const SCHEDULES = 2;

describe('chaos, a short seeded run', () => {
  it('schedules are a pure function of their seed', () => {
    const seed = scheduleSeed(SEED, 0);
    assert.deepEqual(generateSchedule(seed, PROFILE), generateSchedule(seed, PROFILE));
    assert.notDeepEqual(generateSchedule(seed, PROFILE), generateSchedule(scheduleSeed(SEED, 1), PROFILE));
  });

  it(
    'every schedule converges with every invariant holding against Azure',
    { timeout: 400_000 },
    async () => {
      const lines: string[] = [];
      const report = await runChaos({
        schedules: SCHEDULES,
        seed: SEED,
        profile: PROFILE,
        convergeTimeoutMs: 60_000,
        log: (l) => lines.push(l),
      });
      assert.equal(report.schedules, SCHEDULES);
      assert.deepEqual(report.classes, {}, lines.join('\n'));
      assert.equal(report.violations, 0);
      const steps = report.results.flatMap((r) => r.schedule.steps.map((s) => s.op));
      for (const op of ['create', 'edit', 'delete', 'armFault', 'eventFaults', 'loseEvents', 'secondHost'])
        assert.ok(steps.includes(op as never), `the schedules include ${op}`);
    },
  );
});
