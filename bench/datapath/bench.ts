/**
 * `npm run bench:datapath`: measures the data path in the same network-namespace world the tests
 * use (root, wireguard-go): throughput through the gateway tunnel against the direct path (node
 * masquerade) in the same run, the latency the tunnel adds, and failover time from a gateway's
 * SIGTERM to the first successful new connection, with the probe interval and drain delay used.
 * Figures, not assertions: it prints them and exits 0.
 */
import { DataPathWorld, dataPathPrerequisites, GATEWAY_NODES } from '../../test/datapath/support/world.js';

const PROBE_INTERVAL_MS = Number(process.env.BENCH_PROBE_INTERVAL_MS ?? 1000);
const DRAIN_DELAY_S = Number(process.env.BENCH_DRAIN_DELAY_S ?? 2);
const TRANSFER_BYTES = Number(process.env.BENCH_TRANSFER_MB ?? 64) * 1024 * 1024;
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 500);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const EXT = '203.0.113.10';

const transferScript = (bytes: number): string =>
  `const s=require('net').connect(9001,'${EXT}');const chunk=Buffer.alloc(65536,7);let sent=0;const t0=process.hrtime.bigint();` +
  `function pump(){while(sent<${bytes}){sent+=chunk.length;if(!s.write(chunk)){s.once('drain',pump);return}}s.end()}` +
  `s.on('connect',pump);let d='';s.on('data',x=>d+=x);s.on('end',()=>{const ms=Number(process.hrtime.bigint()-t0)/1e6;` +
  `process.stdout.write(JSON.stringify({bytes:Number(d.trim()),ms}))});s.on('error',e=>{console.error(e.message);process.exit(1)});`;

const rttScript = (n: number): string =>
  `const s=require('net').connect(9002,'${EXT}');s.setNoDelay(true);const r=[];let t;let i=0;` +
  `function go(){t=process.hrtime.bigint();s.write('x')}s.on('connect',go);` +
  `s.on('data',()=>{r.push(Number(process.hrtime.bigint()-t)/1e3);if(++i<${n})go();else{s.end();r.sort((a,b)=>a-b);` +
  `process.stdout.write(JSON.stringify({p50:r[Math.floor(r.length/2)],p90:r[Math.floor(r.length*0.9)]}));process.exit(0)}});` +
  `s.on('error',e=>{console.error(e.message);process.exit(1)});`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const missing = dataPathPrerequisites();
  if (missing !== undefined) {
    console.error(`bench:datapath ${missing}`);
    process.exit(1);
  }
  const world = new DataPathWorld({ probeIntervalMs: PROBE_INTERVAL_MS, drainDelaySeconds: DRAIN_DELAY_S });
  const A = {
    name: 'bench',
    port: 6000,
    selector: 'nodepool' as const,
    secondaryIps: { gw1: '10.0.0.111', gw2: '10.0.0.112' },
  };
  try {
    await world.start([A]);
    await world.waitForLb(
      A.port,
      GATEWAY_NODES.map((g) => g.ip),
      30_000,
    );
    await world.startServer('ext', 'sink', 9001);
    await world.startServer('ext', 'pingpong', 9002);
    const { pod: tunnelled } = await world.addPod('bench-tunnel', A.name);
    const { pod: direct } = await world.addPod('bench-direct');
    await world.requestEventually(tunnelled.ns, EXT, 20_000);

    const mbps = async (ns: string): Promise<number> => {
      const r = JSON.parse(await world.runScript(ns, transferScript(TRANSFER_BYTES))) as {
        bytes: number;
        ms: number;
      };
      if (r.bytes !== TRANSFER_BYTES) throw new Error(`sink got ${r.bytes} of ${TRANSFER_BYTES} bytes`);
      return (r.bytes * 8) / (r.ms / 1000) / 1e6;
    };
    const tunnelMbps: number[] = [];
    const directMbps: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      // Interleaved, so both paths see the same machine load.
      directMbps.push(await mbps(direct.ns));
      tunnelMbps.push(await mbps(tunnelled.ns));
    }
    const rtt = async (ns: string): Promise<{ p50: number; p90: number }> =>
      JSON.parse(await world.runScript(ns, rttScript(ROUND_TRIPS))) as { p50: number; p90: number };
    const rttDirect = await rtt(direct.ns);
    const rttTunnel = await rtt(tunnelled.ns);

    // Failover: stop the gateway serving the tunnelled pod, then try new connections back to back.
    const seen = await world.request(tunnelled.ns, EXT);
    const serving = GATEWAY_NODES.find((g) => A.secondaryIps[g.name as 'gw1' | 'gw2'] === seen)!;
    const t0 = Date.now();
    world.gatewayDaemons.get(serving.name)!.child.kill('SIGTERM');
    const lbSwitch = world
      .waitForLb(
        A.port,
        GATEWAY_NODES.filter((g) => g !== serving).map((g) => g.ip),
        60_000,
      )
      .then(() => Date.now() - t0);
    let failoverMs = NaN;
    let attempts = 0;
    while (Date.now() - t0 < 90_000) {
      attempts += 1;
      try {
        const via = await world.request(tunnelled.ns, EXT, 8080, 500);
        if (via !== seen) {
          failoverMs = Date.now() - t0;
          break;
        }
      } catch {
        // not yet
      }
    }
    const lbMs = await lbSwitch;

    const tm = median(tunnelMbps);
    const dm = median(directMbps);
    const report = {
      wireguard: 'userspace (wireguard-go) on both ends',
      transferMiB: TRANSFER_BYTES / 1024 / 1024,
      throughputMbps: {
        tunnel: round(tm),
        direct: round(dm),
        ratioTunnelToDirect: round(tm / dm, 3),
        runs: { tunnel: tunnelMbps.map((x) => round(x)), direct: directMbps.map((x) => round(x)) },
      },
      roundTripMicros: {
        tunnelP50: round(rttTunnel.p50),
        directP50: round(rttDirect.p50),
        addedP50: round(rttTunnel.p50 - rttDirect.p50),
        tunnelP90: round(rttTunnel.p90),
        directP90: round(rttDirect.p90),
      },
      failover: {
        probeIntervalMs: PROBE_INTERVAL_MS,
        probeThreshold: 1,
        drainDelayMs: DRAIN_DELAY_S * 1000,
        sigtermToLbSwitchMs: lbMs,
        sigtermToFirstNewConnectionMs: failoverMs,
        connectionAttempts: attempts,
      },
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await world.close();
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
