/**
 * preparePool: the decisions a reconcile round takes before planning — which configurations are
 * left out (and why, naming the field), the pool's identity and prefix length, which nodepool
 * configurations move to another pool, and the planner's input — as a user sees them in status.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PoolInventory, ResolvedPool } from '../../shared/core/pool.js';
import {
  checkConfigurations,
  invalidSpecProblem,
  needsNeighbours,
  preparePendingPool,
  preparePool,
  scaleSetsNamedBy,
  type StoredConfiguration,
} from '../../shared/core/preparePool.js';
import { AKS_GATEWAY_PREFIX_SIZE_TAG, AKS_POOL_NAME_TAG } from '../../shared/core/wellKnown.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const CONTEXT = { subscriptionId: SUB };
const BYO = `/subscriptions/${SUB}/resourceGroups/rg-byo/providers/Microsoft.Network/publicIPPrefixes/mine`;
const VMSS_KEY = 'vmss:rg-gw:gw';
const POOL_VMSS_KEY = 'vmss:rg-gw:aks-gwpool-1';

const INVENTORY: PoolInventory = {
  gatewayResourceGroup: 'rg-gw',
  scaleSets: [
    { resourceGroup: 'rg-gw', name: 'gw', uniqueId: 'uid-gw' },
    {
      resourceGroup: 'rg-gw',
      name: 'aks-gwpool-1',
      uniqueId: 'uid-pool',
      tags: { [AKS_POOL_NAME_TAG]: 'gwpool', [AKS_GATEWAY_PREFIX_SIZE_TAG]: '31' },
    },
  ],
  nics: [],
  vms: [],
};

function sgc(
  name: string,
  spec: unknown,
  options: { uid?: string; poolKey?: string; deleting?: boolean; finalized?: boolean } = {},
): StoredConfiguration {
  return {
    uid: options.uid ?? `uid-${name}`,
    namespace: 'default',
    name,
    poolKey: options.poolKey ?? VMSS_KEY,
    spec,
    ...(options.deleting === true ? { deletedAt: new Date(0) } : {}),
    ...(options.finalized === true ? { finalizedAt: new Date(0) } : {}),
  };
}
const vmss = (size?: number, extra: Record<string, unknown> = {}) => ({
  gatewayProfile: {
    vmssProfile: {
      vmssResourceGroup: 'rg-gw',
      vmssName: 'gw',
      ...(size === undefined ? {} : { publicIpPrefixSize: size }),
    },
  },
  ...extra,
});
const standalone = (names: readonly string[]) => ({
  gatewayProfile: {
    standaloneVMProfile: { vmResourceGroup: 'rg-vms', vmNames: names, publicIpPrefixSize: 31 },
  },
});

function prepare(
  configs: readonly StoredConfiguration[],
  options: { poolKey?: string; neighbours?: readonly StoredConfiguration[]; remembered?: ResolvedPool } = {},
) {
  return preparePool({
    poolKey: options.poolKey ?? VMSS_KEY,
    configurations: checkConfigurations(configs, CONTEXT),
    neighbours: options.neighbours ?? [],
    context: CONTEXT,
    inventory: INVENTORY,
    ...(options.remembered === undefined ? {} : { remembered: options.remembered }),
  });
}
const problemsOf = (p: ReturnType<typeof prepare>) =>
  Object.fromEntries(p.configurations.map((e) => [e.config.name, e.problem]));

describe('checkConfigurations', () => {
  it('validates each configuration, drops finalized ones, sorts by namespace/name/uid', () => {
    const checked = checkConfigurations(
      [
        sgc('b', vmss(31)),
        sgc('a', { gatewayProfile: { vmssProfile: { vmssName: 'gw' } } }),
        sgc('gone', vmss(31), { deleting: true, finalized: true }),
        sgc('c', null, { deleting: true }),
        sgc('d', { bogus: true }, { deleting: true }),
        sgc('e', vmss(30), { deleting: true }),
      ],
      CONTEXT,
    );
    assert.deepEqual(
      checked.map((e) => e.config.name),
      ['a', 'b', 'c', 'd', 'e'],
    );
    const [a, b, c, d, e] = checked;
    assert.equal(a?.problem?.reason, 'InvalidSpec');
    assert.match(a?.problem?.message ?? '', /spec\.gatewayProfile\.vmssProfile\.vmssResourceGroup/);
    assert.equal(b?.problem, undefined);
    assert.equal(b?.spec?.pool.kind, 'vmss');
    // A deleting configuration never gets a problem; its last spec is kept only when it was valid.
    assert.deepEqual(
      [c?.problem, c?.spec, d?.problem, d?.spec],
      [undefined, undefined, undefined, undefined],
    );
    assert.equal(e?.deleting, true);
    assert.equal(e?.spec?.pool.kind, 'vmss');
  });

  it('an invalid spec with no field problems still says why', () => {
    assert.deepEqual(invalidSpecProblem([]), { reason: 'InvalidSpec', message: 'the spec is invalid' });
  });
});

describe('needsNeighbours and scaleSetsNamedBy', () => {
  const cases: [string, StoredConfiguration, boolean][] = [
    ['a VMSS profile with a managed prefix', sgc('a', vmss(31)), false],
    ['a BYO prefix', sgc('a', vmss(31, { publicIpPrefixId: BYO })), true],
    ['standalone VMs', sgc('a', standalone(['vm-a'])), true],
    ['a deleting standalone configuration', sgc('a', standalone(['vm-a']), { deleting: true }), false],
    ['an invalid spec', sgc('a', { gatewayProfile: {} }), false],
  ];
  for (const [name, config, expected] of cases)
    it(`${name}: ${expected ? 'reads' : 'does not read'} the other pools`, () => {
      assert.equal(needsNeighbours(checkConfigurations([config], CONTEXT)), expected);
    });

  it('lists the scale sets the VMSS profiles name, deleting ones too', () => {
    const checked = checkConfigurations(
      [sgc('a', vmss(31)), sgc('b', standalone(['vm-a'])), sgc('c', vmss(31), { deleting: true })],
      CONTEXT,
    );
    assert.deepEqual(scaleSetsNamedBy(checked), [
      { resourceGroup: 'rg-gw', name: 'gw' },
      { resourceGroup: 'rg-gw', name: 'gw' },
    ]);
  });
});

describe('preparePool', () => {
  it('resolves the pool from the first live configuration; all plan, orphans are removed', () => {
    const p = prepare([sgc('b', vmss(31)), sgc('a', vmss(31)), sgc('x', vmss(31), { deleting: true })]);
    assert.deepEqual(p.pool, {
      ref: { kind: 'vmss', resourceGroup: 'rg-gw', vmssName: 'gw' },
      key: VMSS_KEY,
      uniqueId: 'uid-gw',
      prefixLength: 31,
    });
    assert.deepEqual(
      p.planned.map((c) => [c.name, c.state.kind]),
      [
        ['a', 'present'],
        ['b', 'present'],
        ['x', 'deleting'],
      ],
    );
    assert.equal(p.orphans, 'delete');
    assert.deepEqual(p.moves, []);
    assert.deepEqual(
      p.owners.map((o) => [o.uid, o.state.kind, o.state.egress?.kind]),
      [
        ['uid-a', 'deleting', 'public'],
        ['uid-b', 'deleting', 'public'],
        ['uid-x', 'deleting', 'public'],
      ],
    );
  });

  it('a configuration asking another prefix length than the first public one is left out, naming the field', () => {
    const p = prepare([sgc('a', vmss(31)), sgc('b', vmss(30)), sgc('c', vmss(31))]);
    const problems = problemsOf(p);
    assert.equal(problems['a'], undefined);
    assert.equal(problems['c'], undefined, 'the same length as the first');
    assert.equal(problems['b']?.reason, 'InvalidSpec');
    assert.match(
      problems['b']?.message ?? '',
      /^spec\.gatewayProfile\.vmssProfile\.publicIpPrefixSize: asks for \/30 but default\/a .* uses \/31/,
    );
    assert.equal(p.pool?.prefixLength, 31);
    assert.equal(p.orphans, 'keep', 'an excluded configuration keeps its resources');
    assert.deepEqual(
      p.planned.map((c) => c.name),
      ['a', 'c'],
    );
    assert.deepEqual(
      p.owners.map((o) => o.uid),
      ['uid-a', 'uid-b', 'uid-c'],
      'the excluded one is still observed, so its prefix is seen and kept',
    );
  });

  it('a nodepool configuration that resolves to another pool moves there and reports Reconciling', () => {
    const p = prepare([sgc('a', vmss(31)), sgc('np', { gatewayNodepoolName: 'gwpool' })]);
    assert.deepEqual(
      p.moves.map((m) => [m.config.name, m.to]),
      [['np', POOL_VMSS_KEY]],
    );
    assert.deepEqual(problemsOf(p)['np'], {
      reason: 'Reconciling',
      message: `moving to gateway pool ${POOL_VMSS_KEY}`,
    });
    assert.equal(p.orphans, 'keep');
  });

  it('a live configuration whose pool is missing gets PoolNotFound; a deleting one still gives the identity', () => {
    const missing = {
      gatewayProfile: {
        vmssProfile: { vmssResourceGroup: 'rg-gw', vmssName: 'nope', publicIpPrefixSize: 31 },
      },
    };
    const p = prepare([sgc('a', missing), sgc('z', vmss(31), { deleting: true })]);
    assert.deepEqual(problemsOf(p)['a'], {
      reason: 'PoolNotFound',
      message: 'VMSS rg-gw/nope was not found',
    });
    assert.equal(p.pool?.uniqueId, 'uid-gw');
    assert.equal(p.pool?.prefixLength, undefined, 'only a live public configuration sets the length');
  });

  it('with nothing resolving, the remembered identity is used; with nothing remembered there is no pool', () => {
    const remembered: ResolvedPool = {
      ref: { kind: 'vmss', resourceGroup: 'rg-gw', vmssName: 'old' },
      key: 'vmss:rg-gw:old',
      uniqueId: 'uid-old',
    };
    const gone = sgc(
      'a',
      { gatewayProfile: { vmssProfile: { vmssResourceGroup: 'rg-gw', vmssName: 'old' } } },
      { deleting: true, poolKey: 'vmss:rg-gw:old' },
    );
    assert.deepEqual(prepare([gone], { poolKey: 'vmss:rg-gw:old', remembered }).pool, remembered);
    assert.equal(prepare([gone], { poolKey: 'vmss:rg-gw:old' }).pool, undefined);
  });

  it('a BYO prefix another pool already uses is refused; deleted and same-pool neighbours do not count', () => {
    const byo = vmss(31, { publicIpPrefixId: BYO });
    const other = sgc('a-first', standalone(['vm-a']), { uid: 'n1', poolKey: 'standalone-vms:rg-vms:vm-a' });
    const otherByo = { ...other, spec: { ...standalone(['vm-a']), publicIpPrefixId: BYO } };
    const own = sgc('b-mine', byo);
    const refused = prepare([own], { neighbours: [otherByo, own] });
    assert.equal(problemsOf(refused)['b-mine']?.reason, 'InvalidSpec');
    assert.match(
      problemsOf(refused)['b-mine']?.message ?? '',
      /^spec\.publicIpPrefixId: is already used by default\/a-first/,
    );
    const deleted = { ...otherByo, deletedAt: new Date(0) };
    assert.equal(problemsOf(prepare([own], { neighbours: [deleted] }))['b-mine'], undefined);
  });

  it('partly overlapping standalone VM sets: the later configuration is refused, naming vmNames', () => {
    const p = prepare([sgc('b', standalone(['vm-a', 'vm-b']))], {
      poolKey: 'standalone-vms:rg-vms:vm-a,vm-b',
      neighbours: [sgc('a', standalone(['vm-a']), { poolKey: 'standalone-vms:rg-vms:vm-a' })],
    });
    assert.match(
      problemsOf(p)['b']?.message ?? '',
      /^spec\.gatewayProfile\.standaloneVMProfile\.vmNames: shares VM\(s\) vm-a/,
    );
  });
});

describe('preparePendingPool', () => {
  it('moves what resolves; what does not stays with PoolNotFound; deleting ones stay as they are', () => {
    const pending = 'nodepool:rg-gw:gwpool';
    const p = preparePendingPool({
      configurations: checkConfigurations(
        [
          sgc('np', { gatewayNodepoolName: 'gwpool' }, { poolKey: pending }),
          sgc('lost', { gatewayNodepoolName: 'nope' }, { poolKey: 'nodepool:rg-gw:nope' }),
          sgc('del', { gatewayNodepoolName: 'gwpool' }, { poolKey: pending, deleting: true }),
        ],
        CONTEXT,
      ),
      inventory: INVENTORY,
    });
    assert.deepEqual(
      p.moves.map((m) => [m.config.name, m.to]),
      [['np', POOL_VMSS_KEY]],
    );
    assert.deepEqual(
      p.stay.map((e) => [e.config.name, e.problem?.reason]),
      [
        ['del', undefined],
        ['lost', 'PoolNotFound'],
      ],
    );
  });
});

describe('preparePool properties', () => {
  const specArb = fc.oneof(
    fc.constantFrom(28, 30, 31).map((size) => vmss(size)),
    fc.constant(vmss(31, { publicIpPrefixId: BYO })),
    fc.constant({ gatewayNodepoolName: 'gwpool' }),
    fc.constant({ gatewayProfile: { vmssProfile: { vmssResourceGroup: 'rg-gw', vmssName: 'nope' } } }),
    fc.constant({ gatewayProfile: {} }),
    fc.constant(null),
  );
  const configsArb = fc
    .uniqueArray(
      fc.record({
        name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
        spec: specArb,
        deleting: fc.boolean(),
      }),
      { selector: (c) => c.name, maxLength: 6 },
    )
    .map((list) => list.map((c) => sgc(c.name, c.spec, { deleting: c.deleting })));

  it('input order never matters, and the planner sees exactly the configurations without a problem', () => {
    fc.assert(
      fc.property(configsArb, fc.infiniteStream(fc.nat()), (configs, seeds) => {
        const p = prepare(configs);
        const shuffled = [...configs].sort(() => (seeds.next().value % 3) - 1);
        assert.deepEqual(prepare(shuffled), p);
        const uids = p.configurations.map((e) => e.config.uid);
        assert.deepEqual([...uids].sort(), configs.map((c) => c.uid).sort());
        assert.deepEqual(
          p.planned.map((c) => c.uid),
          p.configurations
            .filter((e) => e.problem === undefined && (e.deleting || e.spec !== undefined))
            .map((e) => e.config.uid),
        );
        for (const e of p.configurations)
          if (e.deleting) assert.equal(e.problem, undefined, 'deletion is never blocked');
        assert.equal(
          p.orphans,
          p.configurations.some((e) => !e.deleting && e.problem !== undefined) ? 'keep' : 'delete',
        );
        for (const m of p.moves) {
          const e = p.configurations.find((x) => x.config.uid === m.config.uid);
          assert.equal(e?.problem?.reason, 'Reconciling');
          assert.equal(e?.spec?.pool.kind, 'nodepool');
        }
        // Every configuration planned as present that asks for a prefix length asks for the pool's one.
        for (const e of p.configurations) {
          const selector = e.spec?.pool;
          if (e.deleting || e.problem !== undefined || selector?.kind !== 'vmss') continue;
          if (e.spec?.egress.kind === 'public' && selector.publicIpPrefixSize !== undefined)
            assert.equal(selector.publicIpPrefixSize, p.pool?.prefixLength);
        }
      }),
      { numRuns: 300 },
    );
  });
});
