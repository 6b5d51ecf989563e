// @ts-check
import { dirname, relative, resolve } from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * The rings of the repository and what each may import from the others (README "Layout"). A relative
 * import is resolved against the importing file and named by the ring it lands in; packages are the
 * concern of `no-restricted-imports` below. The product (core, ports, app, adapters, config, functions,
 * agents) never reaches the stand-ins (infra/local), the benches, the scripts or the tests.
 */
const RINGS = [
  ['core', 'shared/core/'],
  ['ports', 'shared/ports/'],
  // The one system clock (Date.now + timers, no package): both the control plane and the agents run it.
  ['clock', 'shared/adapters/system/systemClock.ts'],
  ['app', 'shared/app/'],
  ['adapters', 'shared/adapters/'],
  ['config', 'shared/config.ts'],
  ['functions', 'functions/'],
  ['agents', 'agents/'],
  ['local', 'infra/local/'],
  ['deploy', 'infra/azure/'],
  ['deploy', 'infra/k8s/'],
  ['test', 'test/'],
  ['bench', 'bench/'],
  ['scripts', 'scripts/'],
];
/** @type {Record<string, readonly string[] | '*'>} */
const MAY_IMPORT = {
  core: [],
  ports: ['core'],
  config: ['core'],
  clock: ['ports'],
  app: ['core', 'ports', 'config'],
  adapters: ['core', 'ports', 'config', 'clock'],
  functions: ['core', 'ports', 'app', 'adapters', 'config', 'clock'],
  agents: ['core', 'ports', 'clock'],
  deploy: ['core', 'config'],
  local: ['core', 'ports', 'app', 'adapters', 'config', 'functions', 'agents', 'clock'],
  test: '*',
  bench: '*',
  scripts: '*',
};
/**
 * Rings another may import only with `import type`: the agents share the port interfaces (one Clock,
 * one Logger), never their implementations, so nothing of the control plane lands in their images.
 */
/** @type {Record<string, readonly string[]>} */
const TYPE_ONLY = { agents: ['ports'] };
const repoRoot = import.meta.dirname;

/** @param {string} file */
function ringOf(file) {
  const rel = relative(repoRoot, file).split('\\').join('/');
  const noExt = rel.replace(/\.[cm]?[jt]s$/, '');
  return RINGS.find(([, prefix]) =>
    prefix.endsWith('/') ? rel.startsWith(prefix) : noExt === prefix.replace(/\.ts$/, ''),
  )?.[0];
}

/** The local rule `egret/rings`: an import across rings that {@link MAY_IMPORT} does not allow. */
const ringsRule = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { ring: '{{from}} may not import {{to}} ({{target}}): {{allowed}}' },
  },
  /** @param {any} context */
  create(context) {
    const from = ringOf(context.filename);
    const allowed = from === undefined ? '*' : MAY_IMPORT[from];
    /** @param {any} source */
    const check = (source, typeOnly = false) => {
      if (allowed === '*' || source?.type !== 'Literal' || typeof source.value !== 'string') return;
      if (!source.value.startsWith('.')) return;
      const target = resolve(dirname(context.filename), source.value);
      const to = ringOf(target);
      if (to === undefined || to === from) return;
      if (allowed?.includes(to) && (typeOnly || !(TYPE_ONLY[from ?? '']?.includes(to) ?? false))) return;
      context.report({
        node: source,
        messageId: 'ring',
        data: {
          from: `${from}`,
          to,
          target: relative(repoRoot, target),
          allowed:
            allowed.length === 0
              ? `${from} imports nothing outside itself`
              : `${from} imports only ${allowed.join(', ')}`,
        },
      });
    };
    return {
      /** @param {any} node */
      ImportDeclaration: (node) => check(node.source, node.importKind === 'type'),
      /** @param {any} node */
      ExportNamedDeclaration: (node) => check(node.source, node.exportKind === 'type'),
      /** @param {any} node */
      ExportAllDeclaration: (node) => check(node.source),
      /** @param {any} node */
      ImportExpression: (node) => check(node.source),
    };
  },
};

/** Packages only the stand-ins, the renderers and the tests use: the product never imports them. */
const devOnlyPackages = {
  regex:
    '^(selfsigned|js-yaml|yaml|azurite|@marcbachmann/cel-js|prettier|esbuild|typescript|tsx|fast-check|kubernetes-models|dockerfile-ast)(/|$)',
};

/** Modules that do I/O or read the clock: shared/core must stay pure (STYLE.md §1). */
const ioModules = [
  '@azure/*',
  '@kubernetes/*',
  'node:fs',
  'node:fs/*',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'node:dgram',
  'node:dns',
  'fs',
  'net',
  'http',
  'https',
  'child_process',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.state/**', 'eslint.config.js', 'scripts/**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { egret: { rules: { rings: ringsRule } } },
    rules: {
      'egret/rings': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'todo', 'skip'],
            },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    ignores: ['shared/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { ...devOnlyPackages, message: 'a stand-in, renderer or test dependency: not in the product.' },
            {
              group: ['@kubernetes/*', 'prom-client'],
              message: 'an agents dependency: not in the control plane.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['agents/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { ...devOnlyPackages, message: 'a stand-in, renderer or test dependency: not in the agents.' },
            {
              group: ['@azure/*'],
              message:
                'the agents reach Azure only through the relay contract: no Azure SDK in their images.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ioModules, message: 'shared/core is pure: do I/O through shared/ports.' },
            { ...devOnlyPackages, message: 'a stand-in, renderer or test dependency: not in the product.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'shared/core takes time from an injected clock.' },
        { object: 'Math', property: 'random', message: 'shared/core derives ids from inputs.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Only shared/config.ts reads process.' },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
