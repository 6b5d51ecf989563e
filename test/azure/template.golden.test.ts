/**
 * Golden files (STYLE.md §12): the checked-in deployment template and its example parameters file are
 * exactly what the renderer produces from the code today. When this fails, run `npm run render:azure`
 * and review the diff of infra/azure/*.json.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import prettier from 'prettier';
import { renderParametersExample } from '../../infra/azure/renderParametersExample.js';
import { renderTemplate } from '../../infra/azure/renderTemplate.js';
import { TEMPLATE_INPUT } from '../../infra/azure/templateInputs.js';
import { parametersExamplePath, templatePath } from './support/azureTemplate.js';

async function expectGolden(path: string, rendered: unknown): Promise<void> {
  const text = readFileSync(path, 'utf8');
  assert.deepEqual(JSON.parse(text), rendered, `${path} is stale: run npm run render:azure`);
  const formatted = await prettier.format(JSON.stringify(rendered), {
    ...((await prettier.resolveConfig(path)) ?? {}),
    filepath: path,
  });
  assert.equal(text, formatted, `${path} is not formatted as npm run render:azure writes it`);
}

describe('golden deployment files', () => {
  it('infra/azure/azuredeploy.json is the template rendered from SETTINGS and the armEvents operations', async () => {
    await expectGolden(templatePath, renderTemplate(TEMPLATE_INPUT));
  });

  it('infra/azure/azuredeploy.parameters.example.json is the rendered example', async () => {
    await expectGolden(parametersExamplePath, renderParametersExample());
  });
});
