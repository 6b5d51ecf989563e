/**
 * The one seam through which agents change the host: every `ip`, `wg`, `nft`, `sysctl` and
 * `wireguard-go` call goes through a {@link CommandRunner}. Unit tests of the pure "desired state →
 * commands" logic use a recording runner; the data-path tests use {@link createExecRunner} as root
 * inside network namespaces they created.
 */
import { spawn } from 'node:child_process';
import { TransientError } from '../../shared/core/errors.js';

/** What a finished command printed and how it exited. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the command's standard input, then closed (used to pass keys without touching disk). */
  readonly stdin?: string;
  readonly signal?: AbortSignal;
  /** Kill the command after this long (default 15 s): an agent must never hang on a stuck tool. */
  readonly timeoutMs?: number;
  /** Extra environment variables (merged over the agent's own). */
  readonly env?: Readonly<Record<string, string>>;
  /** Environment variables to remove (an empty value is not the same as none for some programs). */
  readonly unsetEnv?: readonly string[];
  /**
   * Start the command in its own session. Used for `wireguard-go`, which daemonizes: its background
   * child must not receive signals meant for the agent's process group.
   */
  readonly detached?: boolean;
}

/** Runs one program (no shell) and reports how it exited; it never throws for a non-zero exit. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** A command exited non-zero (or could not start). Worth retrying on the next reconcile. */
export class CommandFailedError extends TransientError {
  readonly exitCode: number;
  readonly stderr: string;

  constructor(command: string, args: readonly string[], result: CommandResult) {
    const line = [command, ...args].join(' ');
    super(`\`${line}\` failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`, {
      detail: result.stderr.trim(),
    });
    this.exitCode = result.code;
    this.stderr = result.stderr;
  }
}

/** Runs a command and returns its stdout; throws {@link CommandFailedError} on a non-zero exit. */
export async function runChecked(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options?: RunOptions,
): Promise<string> {
  const result = await runner.run(command, args, options);
  if (result.code !== 0) throw new CommandFailedError(command, args, result);
  return result.stdout;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** The real runner: `child_process.spawn` without a shell, with a timeout and abort support. */
export function createExecRunner(
  base: { readonly env?: Readonly<Record<string, string>> } = {},
): CommandRunner {
  return {
    run(command, args, options = {}) {
      return new Promise<CommandResult>((resolve) => {
        const env: Record<string, string | undefined> = { ...process.env, ...base.env, ...options.env };
        for (const k of options.unsetEnv ?? []) delete env[k];
        const child = spawn(command, [...args], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env,
          detached: options.detached === true,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        let stdout = '';
        let stderr = '';
        let settled = false;
        const finish = (r: CommandResult): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(r);
        };
        const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          finish({ code: 124, stdout, stderr: `${stderr}\ntimed out after ${timeoutMs} ms` });
        }, timeoutMs);
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', (e) => finish({ code: 127, stdout, stderr: `${stderr}${e.message}` }));
        // 'exit', not 'close': a daemonizing child (wireguard-go) may hand our pipes to its
        // background process, which would keep them open for its whole life.
        child.on('exit', (code, sig) => {
          setImmediate(() => finish({ code: code ?? (sig === null ? 1 : 128), stdout, stderr }));
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.stdin ?? '');
        if (options.detached === true) child.unref();
      });
    },
  };
}
