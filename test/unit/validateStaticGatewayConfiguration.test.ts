import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluate } from '@marcbachmann/cel-js';
import { invalidSpecCondition } from '../../shared/core/conditions.js';
import { checkJsonSchema } from '../../shared/core/jsonSchema.js';
import type { JsonSchema } from '../../shared/core/jsonSchema.js';
import { DEFAULT_ROUTES } from '../../shared/core/staticGatewayConfiguration.js';
import {
  SPEC_RULES,
  STATIC_GATEWAY_CONFIGURATION_SPEC_SCHEMA as SCHEMA,
} from '../../shared/core/staticGatewayConfigurationSchema.js';
import type { ConfigurationForSetCheck } from '../../shared/core/validateStaticGatewayConfiguration.js';
import {
  validateConfigurationSet,
  validateStaticGatewayConfiguration,
} from '../../shared/core/validateStaticGatewayConfiguration.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const CONTEXT = { subscriptionId: SUB };
const PREFIX = `/subscriptions/${SUB}/resourceGroups/rg-byo/providers/Microsoft.Network/publicIPPrefixes/mine`;
const VMSS = { vmssResourceGroup: 'rg-gw', vmssName: 'gw', publicIpPrefixSize: 31 };
const VMS = { vmResourceGroup: 'rg-vms', vmNames: ['vm-a', 'vm-b'], publicIpPrefixSize: 30 };

function problems(spec: unknown): readonly { field: string; message: string }[] {
  const r = validateStaticGatewayConfiguration(spec, CONTEXT);
  return r.kind === 'invalid' ? r.problems : [];
}

describe('validateStaticGatewayConfiguration: accepted with a warning (upstream accepts these)', () => {
  const warned: [string, unknown, string, RegExp, (spec: unknown) => void][] = [
    [
      'private mode on a VMSS (upstream e2e case 6)',
      { gatewayVmssProfile: VMSS, provisionPublicIps: false, defaultRoute: 'azureNetworking' },
      'spec.provisionPublicIps',
      /secondary private IP can change when it is reimaged.*VirtualMachines pool/,
      (spec) => assert.deepEqual((spec as { egress: unknown }).egress, { kind: 'private' }),
    ],
    [
      'a managed /27 (needs a raised quota)',
      { gatewayVmssProfile: { ...VMSS, publicIpPrefixSize: 27 } },
      'spec.gatewayVmssProfile.publicIpPrefixSize',
      /\/27 prefix is larger than the \/28.*quota was raised/,
      (spec) => assert.equal((spec as { pool: { publicIpPrefixSize: number } }).pool.publicIpPrefixSize, 27),
    ],
    [
      'a CIDR with host bits set is normalised',
      { gatewayNodepoolName: 'gwpool', excludeCidrs: ['10.0.0.0/8', '10.1.2.3/16'] },
      'spec.excludeCidrs[1]',
      /"10\.1\.2\.3\/16" has host bits set; used as 10\.1\.0\.0\/16/,
      (spec) =>
        assert.deepEqual((spec as { excludeCidrs: unknown }).excludeCidrs, ['10.0.0.0/8', '10.1.0.0/16']),
    ],
  ];
  for (const [name, spec, field, message, check] of warned) {
    it(name, () => {
      const r = validateStaticGatewayConfiguration(spec, CONTEXT);
      assert.equal(r.kind, 'valid', JSON.stringify(r));
      if (r.kind !== 'valid') return;
      assert.deepEqual(
        r.warnings.map((w) => w.field),
        [field],
      );
      assert.match(r.warnings[0]!.message, message);
      check(r.spec);
    });
  }

  it('a BYO prefix of any length is accepted without a warning: its real length is checked in Azure', () => {
    const r = validateStaticGatewayConfiguration(
      { gatewayVmssProfile: { ...VMSS, publicIpPrefixSize: 27 }, publicIpPrefixId: PREFIX },
      CONTEXT,
    );
    assert.equal(r.kind, 'valid');
    assert.deepEqual(r.kind === 'valid' ? r.warnings : undefined, []);
  });

  it('a plain valid spec has no warnings', () => {
    const r = validateStaticGatewayConfiguration({ gatewayVmssProfile: VMSS }, CONTEXT);
    assert.deepEqual(r.kind === 'valid' ? r.warnings : undefined, []);
  });
});

