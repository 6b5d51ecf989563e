/**
 * The local sandbox: what `npm start` runs (after `npm run build`: the Functions host loads the BUILT
 * app and the relay runs `dist/agents/relay/main.js`, as Azure and the cluster do). Starts Azurite, the
 * ARM stand-in (a VMSS pool of 2 instances, an AKS VirtualMachines pool with pre-created NICs, two
 * standalone VMs) subscribed to `armEvents`, the local Functions host, the Kubernetes API stand-in
 * with egret's CRDs and the `egret-system` namespace, and a relay process; applies the sample
 * StaticGatewayConfiguration to the cluster, shows its status converge on the custom resource, prints
 * it as `kubectl get` does with the kubectl command to run, then the endpoints, and serves until
 * Ctrl-C, which stops everything cleanly (relay, host, stand-ins, Azurite).
 *
 * Flags: `--json` prints one JSON line describing the endpoints instead (nothing applied), for scripts;
 * `--source` runs the functions and the relay from the TypeScript sources (run this file through tsx:
 * `node --import tsx infra/local/sandbox/main.ts --source`); `--state-dir=DIR` puts the kubeconfig, the
 * relay logs and the app settings file in DIR (default `.state/sandbox`).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runSandbox, SampleDidNotConverge } from './runSandbox.js';
import { REPO_ROOT, type Sandbox } from './startSandbox.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const source = args.includes('--source');
const stateDir = args.find((a) => a.startsWith('--state-dir='))?.slice('--state-dir='.length);
const unknown = args.filter((a) => !['--json', '--source'].includes(a) && !a.startsWith('--state-dir='));
if (unknown.length > 0) {
  console.error(
    `egret sandbox: unknown argument(s) ${unknown.join(' ')}; known: --json, --source, --state-dir=DIR`,
  );
  process.exit(2);
}

let sandbox: Sandbox | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (!json) console.log('\negret sandbox: stopping (the relay, the Functions host, then the stand-ins) ...');
  await sandbox?.stop();
  if (!json) console.log('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  sandbox = await runSandbox({
    json,
    write: (line) => console.log(line),
    warn: (line) => console.error(line),
    ...(stateDir === undefined ? {} : { stateDir }),
    ...(source
      ? {
          sandbox: {
            modules: readdirSync(join(REPO_ROOT, 'functions'))
              .filter((f) => f.endsWith('.ts'))
              .sort()
              .map((f) => join(REPO_ROOT, 'functions', f)),
            cluster: { relayEntry: 'source' },
          },
        }
      : {}),
  });
} catch (e) {
  console.error(
    e instanceof SampleDidNotConverge
      ? `egret sandbox: ${e.message}; see the log above`
      : `egret sandbox: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
  );
  await shutdown(1);
}
