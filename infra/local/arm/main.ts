/**
 * Runs the ARM stand-in on its own and prints ONE JSON line:
 * `{"endpoint","caCertPath","adminEndpoint","subscriptionId"}`. Stops cleanly on SIGINT/SIGTERM.
 *
 * Options: `--port N` (default ephemeral), `--ca-path FILE`, `--subscription-id ID`,
 * `--page-size N`, `--latency-scale X` (default 0.001).
 */
import { startArmStandIn } from './startArmStandIn.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numberArg(name: string): number | undefined {
  const v = arg(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    console.error(`--${name} needs a number, got ${v}`);
    process.exit(2);
  }
  return n;
}

const port = numberArg('port');
const pageSize = numberArg('page-size');
const latencyScale = numberArg('latency-scale');
const caPath = arg('ca-path');
const subscriptionId = arg('subscription-id');
const standIn = await startArmStandIn({
  ...(port === undefined ? {} : { port }),
  ...(pageSize === undefined ? {} : { pageSize }),
  ...(latencyScale === undefined ? {} : { latency: { scale: latencyScale } }),
  ...(caPath === undefined ? {} : { caPath }),
  ...(subscriptionId === undefined ? {} : { subscriptionId }),
});
console.log(
  JSON.stringify({
    endpoint: standIn.endpoint,
    caCertPath: standIn.caPath,
    adminEndpoint: standIn.adminEndpoint,
    subscriptionId: standIn.subscriptionId,
  }),
);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await standIn.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
