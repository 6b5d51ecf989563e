/**
 * The composition root with the settings the deployment template gives the app in Azure:
 * identity-based storage (`AzureWebJobsStorage__accountName` + `__clientId`, no connection string)
 * builds the state store, work queue and poison-queue reader instead of being refused. The adapters'
 * identity path itself runs against Azurite in test/state/identityStorage.test.ts.
 *
 * Its own file: an ES module whose evaluation threw (composition.ts reads the settings at import)
 * stays failed for the rest of the process.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  resolvedAppSettingsOf,
  deploy,
  RELAY_SECRET,
  REQUIRED_PARAMETERS,
} from '../azure/support/azureTemplate.js';

describe('the composition root with the template settings', () => {
  it('builds the state store, work queue and poison reader from identity-based storage', async () => {
    const settings = resolvedAppSettingsOf(
      deploy({ ...REQUIRED_PARAMETERS, relaySharedSecret: RELAY_SECRET }),
    );
    assert.equal(
      settings['AzureWebJobsStorage'],
      undefined,
      'the template sets no storage connection string',
    );
    const saved = new Map(Object.keys(settings).map((k) => [k, process.env[k]]));
    Object.assign(process.env, settings);
    try {
      // Building does no I/O: the managed identity is asked for a token at the first storage call.
      const { controlPlane } = await import('../../functions/composition.js');
      const plane = controlPlane();
      assert.deepEqual(
        {
          kind: plane.config.storage.kind,
          clientId: 'clientId' in plane.config.storage && plane.config.storage.clientId,
        },
        { kind: 'identity', clientId: settings['AzureWebJobsStorage__clientId'] },
      );
      assert.equal(typeof plane.state.upsertConfiguration, 'function');
      assert.equal(typeof plane.queue.enqueue, 'function');
      assert.equal(typeof plane.poison.peek, 'function');
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
