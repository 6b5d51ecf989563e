/**
 * Finding and removing what a data-path run made: network namespaces named `<prefix>-…`, processes
 * (wireguard-go daemons above all) whose environment carries `EGRET_DP_RUN=<prefix>`, and the run's
 * temp dir. A prefix embeds the creating process id, so leftovers of crashed runs (their process is
 * gone) are found and removed too, without touching a concurrent live run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (env.split('\0').includes(`${RUN_MARKER_ENV}=${prefix}`)) {
      try {
        process.kill(Number(entry), 'SIGKILL');
        n += 1;
      } catch {
        // already gone
      }
    }
  }
  return n;
}

function netnsNames(): string[] {
  const out = execFileSync('ip', ['-json', 'netns', 'list'], { encoding: 'utf8' });
  return out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

/** Removes one run's namespaces, processes and temp dir. */
export function cleanupRun(prefix: string): void {
  killMarkedProcesses(prefix);
  for (const ns of netnsNames()) if (ns.startsWith(`${prefix}-`)) execFileSync('ip', ['netns', 'del', ns]);
  rmSync(join(tmpdir(), `egret-${prefix}`), { recursive: true, force: true });
  // wireguard-go removes its UAPI socket when its device goes; a killed one leaves it behind.
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
