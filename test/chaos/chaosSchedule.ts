/**
 * Chaos schedules: a pure function of a seed. A schedule is a list of steps — relay traffic on its
 * own configurations, ARM and Event Grid faults, host kills and restarts, a second host, an Azurite
 * restart, VMSS scaling — printed as JSON so a failure can be read and replayed (`--replay <seed>`).
 *
 * Configuration kinds name a spec the harness builds at run time (BYO prefix ids come from the world);
 * `valid` kinds must end Ready, `excluded` kinds must end Ready=False with the named reason.
 */
import type { FaultRuleSpec } from '../../infra/local/arm/engines/faultEngine.js';

/** The spec shapes a configuration can take, with what the control plane must make of them. */
export const CONFIG_KINDS = {
  'gw-public': { pool: 'gw', expect: 'valid' },
  /** Private mode on a VMSS: served as upstream serves it, with a warning (its private IPs can change). */
  'gw-private': { pool: 'gw', expect: 'valid' },
  'gw-profile': { pool: 'gw', expect: 'valid' },
  'gw-byo': { pool: 'gw', expect: 'valid', byo: 'gw' },
  'gw-excluded-cidrs': { pool: 'gw', expect: 'valid' },
  'vm-public': { pool: 'vmgw', expect: 'valid' },
  'vm-private': { pool: 'vmgw', expect: 'valid' },
  'vm-byo': { pool: 'vmgw', expect: 'valid', byo: 'vm' },
  'sa-public': { pool: 'standalone', expect: 'valid' },
  'sa-private': { pool: 'standalone', expect: 'valid' },
  'invalid-cidr': { pool: 'gw', expect: 'excluded', reason: 'InvalidSpec' },
  'invalid-two-pools': { pool: 'gw', expect: 'excluded', reason: 'InvalidSpec' },
  'invalid-byo-private': { pool: 'gw', expect: 'excluded', reason: 'InvalidSpec' },
  'byo-mismatch': { pool: 'gw', expect: 'excluded', reason: 'PrefixSizeMismatch' },
  'no-such-pool': { pool: 'none', expect: 'excluded', reason: 'PoolNotFound' },
} as const satisfies Record<
  string,
  { pool: string; expect: 'valid' | 'excluded'; byo?: string; reason?: string }
>;
export type ConfigKind = keyof typeof CONFIG_KINDS;
export type PoolName = 'gw' | 'vmgw' | 'standalone';

export type Step =
  | { readonly op: 'create'; readonly name: string; readonly kind: ConfigKind }
  | { readonly op: 'edit'; readonly name: string; readonly kind: ConfigKind }
  /** `finalizer`: deletionTimestamp first, DELETED once finalized; `direct`: DELETED at once. */
  | { readonly op: 'delete'; readonly name: string; readonly mode: 'finalizer' | 'direct' }
  /** Re-sends the `pick`-th past event (modulo the history) verbatim. */
  | { readonly op: 'replay'; readonly pick: number }
  | { readonly op: 'fullSync' }
  /** A full SYNC of the cluster as it was `back` changes ago. */
  | { readonly op: 'staleSync'; readonly back: number }
  | { readonly op: 'armFault'; readonly rule: FaultRuleSpec }
  | { readonly op: 'eventFaults'; readonly duplicateProbability: number; readonly reorderJitterMs: number }
  /** Event Grid delivers nothing for `ms` (those events are lost). */
  | { readonly op: 'loseEvents'; readonly ms: number }
  /** SIGKILL host `slot` once `afterWrites` more ARM writes were made (or after `maxWaitMs`). */
  | {
      readonly op: 'kill';
      readonly slot: number;
      readonly afterWrites: number;
      readonly maxWaitMs: number;
      readonly downMs: number;
    }
  | { readonly op: 'secondHost'; readonly on: boolean }
  | { readonly op: 'restartAzurite'; readonly downMs: number }
  | { readonly op: 'scale'; readonly capacity: number }
  | { readonly op: 'wait'; readonly ms: number };

export interface Schedule {
  readonly seed: number;
  readonly steps: readonly Step[];
}

/** What a schedule may contain. */
export interface ScheduleProfile {
  readonly kills: boolean;
  readonly secondHost: boolean;
  readonly azuriteRestarts: boolean;
  readonly excluded: boolean;
  readonly lostEvents: boolean;
  readonly armFaults: boolean;
  readonly scale: boolean;
}

export const FULL_PROFILE: ScheduleProfile = {
  kills: true,
  secondHost: true,
  azuriteRestarts: true,
  excluded: true,
  lostEvents: true,
  armFaults: true,
  scale: true,
};

