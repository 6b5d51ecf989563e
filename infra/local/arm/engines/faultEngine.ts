/**
 * Fault injection by method + path pattern: answer with an error, add latency, or let the request be
 * accepted and its long-running operation end `Failed`. A rule fires `count` times (default: forever)
 * and, with `probability`, only sometimes (seeded, so a test run is repeatable).
 */
export interface FaultRuleSpec {
  /** HTTP method to match (any when absent). */
  readonly method?: string;
  /** Regular expression (case-insensitive) matched against the request path without the query. */
  readonly path: string;
  /** Answer with this status and `{error:{code,message}}` instead of serving the request. */
  readonly status?: number;
  readonly code?: string;
  readonly message?: string;
  /** Adds `Retry-After` (seconds) to the injected answer. */
  readonly retryAfterSeconds?: number;
  /** Serve the request, but its long-running operation ends `Failed` with `code`/`message`. */
  readonly lroFailure?: boolean;
  /** Delay before the request is served (or answered with the fault). */
  readonly latencyMs?: number;
  /** How many times the rule fires; unlimited when absent. */
  readonly count?: number;
  /** Chance (0..1) that a matching request triggers the rule; 1 when absent. */
  readonly probability?: number;
}

export interface FaultRule extends FaultRuleSpec {
  readonly id: string;
  /** How many times it fired so far. */
  fired: number;
}

export class FaultEngine {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private readonly random: () => number;

  constructor(seed = 1) {
    this.random = mulberry32(seed);
  }

  add(spec: FaultRuleSpec): FaultRule {
    try {
      new RegExp(spec.path, 'i');
    } catch (e) {
      throw new Error(`fault rule path is not a valid regular expression: ${String(e)}`);
    }
    if (spec.status === undefined && spec.lroFailure !== true && spec.latencyMs === undefined)
      throw new Error('fault rule needs status, lroFailure or latencyMs');
    const rule: FaultRule = { ...spec, id: `fault-${this.nextId++}`, fired: 0 };
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): readonly FaultRule[] {
    return this.rules;
  }

  /** The first rule that fires for this request (and counts the firing), if any. */
  match(method: string, path: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!new RegExp(rule.path, 'i').test(path)) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.fired += 1;
      return rule;
    }
    return undefined;
  }
}

/** Small seeded PRNG (public domain mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
