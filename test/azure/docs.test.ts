/**
 * The install and migration guides against the template: every `--parameters name=value` (and every
 * inline `name=value`) names a template parameter with an allowed value, each full deployment command
 * gives every required parameter, every `properties.outputs.<x>` read exists, and the names the guides
 * show (functions, Event Grid topic and subscription, dead-letter container, event types, defaults) are
 * the ones the template deploys, and every `/api/…` URL the guide calls is served by an HTTP function
 * the app registers (route, method, key). The in-cluster names are checked against the manifests
 * separately (docsManifests.test.ts), once infra/k8s exists.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- template JSON is read structurally */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTAINERS, EVENT_SUBSCRIPTION_NAME, FUNCTION_NAMES } from '../../infra/azure/renderTemplate.js';
import {
  describeRegistration,
  type FunctionRegistration,
} from '../../infra/local/functions-host/describeRegistration.js';
import { readHostConfig } from '../../infra/local/functions-host/hostConfig.js';
import { loadApp } from '../../infra/local/functions-host/loadApp.js';
import {
  compareRoutePrecedence,
  compileRouteTemplate,
} from '../../infra/local/functions-host/routeTemplate.js';
import { READY_REASONS } from '../../shared/core/conditions.js';
import { SUCCESS_EVENT_TYPES } from '../../shared/core/normalizeArmEvent.js';
import {
  resolvedAppSettingsOf,
  deploy,
  readTemplate,
  RELAY_SECRET,
  REQUIRED_PARAMETERS,
  repoRoot,
  resourcesOfType,
} from './support/azureTemplate.js';
import { shellCommands, shellWords } from '../support/guideShell.js';

const install = readFileSync(join(repoRoot, 'docs/install.md'), 'utf8');
const migrate = readFileSync(join(repoRoot, 'docs/migrate-from-kube-egress-gateway.md'), 'utf8');
const template = readTemplate();
const params = template.parameters;

/** `name=value` pairs following --parameters / -p in a command. */
function parameterArgs(cmd: string): { name: string; value: string }[] | { file: string } {
  const w = shellWords(cmd);
  const out: { name: string; value: string }[] = [];
  for (let i = 0; i < w.length; i++) {
    if (w[i] !== '--parameters' && w[i] !== '-p') continue;
    for (let j = i + 1; j < w.length && !w[j]!.startsWith('-'); j++) {
      const word = w[j]!;
      if (word.startsWith('@')) return { file: word.slice(1) };
      const eq = word.indexOf('=');
      assert.ok(eq > 0, `not name=value after --parameters: ${word} in ${cmd}`);
      out.push({ name: word.slice(0, eq), value: word.slice(eq + 1) });
    }
  }
  return out;
}

function checkValue(name: string, value: string, where: string): void {
  const spec = params[name];
  assert.ok(spec, `${where}: ${name} is not a parameter of infra/azure/azuredeploy.json`);
  if (value.includes('$') || value.includes('<')) return; // a shell variable or a placeholder
  if (spec.type === 'bool') assert.match(value, /^(true|false)$/, `${where}: ${name}=${value} is not a bool`);
  if (spec.allowedValues)
    assert.ok(
      spec.allowedValues.map(String).includes(value),
      `${where}: ${name}=${value} is not an allowed value`,
    );
}

/**
 * The app's registrations, captured the way the Node worker loads `functions/` (the settings are the
 * template's, because the app reads them at import).
 */
