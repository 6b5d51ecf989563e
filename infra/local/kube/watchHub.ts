/**
 * Open watch streams: replay from the history, live fan-out of store changes, selector
 * transitions (an object that stops matching arrives as DELETED, one that starts matching as
 * ADDED, as the watch cache does), BOOKMARK events, `timeoutSeconds`, and test hooks to drop
 * every stream.
 */
import type { ServerResponse } from 'node:http';
import type { JsonObject } from './json.js';
import { gone } from './kubeStatus.js';
import type { Change, ChangeType, ObjectStore } from './objectStore.js';

export interface WatchRequest {
  readonly resource: string;
  /** Whether an object belongs to this watch (namespace, label and field selectors). */
  readonly matches: (obj: JsonObject) => boolean;
  /** Turns a stored object into what this client gets (apiVersion of the URL, Table rows). */
  readonly render: (obj: JsonObject, type: ChangeType | 'BOOKMARK') => JsonObject;
  /** Renders a BOOKMARK object carrying a resourceVersion. */
  readonly bookmark: (rv: number, initialEventsEnd: boolean) => JsonObject;
  /** Start after this RV; undefined = "now", after synthetic ADDED events for current objects. */
  readonly sinceRv: number | undefined;
  readonly initialObjects: () => readonly JsonObject[];
  readonly allowBookmarks: boolean;
  readonly sendInitialEvents: boolean;
  readonly timeoutMs: number | undefined;
}

interface OpenWatch {
  readonly req: WatchRequest;
  readonly res: ServerResponse;
  lastRv: number;
  timer: NodeJS.Timeout | undefined;
}

/** How a test drops watches: `end` closes streams cleanly (clients reconnect), `destroy` resets sockets. */
export type DropMode = 'end' | 'destroy';

export class WatchHub {
  private readonly open = new Set<OpenWatch>();
  private readonly unsubscribe: () => void;
  private bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ObjectStore,
    options: { readonly bookmarkIntervalMs?: number } = {},
  ) {
    this.unsubscribe = store.subscribe((c) => {
      for (const w of this.open) this.deliver(w, c);
    });
    const every = options.bookmarkIntervalMs ?? 60_000;
    if (every > 0) {
      this.bookmarkTimer = setInterval(() => this.sendBookmarks(), every);
      this.bookmarkTimer.unref();
    }
  }

  /** Number of open watch streams. */
  get size(): number {
    return this.open.size;
  }

  /** Starts streaming to `res` (headers are sent at once: clients wait for them). */
  start(req: WatchRequest, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    // Without flushHeaders Node holds the headers until the first event, and client-node's
    // Watch.watch() never resolves on a quiet resource.
    res.flushHeaders();
    const w: OpenWatch = { req, res, lastRv: this.store.currentRv(), timer: undefined };

    if (req.sinceRv === undefined) {
      for (const o of req.initialObjects()) this.write(w, 'ADDED', req.render(o, 'ADDED'));
      if (req.sendInitialEvents && req.allowBookmarks)
        this.write(w, 'BOOKMARK', req.bookmark(this.store.currentRv(), true));
    } else {
      const changes = this.store.changesSince(req.sinceRv);
      if (changes === 'expired') {
        const err = gone(`too old resource version: ${req.sinceRv} (${this.store.oldestWatchableRv()})`);
        this.write(w, 'ERROR', err.toStatus());
        res.end();
        return;
      }
      for (const c of changes) this.deliver(w, c);
      w.lastRv = Math.max(req.sinceRv, this.store.currentRv());
    }
    this.open.add(w);
    // Track the response, not the request: on Node 20 an IncomingMessage emits 'close' as soon
    // as its (empty) body is consumed, which would drop the watcher at once.
    res.on('close', () => this.close(w));
    if (req.timeoutMs !== undefined) {
      w.timer = setTimeout(() => this.end(w), req.timeoutMs);
      w.timer.unref();
    }
  }

  private deliver(w: OpenWatch, c: Change): void {
    if (c.resource !== w.req.resource) return;
    const nowMatches = c.type !== 'DELETED' && w.req.matches(c.object);
    const before =
      c.type === 'DELETED' ? w.req.matches(c.object) : c.prev !== undefined && w.req.matches(c.prev);
    let type: ChangeType | undefined;
    if (c.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (nowMatches) type = before ? 'MODIFIED' : 'ADDED';
    else if (before) type = 'DELETED';
    w.lastRv = c.rv;
    if (type !== undefined) this.write(w, type, w.req.render(c.object, type));
  }

  private write(w: OpenWatch, type: string, object: JsonObject): void {
    if (w.res.writableEnded || w.res.destroyed) return;
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** Sends a BOOKMARK (current RV) to every stream that asked for them. */
  sendBookmarks(): void {
    const rv = this.store.currentRv();
    for (const w of this.open) if (w.req.allowBookmarks) this.write(w, 'BOOKMARK', w.req.bookmark(rv, false));
  }

  private end(w: OpenWatch): void {
    if (!w.res.writableEnded) w.res.end();
    this.close(w);
  }

  private close(w: OpenWatch): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    this.open.delete(w);
  }

  /** Ends every open watch (`end`: a clean close, like a server-side timeout; `destroy`: a reset connection). */
  dropAll(mode: DropMode = 'end'): number {
    const n = this.open.size;
    for (const w of [...this.open]) {
      if (mode === 'destroy') {
        w.res.destroy();
        this.close(w);
      } else this.end(w);
    }
    return n;
  }

  /** Ends every stream for good (server stop). */
  stop(): void {
    if (this.bookmarkTimer !== undefined) clearInterval(this.bookmarkTimer);
    this.unsubscribe();
    this.dropAll('end');
  }
}
