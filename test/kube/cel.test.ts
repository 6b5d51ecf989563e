/**
 * The stand-in's CEL for `x-kubernetes-validations`: rules typed from the schema and compiled at CRD
 * creation (@marcbachmann/cel-js plus the Kubernetes library functions it lacks), run on every write,
 * failures reported as the API server reports them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Json, JsonObject } from '../../infra/local/kube/json.js';
import {
  compileSchema,
  validateCustomResource,
  type JSONSchemaProps,
  type ValidationRule,
} from '../../infra/local/kube/schema/structuralSchema.js';
import {
  compileSchemaCel,
  CelCompileError,
  CelRuntimeError,
} from '../../infra/local/kube/cel/compileSchemaCel.js';
import { isKubernetesCIDR, isKubernetesIP } from '../../infra/local/kube/cel/kubernetesCelLibrary.js';
import { STATIC_GATEWAY_CONFIGURATION_SCHEMA } from '../../shared/core/staticGatewayConfigurationSchema.js';

/** A spec schema with a bit of everything rules look at. */
const spec: JSONSchemaProps = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    size: { type: 'integer' },
    ratio: { type: 'number' },
    on: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    nested: { type: 'object', properties: { inner: { type: 'string' } } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
    },
    backends: {
      type: 'object',
      additionalProperties: { type: 'object', properties: { weight: { type: 'integer' } } },
    },
    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    intOrString: { 'x-kubernetes-int-or-string': true },
    maybe: { type: 'string', nullable: true },
    url: { type: 'string' },
    absent: { type: 'integer' },
  },
};
const root: JSONSchemaProps = { type: 'object', properties: { spec } };

const value: JsonObject = {
  name: 'gw',
  size: 5,
  ratio: 0.5,
  on: true,
  tags: ['a', 'b', 'c'],
  nested: { inner: 'x' },
  labels: { team: 'net' },
  ports: [
    { name: 'wg', port: 6000 },
    { name: 'health', port: 8080 },
  ],
  backends: { east: { weight: 2 } },
  free: { deep: { n: 1 } },
  intOrString: '50%',
  maybe: null,
  url: 'https://gw.example.com:8443/healthz?probe=1',
};

const cel = compileSchemaCel(root);
function run(expression: string, self: Json = value, oldSelf?: Json): unknown {
  return cel.compile(spec, expression, 'bool')(self, oldSelf);
}

describe('CEL: evaluation with self typed from the schema', () => {
  const holds = [
    'has(self.name) && has(self.nested.inner) && !has(self.absent)',
    'self.size == 5 && self.size + 2 * 3 - 1 == 10 && self.size / 2 == 2 && -self.size % 3 == -2',
    'self.ratio * 2.0 == 1.0 && self.size > 4.5',
    'self.size > 4 && self.size <= 5 && self.name < "gx"',
    '!(!self.on || self.size > 100)',
    '(self.on ? "yes" : "no") == "yes"',
    'size(self.tags) == 3 && self.tags.size() == 3 && self.name.size() == 2',
    '"b" in self.tags && "team" in self.labels && self.labels.team == "net" && self.labels["team"] == "net"',
    'self.tags.exists(t, t == "b") && self.tags.all(t, t.size() == 1) && !self.tags.exists_one(t, t > "a")',
    '[has(self.name), has(self.nested), has(self.intOrString)].exists_one(x, x) == false',
    'self.tags.filter(t, t != "a") == ["b", "c"] && self.tags.map(t, t + "!") == ["a!", "b!", "c!"]',
    'self.tags.map(t, t != "a", t) == ["b", "c"]',
    'self.ports.all(p, p.port > 1024) && self.ports.exists(p, p.name == "wg" && p.port == 6000)',
    'self.ports[1].name == "health" && self.backends.east.weight == 2 && self.backends.all(k, k == "east")',
    'self.free.deep.n == 1 && has(self.free.deep)',
    'type(self.intOrString) == string ? self.intOrString.endsWith("%") : self.intOrString > 0',
    'self.maybe == null',
    'self.?absent.orValue(0) == 0 && self.?name.orValue("") == "gw"',
    'self.name.startsWith("g") && self.name.endsWith("w") && self.name.contains("w")',
    'self.name.matches("^g[a-z]+$") && matches(self.name, "w$")',
    '"AbC".lowerAscii() + "x".upperAscii() == "abcX" && "a,b".split(",").join("-") == "a-b"',
    'int("42") + 1 == 43 && string(7) + "x" == "7x" && double(1) == 1.0',
    "'single' + \"double\" + '''triple''' == 'singledoubletriple' && r\"\\d\" == \"\\\\d\"",
    'isCIDR("10.0.0.0/8") && !isCIDR("10.0.0.1") && isIP("::1") && !isIP("010.0.0.1")',
    'isURL(self.url) && url(self.url).getScheme() == "https" && url(self.url).getHostname() == "gw.example.com"',
    'url(self.url).getPort() == "8443" && url(self.url).getEscapedPath() == "/healthz"',
    'url(self.url).getQuery()["probe"] == ["1"] && !isURL("gw.example.com") && isURL("/healthz")',
    'self.absent == 1 || true',
    '!(false && self.absent == 1)',
  ];
  for (const rule of holds) {
    it(rule, () => assert.equal(run(rule), true));
  }

  it('compares objects and lists of objects structurally (transition rules)', () => {
    const changedPort = { ...value, ports: [{ name: 'wg', port: 6001 }] };
    assert.equal(run('self == oldSelf', value, structuredClone(value)), true);
    assert.equal(run('self == oldSelf', changedPort, value), false);
    assert.equal(
      run('self.nested == oldSelf.nested && self.ports != oldSelf.ports', changedPort, value),
      true,
    );
    assert.equal(run('self.backends == oldSelf.backends', value, { ...value, backends: {} }), false);
  });

  const failures: [string, string][] = [
    ['self.absent == 1', 'no such key: absent'],
    ['self.absent == 1 && true', 'no such key: absent'],
    ['self.size / 0 == 1', 'division by zero'],
    ['self.tags[3] == "d"', 'index out of bounds'],
    ['9223372036854775807 + self.size > 0', 'integer overflow'],
    ['self.name.matches("(")', 'Invalid regular expression'],
    ['url(self.name).getScheme() == ""', 'URL parse error during conversion from string: gw'],
  ];
  for (const [rule, message] of failures) {
    it(`${rule} fails at run time: ${message}`, () => {
      assert.throws(
        () => run(rule),
        (e) => e instanceof CelRuntimeError && e.message.includes(message),
      );
    });
  }
});