describe('validateStaticGatewayConfiguration: valid specs', () => {
  const valid: [string, unknown][] = [
    ['nodepool', { gatewayNodepoolName: 'gwpool' }],
    ['deprecated VMSS profile', { gatewayVmssProfile: VMSS }],
    ['gatewayProfile.vmssProfile', { gatewayProfile: { vmssProfile: VMSS } }],
    [
      'standalone VMs, private',
      {
        gatewayProfile: { standaloneVMProfile: { vmResourceGroup: 'rg', vmNames: ['a'] } },
        provisionPublicIps: false,
      },
    ],
    [
      'BYO prefix',
      {
        gatewayVmssProfile: VMSS,
        publicIpPrefixId: PREFIX.toLowerCase().replace('resourcegroups', 'resourcegroups'),
      },
    ],
    [
      'upstream {} leftover next to a nodepool',
      { gatewayNodepoolName: 'gwpool', gatewayVmssProfile: {}, gatewayProfile: {} },
    ],
    [
      'excludeCidrs v4 and v6',
      {
        gatewayNodepoolName: 'gwpool',
        excludeCidrs: ['10.0.0.0/8', 'fd00::/8'],
        defaultRoute: 'azureNetworking',
      },
    ],
  ];
  for (const [name, spec] of valid) {
    it(name, () => assert.deepEqual(problems(spec), []));
  }

  it('applies defaults and normalises', () => {
    const r = validateStaticGatewayConfiguration(
      { gatewayProfile: { standaloneVMProfile: VMS }, excludeCidrs: ['2001:DB8::/32'] },
      CONTEXT,
    );
    assert.equal(r.kind, 'valid');
    if (r.kind !== 'valid') return;
    assert.deepEqual(r.spec, {
      pool: {
        kind: 'standalone-vms',
        field: 'spec.gatewayProfile.standaloneVMProfile',
        resourceGroup: 'rg-vms',
        vmNames: ['vm-a', 'vm-b'],
        publicIpPrefixSize: 30,
      },
      egress: { kind: 'public', prefix: { kind: 'managed' } },
      defaultRoute: 'staticEgressGateway',
      excludeCidrs: ['2001:db8::/32'],
    });
  });
});

