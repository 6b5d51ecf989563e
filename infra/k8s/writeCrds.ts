/**
 * `npm run render:crds`: writes `infra/k8s/crds/*.yaml` from `renderCrds()` (YAML, Prettier-formatted
 * as `npm run format:check` expects). `--check` writes nothing and exits 1 when a checked-in file is
 * stale; the golden test (test/k8s/crds.golden.test.ts) makes the same comparison in CI.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { crdFileText } from './crdFileText.js';
import { renderCrds } from './renderCrds.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const crd of renderCrds()) {
  const path = fileURLToPath(new URL(`./crds/${crd.fileName}`, import.meta.url));
  const text = await crdFileText(crd, path);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) continue;
  if (check) {
    console.error(`${path} is stale: run npm run render:crds`);
    stale++;
  } else {
    await writeFile(path, text);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
