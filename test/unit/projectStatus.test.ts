import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectStatus } from '../../shared/core/projectStatus.js';
import { validateStaticGatewayConfiguration } from '../../shared/core/validateStaticGatewayConfiguration.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const settings = { subscriptionId: SUB, loadBalancerResourceGroup: 'rg-net', publicIpResourceGroup: 'rg-gw' };
const UID = 'aaaaaaaa-0000-4000-8000-000000000001';

describe('projectStatus: warnings about an accepted spec', () => {
  const warningsOf = (spec: unknown) => {
    const v = validateStaticGatewayConfiguration(spec, { subscriptionId: SUB });
    assert.equal(v.kind, 'valid');
    return v.kind === 'valid' ? v.warnings : [];
  };
  const project = (
    now: string,
    warnings: ReturnType<typeof warningsOf>,
    previous?: Parameters<typeof projectStatus>[0]['previous'],
  ) =>
    projectStatus({
      uid: UID,
      generation: 2,
      egress: { kind: 'private' },
      problem: { reason: 'Reconciling', message: 'waiting for Azure' },
      warnings,
      settings,
      now,
      ...(previous === undefined ? {} : { previous }),
    });

  it('an Accepted condition (AcceptedWithWarnings) names each field, stays stable, and goes with the warnings', () => {
    const warnings = warningsOf({
      gatewayVmssProfile: { vmssResourceGroup: 'rg', vmssName: 'gw', publicIpPrefixSize: 31 },
      provisionPublicIps: false,
      excludeCidrs: ['10.0.0.1/8'],
    });
    const first = project('2026-01-01T00:00:00Z', warnings).status;
    const accepted = first.conditions?.find((c) => c.type === 'Accepted');
    assert.equal(accepted?.status, 'True');
    assert.equal(accepted?.reason, 'AcceptedWithWarnings');
    assert.equal(accepted?.observedGeneration, 2);
    assert.match(
      accepted?.message ?? '',
      /^spec\.excludeCidrs\[0\]: .*host bits.*; spec\.provisionPublicIps: private-IP mode/,
    );
    assert.equal(first.conditions?.find((c) => c.type === 'Ready')?.status, 'False');

    const again = project('2026-01-01T00:05:00Z', warnings, first).status;
    assert.deepEqual(again, first, 'identical input, identical status');

    const fixed = project('2026-01-01T00:10:00Z', [], again).status;
    assert.deepEqual(
      fixed.conditions?.map((c) => c.type),
      ['Ready'],
    );
  });
});
