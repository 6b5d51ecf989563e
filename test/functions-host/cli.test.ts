/** The local Functions host CLI: starts on an app root with a settings file and prints one JSON line. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../infra/local/functions-host/main.ts', import.meta.url));
const appRoot = fileURLToPath(new URL('./fixtures/app/', import.meta.url));

describe('functions-host CLI', () => {
  it('serves the app at --app-root with the settings of --settings and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'egret-fh-'));
    try {
      const settings = join(dir, 'local.settings.json');
      await writeFile(
        settings,
        JSON.stringify({
          IsEncrypted: false,
          Values: { FUNCTIONS_WORKER_RUNTIME: 'node', TICK_SCHEDULE: '0 0 * * * *' },
        }),
      );
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', main, '--app-root', appRoot, '--settings', settings],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const out = JSON.parse(line) as { baseUrl: string; functions: { name: string }[] };
      assert.match(out.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(out.functions.some((f) => f.name === 'hello'));
      const res = await fetch(`${out.baseUrl}/api/hello?name=cli`);
      assert.deepEqual(await res.json(), { greeting: 'hello cli', method: 'GET' });
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
