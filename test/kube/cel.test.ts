import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  celIsCIDR,
  celIsIP,
  checkCel,
  evaluateCel,
  CelCheckError,
  CelEvalError,
  type CelType,
} from '../../infra/local/kube/cel/celEvaluator.js';
import {
  parseCel,
  CelSyntaxError,
  CelUnsupportedError,
  type CelValue,
} from '../../infra/local/kube/cel/celParser.js';

const self: CelValue = {
  name: 'gw',
  size: 5n,
  ratio: 0.5,
  on: true,
  tags: ['a', 'b', 'c'],
  nested: { inner: 'x' },
  labels: { team: 'net' },
  empty: [],
};

function run(rule: string, vars: Record<string, CelValue> = { self }): CelValue {
  return evaluateCel(parseCel(rule), new Map(Object.entries(vars)));
}

describe('CEL subset: evaluation', () => {
  const cases: [string, CelValue][] = [
    ['has(self.name)', true],
    ['has(self.missing)', false],
    ['has(self.nested.inner)', true],
    ['self.size == 5', true],
    ['self.size != 5', false],
    ['self.size + 2 * 3 - 1 == 10', true],
    ['self.size / 2 == 2', true],
    ['-self.size % 3 == -2', true],
    ['self.ratio * 2.0 == 1.0', true],
    ['self.size == 5.0', true],
    ['self.size > 4 && self.size <= 5', true],
    ['self.name < "gx"', true],
    ['!self.on || self.size > 100', false],
    ['self.on ? "yes" : "no"', 'yes'],
    ['size(self.tags) == 3 && self.tags.size() == 3', true],
    ['self.name.size()', 2n],
    ['"b" in self.tags', true],
    ['"team" in self.labels', true],
    ['self.tags.exists(t, t == "b")', true],
    ['self.tags.all(t, t.size() == 1)', true],
    ['self.tags.exists_one(t, t > "a")', false],
    ['[has(self.name), has(self.missing), has(self.nested)].exists_one(x, x)', false],
    ['[has(self.name), has(self.missing)].exists_one(x, x)', true],
    ['self.tags.filter(t, t != "a").size()', 2n],
    ['self.tags.map(t, t + "!")', ['a!', 'b!', 'c!']],
    ['self.tags.map(t, t != "a", t)', ['b', 'c']],
    ['self.empty.all(x, false)', true],
    ['(has(self.name) ? 1 : 0) + (has(self.missing) ? 1 : 0) == 1', true],
    ['self.name.startsWith("g") && self.name.endsWith("w") && self.name.contains("w")', true],
    ['self.name.matches("^g[a-z]+$")', true],
    ['"AbC".lowerAscii() + "x".upperAscii()', 'abcX'],
    ['"a,b".split(",").join("-")', 'a-b'],
    ['[1, 2] + [3] == [1, 2, 3]', true],
    ['{"a": 1}["a"] == 1', true],
    ['self.labels.team == "net"', true],
    ['int("42") + 1', 43n],
    ['string(7) + "x"', '7x'],
    ['double(1) == 1.0', true],
    ['isCIDR("10.0.0.0/8") && !isCIDR("10.0.0.1") && isIP("::1") && !isIP("010.0.0.1")', true],
    ["'single' + \"double\" + '''triple'''", 'singledoubletriple'],
    ['r"\\d" == "\\\\d"', true],
    ['null == null', true],
    ['self.missing == 1 || true', true],
    ['false && self.missing == 1', false],
  ];
  for (const [rule, want] of cases) {
    it(`${rule} → ${JSON.stringify(want, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
      assert.deepEqual(run(rule), want);
    });
  }

  const errors: [string, RegExp][] = [
    ['self.missing == 1', /no such key: missing/],
    ['self.size / 0', /division by zero/],
    ['self.size + 1.0', /no such overload/],
    ['self.tags[3]', /index out of bounds: 3/],
    ['self.size || true == false', /must be bool/],
    ['9223372036854775807 + 1', /integer overflow/],
    ['self.missing == 1 && true', /no such key/],
  ];
  for (const [rule, message] of errors) {
    it(`${rule} fails at run time`, () => {
      assert.throws(
        () => run(rule),
        (e) => e instanceof CelEvalError && message.test(e.message),
      );
    });
  }

  it('evaluates transition rules with oldSelf', () => {
    assert.equal(run('self == oldSelf', { self: 'a', oldSelf: 'a' }), true);
    assert.equal(run('self >= oldSelf', { self: 3n, oldSelf: 4n }), false);
  });
});

describe('CEL subset: parse and check', () => {
  const schema: CelType = {
    kind: 'object',
    fields: new Map<string, CelType>([
      ['gatewayNodepoolName', { kind: 'string' }],
      ['excludeCidrs', { kind: 'list', items: { kind: 'string' } }],
      ['profile', { kind: 'object', fields: new Map([['vmssName', { kind: 'string' }]]) }],
      ['labels', { kind: 'map', values: { kind: 'string' } }],
    ]),
  };
  const check = (rule: string): void =>
    checkCel(
      parseCel(rule),
      new Map([
        ['self', schema],
        ['oldSelf', schema],
      ]),
    );

  it('accepts rules over declared fields, map keys and iteration variables', () => {
    check('has(self.gatewayNodepoolName) && self.profile.vmssName != ""');
    check('self.labels.anything == "x"');
    check('self.excludeCidrs.all(c, isCIDR(c))');
    check('self.gatewayNodepoolName == oldSelf.gatewayNodepoolName');
  });

  const rejected: [string, new (...a: never[]) => Error, RegExp][] = [
    ['self.gatewayNodePoolName == ""', CelCheckError, /undefined field 'gatewayNodePoolName'/],
    ['self.profile.vmss == ""', CelCheckError, /undefined field 'vmss'/],
    ['other == 1', CelCheckError, /undeclared reference to 'other'/],
    ['self.gatewayNodepoolName.foo', CelCheckError, /does not support field selection/],
    [
      'self.gatewayNodepoolName.format("x")',
      CelUnsupportedError,
      /function <x>\.format\(\) is not supported/,
    ],
    ['quantity("1Gi")', CelUnsupportedError, /function quantity\(\) is not supported/],
    ['self.profile.?vmssName', CelUnsupportedError, /optional/],
    ['b"bytes" == b"bytes"', CelUnsupportedError, /bytes literals/],
    ['1u == 1u', CelUnsupportedError, /unsigned/],
    ['size(self.excludeCidrs, 1)', CelCheckError, /no matching overload/],
    ['self.excludeCidrs.all(c)', CelSyntaxError, /takes 2 arguments/],
    ['has(self)', CelSyntaxError, /invalid argument to has/],
    ['self.a ==', CelSyntaxError, /unexpected end/],
    ['"unterminated', CelSyntaxError, /unterminated/],
    ['self.a # b', CelSyntaxError, /unexpected character/],
  ];
  for (const [rule, type, message] of rejected) {
    it(`rejects ${rule}`, () => {
      assert.throws(
        () => check(rule),
        (e) => e instanceof type && message.test(e.message),
      );
    });
  }

  it('isIP and isCIDR follow the Kubernetes IP library', () => {
    for (const ok of ['10.0.0.1', '::1', '2001:db8::1', '::ffff:10.0.0.1'])
      assert.equal(celIsIP(ok), true, ok);
    for (const bad of ['010.0.0.1', '10.0.0', '1.2.3.4.5', 'fe80::1%eth0', 'gw'])
      assert.equal(celIsIP(bad), false, bad);
    for (const ok of ['10.0.0.0/8', '0.0.0.0/0', '2001:db8::/32']) assert.equal(celIsCIDR(ok), true, ok);
    for (const bad of ['10.0.0.0/33', '10.0.0.0', '::/129', '10.0.0.0/08'])
      assert.equal(celIsCIDR(bad), false, bad);
  });
});