describe('validateStaticGatewayConfiguration: every rule names its field', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['no pool selector', {}, 'spec', /exactly one of gatewayNodepoolName/],
    [
      'two pool selectors',
      { gatewayNodepoolName: 'gwpool', gatewayVmssProfile: VMSS },
      'spec.gatewayVmssProfile',
      /also set: spec.gatewayNodepoolName/,
    ],
    [
      'vmssProfile and standaloneVMProfile',
      { gatewayProfile: { vmssProfile: VMSS, standaloneVMProfile: VMS } },
      'spec.gatewayProfile.standaloneVMProfile',
      /exactly one/,
    ],
    [
      'missing VMSS resource group',
      { gatewayVmssProfile: { vmssName: 'gw', publicIpPrefixSize: 31 } },
      'spec.gatewayVmssProfile.vmssResourceGroup',
      /is required/,
    ],
    [
      'missing VMSS name',
      { gatewayProfile: { vmssProfile: { vmssResourceGroup: 'rg', publicIpPrefixSize: 31 } } },
      'spec.gatewayProfile.vmssProfile.vmssName',
      /is required/,
    ],
    [
      'missing VM resource group',
      { gatewayProfile: { standaloneVMProfile: { vmNames: ['a'], publicIpPrefixSize: 31 } } },
      'spec.gatewayProfile.standaloneVMProfile.vmResourceGroup',
      /is required/,
    ],
    [
      'missing VM names',
      { gatewayProfile: { standaloneVMProfile: { vmResourceGroup: 'rg', publicIpPrefixSize: 31 } } },
      'spec.gatewayProfile.standaloneVMProfile.vmNames',
      /is required/,
    ],
    [
      'empty VM names',
      {
        gatewayProfile: {
          standaloneVMProfile: { vmResourceGroup: 'rg', vmNames: [], publicIpPrefixSize: 31 },
        },
      },
      'spec.gatewayProfile.standaloneVMProfile.vmNames',
      /at least 1/,
    ],
    [
      'duplicate VM name',
      { gatewayProfile: { standaloneVMProfile: { ...VMS, vmNames: ['vm-a', 'vm-b', 'VM-A'] } } },
      'spec.gatewayProfile.standaloneVMProfile.vmNames[2]',
      /duplicates vmNames\[0\]/,
    ],
    [
      'bad VM name',
      { gatewayProfile: { standaloneVMProfile: { ...VMS, vmNames: ['vm a'] } } },
      'spec.gatewayProfile.standaloneVMProfile.vmNames[0]',
      /does not match/,
    ],
    [
      'bad resource group name',
      { gatewayVmssProfile: { ...VMSS, vmssResourceGroup: 'rg/x' } },
      'spec.gatewayVmssProfile.vmssResourceGroup',
      /does not match/,
    ],
    ['bad nodepool name', { gatewayNodepoolName: 'gw_pool' }, 'spec.gatewayNodepoolName', /does not match/],
    [
      'prefix size unset in public mode',
      { gatewayVmssProfile: { vmssResourceGroup: 'rg', vmssName: 'gw' } },
      'spec.gatewayVmssProfile.publicIpPrefixSize',
      /needs a prefix length.*\/28 to \/31.*got none/,
    ],
    [
      'prefix size above the schema maximum',
      { gatewayVmssProfile: { ...VMSS, publicIpPrefixSize: 32 } },
      'spec.gatewayVmssProfile.publicIpPrefixSize',
      /at most 31/,
    ],
    [
      'prefix size not an integer',
      { gatewayVmssProfile: { ...VMSS, publicIpPrefixSize: 30.5 } },
      'spec.gatewayVmssProfile.publicIpPrefixSize',
      /an integer/,
    ],
    [
      'more VMs than addresses',
      {
        gatewayProfile: {
          standaloneVMProfile: { vmResourceGroup: 'rg', vmNames: ['a', 'b', 'c'], publicIpPrefixSize: 31 },
        },
      },
      'spec.gatewayProfile.standaloneVMProfile.publicIpPrefixSize',
      /3 VMs need 3 public IPs but a \/31 prefix holds 2/,
    ],
    [
      'BYO prefix in private mode',
      { gatewayNodepoolName: 'gwpool', provisionPublicIps: false, publicIpPrefixId: PREFIX },
      'spec.publicIpPrefixId',
      /only be set when provisionPublicIps is true/,
    ],
    [
      'BYO prefix not an ARM id',
      { gatewayNodepoolName: 'gwpool', publicIpPrefixId: 'mine' },
      'spec.publicIpPrefixId',
      /not an ARM id of a public IP prefix/,
    ],
    [
      'BYO prefix of another type',
      {
        gatewayNodepoolName: 'gwpool',
        publicIpPrefixId: PREFIX.replace('publicIPPrefixes', 'publicIPAddresses'),
      },
      'spec.publicIpPrefixId',
      /Microsoft.Network\/publicIPAddresses, not a Microsoft.Network\/publicIPPrefixes/,
    ],
    [
      'BYO prefix in another subscription',
      { gatewayNodepoolName: 'gwpool', publicIpPrefixId: PREFIX.replace(SUB, 'other-sub') },
      'spec.publicIpPrefixId',
      /subscription other-sub.*manages subscription/,
    ],
    [
      'defaultRoute not in the enum',
      { gatewayNodepoolName: 'gwpool', defaultRoute: 'viaGateway' },
      'spec.defaultRoute',
      /must be one of staticEgressGateway, azureNetworking/,
    ],
    [
      'provisionPublicIps not a boolean',
      { gatewayNodepoolName: 'gwpool', provisionPublicIps: 'yes' },
      'spec.provisionPublicIps',
      /true or false/,
    ],
    [
      'excludeCidrs not a list',
      { gatewayNodepoolName: 'gwpool', excludeCidrs: '10.0.0.0/8' },
      'spec.excludeCidrs',
      /must be a list/,
    ],
    [
      'not a CIDR',
      { gatewayNodepoolName: 'gwpool', excludeCidrs: ['example.com'] },
      'spec.excludeCidrs[0]',
      /not a CIDR/,
    ],
    [
      'duplicate CIDR (canonical)',
      { gatewayNodepoolName: 'gwpool', excludeCidrs: ['fd00::/8', 'FD00:0::/8'] },
      'spec.excludeCidrs[1]',
      /duplicates excludeCidrs\[0\]/,
    ],
    ['spec not an object', 'gwpool', 'spec', /must be an object/],
  ];
  for (const [name, spec, field, message] of cases) {
    it(name, () => {
      const found = problems(spec).filter((p) => p.field === field);
      assert.ok(
        found.some((p) => message.test(p.message)),
        `expected ${field} ~ ${message}, got ${JSON.stringify(problems(spec))}`,
      );
    });
  }

  it('reports every problem at once, sorted by field', () => {
    const all = problems({
      gatewayVmssProfile: { vmssName: 'gw' },
      provisionPublicIps: false,
      publicIpPrefixId: PREFIX,
      excludeCidrs: ['x', '10.0.0.1/8', '::1/200'],
    });
    assert.deepEqual(
      all.map((p) => p.field),
      [
        'spec.excludeCidrs[0]',
        'spec.excludeCidrs[2]',
        'spec.gatewayVmssProfile.vmssResourceGroup',
        'spec.publicIpPrefixId',
      ],
    );
  });

  it('a bad spec becomes Ready=False, InvalidSpec, naming the fields', () => {
    const condition = invalidSpecCondition(problems({ gatewayNodepoolName: 'gwpool', excludeCidrs: ['x'] }), {
      generation: 4,
    });
    assert.equal(condition.type, 'Ready');
    assert.equal(condition.status, 'False');
    assert.equal(condition.reason, 'InvalidSpec');
    assert.equal(condition.observedGeneration, 4);
    assert.match(condition.message, /^spec\.excludeCidrs\[0\]: "x" is not a CIDR/);
  });
});

