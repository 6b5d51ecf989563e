/**
 * CLI of the local Functions host:
 *
 *   node dist/infra/local/functions-host/main.js [--app-root DIR] [--settings FILE] [--port N] [--keys FILE]
 *
 * Loads the app at `--app-root` (default: the current folder; package.json `main` names the entry
 * files), takes app settings from `--settings` (a local.settings.json; default `<app-root>/local.settings.json`
 * when it exists), and prints one JSON line `{"baseUrl": ..., "functions": [...]}` once it serves.
 * As Core Tools does, a variable already in the environment wins over the file's `Values`.
 * `--keys` is a JSON file `{ "master": ..., "host": [...], "functions": {...}, "system": {...} }`;
 * without it no key is checked. SIGINT/SIGTERM drain in-flight invocations and exit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFunctionsHost, type FunctionKeys } from './startFunctionsHost.js';

const { values } = parseArgs({
  options: {
    'app-root': { type: 'string', default: '.' },
    settings: { type: 'string' },
    port: { type: 'string', default: '0' },
    keys: { type: 'string' },
  },
});
const appRoot = resolve(values['app-root']);
const settingsFile = values.settings ?? join(appRoot, 'local.settings.json');
const settings: Record<string, string> = {};
if (values.settings !== undefined || existsSync(settingsFile)) {
  const file = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
    IsEncrypted?: boolean;
    Values?: Record<string, unknown>;
  };
  if (file.IsEncrypted)
    throw new Error(`${settingsFile} is encrypted; the local host reads plain settings only`);
  for (const [k, v] of Object.entries(file.Values ?? {})) {
    if (process.env[k] !== undefined) {
      process.stderr.write(
        `Skipping '${k}' from local settings as it's already defined in current environment variables.\n`,
      );
      continue;
    }
    settings[k] = String(v);
  }
}
const keys =
  values.keys === undefined ? undefined : (JSON.parse(readFileSync(values.keys, 'utf8')) as FunctionKeys);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  throw new Error(`--port ${values.port} is not a port number`);

const host = await startFunctionsHost({ appRoot, settings, port, ...(keys ? { keys } : {}) });
console.log(
  JSON.stringify({
    baseUrl: host.baseUrl,
    functions: host.registrations.map((r) => ({ name: r.name, trigger: r.trigger })),
  }),
);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  host.stop().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`stopping the Functions host failed: ${String(e)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
