/**
 * The load balancer's health probe (upstream pkg/healthprobe): `GET /gw/<configuration uid>` answers
 * 200 while that configuration is fully configured on this node, 503 otherwise. While draining
 * (after SIGTERM) every probe answers 503 so the LB moves new flows away before the daemon exits.
 */
import { createServer, type Server } from 'node:http';

export interface ProbeServer {
  readonly port: number;
  /** Replaces the set of configuration uids this node serves. */
  setReady(uids: Iterable<string>): void;
  isReady(uid: string): boolean;
  /** From now on every probe answers 503. */
  startDraining(): void;
  close(): Promise<void>;
}

export async function startProbeServer(options: {
  readonly host: string;
  readonly port: number;
}): Promise<ProbeServer> {
  let ready = new Set<string>();
  let draining = false;
  const server: Server = createServer((req, res) => {
    const parts = (req.url ?? '/').split('?')[0]?.split('/') ?? [];
    // Exactly `/gw/<uid>`: ['', 'gw', '<uid>'].
    if (req.method !== 'GET' || parts.length !== 3 || parts[1] !== 'gw' || parts[2] === '') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('expected GET /gw/<configuration uid>\n');
      return;
    }
    const ok = !draining && ready.has(parts[2] ?? '');
    res
      .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' })
      .end(ok ? 'ok\n' : 'unavailable\n');
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : options.port,
    setReady(uids) {
      ready = new Set(uids);
    },
    isReady: (uid) => !draining && ready.has(uid),
    startDraining() {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
