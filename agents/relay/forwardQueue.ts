/**
 * The events waiting to be forwarded to `relayEvents`, coalesced per configuration uid: only the
 * latest state of an object matters to the control plane (it re-plans from scratch and ignores stale
 * resourceVersions), so ten edits made while the control plane was down travel as one event.
 *
 * Pure and synchronous; the forwarder takes a batch, sends it, then acknowledges it. An event that
 * was replaced while its batch was in flight stays queued (the newer state still has to go out).
 */
import type { RelayEvent } from '../../shared/core/relayContract.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';

/** A watch event type the relay forwards one by one (SYNC goes as a whole list, see syncRequests). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A queued event; `seq` orders events and tells whether one was replaced after it was taken. */
export interface QueuedEvent {
  readonly uid: string;
  readonly seq: number;
  readonly event: RelayEvent;
}

/** Coalescing, ordered event queue. */
export class ForwardQueue {
  private readonly pending = new Map<string, QueuedEvent>();
  private seq = 0;

  /** Queues `object`'s latest state; an earlier, unsent event of the same uid is replaced. */
  offer(type: WatchEventType, object: StaticGatewayConfiguration): void {
    const uid = object.metadata.uid;
    const before = this.pending.get(uid);
    // Still unsent: the control plane has not heard of the object yet, so it stays an ADDED.
    const coalesced: WatchEventType = before?.event.type === 'ADDED' && type === 'MODIFIED' ? 'ADDED' : type;
    this.pending.delete(uid); // re-insert so iteration order follows seq
    this.pending.set(uid, { uid, seq: ++this.seq, event: { type: coalesced, object } });
  }

  /** Up to `max` events, oldest first; they stay queued until acknowledged. */
  take(max: number): readonly QueuedEvent[] {
    const out: QueuedEvent[] = [];
    for (const queued of this.pending.values()) {
      if (out.length >= max) break;
      out.push(queued);
    }
    return out;
  }

  /** Drops the events of a batch that was delivered, unless they were replaced meanwhile. */
  acknowledge(batch: readonly QueuedEvent[]): void {
    for (const sent of batch) {
      if (this.pending.get(sent.uid)?.seq === sent.seq) this.pending.delete(sent.uid);
    }
  }

  /** The sequence number of the newest event so far (a SYNC snapshot covers everything up to it). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Drops every event queued at or before `seq` (a full SYNC taken at `seq` was delivered). */
  acknowledgeUpTo(seq: number): void {
    for (const [uid, queued] of this.pending) if (queued.seq <= seq) this.pending.delete(uid);
  }

  /** Forgets everything (on losing leadership: the next leader starts with a full SYNC). */
  clear(): void {
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }
}