describe('CEL: compilation at CRD creation', () => {
  it('accepts rules over declared fields, map keys, iteration variables, oldSelf and root metadata', () => {
    for (const rule of [
      'has(self.name) && self.nested.inner != ""',
      'self.labels.anything == "x"',
      'self.tags.all(c, isCIDR(c))',
      'self.name == oldSelf.name',
    ])
      cel.compile(spec, rule, 'bool');
    cel.compile(root, 'self.metadata.name.startsWith("gw-") && self.kind == "X" && has(self.spec)', 'bool');
    cel.compile(spec, '"size is " + string(self.size)', 'string');
  });

  const rejected: [string, string][] = [
    ['self.nam == ""', "ERROR: <input>:1:6: undefined field 'nam'"],
    ['self.nested.inne == ""', "undefined field 'inne'"],
    ['self.ports.all(p, p.prt > 0)', "undefined field 'prt'"],
    ['has(self.nam)', "ERROR: <input>:1:10: undefined field 'nam'"],
    ['self.ports.all(p, has(p.nested.x))', "undefined field 'nested'"],
    ['other == 1', "ERROR: <input>:1:1: undeclared reference to 'other'"],
    ['self.name.foo == 1', "Cannot index type 'string'"],
    ['self.size == 5.0', 'no such overload: int == double'],
    ['size(self.tags, 1) == 1', "found no matching overload for 'size(list<string>, int)'"],
    ['self.name', 'cel expression must evaluate to a bool, not string'],
    ['self.a ==', 'Unexpected token: EOF'],
    ['"unterminated', 'Unterminated string'],
    ['has(self)', 'has() invalid argument'],
  ];
  for (const [rule, message] of rejected) {
    it(`rejects ${rule}: ${message}`, () => {
      assert.throws(
        () => cel.compile(spec, rule, 'bool'),
        (e) => e instanceof CelCompileError && e.message.includes(message),
      );
    });
  }

  it('only metadata.name and metadata.generateName are visible at the root, as in Kubernetes', () => {
    assert.throws(() => cel.compile(root, 'has(self.metadata.labels)', 'bool'), /undefined field 'labels'/);
  });

  it('names a Kubernetes library function the stand-in lacks, and where to add it', () => {
    for (const [rule, fn] of [
      ['quantity("1Gi").isInteger()', 'quantity'],
      ['self.name.format([1]) == ""', 'format'],
    ] as const)
      assert.throws(
        () => cel.compile(spec, rule, 'bool'),
        (e) =>
          e instanceof CelCompileError &&
          e.message.includes(`if ${fn}() is in Kubernetes' CEL libraries, the local stand-in lacks it`) &&
          e.message.includes('infra/local/kube/cel/kubernetesCelLibrary.ts'),
      );
  });

  it('a messageExpression must produce a string', () => {
    assert.throws(() => cel.compile(spec, 'self.size', 'string'), /must evaluate to a string, not int/);
  });

  it('compileSchema reports each rule that does not compile on its own field, naming the rule', () => {
    const c = compileSchema(
      {
        type: 'object',
        properties: {
          spec: {
            ...spec,
            'x-kubernetes-validations': [{ rule: 'self.size > 0' }, { rule: 'self.sise > 0' }],
            properties: {
              ...spec.properties,
              tags: { ...spec.properties!['tags']!, 'x-kubernetes-validations': [{ rule: 'self.x' }] },
            },
          },
        },
      },
      'spec.versions[0].schema.openAPIV3Schema',
    );
    assert.deepEqual(
      c.errors.map((e) => [e.field, e.message]),
      [
        [
          'spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[1].rule',
          `Invalid value: "self.sise > 0": compilation failed: ERROR: <input>:1:6: undefined field 'sise'`,
        ],
        [
          'spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.tags.x-kubernetes-validations[0].rule',
          `Invalid value: "self.x": compilation failed: ERROR: <input>:1:6: List index must be int, got 'string'`,
        ],
      ],
    );
  });
});

