/**
 * `npm run render:azure`: renders the deployment template and its example parameters file and writes
 * them (Prettier-formatted, as `npm run format:check` expects). `--check` writes nothing and exits 1
 * when a checked-in file is stale. The golden test (test/azure/template.golden.test.ts) does the same
 * comparison in CI.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { renderParametersExample } from './renderParametersExample.js';
import { renderTemplate } from './renderTemplate.js';
import { TEMPLATE_INPUT } from './templateInputs.js';

const files = [
  {
    path: fileURLToPath(new URL('./azuredeploy.json', import.meta.url)),
    value: renderTemplate(TEMPLATE_INPUT),
  },
  {
    path: fileURLToPath(new URL('./azuredeploy.parameters.example.json', import.meta.url)),
    value: renderParametersExample(),
  },
];

const check = process.argv.includes('--check');
let stale = 0;
for (const f of files) {
  const options = (await prettier.resolveConfig(f.path)) ?? {};
  const text = await prettier.format(JSON.stringify(f.value), { ...options, filepath: f.path });
  const current = await readFile(f.path, 'utf8').catch(() => undefined);
  if (current === text) continue;
  if (check) {
    console.error(`${f.path} is stale: run npm run render:azure`);
    stale++;
  } else {
    await writeFile(f.path, text);
    console.log(`wrote ${f.path}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
