import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from '../../infra/local/kube/kubeStatus.js';
import {
  applyJsonPatch,
  decodeJsonPatch,
  JsonPatchApplyError,
  JsonPatchDecodeError,
} from '../../infra/local/kube/patch/jsonPatch.js';
import { builtinListStrategy } from '../../infra/local/kube/patch/listStrategy.js';
import { applyMergePatch } from '../../infra/local/kube/patch/mergePatch.js';
import { serverSideApply } from '../../infra/local/kube/patch/serverSideApply.js';
import { applyStrategicMergePatch } from '../../infra/local/kube/patch/strategicMergePatch.js';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../infra/local/kube/selectors.js';
import type { Json, JsonObject } from '../../infra/local/kube/json.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'kubernetes.azure.com/mode': 'gateway', n: '5' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=db', false],
    ['missing!=x', true],
    ['app in (web, db)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['kubernetes.azure.com/mode=gateway,tier=front', true],
    ['kubernetes.azure.com/mode=gateway,tier=back', false],
    ['n>4', true],
    ['n<5', false],
    ['app=', false],
  ];
  for (const [sel, want] of cases)
    it(`${JSON.stringify(sel)} → ${want}`, () =>
      assert.equal(matchesLabels(parseLabelSelector(sel), labels), want));

  for (const bad of ['a b', 'app in web', '-bad=x', 'app=va lue']) {
    it(`rejects ${JSON.stringify(bad)} with 400`, () => {
      assert.throws(
        () => parseLabelSelector(bad),
        (e) => e instanceof KubeApiError && e.code === 400,
      );
    });
  }
});

describe('field selectors', () => {
  const values: Record<string, string> = { 'metadata.name': 'a,b', 'spec.nodeName': 'node-1' };
  const supported = ['metadata.name', 'metadata.namespace', 'spec.nodeName'];
  it('matches =, ==, != with escapes', () => {
    assert.equal(
      matchesFields(parseFieldSelector('spec.nodeName=node-1', supported), (f) => values[f] ?? ''),
      true,
    );
    assert.equal(
      matchesFields(parseFieldSelector('spec.nodeName==node-2', supported), (f) => values[f] ?? ''),
      false,
    );
    assert.equal(
      matchesFields(
        parseFieldSelector('metadata.name=a\\,b,spec.nodeName!=x', supported),
        (f) => values[f] ?? '',
      ),
      true,
    );
  });
  it('rejects unsupported fields with 400 "field label not supported"', () => {
    assert.throws(
      () => parseFieldSelector('spec.foo=x', supported),
      (e) =>
        e instanceof KubeApiError && e.code === 400 && /field label not supported: spec.foo/.test(e.message),
    );
  });
});

