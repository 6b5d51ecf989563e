/**
 * renderTemplate ties the template to the code: a setting added to (or removed from) shared/config.ts
 * SETTINGS without saying how Azure provides it stops the render, naming the setting.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the template is walked and mutated as a JSON tree; the assertions check its shape */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS, type SettingSpec } from '../../shared/config.js';
import { renderTemplate as render, type RenderTemplateInput } from '../../infra/azure/renderTemplate.js';
import { SUCCESS_EVENT_TYPES } from '../../shared/core/normalizeArmEvent.js';

const renderTemplate = (input: Omit<RenderTemplateInput, 'armEventTypes'>): unknown =>
  render({ ...input, armEventTypes: SUCCESS_EVENT_TYPES });

const OPS = ['Microsoft.Compute/virtualMachineScaleSets/write', 'Microsoft.Network/networkInterfaces/write'];

describe('renderTemplate', () => {
  it('renders from SETTINGS as they are', () => {
    const t = renderTemplate({ settings: SETTINGS, armOperations: OPS }) as Record<string, any>;
    assert.ok(t.parameters.gatewayResourceGroup);
  });

  it('stops when SETTINGS declares a setting the template does not provide', () => {
    const extra: SettingSpec = { name: 'NEW_KNOB', required: false, description: 'a new knob' };
    assert.throws(
      () => renderTemplate({ settings: [...SETTINGS, extra], armOperations: OPS }),
      /SETTINGS declares NEW_KNOB, but infra\/azure\/settingBindings\.ts does not say how/,
    );
  });

  it('stops when a bound setting is no longer declared', () => {
    assert.throws(
      () =>
        renderTemplate({
          settings: SETTINGS.filter((s) => s.name !== 'RESYNC_SCHEDULE'),
          armOperations: OPS,
        }),
      /binds RESYNC_SCHEDULE, which shared\/config\.ts SETTINGS does not declare/,
    );
  });

  it('takes parameter defaults from SETTINGS, so a changed default reaches the template', () => {
    const settings = SETTINGS.map((s) =>
      s.name === 'LOAD_BALANCER_NAME' ? { ...s, default: 'other-ilb' } : s,
    );
    const t = renderTemplate({ settings, armOperations: OPS }) as Record<string, any>;
    assert.equal(t.parameters.loadBalancerName.defaultValue, 'other-ilb');
  });

  it('stops when the operation list does not fit an Event Grid filter', () => {
    const many = Array.from({ length: 26 }, (_, i) => `Microsoft.Compute/op${i}/write`);
    assert.throws(
      () => renderTemplate({ settings: SETTINGS, armOperations: many }),
      /exceed Event Grid's limit of 25/,
    );
  });
});
