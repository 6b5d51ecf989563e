/**
 * The deployed app, as the Functions host loads it: write the deployment package the way
 * `npm run package:functions` does (scripts/packageFunctions.ts), resolve its package.json `main`, load it through the local host's
 * registration capture (infra/local/functions-host) with exactly the app settings the template gives,
 * and check that every function the template's event subscription and the docs name is registered with
 * the trigger they assume; host.json must be one the host accepts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeRegistration,
  type FunctionRegistration,
} from '../../infra/local/functions-host/describeRegistration.js';
import { readHostConfig } from '../../infra/local/functions-host/hostConfig.js';
import { loadApp, resolveEntryFiles } from '../../infra/local/functions-host/loadApp.js';
import { compileRouteTemplate, isReservedRoute } from '../../infra/local/functions-host/routeTemplate.js';
import { FUNCTION_NAMES } from '../../infra/azure/renderTemplate.js';
import {
  resolvedAppSettingsOf,
  deploy,
  RELAY_SECRET,
  REQUIRED_PARAMETERS,
  repoRoot,
} from './support/azureTemplate.js';
import { packageFunctions } from '../../scripts/packageFunctions.js';

const buildRoot = join(repoRoot, '.state', `azure-registrations-${process.pid}`);
const settings = resolvedAppSettingsOf(deploy({ ...REQUIRED_PARAMETERS, relaySharedSecret: RELAY_SECRET }));
let registrations: Map<string, FunctionRegistration>;

/** Writes the deployment package as `npm run package:functions` does, without the zip. */
async function build(): Promise<void> {
  const p = await packageFunctions({ outDir: buildRoot, zip: false });
  assert.ok(p.entries.length > 0, 'functions/ has no registrations yet: the app cannot be loaded');
}

describe('the app the template deploys, as the Functions host loads it', () => {
  before(async () => {
    await build();
    const saved = new Map(Object.keys(settings).map((k) => [k, process.env[k]]));
    Object.assign(process.env, settings);
    try {
      const app = await loadApp(await resolveEntryFiles(buildRoot));
      registrations = new Map(
        [...app.functions].map(([name, f]) => [name, describeRegistration(f.metadata)]),
      );
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
  after(() => rmSync(buildRoot, { recursive: true, force: true }));

  it('registers exactly the functions the template and the docs name', () => {
    assert.deepEqual([...registrations.keys()].sort(), Object.values(FUNCTION_NAMES).sort());
  });

  it('registers armEvents, the event subscription destination, as an Event Grid trigger', () => {
    assert.equal(registrations.get(FUNCTION_NAMES.armEvents)?.trigger.kind, 'eventGrid');
  });

  it('serves the relay and admin routes the relay and docs call', () => {
    const http = (name: string): { route: string; methods: readonly string[]; authLevel: string } => {
      const t = registrations.get(name)?.trigger;
      assert.ok(t?.kind === 'http', `${name} is not an HTTP function`);
      return t;
    };
    const matches = (name: string, path: string): boolean =>
      compileRouteTemplate(http(name).route).match(path) !== undefined;
    assert.ok(
      matches(FUNCTION_NAMES.relayEvents, 'relay/events') &&
        http(FUNCTION_NAMES.relayEvents).methods.includes('POST'),
    );
    assert.ok(
      matches(FUNCTION_NAMES.relayStatus, 'relay/status') &&
        http(FUNCTION_NAMES.relayStatus).methods.includes('GET'),
    );
    // Not admin/health: the Functions host refuses any route starting with "admin" (its own admin API),
    // whatever the route prefix (azure-functions-host #1781, ScriptHost.ValidateFunction).
    assert.ok(matches(FUNCTION_NAMES.admin, 'manage/health'), 'the health endpoint is /api/manage/health');
    assert.equal(
      http(FUNCTION_NAMES.admin).authLevel,
      'admin',
      'docs/install.md calls it with the master key',
    );
  });

  it('claims no route the Functions host reserves (admin…, runtime…): such a function would not start in Azure', () => {
    for (const r of registrations.values()) {
      if (r.trigger.kind !== 'http') continue;
      assert.ok(!isReservedRoute(r.trigger.route), `${r.name} route ${r.trigger.route}`);
    }
  });

  it('triggers reconcile from a queue on the identity-based AzureWebJobsStorage connection the template sets up', () => {
    const t = registrations.get(FUNCTION_NAMES.reconcile)?.trigger;
    assert.ok(t?.kind === 'queue', 'reconcile is not a queue trigger');
    assert.ok(
      settings[t.connection] !== undefined || settings[`${t.connection}__accountName`] !== undefined,
      `the template provides no connection ${t.connection}`,
    );
  });

  it('runs resync on a timer whose schedule resolves from the template settings', () => {
    const t = registrations.get(FUNCTION_NAMES.resync)?.trigger;
    assert.ok(t?.kind === 'timer', 'resync is not a timer trigger');
    for (const [, name] of t.schedule.matchAll(/%([^%]+)%/g))
      assert.ok(
        settings[name!] !== undefined,
        `schedule names app setting ${name!}, which the template does not set`,
      );
  });

  it('has a host.json the host accepts', () => {
    assert.doesNotThrow(() => readHostConfig(JSON.parse(readFileSync(join(buildRoot, 'host.json'), 'utf8'))));
  });

  it('ships only the control plane: the bundle and host.json, no node_modules, no stand-in, agent or test inside', () => {
    assert.deepEqual(readdirSync(buildRoot).sort(), [
      'host.json',
      'main.js',
      'main.js.LEGAL.txt',
      'main.js.map',
      'package.json',
    ]);
    const pkg = JSON.parse(readFileSync(join(buildRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(pkg['main'], 'main.js');
    assert.equal(pkg['type'], 'module');
    assert.deepEqual(pkg['dependencies'], {}, 'nothing left for npm to install');
    const map = JSON.parse(readFileSync(join(buildRoot, 'main.js.map'), 'utf8')) as { sources: string[] };
    const own = map.sources
      .map((f) => f.replace(/^(\.\.\/)+/, ''))
      .filter((f) => !f.includes('node_modules/') && !/^[a-z]+:\/\//.test(f));
    assert.ok(own.some((f) => f.startsWith('functions/')) && own.some((f) => f.startsWith('shared/core/')));
    assert.deepEqual(
      own.filter((f) => !/^(functions|shared)\//.test(f) && f !== 'functions-app-main.js'),
      [],
      'only functions/ and shared/ from the repository',
    );
    assert.ok(!map.sources.some((f) => /node_modules\/(selfsigned|js-yaml|azurite|@kubernetes)\//.test(f)));
  });
});
