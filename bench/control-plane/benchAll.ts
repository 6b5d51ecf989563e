/**
 * `npm run bench [-- <control-plane bench options>]`: the control-plane bench (its options are passed
 * on: --quick, --json, --latency-scale, --relay-batch), the packaging bench (`npm run bench:packaging`:
 * builds, then the Functions app's cold start and the deployables' sizes), then the data-path bench (`npm run
 * bench:datapath`) when this machine can run it — root and wireguard-go, ip, nft, wg, nsenter, the
 * same check the data-path tests make; otherwise it says that it skipped it, and why, on stderr.
 * Exits with the first failing bench's status.
 */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../../infra/local/sandbox/startSandbox.js';
import { dataPathPrerequisites } from '../../test/datapath/support/world.js';

const controlPlane = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--expose-gc', 'bench/control-plane/bench.ts', ...process.argv.slice(2)],
  { cwd: REPO_ROOT, stdio: 'inherit' },
);
if (controlPlane.status !== 0) process.exit(controlPlane.status ?? 1);

const json = process.argv.includes('--json');
const packaging = spawnSync('npm', ['run', '-s', 'bench:packaging', ...(json ? ['--', '--json'] : [])], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
});
if (packaging.status !== 0) process.exit(packaging.status ?? 1);

const missing = dataPathPrerequisites();
if (missing !== undefined) {
  process.stderr.write(
    `bench: data-path bench skipped: it ${missing} (network namespaces and userspace WireGuard; ` +
      `run \`sudo npm run bench:datapath\` on a machine with wireguard-go)\n`,
  );
  process.exit(0);
}
process.stderr.write('bench: running the data-path bench (root and wireguard-go are available)\n');
const dataPath = spawnSync('npm', ['run', '-s', 'bench:datapath'], { cwd: REPO_ROOT, stdio: 'inherit' });
process.exit(dataPath.status ?? 1);
