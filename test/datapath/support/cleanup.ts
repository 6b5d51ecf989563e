/**
 * Finding and removing what a data-path run made: network namespaces named `<prefix>-…`, processes
 * (wireguard-go daemons above all) whose environment carries `EGRET_DP_RUN=<prefix>`, and the run's
 * temp dir. A prefix embeds the creating process id, so leftovers of crashed runs (their process is
 * gone) are found and removed too, without touching a concurrent live run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_MARKER_ENV = 'EGRET_DP_RUN';
const PREFIX_RE = /^edp([0-9a-z]+)x[0-9a-z]{2}$/;

/** A fresh run prefix: `edp<pid base36>x<2 random>` (short: namespaces and files carry it). */
export function newRunPrefix(): string {
  return `edp${process.pid.toString(36)}x${Math.floor(Math.random() * 1296)
    .toString(36)
    .padStart(2, '0')}`;
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Kills every process whose environment has `EGRET_DP_RUN=<prefix>`. */
export function killMarkedProcesses(prefix: string): number {
  let n = 0;
  for (const pid of markedProcesses(prefix)) {
    try {
      process.kill(pid, 'SIGKILL');
      n += 1;
    } catch {
      // already gone
    }
  }
  return n;
}

function netnsNames(): string[] {
  const out = execFileSync('ip', ['-json', 'netns', 'list'], { encoding: 'utf8' });
  return out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

function markedProcesses(prefix: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`${RUN_MARKER_ENV}=${prefix}`)
      )
        pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * Removes one run's namespaces, processes and temp dir. Namespaces go first: their TUN devices go
 * with them, and each wireguard-go then exits on its own and removes its UAPI socket; what is still
 * running a moment later is killed.
 */
export function cleanupRun(prefix: string): void {
  for (const ns of netnsNames()) if (ns.startsWith(`${prefix}-`)) execFileSync('ip', ['netns', 'del', ns]);
  const until = Date.now() + 2000;
  while (markedProcesses(prefix).length > 0 && Date.now() < until) execFileSync('sleep', ['0.05']);
  killMarkedProcesses(prefix);
  rmSync(join(tmpdir(), `egret-${prefix}`), { recursive: true, force: true });
}

/** Deletes UAPI sockets under /var/run/wireguard that nothing listens on (left by killed wireguard-go). */
export async function removeStaleWireGuardSockets(): Promise<void> {
  const dir = '/var/run/wireguard';
  if (!existsSync(dir)) return;
  await Promise.all(
    readdirSync(dir)
      .filter((f) => f.endsWith('.sock'))
      .map(
        (f) =>
          new Promise<void>((resolve) => {
            const s = connect(join(dir, f));
            s.on('connect', () => {
              s.destroy();
              resolve();
            });
            s.on('error', (e: NodeJS.ErrnoException) => {
              if (e.code === 'ECONNREFUSED') rmSync(join(dir, f), { force: true });
              resolve();
            });
          }),
      ),
  );
}

/** Removes leftovers of runs whose creating process is gone. */
export function cleanupStaleRuns(): void {
  const prefixes = new Set<string>();
  for (const ns of netnsNames()) {
    const p = ns.split('-')[0] ?? '';
    if (PREFIX_RE.test(p)) prefixes.add(p);
  }
  for (const d of readdirSync(tmpdir()))
    if (d.startsWith('egret-edp')) prefixes.add(d.slice('egret-'.length));
  for (const p of prefixes) {
    const m = PREFIX_RE.exec(p);
    if (m?.[1] !== undefined && !alive(parseInt(m[1], 36))) cleanupRun(p);
  }
}
