/**
 * The local sandbox: what `npm start` runs (after `npm run build`: the Functions host loads the BUILT
 * app, as Azure does). Starts Azurite, the ARM stand-in (a VMSS pool of 2 instances, an AKS
 * VirtualMachines pool with pre-created NICs, two standalone VMs) subscribed to `armEvents`, and the
 * local Functions host; applies a sample configuration through `relayEvents`, shows it converge, prints
 * its status and the endpoints, and serves until Ctrl-C, which stops everything cleanly.
 * `--json` prints one JSON line describing the endpoints instead (nothing applied), for scripts.
 */
import { runSandbox, SampleDidNotConverge } from './runSandbox.js';
import type { Sandbox } from './startSandbox.js';

const json = process.argv.includes('--json');
let sandbox: Sandbox | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (!json) console.log('\negret sandbox: stopping (draining the Functions host, then the stand-ins) ...');
  await sandbox?.stop();
  if (!json) console.log('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  sandbox = await runSandbox({ json, write: (line) => console.log(line) });
} catch (e) {
  console.error(
    e instanceof SampleDidNotConverge
      ? `egret sandbox: ${e.message}; see the log above`
      : `egret sandbox: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
  );
  await shutdown(1);
}
