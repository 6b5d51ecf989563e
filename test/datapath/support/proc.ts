/** A child process of the data-path world: its output lines, and a clean way to stop it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export class Proc {
  readonly lines: string[] = [];
  private log = '';
  private readonly waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { readonly env?: Readonly<Record<string, string>>; readonly cwd?: string },
  ) {
    this.child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    if (this.child.stdout !== null)
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        this.lines.push(line);
        this.log += `${line}\n`;
        for (const w of [...this.waiters])
          if (w.test(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
      });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.log = (this.log + d).slice(-20_000);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The last output (stdout and stderr), for failure messages. */
  output(): string {
    return this.log;
  }

  /** Resolves with the first line (already printed or to come) that passes `test`. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number, after = 0): Promise<string> {
    const seen = this.lines.slice(after).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: no matching line within ${timeoutMs} ms; output:\n${this.output()}`));
      }, timeoutMs);
      const w = {
        test,
        resolve: (l: string) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      this.waiters.push(w);
      void this.exited.then(() => {
        if (this.waiters.includes(w)) {
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(new Error(`${this.name} exited; output:\n${this.output()}`));
        }
      });
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