/** mulberry32: small, seeded, good enough to pick steps. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of schedule `index` of a run seeded `runSeed`. */
export function scheduleSeed(runSeed: number, index: number): number {
  return (Math.imul(runSeed ^ 0x9e3779b9, 2654435761) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

/** A uid shaped like the API server's (36 characters), derived from the schedule seed. */
export function uidFor(seed: number, n: number): string {
  const r = prng((seed ^ Math.imul(n + 1, 0x27d4eb2d)) >>> 0);
  const hex = (len: number): string =>
    Array.from({ length: len }, () => Math.floor(r() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

const ARM_TARGETS = [
  'virtualMachineScaleSets/[^/]+$',
  'virtualMachineScaleSets/[^/]+/virtualMachines/',
  'virtualMachineScaleSets/[^/]+/(networkInterfaces|virtualMachines/[^/]+/networkInterfaces)',
  'Microsoft\\.Compute/virtualMachines/',
  'networkInterfaces/[^/]+$',
  'loadBalancers/',
  'publicIPPrefixes/',
  'publicIPAddresses/',
  '/operations/|/operationResults/',
];

function armFault(r: () => number, pick: <T>(xs: readonly T[]) => T): FaultRuleSpec {
  const path = pick(ARM_TARGETS);
  const write = pick(['PUT', 'PATCH', 'DELETE', 'POST', 'PUT']);
  const count = 1 + Math.floor(r() * 4);
  const probability = 0.3 + r() * 0.5;
  switch (pick(['429', '409', '412', '500', 'lro', 'latency', 'get500', 'get429'] as const)) {
    case '429':
      return {
        method: write,
        path,
        status: 429,
        code: 'TooManyRequests',
        retryAfterSeconds: 1,
        count,
        probability,
      };
    case '409':
      return { method: write, path, status: 409, code: 'Conflict', count, probability };
    case '412':
      return { method: write, path, status: 412, code: 'PreconditionFailed', count, probability };
    case '500':
      return { method: write, path, status: 500, code: 'InternalServerError', count, probability };
    case 'lro':
      return {
        method: pick(['PUT', 'DELETE', 'POST']),
        path,
        lroFailure: true,
        code: 'InternalServerError',
        count,
        probability,
      };
    case 'latency':
      return { path, latencyMs: 50 + Math.floor(r() * 400), count: count * 5, probability };
    case 'get500':
      return { method: 'GET', path, status: 500, code: 'InternalServerError', count, probability };
    case 'get429':
      return {
        method: 'GET',
        path,
        status: 429,
        code: 'TooManyRequests',
        retryAfterSeconds: 1,
        count,
        probability,
      };
  }
}

/** The schedule of a seed. */
export function generateSchedule(seed: number, profile: ScheduleProfile = FULL_PROFILE): Schedule {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const kinds = (Object.keys(CONFIG_KINDS) as ConfigKind[]).filter(
    (k) => profile.excluded || CONFIG_KINDS[k].expect === 'valid',
  );
  const steps: Step[] = [];
  const live: string[] = [];
  let created = 0;
  let secondHost = false;
  const length = 6 + Math.floor(r() * 9);
  // Every schedule starts with some configurations, so faults meet work.
  for (let i = 0; i < 1 + Math.floor(r() * 3); i++) {
    const name = `c${created++}`;
    live.push(name);
    steps.push({ op: 'create', name, kind: pick(kinds) });
  }
  const choices: [number, () => Step | undefined][] = [
    [
      3,
      () => {
        if (live.length >= 5) return undefined;
        const name = `c${created++}`;
        live.push(name);
        return { op: 'create', name, kind: pick(kinds) };
      },
    ],
    [4, () => (live.length === 0 ? undefined : { op: 'edit', name: pick(live), kind: pick(kinds) })],
    [
      2,
      () => {
        if (live.length === 0) return undefined;
        const name = live.splice(Math.floor(r() * live.length), 1)[0]!;
        return { op: 'delete', name, mode: r() < 0.75 ? 'finalizer' : 'direct' };
      },
    ],
    [1, () => ({ op: 'replay', pick: Math.floor(r() * 1000) })],
    [1, () => ({ op: 'fullSync' })],
    [1, () => ({ op: 'staleSync', back: 1 + Math.floor(r() * 4) })],
    [4, () => (profile.armFaults ? { op: 'armFault', rule: armFault(r, pick) } : undefined)],
    [
      1,
      () => ({ op: 'eventFaults', duplicateProbability: r() * 0.5, reorderJitterMs: Math.floor(r() * 300) }),
    ],
    [1, () => (profile.lostEvents ? { op: 'loseEvents', ms: 100 + Math.floor(r() * 600) } : undefined)],
    [
      2,
      () =>
        profile.kills
          ? {
              op: 'kill',
              slot: secondHost && r() < 0.5 ? 1 : 0,
              afterWrites: Math.floor(r() * 6),
              maxWaitMs: 1500,
              downMs: Math.floor(r() * 1500),
            }
          : undefined,
    ],
    [
      1,
      () => {
        if (!profile.secondHost) return undefined;
        secondHost = !secondHost;
        return { op: 'secondHost', on: secondHost };
      },
    ],
    [
      1,
      () => (profile.azuriteRestarts ? { op: 'restartAzurite', downMs: Math.floor(r() * 1000) } : undefined),
    ],
    [1, () => (profile.scale ? { op: 'scale', capacity: 1 + Math.floor(r() * 4) } : undefined)],
    [2, () => ({ op: 'wait', ms: Math.floor(r() * 500) })],
  ];
  const total = choices.reduce((s, [w]) => s + w, 0);
  while (steps.length < length) {
    let x = r() * total;
    const [, make] = choices.find(([w]) => (x -= w) < 0) ?? choices[0]!;
    const step = make();
    if (step !== undefined) steps.push(step);
  }
  return { seed, steps };
}