describe('the validator and the schema cannot drift', () => {
  it('accepts exactly the schema’s defaultRoute enum', () => {
    const schemaEnum = SCHEMA.properties?.['defaultRoute']?.enum;
    assert.deepEqual(schemaEnum, DEFAULT_ROUTES);
    for (const v of schemaEnum ?? [])
      assert.deepEqual(problems({ gatewayNodepoolName: 'gwpool', defaultRoute: v }), []);
  });

  it('enforces the schema’s publicIpPrefixSize range at its bounds', () => {
    const size = SCHEMA.properties?.['gatewayVmssProfile']?.properties?.['publicIpPrefixSize'] as JsonSchema;
    const { minimum, maximum } = size;
    assert.equal(typeof minimum, 'number');
    const at = (n: number) =>
      problems({
        gatewayVmssProfile: { ...VMSS, publicIpPrefixSize: n },
        provisionPublicIps: false,
        gatewayNodepoolName: undefined,
      });
    // Private mode on a VMSS is refused for another reason; look only at the size field.
    const sizeProblems = (n: number) => at(n).filter((p) => p.field.endsWith('publicIpPrefixSize'));
    assert.deepEqual(sizeProblems(minimum as number), []);
    assert.deepEqual(sizeProblems(maximum as number), []);
    assert.equal(sizeProblems((minimum as number) - 1).length, 1);
    assert.equal(sizeProblems((maximum as number) + 1).length, 1);
  });

  it('every schema default is what the validator assumes', () => {
    const r = validateStaticGatewayConfiguration({ gatewayNodepoolName: 'gwpool' }, CONTEXT);
    assert.equal(r.kind, 'valid');
    if (r.kind !== 'valid') return;
    assert.equal(r.spec.defaultRoute, SCHEMA.properties?.['defaultRoute']?.default);
    assert.equal(r.spec.egress.kind === 'public', SCHEMA.properties?.['provisionPublicIps']?.default);
  });

  // Random specs around the pool selectors and the BYO rule; the CEL in the schema is evaluated as
  // the API server would (on the defaulted object) and compared with the validator's verdicts.
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const vmssProfile = fc.record(
    {
      vmssResourceGroup: maybe(fc.constantFrom('', 'rg')),
      vmssName: maybe(fc.constantFrom('', 'gw')),
      publicIpPrefixSize: maybe(fc.constantFrom(0, 28, 31)),
    },
    { requiredKeys: [] },
  );
  const vmsProfile = fc.record(
    {
      vmResourceGroup: maybe(fc.constantFrom('', 'rg')),
      vmNames: maybe(fc.constantFrom([], ['a'])),
      publicIpPrefixSize: maybe(fc.constantFrom(0, 30)),
    },
    { requiredKeys: [] },
  );
  const spec = fc.record(
    {
      gatewayNodepoolName: fc.constantFrom('', 'gwpool'),
      gatewayVmssProfile: vmssProfile,
      gatewayProfile: fc.record({ vmssProfile, standaloneVMProfile: vmsProfile }, { requiredKeys: [] }),
      provisionPublicIps: fc.boolean(),
      publicIpPrefixId: fc.constantFrom('', PREFIX),
    },
    { requiredKeys: [] },
  );
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .map(([k, x]) => [k, strip(x)]),
          )
        : v;

  for (const [name, rule] of Object.entries(SPEC_RULES)) {
    it(`CEL rule ${name} and the validator agree`, () => {
      fc.assert(
        fc.property(spec, (raw) => {
          const s = strip(raw);
          const defaulted = checkJsonSchema(s, SCHEMA, 'spec').value;
          const celSays = evaluate(rule.rule, { self: defaulted }) === true;
          const validatorSays = !problems(s).some((p) => p.message.startsWith(rule.message));
          assert.equal(
            validatorSays,
            celSays,
            `${JSON.stringify(s)}: CEL ${String(celSays)}, validator ${String(validatorSays)}`,
          );
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('validateConfigurationSet', () => {
  const config = (uid: string, spec: unknown, createdAt: string): ConfigurationForSetCheck => {
    const r = validateStaticGatewayConfiguration(spec, CONTEXT);
    assert.equal(r.kind, 'valid');
    return {
      uid,
      namespace: 'ns',
      name: `n-${uid}`,
      createdAt,
      spec: (r as { spec: ConfigurationForSetCheck['spec'] }).spec,
    };
  };
  const vms = (names: string[], rg = 'rg-vms') => ({
    gatewayProfile: { standaloneVMProfile: { vmResourceGroup: rg, vmNames: names, publicIpPrefixSize: 30 } },
  });

  it('identical or disjoint VM sets are fine; the later of two overlapping ones is refused', () => {
    const result = validateConfigurationSet([
      config('b', vms(['vm-b', 'vm-c']), '2025-01-02T00:00:00Z'),
      config('a', vms(['vm-a', 'vm-b']), '2025-01-01T00:00:00Z'),
      config('c', vms(['VM-B', 'vm-a']), '2025-01-03T00:00:00Z'),
      config('d', vms(['vm-x']), '2025-01-04T00:00:00Z'),
      config('e', vms(['vm-b', 'vm-c'], 'other-rg'), '2025-01-05T00:00:00Z'),
    ]);
    assert.deepEqual(
      result.map((r) => r.uid),
      ['b'],
    );
    assert.equal(result[0]?.problems[0]?.field, 'spec.gatewayProfile.standaloneVMProfile.vmNames');
    assert.match(result[0]?.problems[0]?.message ?? '', /shares VM\(s\) vm-b with ns\/n-a/);
  });

  it('a BYO prefix serves one configuration', () => {
    const result = validateConfigurationSet([
      config('x', { gatewayNodepoolName: 'p1', publicIpPrefixId: PREFIX }, '2025-01-01T00:00:00Z'),
      config(
        'y',
        { gatewayNodepoolName: 'p2', publicIpPrefixId: PREFIX.toUpperCase().replace(SUB.toUpperCase(), SUB) },
        '2025-01-02T00:00:00Z',
      ),
    ]);
    assert.deepEqual(
      result.map((r) => [r.uid, r.problems[0]?.field]),
      [['y', 'spec.publicIpPrefixId']],
    );
  });
});
