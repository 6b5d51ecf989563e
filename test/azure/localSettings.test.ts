/**
 * local.settings.sample.json against shared/config.ts SETTINGS (the same cross-check the deployment
 * template gets): every setting egret reads appears in the sample's `Values` (an empty value means "use
 * the default"), and the sample holds no setting that neither egret nor the Functions host reads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../shared/config.js';
import { HOST_SETTINGS } from '../../infra/azure/settingBindings.js';
import { repoRoot } from './support/azureTemplate.js';

const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as {
  IsEncrypted?: unknown;
  Values?: Record<string, unknown>;
};
const values = sample.Values ?? {};

describe('local.settings.sample.json', () => {
  it('is an unencrypted Functions local settings file with string values', () => {
    assert.equal(sample.IsEncrypted, false);
    for (const [k, v] of Object.entries(values)) assert.equal(typeof v, 'string', k);
  });

  it('provides every setting shared/config.ts reads', () => {
    const missing = SETTINGS.map((s) => s.name).filter((n) => !(n in values));
    assert.deepEqual(missing, [], 'settings missing from local.settings.sample.json Values');
  });

  it('holds no setting that neither egret nor the Functions host reads', () => {
    const known = new Set([...SETTINGS.map((s) => s.name), ...HOST_SETTINGS.map((h) => h.name)]);
    assert.deepEqual(
      Object.keys(values).filter((k) => !known.has(k)),
      [],
    );
  });
});
