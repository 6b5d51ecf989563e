/**
 * nftables driver. Each agent owns whole tables (one per component and namespace) and replaces a
 * table in ONE `nft -f` transaction — create-if-missing, delete, re-add — so a reader never sees a
 * half-written rule set and cleanup is "delete the table".
 */
import { type CommandRunner, runChecked } from './commandRunner.js';

/** A table egret owns: family, name, and the namespace it lives in (undefined = the agent's own). */
export interface NftTableRef {
  readonly family: 'ip' | 'inet';
  readonly name: string;
  readonly netns?: string | undefined;
}

function nftCommand(ref: NftTableRef, args: readonly string[]): { cmd: string; args: string[] } {
  return ref.netns === undefined
    ? { cmd: 'nft', args: [...args] }
    : { cmd: 'ip', args: ['netns', 'exec', ref.netns, 'nft', ...args] };
}

/** The transaction that atomically replaces `ref` with `body` (the text inside `table … { }`). */
export function renderTableReplacement(ref: NftTableRef, body: string): string {
  const head = `table ${ref.family} ${ref.name}`;
  return `${head} {}\ndelete ${head}\n${head} {\n${body}}\n`;
}

export class NftDriver {
  constructor(private readonly runner: CommandRunner) {}

  /** Replaces the table atomically with `body`. */
  async replaceTable(ref: NftTableRef, body: string): Promise<void> {
    const c = nftCommand(ref, ['-f', '-']);
    await runChecked(this.runner, c.cmd, c.args, { stdin: renderTableReplacement(ref, body) });
  }

  /** The table as `nft list table` prints it, or undefined when it does not exist. */
  async listTable(ref: NftTableRef): Promise<string | undefined> {
    const c = nftCommand(ref, ['list', 'table', ref.family, ref.name]);
    const r = await this.runner.run(c.cmd, c.args);
    if (r.code !== 0) {
      if (/No such file or directory|does not exist/i.test(r.stderr)) return undefined;
      throw new Error(`nft list table ${ref.name} failed: ${r.stderr.trim()}`);
    }
    return r.stdout;
  }

  /** Deletes the table; nothing happens when it is already gone. */
  async deleteTable(ref: NftTableRef): Promise<void> {
    // `destroy` (nft ≥ 1.0.8) is not in Debian 12's 1.0.6: create-then-delete is idempotent there too.
    const c = nftCommand(ref, ['-f', '-']);
    const head = `table ${ref.family} ${ref.name}`;
    await runChecked(this.runner, c.cmd, c.args, { stdin: `${head} {}\ndelete ${head}\n` });
  }
}

/**
 * Keeps one owned table equal to a rendered body and notices drift: after each replacement it
 * remembers how nft lists the table, and a later listing that differs (someone flushed a chain, the
 * table was deleted) means "apply again". After a restart the first check re-applies once.
 */
export class ManagedNftTable {
  private appliedBody: string | undefined;
  private listingAfterApply: string | undefined;

  constructor(
    private readonly nft: NftDriver,
    readonly ref: NftTableRef,
  ) {}

  /** True when the table currently holds `body` (an empty body means "the table must not exist"). */
  async isCurrent(body: string): Promise<boolean> {
    const listing = await this.nft.listTable(this.ref);
    if (body === '') return listing === undefined;
    return listing !== undefined && this.appliedBody === body && listing === this.listingAfterApply;
  }

  async apply(body: string): Promise<void> {
    if (body === '') {
      await this.nft.deleteTable(this.ref);
      this.appliedBody = undefined;
      this.listingAfterApply = undefined;
      return;
    }
    await this.nft.replaceTable(this.ref, body);
    this.appliedBody = body;
    this.listingAfterApply = await this.nft.listTable(this.ref);
  }
}