describe('JSON merge patch (RFC 7386 appendix A)', () => {
  const cases: [Json, Json, Json][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases)
    it(`${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () =>
      assert.deepEqual(applyMergePatch(target, patch), want));
});

describe('JSON patch (RFC 6902)', () => {
  const doc: Json = { a: { b: [1, 2] }, 'x/y': 1, 't~': 2 };
  const cases: [unknown, Json][] = [
    [[{ op: 'add', path: '/a/b/1', value: 9 }], { a: { b: [1, 9, 2] }, 'x/y': 1, 't~': 2 }],
    [[{ op: 'add', path: '/a/b/-', value: 3 }], { a: { b: [1, 2, 3] }, 'x/y': 1, 't~': 2 }],
    [
      [
        { op: 'remove', path: '/x~1y' },
        { op: 'remove', path: '/t~0' },
      ],
      { a: { b: [1, 2] } },
    ],
    [[{ op: 'replace', path: '/a/b/0', value: 0 }], { a: { b: [0, 2] }, 'x/y': 1, 't~': 2 }],
    [[{ op: 'move', from: '/a/b', path: '/c' }], { a: {}, 'x/y': 1, 't~': 2, c: [1, 2] }],
    [[{ op: 'copy', from: '/a/b/1', path: '/d' }], { a: { b: [1, 2] }, 'x/y': 1, 't~': 2, d: 2 }],
    [[{ op: 'test', path: '/a/b', value: [1, 2] }], doc],
  ];
  for (const [ops, want] of cases)
    it(JSON.stringify(ops), () => assert.deepEqual(applyJsonPatch(doc, decodeJsonPatch(ops)), want));

  it('fails a test, a missing path and a bad document distinctly, leaving the input untouched', () => {
    const before = structuredClone(doc);
    assert.throws(
      () =>
        applyJsonPatch(
          doc,
          decodeJsonPatch([
            { op: 'replace', path: '/a/b/0', value: 5 },
            { op: 'test', path: '/a/b/0', value: 1 },
          ]),
        ),
      JsonPatchApplyError,
    );
    assert.throws(
      () => applyJsonPatch(doc, decodeJsonPatch([{ op: 'remove', path: '/nope' }])),
      JsonPatchApplyError,
    );
    assert.throws(
      () => applyJsonPatch(doc, decodeJsonPatch([{ op: 'replace', path: '/nope', value: 1 }])),
      JsonPatchApplyError,
    );
    assert.throws(() => decodeJsonPatch({ op: 'add' }), JsonPatchDecodeError);
    assert.throws(() => decodeJsonPatch([{ op: 'frobnicate', path: '/a' }]), JsonPatchDecodeError);
    assert.deepEqual(doc, before);
  });
});

describe('strategic merge patch (built-in kinds)', () => {
  const pod: JsonObject = {
    metadata: { finalizers: ['a'], labels: { x: '1' } },
    spec: {
      containers: [
        { name: 'app', image: 'v1', env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 's' },
      ],
      tolerations: [{ key: 't' }],
    },
  };
  it('merges keyed lists by key, unions sets, replaces atomic lists', () => {
    const out = applyStrategicMergePatch(
      pod,
      {
        metadata: { finalizers: ['b'] },
        spec: {
          containers: [{ name: 'app', image: 'v2', env: [{ name: 'B', value: '2' }] }],
          tolerations: [{ key: 'u' }],
        },
      },
      builtinListStrategy,
    );
    assert.deepEqual(out, {
      metadata: { finalizers: ['a', 'b'], labels: { x: '1' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'v2',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
          { name: 'side', image: 's' },
        ],
        tolerations: [{ key: 'u' }],
      },
    });
  });
  it('honours $patch: delete, $deleteFromPrimitiveList, $setElementOrder and $retainKeys', () => {
    const out = applyStrategicMergePatch(
      pod,
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
        spec: {
          '$setElementOrder/containers': [{ name: 'side' }],
          containers: [{ name: 'app', $patch: 'delete' }],
          $retainKeys: ['containers'],
        },
      },
      builtinListStrategy,
    );
    assert.deepEqual(out, {
      metadata: { finalizers: [], labels: { x: '1' } },
      spec: { containers: [{ name: 'side', image: 's' }] },
    });
  });
});

describe('server-side apply (simplified field ownership)', () => {
  const lists = builtinListStrategy;
  it('creates, then removes only the fields its manager stopped applying', () => {
    const first = serverSideApply({
      live: undefined,
      applied: { spec: { a: 1, b: 2 } },
      previous: undefined,
      others: new Map(),
      force: false,
      lists,
    });
    assert.deepEqual(first.object, { spec: { a: 1, b: 2 } });
    const live = { ...first.object, spec: { a: 1, b: 2, c: 3 } };
    const second = serverSideApply({
      live,
      applied: { spec: { a: 1 } },
      previous: { spec: { a: 1, b: 2 } },
      others: new Map(),
      force: false,
      lists,
    });
    assert.deepEqual(second.object, { spec: { a: 1, c: 3 } });
  });
  it('keeps a dropped field another applier still applies', () => {
    const out = serverSideApply({
      live: { spec: { a: 1, b: 2 } },
      applied: { spec: { a: 1 } },
      previous: { spec: { a: 1, b: 2 } },
      others: new Map([['x', { spec: { b: 2 } }]]),
      force: false,
      lists,
    });
    assert.deepEqual(out.object, { spec: { a: 1, b: 2 } });
  });
  it('conflicts on a field another applier set differently; force takes it over', () => {
    const input = {
      live: { spec: { a: 1 } },
      applied: { spec: { a: 2 } },
      previous: undefined,
      others: new Map([['x', { spec: { a: 1 } }]]),
      lists,
    };
    assert.deepEqual(serverSideApply({ ...input, force: false }).conflicts, [
      { manager: 'x', field: '.spec.a' },
    ]);
    const forced = serverSideApply({ ...input, force: true });
    assert.deepEqual(forced.object, { spec: { a: 2 } });
    assert.deepEqual(forced.others.get('x'), { spec: {} });
  });
  it('merges keyed lists element by element', () => {
    const out = serverSideApply({
      live: { metadata: { ownerReferences: [{ uid: '1', name: 'a' }] } },
      applied: { metadata: { ownerReferences: [{ uid: '2', name: 'b' }] } },
      previous: undefined,
      others: new Map(),
      force: false,
      lists,
    });
    assert.deepEqual(out.object, {
      metadata: {
        ownerReferences: [
          { uid: '1', name: 'a' },
          { uid: '2', name: 'b' },
        ],
      },
    });
  });
});
