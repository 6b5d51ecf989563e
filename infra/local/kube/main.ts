/**
 * Runs the Kubernetes API stand-in standalone:
 *   node --import tsx infra/local/kube/main.ts [--http] [--port N] [--kubeconfig PATH]
 * prints ONE JSON line `{"url":...,"kubeconfigPath":...}` on stdout, then serves until
 * SIGINT/SIGTERM. Use it with `KUBECONFIG=<kubeconfigPath> kubectl get ns`.
 */
import { startKubeStandIn, type KubeStandInOptions } from './startKubeStandIn.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const portArg = arg('--port');
const kubeconfigArg = arg('--kubeconfig');
const options: KubeStandInOptions = {
  protocol: process.argv.includes('--http') ? 'http' : 'https',
  ...(portArg === undefined ? {} : { port: Number(portArg) }),
  ...(kubeconfigArg === undefined ? {} : { kubeconfigPath: kubeconfigArg }),
};
const standIn = await startKubeStandIn(options);
console.log(JSON.stringify({ url: standIn.url, kubeconfigPath: standIn.kubeconfigPath }));

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await standIn.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
