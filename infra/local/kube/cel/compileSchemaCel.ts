/**
 * CEL for one CRD version's `openAPIV3Schema`, typed the way the apiextensions API server types it:
 * every object node (other than maps) becomes a CEL object type whose fields are its properties
 * (the root also gets `apiVersion`, `kind` and `metadata.name`/`metadata.generateName`), so a rule
 * naming an undeclared field fails at CRD creation (`undefined field 'x'`); `additionalProperties`
 * becomes `map<string, T>`, `items` `list<T>`, and `integer`/`number`/`string`/`boolean` the CEL
 * scalars. `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
 * `x-kubernetes-embedded-resource` and untyped nodes are `dyn`, and so are `nullable` ones (a null
 * must stay comparable with `null`). Objects compare with `==` structurally, as Kubernetes does for
 * `self == oldSelf`.
 *
 * Messages use cel-go's words where they mean the same (`undefined field`, `undeclared reference`,
 * `no such key`), with the position as `<input>:line:column`. Pure.
 */
import { EvaluationError, ParseError, type Environment } from '@marcbachmann/cel-js';
import { isJsonObject, type Json } from '../json.js';
import type { JSONSchemaProps } from '../schema/structuralSchema.js';
import { createKubernetesCelEnvironment } from './kubernetesCelLibrary.js';

/** A rule or messageExpression that does not parse or type-check; the message is cel-go-like. */
export class CelCompileError extends Error {}
/** A run-time error of a compiled expression (`no such key: x`, `division by zero`, ...). */
export class CelRuntimeError extends Error {}

/** A compiled expression, run with the JSON values of `self` and (on update) `oldSelf`. */
export type CelProgram = (self: Json, oldSelf: Json | undefined) => unknown;

/** The CEL environment of one schema: its types declared once, expressions compiled per node. */
export interface SchemaCel {
  /**
   * Parses and type-checks `expression` with `self` and `oldSelf` typed as `node` (a node of the
   * schema given to `compileSchemaCel`); `returns` is the type the result must have (`bool` for a
   * rule, `string` for a messageExpression).
   * @throws CelCompileError
   */
  compile(node: JSONSchemaProps, expression: string, returns: 'bool' | 'string'): CelProgram;
}

/** A schema node's CEL type and how its JSON values become values of that type. */
interface NodeType {
  /** `int`, `list<object.spec.items>`, `map<string, string>`, `object.spec`, `dyn`, ... */
  readonly cel: string;
  readonly toCel: (v: Json) => unknown;
}

/** The root's `metadata` as rules see it: Kubernetes exposes only these two fields. */
const ROOT_METADATA_FIELDS = ['name', 'generateName'] as const;

/** CEL equality: deep, numbers compared across int and double. */
function celEquals(a: unknown, b: unknown): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number'))
    return typeof a === typeof b ? a === b : Number(a) === Number(b);
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    return [...a].every(([k, v]) => b.has(k) && celEquals(v, b.get(k)));
  }
  if (typeof a === 'object' && a !== null) {
    if (typeof b !== 'object' || b === null || Array.isArray(b) || b instanceof Map) return false;
    const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
    const keys = Object.keys(x);
    return (
      keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && celEquals(x[k], y[k]))
    );
  }
  return a === b;
}

/** A JSON value where the schema says nothing: integers become int, objects maps. */
function dynValue(v: Json): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(dynValue);
  if (isJsonObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, dynValue(x)]));
  return v;
}

interface LibraryError {
  readonly code: string;
  readonly summary: string;
  readonly range?: { readonly start: number } | undefined;
}

/** Names of the functions the environment has, for telling a missing function from a wrong call. */
const KNOWN_FUNCTIONS = new Set(
  createKubernetesCelEnvironment()
    .getDefinitions()
    .functions.map((f) => f.name),
);

