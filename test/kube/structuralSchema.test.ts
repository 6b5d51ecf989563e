import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Json, JsonObject } from '../../infra/local/kube/json.js';
import {
  applyDefaults,
  compileSchema,
  pruneUnknown,
  validateCustomResource,
  type JSONSchemaProps,
} from '../../infra/local/kube/schema/structuralSchema.js';

function compiled(spec: JSONSchemaProps): ReturnType<typeof compileSchema>['schema'] {
  const c = compileSchema({ type: 'object', properties: { spec } }, 'openAPIV3Schema');
  assert.deepEqual(c.errors, []);
  return c.schema;
}

function problems(spec: JSONSchemaProps, value: Json, old?: Json): string[] {
  const obj: JsonObject = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec: value };
  const prev: JsonObject | undefined = old === undefined ? undefined : { ...obj, spec: old };
  return validateCustomResource(obj, prev, compiled(spec)).map((e) => `${e.field}: ${e.message}`);
}

describe('structural schema validation', () => {
  const cases: [string, JSONSchemaProps, Json, string[]][] = [
    [
      'type string',
      { type: 'string' },
      5,
      ['spec: Invalid value: "integer": spec in body must be of type string: "integer"'],
    ],
    [
      'type integer rejects 1.5',
      { type: 'integer' },
      1.5,
      ['spec: Invalid value: "number": spec in body must be of type integer: "number"'],
    ],
    [
      'type boolean',
      { type: 'boolean' },
      'true',
      ['spec: Invalid value: "string": spec in body must be of type boolean: "string"'],
    ],
    [
      'null not nullable',
      { type: 'string' },
      null,
      ['spec: Invalid value: "null": spec in body must be of type string: "null"'],
    ],
    ['null nullable', { type: 'string', nullable: true }, null, []],
    ['int-or-string int', { 'x-kubernetes-int-or-string': true }, 3, []],
    ['int-or-string string', { 'x-kubernetes-int-or-string': true }, '50%', []],
    [
      'int-or-string bool',
      { 'x-kubernetes-int-or-string': true },
      true,
      ['spec: Invalid value: "boolean": spec in body must be of type integer,string: "boolean"'],
    ],
    [
      'enum',
      { type: 'string', enum: ['a', 'b'] },
      'c',
      ['spec: Unsupported value: "c": supported values: "a", "b"'],
    ],
    [
      'minimum',
      { type: 'integer', minimum: 0 },
      -1,
      ['spec: Invalid value: -1: spec in body should be greater than or equal to 0'],
    ],
    [
      'maximum',
      { type: 'integer', maximum: 31 },
      40,
      ['spec: Invalid value: 40: spec in body should be less than or equal to 31'],
    ],
    [
      'exclusiveMaximum',
      { type: 'number', maximum: 1, exclusiveMaximum: true },
      1,
      ['spec: Invalid value: 1: spec in body should be less than 1'],
    ],
    [
      'multipleOf',
      { type: 'integer', multipleOf: 2 },
      3,
      ['spec: Invalid value: 3: spec in body should be a multiple of 2'],
    ],
    ['maxLength', { type: 'string', maxLength: 3 }, 'abcd', ['spec: Too long: may not be longer than 3']],
    [
      'minLength',
      { type: 'string', minLength: 1 },
      '',
      ['spec: Invalid value: "": spec in body should be at least 1 chars long'],
    ],
    [
      'pattern',
      { type: 'string', pattern: '^[a-z]+$' },
      'A1',
      ['spec: Invalid value: "A1": spec in body should match \'^[a-z]+$\''],
    ],
    [
      'format uuid',
      { type: 'string', format: 'uuid' },
      'nope',
      ['spec: Invalid value: "nope": spec in body must be of type uuid: "nope"'],
    ],
    ['format cidr ok', { type: 'string', format: 'cidr' }, '10.0.0.0/16', []],
    [
      'format ipv4',
      { type: 'string', format: 'ipv4' },
      '300.1.1.1',
      ['spec: Invalid value: "300.1.1.1": spec in body must be of type ipv4: "300.1.1.1"'],
    ],
    ['format date-time ok', { type: 'string', format: 'date-time' }, '2026-01-02T03:04:05Z', []],
    ['format int32 is not checked for strings', { type: 'integer', format: 'int32' }, 7, []],
    ['unknown format ignored', { type: 'string', format: 'whatever' }, 'x', []],
    [
      'maxItems',
      { type: 'array', items: { type: 'string' }, maxItems: 1 },
      ['a', 'b'],
      ['spec: Too many: 2: must have at most 1 items'],
    ],
    [
      'minItems',
      { type: 'array', items: { type: 'string' }, minItems: 1 },
      [],
      ['spec: Invalid value: 0: spec in body should have at least 1 items'],
    ],
    [
      'items typed',
      { type: 'array', items: { type: 'string' } },
      ['a', 2],
      ['spec[1]: Invalid value: "integer": spec[1] in body must be of type string: "integer"'],
    ],
    [
      'list-type set',
      { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
      ['a', 'a'],
      ['spec[1]: Duplicate value: "a"'],
    ],
    [
      'list-type map',
      {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'integer' } } },
      },
      [
        { name: 'a', v: 1 },
        { name: 'a', v: 2 },
      ],
      ['spec[1]: Duplicate value: {"name":"a"}'],
    ],
    [
      'required',
      { type: 'object', required: ['a', 'b'], properties: { a: { type: 'string' }, b: { type: 'string' } } },
      { a: 'x' },
      ['spec.b: Required value'],
    ],
    [
      'nested path',
      {
        type: 'object',
        properties: { p: { type: 'object', properties: { size: { type: 'integer', maximum: 31 } } } },
      },
      { p: { size: 32 } },
      ['spec.p.size: Invalid value: 32: spec.p.size in body should be less than or equal to 31'],
    ],
    [
      'additionalProperties',
      { type: 'object', additionalProperties: { type: 'integer' } },
      { a: 1, b: 'x' },
      ['spec[b]: Invalid value: "string": spec[b] in body must be of type integer: "string"'],
    ],
    [
      'maxProperties',
      { type: 'object', maxProperties: 1, additionalProperties: { type: 'string' } },
      { a: 'x', b: 'y' },
      ['spec: Too many: 2: must have at most 1 items'],
    ],
    [
      'oneOf',
      {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' } },
        oneOf: [{ required: ['a'] }, { required: ['b'] }],
      },
      { a: 'x', b: 'y' },
      ['spec: Invalid value: "object": spec in body must match exactly one schema in oneOf'],
    ],
    [
      'anyOf ok',
      {
        type: 'object',
        properties: { a: { type: 'string' } },
        anyOf: [{ required: ['a'] }, { required: ['b'] }],
      },
      { a: 'x' },
      [],
    ],
    [
      'not',
      { type: 'string', not: { enum: ['forbidden'] } },
      'forbidden',
      ['spec: Invalid value: "string": spec in body should not match the schema in not'],
    ],
    [
      'CEL with message',
      {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' } },
        'x-kubernetes-validations': [{ rule: 'has(self.a) != has(self.b)', message: 'exactly one of a, b' }],
      },
      { a: 'x', b: 'y' },
      ['spec: Invalid value: "object": exactly one of a, b'],
    ],
    [
      'CEL without message, with fieldPath and reason',
      {
        type: 'object',
        properties: { id: { type: 'string' }, on: { type: 'boolean' } },
        'x-kubernetes-validations': [
          { rule: '!has(self.id) || self.on', fieldPath: '.id', reason: 'FieldValueForbidden' },
        ],
      },
      { id: 'x', on: false },
      ['spec.id: Forbidden: failed rule: !has(self.id) || self.on'],
    ],
    [
      'CEL messageExpression',
      {
        type: 'object',
        properties: { n: { type: 'integer' } },
        'x-kubernetes-validations': [{ rule: 'self.n < 10', messageExpression: '"n is " + string(self.n)' }],
      },
      { n: 12 },
      ['spec: Invalid value: "object": n is 12'],
    ],
    [
      'CEL runtime error names the rule',
      {
        type: 'object',
        properties: { n: { type: 'integer' } },
        'x-kubernetes-validations': [{ rule: 'self.n > 0' }],
      },
      {},
      ['spec: Invalid value: "object": no such key: n evaluating rule: self.n > 0'],
    ],
    [
      'CEL on a list of strings',
      {
        type: 'array',
        items: { type: 'string' },
        'x-kubernetes-validations': [{ rule: 'self.all(c, isCIDR(c))', message: 'CIDRs only' }],
      },
      ['10.0.0.0/8', 'x'],
      ['spec: Invalid value: "array": CIDRs only'],
    ],
    [
      'CEL rules are not run below a type error',
      {
        type: 'object',
        properties: { n: { type: 'integer' } },
        'x-kubernetes-validations': [{ rule: 'self.n > 0' }],
      },
      { n: 'x' },
      ['spec.n: Invalid value: "string": spec.n in body must be of type integer: "string"'],
    ],
  ];
  for (const [name, schema, value, want] of cases) {
    it(name, () => {
      assert.deepEqual(problems(schema, value), want);
    });
  }

  it('evaluates transition rules only on update, with oldSelf', () => {
    const immutable: JSONSchemaProps = {
      type: 'object',
      properties: {
        pool: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'pool is immutable' }],
        },
      },
    };
    assert.deepEqual(problems(immutable, { pool: 'a' }), []);
    assert.deepEqual(problems(immutable, { pool: 'b' }, { pool: 'a' }), [
      'spec.pool: Invalid value: "string": pool is immutable',
    ]);
    assert.deepEqual(problems(immutable, { pool: 'a' }, { pool: 'a' }), []);
    assert.deepEqual(problems(immutable, { pool: 'a' }, {}), [], 'no old value: the rule is skipped');
  });
});

