/**
 * Small programs the data-path world runs inside its network namespaces (started with
 * `nsenter --net=… node --import tsx helper.ts <mode> <json>`):
 *
 * - `echo-server {port}`: the external server; answers each TCP connection with the source address
 *   it saw, then closes.
 * - `sink {port}` / `pingpong {port}`: bulk-transfer and round-trip targets for the benchmark.
 * - `forward {listen: [{host, port, socket}]}`: listens on TCP inside the namespace and pipes each
 *   connection to a unix socket (unix sockets cross namespaces), so processes in a node namespace
 *   reach the Kubernetes API stand-in and the IMDS stand-in that run in the test process.
 * - `lb {frontends, backends, probePort, intervalMs}`: the Azure ILB stand-in. Every interval it
 *   probes `GET /gw/<uid>` on each backend for each rule, and routes the frontend IP of each rule
 *   (selected by fwmark = port, set by the world's nft rule) with ECMP across the backends that
 *   answered 200 (floating IP: the destination is left as is). Prints `HEALTHY <port> <ips…>` on
 *   each change.
 *
 * Each prints `READY` once listening.
 */
import { spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { request } from 'node:http';

const [mode, arg] = process.argv.slice(2);
const config = JSON.parse(arg ?? '{}') as Record<string, unknown>;

function ready(): void {
  process.stdout.write('READY\n');
}

if (mode === 'echo-server') {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.end(`${s.remoteAddress ?? ''}\n`);
  });
  server.listen(config.port as number, '0.0.0.0', ready);
} else if (mode === 'sink') {
  // Bulk-transfer target: reads until the client half-closes, answers the byte count.
  const server = createServer((s) => {
    let bytes = 0;
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('end', () => s.end(`${bytes}\n`));
    s.on('error', () => undefined);
  });
  server.listen(config.port as number, '0.0.0.0', ready);
} else if (mode === 'pingpong') {
  // Latency target: echoes every byte back.
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.pipe(s);
  });
  server.listen(config.port as number, '0.0.0.0', ready);
} else if (mode === 'forward') {
  const listens = config.listen as { host: string; port: number; socket: string }[];
  let pending = listens.length;
  for (const l of listens) {
    createServer((client) => {
      const upstream = connect(l.socket);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    }).listen(l.port, l.host, () => {
      pending -= 1;
      if (pending === 0) ready();
    });
  }
} else if (mode === 'lb') {
  const frontends = config.frontends as { ip: string; port: number; probePath: string }[];
  const backends = config.backends as string[];
  const probePort = config.probePort as number;
  const intervalMs = config.intervalMs as number;
  const state = new Map<number, string>();
  const probe = (ip: string, path: string): Promise<boolean> =>
    new Promise((resolve) => {
      const req = request({ host: ip, port: probePort, path, timeout: Math.max(intervalMs, 200) }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  const route = (fe: { ip: string; port: number }, healthy: string[]): void => {
    const args =
      healthy.length === 0
        ? ['route', 'replace', 'unreachable', `${fe.ip}/32`, 'table', String(fe.port)]
        : [
            'route',
            'replace',
            `${fe.ip}/32`,
            'table',
            String(fe.port),
            ...healthy.flatMap((b) => ['nexthop', 'via', b]),
          ];
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`lb: ip ${args.join(' ')}: ${r.stderr}\n`);
  };
  for (const fe of frontends) route(fe, []);
  const tick = async (): Promise<void> => {
    for (const fe of frontends) {
      const results = await Promise.all(backends.map((b) => probe(b, fe.probePath)));
      const healthy = backends.filter((_, i) => results[i]);
      const key = healthy.join(' ');
      if (state.get(fe.port) !== key) {
        state.set(fe.port, key);
        route(fe, healthy);
        process.stdout.write(`HEALTHY ${fe.port} ${key}\n`);
      }
    }
    setTimeout(() => void tick(), intervalMs);
  };
  ready();
  void tick();
} else {
  process.stderr.write(`unknown mode ${mode ?? ''}\n`);
  process.exit(2);
}
