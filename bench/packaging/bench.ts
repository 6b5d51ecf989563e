/**
 * `npm run bench:packaging [-- --app <dir>] [-- --runs N] [-- --json]`: what a Functions instance pays
 * to load the control plane, and what each deployable weighs (bench/README.md explains each figure).
 *
 * 1. Cold start: N fresh node processes each import every entry file of the app, as the Node worker
 *    does (package.json `main`, a file or a glob, resolved by infra/local/functions-host, imported in
 *    order after `@azure/functions-core` is installed as a require hook), with a valid set of app
 *    settings (the app validates them at import). Each reports the import time and its RSS afterwards;
 *    the bench prints the medians, next to a bare node process's RSS.
 * 2. Sizes: the deployment package (`--app`, default dist/functions-app, written by
 *    `npm run package:functions`) on disk and deflated file by file (what its zip holds), and each
 *    image's /app: bundles and node_modules (dist/images/<image>, written by `npm run package:images`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { resolveEntryFiles } from '../../infra/local/functions-host/loadApp.js';
import { REPO_ROOT, sandboxSettings } from '../../infra/local/sandbox/startSandbox.js';
import { median } from '../control-plane/measure.js';
import { fmt, MiB, renderTable } from '../control-plane/table.js';

const { values } = parseArgs({
  options: {
    app: { type: 'string', default: join(REPO_ROOT, 'dist', 'functions-app') },
    images: { type: 'string', default: join(REPO_ROOT, 'dist', 'images') },
    runs: { type: 'string', default: '9' },
    json: { type: 'boolean', default: false },
  },
});
const appRoot = resolve(values.app);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} is not a positive integer`);

/** The child: a stand-in for the worker's `@azure/functions-core`, then the entries, timed. */
const CHILD = `
import Module from 'node:module';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
class Disposable { constructor(f) { this.f = f; } dispose() { this.f?.(); } }
let model, registered = 0;
const core = {
  version: '4.0.0', hostVersion: '4.0.0', Disposable, log() {},
  setProgrammingModel(m) { model = m; }, getProgrammingModel() { return model; },
  registerFunction() { registered++; return new Disposable(); },
  registerHook() { return new Disposable(); },
};
const req = Module.prototype.require;
Module.prototype.require = function (id, ...rest) {
  return id === '@azure/functions-core' ? core : req.call(this, id, ...rest);
};
const entries = JSON.parse(process.env.EGRET_BENCH_ENTRIES);
const t0 = performance.now();
for (const e of entries) await import(pathToFileURL(e).href);
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, rss: process.memoryUsage().rss, registered }));
`;

interface ChildFigures {
  readonly ms: number;
  readonly rss: number;
  readonly registered: number;
}

function runChild(entries: readonly string[]): ChildFigures {
  const settings = sandboxSettings({
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    location: 'westeurope',
    resourceGroup: 'rg-egret',
    vnetName: 'vnet-egret',
    subnetName: 'aks-subnet',
    armEndpoint: 'https://127.0.0.1:1',
    armCaPath: '',
    storage: 'UseDevelopmentStorage=true',
    relaySecret: 'egret-bench-relay-secret-0123456789abcdef',
  });
  // As in Azure: the managed identity against ARM's public endpoint (nothing is called at import).
  const azure = { ...settings, AZURE_CREDENTIAL: '', ARM_ENDPOINT: '', ARM_CA_CERT_PATH: '' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: appRoot,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...azure, EGRET_BENCH_ENTRIES: JSON.stringify(entries) },
  });
  if (r.status !== 0) throw new Error(`importing ${appRoot} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as ChildFigures;
}

/** Bytes of the files under `dir` (following nothing: symbolic links count as themselves). */
function sizeOf(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        bytes += statSync(full).size;
        files++;
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return { bytes, files };
}

const entries = await resolveEntryFiles(appRoot);
process.stderr.write(
  `bench: cold-importing ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of ${relative(REPO_ROOT, appRoot) || '.'}, ${runs} runs\n`,
);
const samples = Array.from({ length: runs }, () => runChild(entries));
const bare = Array.from({ length: Math.min(runs, 5) }, () => runChild([]));
const cold = {
  app: relative(REPO_ROOT, appRoot) || '.',
  entries: entries.map((e) => relative(appRoot, e)),
  registered: samples[0]?.registered ?? 0,
  importMs: median(samples.map((s) => s.ms)),
  importMsMax: Math.max(...samples.map((s) => s.ms)),
  rssMiB: median(samples.map((s) => s.rss)) / MiB,
  bareNodeRssMiB: median(bare.map((s) => s.rss)) / MiB,
};

/** What the folder weighs deflated, file by file, as a zip stores it (headers aside). */
function deflatedSize(dir: string): number {
  let bytes = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const full = join(dir, f);
    if (statSync(full).isFile()) bytes += deflateRawSync(readFileSync(full), { level: 9 }).length;
  }
  return bytes;
}

const appSize = sizeOf(appRoot);
const appNodeModules = sizeOf(join(appRoot, 'node_modules'));
const images = existsSync(values.images)
  ? readdirSync(values.images, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => {
        const dir = join(values.images, e.name);
        return { image: e.name, app: sizeOf(dir), nodeModules: sizeOf(join(dir, 'node_modules')) };
      })
  : [];
const sizes = {
  package: { ...appSize, nodeModulesBytes: appNodeModules.bytes },
  zipBytes: deflatedSize(appRoot),
  images,
};

if (values.json) {
  process.stdout.write(`${JSON.stringify({ cores: cpus().length, node: process.version, cold, sizes })}\n`);
} else {
  const lines = [
    `Packaging bench — ${cpus().length} cores, node ${process.version}`,
    '',
    `1. Cold start: ${cold.app}, ${cold.entries.length} entry file(s), ${cold.registered} functions registered, median of ${runs} fresh processes`,
    renderTable(
      ['import ms (median)', 'import ms (max)', 'RSS MiB after import', 'bare node RSS MiB', 'target'],
      [
        [
          fmt(cold.importMs),
          fmt(cold.importMsMax),
          fmt(cold.rssMiB),
          fmt(cold.bareNodeRssMiB),
          '≤ 200 ms, ≤ 80 MiB',
        ],
      ],
    ),
    '',
    '2. Sizes',
    renderTable(
      ['deployable', 'files', 'MiB on disk', 'node_modules MiB', 'deflated MiB'],
      [
        [
          `Functions package (${cold.app})`,
          appSize.files,
          fmt(appSize.bytes / MiB, 2),
          fmt(appNodeModules.bytes / MiB, 2),
          fmt(sizes.zipBytes / MiB, 2),
        ],
        ...images.map((i) => [
          `image ${i.image} (/app)`,
          i.app.files,
          fmt(i.app.bytes / MiB, 2),
          fmt(i.nodeModules.bytes / MiB, 2),
          fmt(deflatedSize(join(values.images, i.image)) / MiB, 2),
        ]),
      ],
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