describe('CEL: failures as 422 field errors', () => {
  function problems(
    rules: readonly ValidationRule[],
    at: 'spec' | 'ports' | 'backends',
    v: Json,
    old?: Json,
  ): string[] {
    const withRules = (s: JSONSchemaProps): JSONSchemaProps => ({ ...s, 'x-kubernetes-validations': rules });
    const props = spec.properties!;
    const specSchema: JSONSchemaProps =
      at === 'spec'
        ? withRules(spec)
        : at === 'ports'
          ? {
              ...spec,
              properties: {
                ...props,
                ports: { ...props['ports']!, items: withRules(props['ports']!.items!) },
              },
            }
          : {
              ...spec,
              properties: {
                ...props,
                backends: {
                  ...props['backends']!,
                  additionalProperties: withRules(props['backends']!.additionalProperties as JSONSchemaProps),
                },
              },
            };
    const c = compileSchema({ type: 'object', properties: { spec: specSchema } }, 'openAPIV3Schema');
    assert.deepEqual(c.errors, []);
    const obj: JsonObject = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec: v };
    const prev = old === undefined ? undefined : { ...obj, spec: old };
    return validateCustomResource(obj, prev, c.schema).map((e) => `${e.field}: ${e.reason}: ${e.message}`);
  }

  it('message, messageExpression, the default message, reason and fieldPath', () => {
    assert.deepEqual(
      problems(
        [
          { rule: 'self.size < 5', message: 'size must be below 5' },
          { rule: 'self.size < 4', messageExpression: '"size is " + string(self.size)' },
          { rule: 'self.size < 3' },
          { rule: '!has(self.maybe)', fieldPath: '.maybe', reason: 'FieldValueForbidden' },
          { rule: 'self.size < 2', message: 'fallback', messageExpression: 'string(self.absent)' },
          { rule: 'self.size < 1', messageExpression: '" "' },
        ],
        'spec',
        value,
      ),
      [
        'spec: FieldValueInvalid: Invalid value: "object": size must be below 5',
        'spec: FieldValueInvalid: Invalid value: "object": size is 5',
        'spec: FieldValueInvalid: Invalid value: "object": failed rule: self.size < 3',
        'spec.maybe: FieldValueForbidden: Forbidden: failed rule: !has(self.maybe)',
        'spec: FieldValueInvalid: Invalid value: "object": fallback',
        'spec: FieldValueInvalid: Invalid value: "object": failed rule: self.size < 1',
      ],
    );
  });

  it('rules on list items and map values report the item path', () => {
    assert.deepEqual(problems([{ rule: 'self.port > 7000', message: 'low port' }], 'ports', value), [
      'spec.ports[0]: FieldValueInvalid: Invalid value: "object": low port',
    ]);
    assert.deepEqual(
      problems(
        [{ rule: 'self.weight > 2', messageExpression: '"weight " + string(self.weight)' }],
        'backends',
        value,
      ),
      ['spec.backends[east]: FieldValueInvalid: Invalid value: "object": weight 2'],
    );
  });

  it('a run-time error names the rule', () => {
    assert.deepEqual(problems([{ rule: 'self.nested.inner == "x"' }], 'spec', { ...value, nested: {} }), [
      'spec: FieldValueInvalid: Invalid value: "object": no such key: inner evaluating rule: self.nested.inner == "x"',
    ]);
  });

  it('transition rules run on update only, correlating listType=map items by key', () => {
    const immutablePort = [{ rule: 'self.port == oldSelf.port', message: 'port is immutable' }];
    assert.deepEqual(problems(immutablePort, 'ports', value), []);
    const moved = {
      ...value,
      ports: [
        { name: 'health', port: 8080 },
        { name: 'wg', port: 6001 },
      ],
    };
    assert.deepEqual(problems(immutablePort, 'ports', moved, value), [
      'spec.ports[1]: FieldValueInvalid: Invalid value: "object": port is immutable',
    ]);
    const added = { ...value, ports: [...(value['ports'] as Json[]), { name: 'new', port: 1 }] };
    assert.deepEqual(problems(immutablePort, 'ports', added, value), [], 'a new item has no oldSelf');
  });
});

