/**
 * Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm (client-node 1.4 ships no
 * elector):
 *
 * - A candidate reads the Lease every `retryPeriod`. It takes it when it is absent, released (no
 *   holder), or not renewed for `leaseDuration` — measured on the candidate's OWN clock from the moment
 *   it last saw the record change, so clock skew between nodes does not matter.
 * - Writes are optimistic (create, or update at the read resourceVersion): two candidates racing for an
 *   expired lease cannot both win; the loser gets 409.
 * - The leader renews every `retryPeriod`; if it has not renewed successfully for `renewDeadline`
 *   (< leaseDuration) it stops acting before anyone else may take over.
 * - On shutdown the leader releases the Lease (holder cleared, duration 1 s) so the standby takes over
 *   at its next retry instead of waiting for expiry.
 *
 * Leadership is handed out as an AbortSignal: work started for a term stops when the term ends.
 */
import { ConflictError, errorMessage } from '../../shared/core/errors.js';
import type { Logger } from '../common/logger.js';
import type { Clock } from '../../shared/ports/clock.js';

/** The Lease fields the election uses. Times are epoch milliseconds. */
export interface LeaseRecord {
  readonly holderIdentity: string | undefined;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number | undefined;
  readonly renewTime: number | undefined;
  readonly leaseTransitions: number;
}

/** A Lease as read, with the resourceVersion to update it at. */
export interface ObservedLease extends LeaseRecord {
  readonly resourceVersion: string;
}

/** The Lease calls the elector makes. */
export interface LeasePort {
  get(signal: AbortSignal): Promise<ObservedLease | undefined>;
  /** @throws ConflictError when the Lease exists. */
  create(record: LeaseRecord, signal: AbortSignal): Promise<void>;
  /** @throws ConflictError when `resourceVersion` is stale. */
  update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<void>;
}

/** Options of {@link LeaseElector}. */
export interface LeaseElectorOptions {
  readonly leases: LeasePort;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called when this candidate becomes leader; `term` aborts when leadership ends. */
  readonly onStartedLeading: (term: AbortSignal) => void;
  /**
   * Called when a term ends (lost, or on shutdown); the elector waits for it (the term's work to wind
   * down) before it releases the lease, so two replicas never act at once.
   */
  readonly onStoppedLeading: () => Promise<void> | void;
}

/** One candidate. */
export class LeaseElector {
  private observed: LeaseRecord | undefined;
  private observedAt = 0;
  private leading = false;

  constructor(private readonly options: LeaseElectorOptions) {}

  /** True while this candidate holds a term. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads, campaigns again after losing, until `signal` aborts; then releases if leading. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, retryPeriodMs } = this.options;
    while (!signal.aborted) {
      if ((await this.tryAcquireOrRenew(signal)) === 'held') {
        await this.lead(signal);
        continue;
      }
      await clock.sleep(retryPeriodMs, signal);
    }
  }

  /** One term: renew until the deadline is missed or `signal` aborts. */
  private async lead(signal: AbortSignal): Promise<void> {
    const { clock, retryPeriodMs, renewDeadlineMs, log, identity } = this.options;
    const term = new AbortController();
    this.leading = true;
    log.info('became leader', { identity });
    this.options.onStartedLeading(term.signal);
    let lastRenew = clock.nowMs();
    try {
      while (!signal.aborted) {
        await clock.sleep(retryPeriodMs, signal);
        if (signal.aborted) break;
        const outcome = await this.tryAcquireOrRenew(signal);
        if (outcome === 'held') {
          lastRenew = clock.nowMs();
        } else if (outcome === 'other') {
          log.warn('lost leadership: another replica holds the lease', {
            identity,
            holder: this.observed?.holderIdentity,
          });
          return;
        } else if (clock.nowMs() - lastRenew >= renewDeadlineMs) {
          log.warn('lost leadership: could not renew the lease in time', {
            identity,
            renewDeadlineMs,
            holder: this.observed?.holderIdentity,
          });
          return;
        }
      }
    } finally {
      this.leading = false;
      term.abort();
      await this.options.onStoppedLeading();
      if (signal.aborted) await this.release();
    }
  }

  /**
   * client-go's tryAcquireOrRenew: `held` when this candidate holds the lease afterwards, `other` when
   * another candidate holds an unexpired lease, `failed` when the attempt failed (lost race, API error).
   */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<'held' | 'other' | 'failed'> {
    const { leases, identity, clock, log } = this.options;
    const now = clock.nowMs();
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    try {
      const current = await leases.get(signal);
      if (current === undefined) {
        const record: LeaseRecord = {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        };
        await leases.create(record, signal);
        this.observe(record, now);
        return 'held';
      }
      if (this.observed === undefined || !sameRecord(this.observed, current)) this.observe(current, now);
      const heldByOther =
        current.holderIdentity !== undefined &&
        current.holderIdentity !== '' &&
        current.holderIdentity !== identity;
      if (heldByOther && this.observedAt + current.leaseDurationSeconds * 1000 > now) return 'other';
      const mine = current.holderIdentity === identity;
      const record: LeaseRecord = {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine ? (current.acquireTime ?? now) : now,
        renewTime: now,
        leaseTransitions: mine ? current.leaseTransitions : current.leaseTransitions + 1,
      };
      await leases.update(record, current.resourceVersion, signal);
      this.observe(record, now);
      return 'held';
    } catch (e) {
      if (!signal.aborted && !(e instanceof ConflictError)) {
        log.warn('lease request failed', { identity, error: errorMessage(e) });
      }
      return 'failed';
    }
  }

  /** Hands the lease back so a standby does not wait for it to expire. Best effort. */
  private async release(): Promise<void> {
    const { leases, identity, clock, log } = this.options;
    const signal = AbortSignal.timeout(5000);
    try {
      const current = await leases.get(signal);
      if (current === undefined || current.holderIdentity !== identity) return;
      const now = clock.nowMs();
      await leases.update(
        {
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.leaseTransitions,
        },
        current.resourceVersion,
        signal,
      );
      log.info('released the lease', { identity });
    } catch (e) {
      log.warn('releasing the lease failed; the standby takes over when it expires', {
        identity,
        error: errorMessage(e),
      });
    }
  }

  private observe(record: LeaseRecord, now: number): void {
    this.observed = record;
    this.observedAt = now;
  }
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}