/** The library's message in cel-go's words where they mean the same thing. */
function celGoMessage(e: LibraryError, phase: 'check' | 'run'): string {
  const fn = /^found no matching overload for '(?:[^(]*\.)?(\w+)\(/.exec(e.summary)?.[1];
  if (e.code === 'no_matching_overload' && fn !== undefined && !KNOWN_FUNCTIONS.has(fn))
    return (
      `${e.summary} (if ${fn}() is in Kubernetes' CEL libraries, the local stand-in lacks it: ` +
      'register it in infra/local/kube/cel/kubernetesCelLibrary.ts)'
    );
  const key = /^No such key: (.*)$/s.exec(e.summary)?.[1];
  if (e.code === 'no_such_key' && key !== undefined)
    return phase === 'check' ? `undefined field '${key}'` : `no such key: ${key}`;
  const variable = /^Unknown variable: (.*)$/s.exec(e.summary)?.[1];
  if (e.code === 'unknown_variable' && variable !== undefined) return `undeclared reference to '${variable}'`;
  return e.summary;
}

interface AstNode {
  readonly op: string;
  readonly args: unknown;
  readonly pos: number;
  /** Set by the library's checker; not part of its typings. */
  readonly checkedType?: { readonly name: string };
}

function isAstNode(x: unknown): x is AstNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'args' in x;
}

/**
 * A field named in `has(...)` that its object type does not declare. cel-go rejects those at compile
 * time; the library checks field names everywhere but inside `has()`, so this walks the checked AST:
 * from the innermost operand, whose type the library's checker attached (an AST without it is simply
 * not checked here), down the chain of field selections through the schema's object types.
 */
