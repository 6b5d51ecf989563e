/**
 * Loads a Functions app the way the Node worker does (azure-functions-nodejs-worker `startApp`):
 * `package.json` `main` (a file or a glob such as `dist/functions/*.js`) relative to the app root,
 * every matching file imported in order, registrations captured through `@azure/functions-core`.
 * Deliberate difference: the worker only logs a warning when an entry file fails to load and starts
 * with fewer functions; locally that hides mistakes, so loading fails loudly instead.
 */
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../../shared/core/errors.js';
import {
  getProgrammingModel,
  installFunctionsCore,
  loadModuleCapturing,
  type CapturedFunction,
  type CapturedHook,
  type ProgrammingModel,
} from './functionsCore.js';

export interface LoadedApp {
  readonly functions: ReadonlyMap<string, CapturedFunction>;
  readonly hooks: readonly CapturedHook[];
  readonly model: ProgrammingModel;
  /** Absolute paths or URLs of the loaded entry modules, in load order. */
  readonly entryModules: readonly string[];
}

/** What the real host accepts as a function name. */
const FUNCTION_NAME = /^[a-z][a-z0-9_-]{0,127}$/i;

/**
 * Resolves the entry files of the app at `appRoot` from its package.json `main`.
 * @throws ConfigError when `main` is missing or matches no file.
 */
export async function resolveEntryFiles(appRoot: string): Promise<string[]> {
  const pkgPath = join(appRoot, 'package.json');
  let pkg: { main?: unknown };
  try {
    pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { main?: unknown };
  } catch (e) {
    throw new ConfigError(`cannot read ${pkgPath}: ${(e as Error).message}`, { cause: e });
  }
  if (typeof pkg.main !== 'string' || pkg.main === '')
    throw new ConfigError(`${pkgPath} has no "main": the host needs it to find the functions`);
  const files = await glob(appRoot, pkg.main);
  if (files.length === 0)
    throw new ConfigError(`package.json "main" ${JSON.stringify(pkg.main)} matches no file under ${appRoot}`);
  return files;
}

/**
 * Installs the fake core, imports the modules and returns their registrations.
 * @throws ConfigError for duplicate or invalid function names, no functions, or HTTP streaming.
 */
export async function loadApp(modules: readonly string[]): Promise<LoadedApp> {
  installFunctionsCore();
  const functions = new Map<string, CapturedFunction>();
  const hooks: CapturedHook[] = [];
  const entryModules: string[] = [];
  for (const m of modules) {
    const url = m.startsWith('file:') ? m : pathToFileURL(isAbsolute(m) ? m : resolve(m)).href;
    let captured;
    try {
      captured = await loadModuleCapturing(url);
    } catch (e) {
      throw new ConfigError(`loading entry module ${m} failed: ${(e as Error).message}`, { cause: e });
    }
    entryModules.push(m);
    hooks.push(...captured.hooks);
    for (const f of captured.functions) {
      const name = f.metadata.name;
      if (!FUNCTION_NAME.test(name))
        throw new ConfigError(
          `'${name}' is not a valid function name: start with a letter; letters, digits, _ and - only; at most 128 characters`,
        );
      const clash = [...functions.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
      if (clash !== undefined)
        throw new ConfigError(
          `function name '${name}' is registered twice (function names are case-insensitive)`,
        );
      functions.set(name, f);
    }
  }
  const model = getProgrammingModel();
  if (functions.size === 0 || !model)
    throw new ConfigError(
      `no functions were registered by ${modules.join(', ')}: were the modules imported before the host ` +
        'installed @azure/functions-core (the library then drops registrations in "test mode")?',
    );
  // The worker asks for capabilities once at start; the library locks `app.setup()` then.
  const capabilities = await model.getCapabilities({});
  if (capabilities.HttpUri !== undefined)
    throw new ConfigError(
      'app.setup({ enableHttpStream: true }) is not supported by the local Functions host',
    );
  return { functions, hooks, model, entryModules };
}

/** Files under `root` matching `pattern` (`*`, `?`, `**`), sorted, as absolute paths. */
async function glob(root: string, pattern: string): Promise<string[]> {
  const norm = pattern.replace(/^\.\//, '');
  if (!/[*?[]/.test(norm)) return [join(root, norm)];
  const segs = norm.split('/');
  const firstWild = segs.findIndex((s) => /[*?]/.test(s));
  const base = join(root, ...segs.slice(0, firstWild));
  const re = new RegExp(
    '^' +
      norm
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*\*/g, '\u0001')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '(?:.*/)?')
        .replace(/\u0001/g, '.*') +
      '$',
  );
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules') continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (re.test(relative(root, full).split(sep).join('/'))) out.push(full);
    }
  };
  await walk(base);
  return out.sort();
}
