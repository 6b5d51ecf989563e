/**
 * Shortens failover for pods' tunnels (an egret addition; upstream relies on WireGuard alone).
 *
 * When the LB moves a pod's flow to another gateway, the pod keeps sending on its session with the
 * old gateway, which the new one cannot decrypt; WireGuard starts a new handshake only after 15 s
 * without a reply (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT). The watchdog samples each pod tunnel's
 * transfer counters: when the pod has sent but received nothing for `stallMs` (TCP answers data
 * with an ACK within a round trip, so silence means the path is broken), it removes and re-adds the
 * peer. That drops the session keys, so the pod's next packet starts a handshake at once, and the
 * LB sends it to a healthy gateway. Resets are rate-limited per pod.
 */
import { errorMessage } from '../../shared/core/errors.js';
import type { Logger } from '../common/logger.js';
import type { MetricsRegistry } from '../common/metrics.js';
import type { WireGuardDriver, WireGuardLinkRef, WireGuardPeer } from '../common/wireguard.js';

/** What the watchdog remembers about one tunnel between samples. */
export interface TunnelState {
  readonly rx: number;
  readonly tx: number;
  /** When rx last grew (or the tunnel was first seen / reset). */
  readonly rxChangedAt: number;
  /** tx at that moment. */
  readonly txAtRxChange: number;
  readonly lastResetAt: number;
}

/**
 * One sample (pure): the next state and whether to reset the session now. A reset needs bytes sent
 * since rx last grew, `stallMs` of rx silence, and `minResetIntervalMs` since the last reset.
 */
export function evaluateTunnel(
  state: TunnelState | undefined,
  sample: { readonly rx: number; readonly tx: number },
  now: number,
  options: { readonly stallMs: number; readonly minResetIntervalMs: number },
): { readonly state: TunnelState; readonly reset: boolean } {
  if (state === undefined || sample.rx < state.rx || sample.tx < state.tx)
    return {
      state: {
        rx: sample.rx,
        tx: sample.tx,
        rxChangedAt: now,
        txAtRxChange: sample.tx,
        lastResetAt: state?.lastResetAt ?? -Infinity,
      },
      reset: false,
    };
  if (sample.rx !== state.rx)
    return {
      state: { ...state, rx: sample.rx, tx: sample.tx, rxChangedAt: now, txAtRxChange: sample.tx },
      reset: false,
    };
  const stalled =
    sample.tx > state.txAtRxChange &&
    now - state.rxChangedAt >= options.stallMs &&
    now - state.lastResetAt >= options.minResetIntervalMs;
  if (!stalled) return { state: { ...state, tx: sample.tx }, reset: false };
  // After the reset the peer's counters start again from zero.
  return { state: { rx: 0, tx: 0, rxChangedAt: now, txAtRxChange: 0, lastResetAt: now }, reset: true };
}

interface Tracked {
  readonly ref: WireGuardLinkRef;
  readonly peer: WireGuardPeer;
  readonly pod: string;
  state: TunnelState | undefined;
}

export class TunnelWatchdog {
  private readonly tunnels = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly resets;

  constructor(
    private readonly options: {
      readonly wg: WireGuardDriver;
      readonly intervalMs: number;
      readonly stallMs: number;
      readonly log: Logger;
      readonly metrics: MetricsRegistry;
      readonly now?: () => number;
    },
  ) {
    this.resets = options.metrics.counter(
      'egret_tunnel_session_resets_total',
      'Pod tunnel sessions reset after the gateway stopped answering.',
    );
  }

  track(
    containerId: string,
    tunnel: { readonly ref: WireGuardLinkRef; readonly peer: WireGuardPeer; readonly pod: string },
  ): void {
    this.tunnels.set(containerId, { ...tunnel, state: undefined });
  }

  untrack(containerId: string): void {
    this.tunnels.delete(containerId);
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** One pass over every tracked tunnel. */
  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const now = this.options.now ?? Date.now;
    try {
      for (const [id, t] of this.tunnels) {
        try {
          const device = await this.options.wg.show(t.ref);
          const peer = device?.peers.find((p) => p.publicKey === t.peer.publicKey);
          if (peer === undefined) continue;
          const r = evaluateTunnel(t.state, { rx: peer.rxBytes, tx: peer.txBytes }, now(), {
            stallMs: this.options.stallMs,
            minResetIntervalMs: Math.max(this.options.stallMs * 2, 5000),
          });
          t.state = r.state;
          if (r.reset && this.tunnels.get(id) === t) {
            await this.options.wg.removePeer(t.ref, t.peer.publicKey);
            await this.options.wg.setPeer(t.ref, t.peer);
            this.resets.inc();
            this.options.log.info('tunnel session reset: the gateway stopped answering', { pod: t.pod });
          }
        } catch (e) {
          this.options.log.debug('tunnel sample failed', { pod: t.pod, error: errorMessage(e) });
        }
      }
    } finally {
      this.running = false;
    }
  }
}