function undeclaredHasField(
  node: unknown,
  fieldTypes: ReadonlyMap<string, ReadonlyMap<string, string>>,
): LibraryError | undefined {
  if (Array.isArray(node)) {
    for (const x of node) {
      const found = undeclaredHasField(x, fieldTypes);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isAstNode(node)) return undefined;
  const [fn, callArgs] = Array.isArray(node.args) ? (node.args as unknown[]) : [];
  if (node.op === 'call' && fn === 'has' && Array.isArray(callArgs)) {
    const selections: { readonly field: string; readonly pos: number }[] = [];
    let operand: unknown = callArgs[0];
    for (; isAstNode(operand) && operand.op === '.'; operand = (operand.args as unknown[])[0])
      selections.unshift({ field: (operand.args as [unknown, string])[1], pos: operand.pos });
    let type = isAstNode(operand) ? operand.checkedType?.name : undefined;
    for (const { field, pos } of selections) {
      const fields = fieldTypes.get(type ?? '');
      if (fields === undefined) break; // a map, dyn or unknown: nothing to check
      type = fields.get(field);
      if (type === undefined)
        return { code: 'no_such_key', summary: `No such key: ${field}`, range: { start: pos } };
    }
  }
  return undeclaredHasField(node.args, fieldTypes);
}

function compileError(expression: string, e: LibraryError): CelCompileError {
  const lines = expression.slice(0, e.range?.start ?? 0).split('\n');
  const at = e.range === undefined ? '' : `${lines.length}:${lines.at(-1)!.length + 1}:`;
  return new CelCompileError(`ERROR: <input>:${at} ${celGoMessage(e, 'check')}`);
}

/** Declares the CEL types of `root` and every node below it (see the module comment). */
export function compileSchemaCel(root: JSONSchemaProps): SchemaCel {
  const types = createKubernetesCelEnvironment().clone();
  const declared = new Map<JSONSchemaProps, NodeType>();
  const takenNames = new Set<string>();
  const fieldTypes = new Map<string, ReadonlyMap<string, string>>();

  /** Registers an object type: a class of its own (the library tells types apart by constructor). */
  const declareObject = (path: string, fields: Readonly<Record<string, NodeType>>): NodeType => {
    const base = path.replace(/[^\w.]/g, '_');
    let name = base;
    for (let i = 2; takenNames.has(name); i++) name = `${base}${i}`;
    takenNames.add(name);
    const ObjectValue = class extends Map<string, unknown> {};
    types.registerType(name, {
      ctor: ObjectValue,
      fields: Object.fromEntries(Object.entries(fields).map(([k, t]) => [k, t.cel])),
    });
    types.registerOperator(`${name} == ${name}`, celEquals);
    fieldTypes.set(name, new Map(Object.entries(fields).map(([k, t]) => [k, t.cel])));
    return {
      cel: name,
      toCel: (v) => {
        if (!isJsonObject(v)) return dynValue(v);
        const entries = Object.entries(fields).flatMap(([k, t]) => {
          const x = v[k];
          return x === undefined ? [] : [[k, x === null ? null : t.toCel(x)] as const];
        });
        return new ObjectValue(entries);
      },
    };
  };

  const declare = (s: JSONSchemaProps, path: string, isRoot: boolean): NodeType => {
    const known = declared.get(s);
    if (known !== undefined) return known;
    const children = Object.entries(s.properties ?? {}).map(
      ([k, v]) => [k, declare(v, `${path}.${k}`, false)] as const,
    );
    const items = s.items && declare(s.items, `${path}.items`, false);
    const values = isJsonObject(s.additionalProperties)
      ? declare(s.additionalProperties, `${path}.additionalProperties`, false)
      : undefined;
    const t = nodeType(s, path, isRoot, new Map(children), items, values);
    declared.set(s, t);
    return t;
  };

  const nodeType = (
    s: JSONSchemaProps,
    path: string,
    isRoot: boolean,
    properties: ReadonlyMap<string, NodeType>,
    items: NodeType | undefined,
    values: NodeType | undefined,
  ): NodeType => {
    const dyn: NodeType = { cel: 'dyn', toCel: dynValue };
    if (s['x-kubernetes-int-or-string'] || s.nullable) return dyn;
    switch (s.type) {
      case 'integer':
        return { cel: 'int', toCel: dynValue };
      case 'number':
        return { cel: 'double', toCel: (v) => v };
      case 'string':
        return { cel: 'string', toCel: (v) => v };
      case 'boolean':
        return { cel: 'bool', toCel: (v) => v };
      case 'array': {
        const item = items ?? dyn;
        return {
          cel: `list<${item.cel}>`,
          toCel: (v) => (Array.isArray(v) ? v.map((x) => item.toCel(x)) : v),
        };
      }
      case 'object': {
        if (values !== undefined)
          return {
            cel: `map<string, ${values.cel}>`,
            toCel: (v) =>
              isJsonObject(v)
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, values.toCel(x)]))
                : v,
          };
        if (s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-embedded-resource']) return dyn;
        const fields = Object.fromEntries(properties);
        if (isRoot) {
          const str: NodeType = { cel: 'string', toCel: (v) => v };
          fields['apiVersion'] = str;
          fields['kind'] = str;
          fields['metadata'] = declareObject(
            `${path}.metadata`,
            Object.fromEntries(ROOT_METADATA_FIELDS.map((k) => [k, str])),
          );
        }
        return declareObject(path, fields);
      }
      case undefined:
      default: // untyped, or (unchecked JSON) a type a structural schema does not have
        return dyn;
    }
  };

  declare(root, 'object', true);
  const variablesByNode = new Map<JSONSchemaProps, Environment>();

  return {
    compile(node, expression, returns) {
      const t = declared.get(node);
      if (t === undefined) throw new Error('compileSchemaCel: the node is not part of the schema');
      let env = variablesByNode.get(node);
      if (env === undefined) {
        env = types.clone().registerVariable('self', t.cel).registerVariable('oldSelf', t.cel);
        variablesByNode.set(node, env);
      }
      let parsed;
      try {
        parsed = env.parse(expression);
      } catch (e) {
        if (e instanceof ParseError) throw compileError(expression, e);
        throw e;
      }
      const checked = parsed.check();
      if (!checked.valid) throw compileError(expression, checked.error!);
      const hasError = undeclaredHasField(parsed.ast, fieldTypes);
      if (hasError !== undefined) throw compileError(expression, hasError);
      if (checked.type !== returns && checked.type !== 'dyn')
        throw new CelCompileError(
          `ERROR: <input>: cel expression must evaluate to a ${returns}, not ${checked.type}`,
        );
      return (self, oldSelf) => {
        const vars: Record<string, unknown> = { self: self === null ? null : t.toCel(self) };
        if (oldSelf !== undefined) vars['oldSelf'] = oldSelf === null ? null : t.toCel(oldSelf);
        try {
          return parsed(vars) as unknown;
        } catch (e) {
          if (e instanceof EvaluationError) throw new CelRuntimeError(celGoMessage(e, 'run'));
          throw e;
        }
      };
    },
  };
}
