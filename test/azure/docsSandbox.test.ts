/**
 * The README's sandbox commands, run for real: `npm start -- --json` (npm, scripts/bootstrap.sh, the
 * build and the built sandbox, as a user runs it) prints exactly one line on stdout, a JSON object
 * describing the endpoints, and Ctrl-C stops it; the app settings file it writes has the keys of
 * local.settings.sample.json, in the same order, with the same values except the three that differ
 * per run (ports and paths of the stand-ins it started).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from './support/azureTemplate.js';

/** Settings whose value depends on the run: the stand-ins' ports and the CA file's temp folder. */
const PER_RUN: Readonly<Record<string, RegExp>> = {
  ARM_ENDPOINT: /^https:\/\/127\.0\.0\.1:\d+$/,
  ARM_CA_CERT_PATH: /\/ca\.pem$/,
  AzureWebJobsStorage:
    /^DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=[^;]+;BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;TableEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;?$/,
};

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as {
  IsEncrypted: boolean;
  Values: Record<string, string>;
};

describe('npm start -- --json (README.md)', { timeout: 600_000 }, () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'egret-npm-start-'));
  const stdout: string[] = [];
  let stderr = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let groupLeft: boolean | undefined;

  before(async () => {
    assert.match(readme, /`npm start -- --json`/, 'the README documents the command');
    // Its own process group, so Ctrl-C (SIGINT to the group) reaches npm and the sandbox, as a terminal's does.
    const child = spawn('npm', ['start', '--', '--json', `--state-dir=${stateDir}`], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on('exit', (code, signal) => r({ code, signal })),
    );
    const firstLine = new Promise<void>((resolveLine) =>
      createInterface({ input: child.stdout }).on('line', (l) => {
        stdout.push(l);
        resolveLine();
      }),
    );
    const early = await Promise.race([
      firstLine.then(() => 'line' as const),
      exited.then(() => 'exit' as const),
    ]);
    if (early === 'line' && child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    exit = await exited;
    // npm ends on the signal itself; the sandbox below it stops its stand-ins first (bounded wait).
    const deadline = Date.now() + 60_000;
    groupLeft = true;
    while (groupLeft && Date.now() < deadline) {
      try {
        process.kill(-(child.pid ?? 0), 0);
        await new Promise((r) => setTimeout(r, 200));
      } catch {
        groupLeft = false;
      }
    }
  });

  after(() => rmSync(stateDir, { recursive: true, force: true }));

  it('prints exactly one line on stdout, a JSON object with the endpoints, and stops on Ctrl-C', () => {
    assert.equal(stdout.length, 1, `stdout:\n${stdout.join('\n')}\nstderr:\n${stderr}`);
    const line = JSON.parse(stdout[0]!) as Record<string, unknown>;
    for (const k of ['functionsBaseUrl', 'relayEventsUrl', 'armEndpoint', 'subscriptionId'])
      assert.ok(k in line, k);
    assert.ok(exit?.code === 0 || exit?.signal === 'SIGINT', `exit ${JSON.stringify(exit)}: ${stderr}`);
    assert.equal(groupLeft, false, 'every process of the run stopped');
  });

  it('writes app settings that local.settings.sample.json matches key for key', () => {
    const written = JSON.parse(readFileSync(join(stateDir, 'local.settings.json'), 'utf8')) as {
      IsEncrypted: boolean;
      Values: Record<string, string>;
    };
    assert.equal(written.IsEncrypted, sample.IsEncrypted);
    assert.deepEqual(Object.keys(sample.Values), Object.keys(written.Values));
    for (const [k, v] of Object.entries(written.Values)) {
      const perRun = PER_RUN[k];
      if (perRun === undefined) assert.equal(sample.Values[k], v, k);
      else {
        assert.match(v, perRun, `sandbox ${k}`);
        assert.match(sample.Values[k] ?? '', perRun, `sample ${k} has the form the sandbox writes`);
      }
    }
  });
});