async function registeredFunctions(): Promise<FunctionRegistration[]> {
  const settings = resolvedAppSettingsOf(deploy({ ...REQUIRED_PARAMETERS, relaySharedSecret: RELAY_SECRET }));
  const dir = join(repoRoot, 'functions');
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(dir, f));
  const saved = new Map(Object.keys(settings).map((k) => [k, process.env[k]]));
  Object.assign(process.env, settings);
  try {
    const app = await loadApp(modules);
    return [...app.functions.values()].map((f) => describeRegistration(f.metadata));
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const deployCommands = (md: string): string[] =>
  shellCommands(md).filter((c) => c.startsWith('az deployment group create'));

describe('docs/install.md', () => {
  it('deploys with the checked-in template, giving every required parameter and only template parameters', () => {
    const cmds = deployCommands(install);
    assert.ok(
      cmds.length >= 3,
      `expected the first pass, the service-principal variant and the second pass, got ${cmds.length}`,
    );
    const required = Object.keys(REQUIRED_PARAMETERS);
    for (const cmd of cmds) {
      const w = shellWords(cmd);
      const file = w[w.indexOf('--template-file') + 1];
      assert.equal(file, 'infra/azure/azuredeploy.json', cmd);
      assert.ok(existsSync(join(repoRoot, file)));
      const args = parameterArgs(cmd);
      assert.ok(Array.isArray(args), 'the guide passes parameters inline');
      for (const a of args) checkValue(a.name, a.value, cmd.slice(0, 60));
      for (const r of required)
        assert.ok(
          args.some((a) => a.name === r),
          `${r} missing from: ${cmd}`,
        );
      assert.ok(
        args.some((a) => a.name === 'relaySharedSecret'),
        `the relay secret is missing from: ${cmd}`,
      );
    }
  });

  it('covers both identity choices: the managed identity, and a service principal with all its parameters', () => {
    const cmds = deployCommands(install).map((c) => parameterArgs(c) as { name: string; value: string }[]);
    assert.ok(
      cmds.some((a) => !a.some((x) => x.name === 'armCredential')),
      'a managed-identity deployment',
    );
    const sp = cmds.find((a) => a.some((x) => x.name === 'armCredential' && x.value === 'servicePrincipal'));
    assert.ok(sp, 'a service-principal deployment');
    for (const n of ['servicePrincipalClientId', 'servicePrincipalObjectId', 'servicePrincipalSecret'])
      assert.ok(
        sp.some((x) => x.name === n),
        n,
      );
  });

  it('orders the passes: code deployed between the first deployment and the one creating the event subscription', () => {
    const cmds = shellCommands(install);
    const first = cmds.findIndex((c) => c.startsWith('az deployment group create'));
    const zip = cmds.findIndex((c) => c.startsWith('az functionapp deployment source config-zip'));
    const second = cmds.findIndex(
      (c) => c.startsWith('az deployment group create') && c.includes('deployEventSubscription=true'),
    );
    assert.ok(first >= 0 && zip > first && second > zip, `first ${first}, code ${zip}, events ${second}`);
    assert.ok(
      cmds.indexOf('npm run package:functions') >= 0 && cmds.indexOf('npm run package:functions') < zip,
      'npm run package:functions before the zip deploy',
    );
    assert.ok(
      cmds[zip]!.includes('--src dist/functions-app.zip'),
      'deploys the zip package:functions writes',
    );
  });

  it('names only template parameters, with allowed values, in prose and tables', () => {
    const inline = [...install.matchAll(/`([a-z][A-Za-z]+)=([^`\s]*)`/g)];
    assert.ok(inline.length > 0);
    for (const [, name, value] of inline) checkValue(name!, value!, 'inline');
    // The parameter table: from its header to the first line that is not a table row.
    const tableStart = install.indexOf('| parameter | default | meaning |');
    assert.ok(tableStart >= 0, 'the parameter table');
    const table = install.slice(tableStart).split(/\n(?!\|)/)[0]!;
    const rows = [...table.matchAll(/^\| `([a-zA-Z]+)` \| (.+?) \|/gm)];
    assert.ok(rows.length >= 6, 'the parameter table');
    for (const [, name, defaultCell] of rows) {
      const spec = params[name!];
      assert.ok(spec, `table names ${name}, not a parameter`);
      const literal = /^`([^`<]*)`$/.exec(defaultCell!.trim())?.[1];
      const declared = spec.defaultValue;
      const comparable =
        typeof declared === 'string'
          ? declared === '' || declared.startsWith('[')
            ? undefined
            : declared
          : typeof declared === 'number' || typeof declared === 'boolean'
            ? String(declared)
            : undefined;
      if (literal !== undefined && comparable !== undefined)
        assert.equal(literal, comparable, `documented default of ${name}`);
    }
  });

  it('reads only outputs the template has', () => {
    const read = [...install.matchAll(/properties\.outputs\.(\w+)\.value/g)].map((m) => m[1]!);
    assert.ok(read.length >= 4);
    for (const o of read) assert.ok(o in template.outputs, `output ${o}`);
  });

  it('lists the functions the control plane registers', () => {
    const sentence = /found every function([\s\S]*?):\n/.exec(install)?.[1] ?? '';
    const listed = [...sentence.matchAll(/`(\w+)`/g)].map((m) => m[1]!).sort();
    assert.deepEqual(listed, Object.values(FUNCTION_NAMES).sort());
  });

  it('calls only HTTP routes the app registers, with a method and key each accepts', async () => {
    const functions = await registeredFunctions();
    const { routePrefix } = readHostConfig(JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')));
    const calls = shellCommands(install).flatMap((cmd) =>
      [...cmd.matchAll(/https?:\/\/[^/\s"']+\/([^\s"'?]*)/g)]
        .map((m) => m[1]!)
        .filter((path) => path.toLowerCase().startsWith(`${routePrefix.toLowerCase()}/`))
        .map((path) => ({ cmd, path: path.slice(routePrefix.length + 1) })),
    );
    assert.ok(calls.length > 0, 'the guide calls no HTTP function (the health check is expected)');
    for (const { cmd, path } of calls) {
      const w = shellWords(cmd);
      const x = w.findIndex((v) => v === '-X' || v === '--request');
      const method = (
        x >= 0 ? w[x + 1]! : w.some((v) => /^(-d|--data.*)$/.test(v)) ? 'POST' : 'GET'
      ).toUpperCase();
      const key = /x-functions-key:\s*\$(\w+)/i.exec(cmd)?.[1];
      // The host routes a request to the most specific matching template.
      const served = functions
        .flatMap((f) =>
          f.trigger.kind === 'http' && f.trigger.methods.includes(method)
            ? [{ f, level: f.trigger.authLevel, template: compileRouteTemplate(f.trigger.route) }]
            : [],
        )
        .filter((r) => r.template.match(path) !== undefined)
        .sort((a, b) => compareRoutePrecedence(a.template, b.template))[0];
      assert.ok(served, `${method} /${routePrefix}/${path} is served by no function: ${cmd}`);
      const { f, level } = served;
      if (level === 'admin') assert.equal(key, 'MASTER_KEY', `${f.name} takes the master key: ${cmd}`);
      else if (level === 'function') assert.ok(key !== undefined, `${f.name} needs a key: ${cmd}`);
    }
  });

  it('shows the Event Grid topic, subscription, filter and dead-letter container the template deploys', () => {
    const appName = 'egret-docs';
    const d = deploy({
      ...REQUIRED_PARAMETERS,
      appName,
      networkResourceGroup: 'net-rg',
      deployEventSubscription: true,
      watchNetworkResourceGroup: true,
    });
    const topics = resourcesOfType(d, 'Microsoft.EventGrid/systemTopics')
      .map((t) => t.name)
      .sort();
    const documented = [...install.matchAll(/"\$APP(-arm-\w+)"/g)].map((m) => `${appName}${m[1]!}`);
    assert.deepEqual([...new Set(documented)].sort(), topics);
    const subs = resourcesOfType(d, 'Microsoft.EventGrid/systemTopics/eventSubscriptions').map(
      (s) => s.name.split('/')[1],
    );
    assert.ok(subs.every((s) => s === EVENT_SUBSCRIPTION_NAME));
    assert.match(install, new RegExp(`-n ${EVENT_SUBSCRIPTION_NAME}\\b`));
    assert.match(install, new RegExp(`\`${CONTAINERS.deadLetters}\``));
    for (const t of SUCCESS_EVENT_TYPES)
      assert.ok(install.includes(t.replace('Microsoft.Resources.', '')), t);
    assert.match(install, /`StringIn` on `data\.operationName`/);
  });

  it('links the parameters example to the template', () => {
    assert.ok(install.includes('infra/azure/azuredeploy.parameters.example.json'));
    assert.ok(existsSync(join(repoRoot, 'infra/azure/azuredeploy.parameters.example.json')));
    assert.doesNotMatch(install, /OWNER/, 'no placeholder owner in a link');
  });

  it("prints the Deploy to Azure link of the user's fork, run in a clone with either remote form", () => {
    const cmds = shellCommands(install);
    const start = cmds.findIndex((c) => c.startsWith('REPO_SLUG='));
    assert.ok(start >= 0, 'the guide computes the link from the clone');
    const script = cmds.slice(start, start + 3).join('\n');
    assert.match(script, /Microsoft\.Template\/uri/);
    for (const remote of ['https://github.com/contoso/egret.git', 'git@github.com:contoso/egret.git']) {
      const clone = mkdtempSync(join(tmpdir(), 'egret-link-'));
      try {
        execFileSync('git', ['init', '-q'], { cwd: clone });
        execFileSync('git', ['remote', 'add', 'origin', remote], { cwd: clone });
        const out = execFileSync('sh', ['-c', script], { cwd: clone, encoding: 'utf8' }).trim();
        const m = /^https:\/\/portal\.azure\.com\/#create\/Microsoft\.Template\/uri\/([^\s]+)$/.exec(out);
        assert.ok(m, out);
        assert.equal(
          decodeURIComponent(m[1]!),
          'https://raw.githubusercontent.com/contoso/egret/main/infra/azure/azuredeploy.json',
        );
        assert.ok(existsSync(join(repoRoot, 'infra/azure/azuredeploy.json')));
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
    }
  });
});

describe('docs/migrate-from-kube-egress-gateway.md', () => {
  it("maps upstream's cloud config onto template parameters that exist, with allowed values", () => {
    const table = migrate.slice(
      migrate.indexOf('| upstream `azure.json` key'),
      migrate.indexOf('Read yours with'),
    );
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    assert.ok(rows.length >= 8);
    for (const row of rows) {
      const cell = row.split('|')[2]!;
      for (const [, name, value] of cell.matchAll(/`([a-zA-Z]+)(?:=([^`]*))?`/g))
        checkValue(name!, value ?? '', row);
    }
  });

  it('points at install.md for the control plane and uses the template load balancer default', () => {
    assert.ok(migrate.includes('(install.md)'));
    assert.equal((params.loadBalancerName as any).defaultValue, 'kubeegressgateway-ilb');
    assert.ok(migrate.includes('`kubeegressgateway-ilb`'));
  });
});

describe('docs/install.md troubleshooting', () => {
  const section = install.slice(install.indexOf('## 10. Troubleshooting'), install.indexOf('## 11. '));
  it('explains every Ready reason the control plane writes', () => {
    assert.ok(section.length > 0, 'a troubleshooting section');
    for (const reason of READY_REASONS) assert.ok(section.includes(`\`${reason}\``), reason);
  });

  it('names only metrics the components export', () => {
    const named = [...new Set([...section.matchAll(/`(egret_[a-z_]+)`/g)].map((m) => m[1]!))];
    assert.ok(named.length >= 5);
    const sources = ['agents', 'shared']
      .flatMap((d) =>
        readdirSync(join(repoRoot, d), { recursive: true, encoding: 'utf8' }).map((f) =>
          join(repoRoot, d, f),
        ),
      )
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const m of named) assert.ok(sources.includes(`'${m}'`), `${m} is not a metric of any component`);
  });

  it('removes egret from the CNI chain before deleting the node agents', () => {
    const cmds = shellCommands(install);
    const patch = cmds.findIndex(
      (c) => c.includes('patch configmap egret-cni-uninstall') && c.includes('"uninstall":"true"'),
    );
    const wait = cmds.findIndex(
      (c) => c.includes('egret-node-agent') && c.includes('--for=condition=Ready=false'),
    );
    const del = cmds.findIndex((c) => c.startsWith('kubectl delete -k'));
    assert.ok(patch >= 0 && wait > patch && del > wait, `patch ${patch}, wait ${wait}, delete ${del}`);
  });
});

describe('LICENSE', () => {
  it('is the MIT license, as upstream, and the README says so', () => {
    const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} /);
    assert.match(license, /Permission is hereby granted, free of charge/);
    assert.match(readFileSync(join(repoRoot, 'README.md'), 'utf8'), /MIT \(see \[LICENSE\]\(LICENSE\)\)/);
  });
});

describe('README.md', () => {
  it('links both guides', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    assert.ok(readme.includes('](docs/install.md)'));
    assert.ok(readme.includes('](docs/migrate-from-kube-egress-gateway.md)'));
  });
});