describe('pruning and defaulting', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          route: { type: 'string', default: 'staticEgressGateway' },
          public: { type: 'boolean', default: true },
          maybe: { type: 'string', nullable: true, default: 'd' },
          profile: { type: 'object', properties: { size: { type: 'integer', default: 31 } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          list: {
            type: 'array',
            items: { type: 'object', properties: { k: { type: 'string', default: 'v' } } },
          },
          map: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { x: { type: 'integer', default: 1 } } },
          },
        },
      },
    },
  };

  it('prunes unknown fields everywhere except preserved subtrees and root metadata', () => {
    const obj: JsonObject = {
      apiVersion: 'a/v1',
      kind: 'K',
      metadata: { name: 'n', labels: { a: 'b' } },
      extra: 1,
      spec: {
        nope: 1,
        free: { anything: { deep: true } },
        profile: { size: 1, junk: 2 },
        list: [{ k: 'a', z: 1 }],
        map: { m: { x: 2, y: 3 } },
      },
    };
    const pruned = pruneUnknown(obj, schema);
    assert.deepEqual(pruned.sort(), [
      'extra',
      'spec.list[0].z',
      'spec.map[m].y',
      'spec.nope',
      'spec.profile.junk',
    ]);
    assert.deepEqual(obj, {
      apiVersion: 'a/v1',
      kind: 'K',
      metadata: { name: 'n', labels: { a: 'b' } },
      spec: {
        free: { anything: { deep: true } },
        profile: { size: 1 },
        list: [{ k: 'a' }],
        map: { m: { x: 2 } },
      },
    });
  });

  it('defaults absent fields and non-nullable nulls, only inside objects that exist', () => {
    const obj: JsonObject = {
      spec: { public: null, maybe: null, profile: {}, list: [{}, { k: 'set' }], map: { m: {} } },
    };
    applyDefaults(obj, schema);
    assert.deepEqual(obj, {
      spec: {
        route: 'staticEgressGateway',
        public: true,
        maybe: null,
        profile: { size: 31 },
        list: [{ k: 'v' }, { k: 'set' }],
        map: { m: { x: 1 } },
      },
    });
    const bare: JsonObject = {};
    applyDefaults(bare, schema);
    assert.deepEqual(bare, {}, 'spec is absent, so nothing inside it is defaulted');
  });

  it('reports schema problems at CRD creation: missing types, bad patterns, CEL that does not compile', () => {
    const c = compileSchema(
      {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: { untyped: {}, bad: { type: 'string', pattern: '(' } },
            'x-kubernetes-validations': [{ rule: 'self.nope == 1' }, { rule: 'self.bad.reverse()' }],
          },
        },
      },
      'spec.versions[0].schema.openAPIV3Schema',
    );
    assert.deepEqual(
      c.errors.map((e) => e.field),
      [
        'spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[0].rule',
        'spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[1].rule',
        'spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.untyped.type',
        'spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.bad.pattern',
      ],
    );
    assert.match(
      c.errors[1]!.message,
      /found no matching overload for 'string\.reverse\(\)'.*kubernetesCelLibrary/,
    );
  });
});