describe("CEL: egret's own rules", () => {
  const schema = JSON.parse(JSON.stringify(STATIC_GATEWAY_CONFIGURATION_SCHEMA)) as JSONSchemaProps;
  const compiled = compileSchema(schema, 'openAPIV3Schema');
  const problems = (s: Json): string[] =>
    validateCustomResource(
      {
        apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
        kind: 'StaticGatewayConfiguration',
        metadata: { name: 'g' },
        spec: s,
      },
      undefined,
      compiled.schema,
    ).map((e) => `${e.field}: ${e.message}`);

  it('compile', () => assert.deepEqual(compiled.errors, []));

  it('exactly one pool selector', () => {
    assert.deepEqual(problems({ gatewayNodepoolName: 'gw', provisionPublicIps: true }), []);
    assert.deepEqual(
      problems({ gatewayProfile: { standaloneVMProfile: { vmNames: ['a'] } }, provisionPublicIps: true }),
      [],
    );
    const exactlyOne =
      'spec: Invalid value: "object": exactly one of gatewayNodepoolName, gatewayVmssProfile, gatewayProfile.vmssProfile or gatewayProfile.standaloneVMProfile must be set';
    assert.deepEqual(problems({ provisionPublicIps: true }), [exactlyOne]);
    assert.deepEqual(
      problems({
        gatewayNodepoolName: 'gw',
        gatewayVmssProfile: { vmssName: 'v' },
        provisionPublicIps: true,
      }),
      [exactlyOne],
    );
    assert.deepEqual(
      problems({
        gatewayNodepoolName: 'gw',
        gatewayVmssProfile: { publicIpPrefixSize: 0 },
        provisionPublicIps: true,
      }),
      [],
    );
  });

  it('publicIpPrefixId needs provisionPublicIps', () => {
    assert.deepEqual(
      problems({ gatewayNodepoolName: 'gw', provisionPublicIps: false, publicIpPrefixId: '' }),
      [],
    );
    assert.deepEqual(
      problems({ gatewayNodepoolName: 'gw', provisionPublicIps: false, publicIpPrefixId: '/x' }),
      ['spec.publicIpPrefixId: Forbidden: publicIpPrefixId can only be set when provisionPublicIps is true'],
    );
  });
});

describe('Kubernetes IP library predicates', () => {
  it('isIP and isCIDR follow netip: no leading zeros, no zones, prefix within the family', () => {
    for (const ok of [
      '10.0.0.1',
      '::1',
      '2001:db8::1',
      '::ffff:10.0.0.1',
      '::10.0.0.1',
      '1:2:3:4:5:6:10.0.0.1',
    ])
      assert.equal(isKubernetesIP(ok), true, ok);
    for (const bad of ['010.0.0.1', '10.0.0', '1.2.3.4.5', 'fe80::1%eth0', 'gw', '1:2:3:4:5:6:7:10.0.0.1'])
      assert.equal(isKubernetesIP(bad), false, bad);
    for (const ok of ['10.0.0.0/8', '0.0.0.0/0', '2001:db8::/32'])
      assert.equal(isKubernetesCIDR(ok), true, ok);
    for (const bad of ['10.0.0.0/33', '10.0.0.0', '::/129', '10.0.0.0/08'])
      assert.equal(isKubernetesCIDR(bad), false, bad);
  });
});
