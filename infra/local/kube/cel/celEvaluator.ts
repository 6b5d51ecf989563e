/**
 * Type-checks (lightly) and evaluates the CEL subset of `celParser.ts`, with the semantics of
 * cel-go as Kubernetes configures it: int is a 64-bit integer (bigint here) distinct from double,
 * `||`/`&&` absorb an error when the other side decides the result, heterogeneous numeric
 * equality, macros all/exists/exists_one/filter/map, has(), size(), string methods
 * (startsWith, endsWith, contains, matches, lowerAscii, upperAscii, trim, split, join,
 * indexOf), the Kubernetes IP library predicates isIP/isCIDR, conversions int/double/string/dyn.
 * Anything else fails `checkCel` with a `CelUnsupportedError`, so a new CRD rule that needs more
 * is noticed when its CRD is created, not silently skipped. Pure.
 */
import { CelUnsupportedError, type CelExpr, type CelMap, type CelValue } from './celParser.js';

/** A run-time CEL error (`no such key: x`, `division by zero`, ...). */
export class CelEvalError extends Error {}
/** A compile-time (check) error: an undefined field or variable, a wrong argument count. */
export class CelCheckError extends Error {}

/** What the checker knows of a value's shape, derived from the CRD schema. */
export type CelType =
  | { readonly kind: 'object'; readonly fields: ReadonlyMap<string, CelType> }
  | { readonly kind: 'map'; readonly values: CelType }
  | { readonly kind: 'list'; readonly items: CelType }
  | { readonly kind: 'int' | 'double' | 'string' | 'bool' | 'intOrString' | 'dyn' };

const DYN: CelType = { kind: 'dyn' };

/** Methods (receiver-style calls) the evaluator implements, with their argument counts. */
const METHODS: Readonly<Record<string, readonly number[]>> = {
  size: [0],
  startsWith: [1],
  endsWith: [1],
  contains: [1],
  matches: [1],
  lowerAscii: [0],
  upperAscii: [0],
  trim: [0],
  split: [1],
  join: [0, 1],
  indexOf: [1],
};
/** Global functions the evaluator implements, with their argument counts. */
const FUNCTIONS: Readonly<Record<string, readonly number[]>> = {
  size: [1],
  matches: [2],
  int: [1],
  double: [1],
  string: [1],
  dyn: [1],
  isIP: [1],
  isCIDR: [1],
};

/**
 * Checks an AST against the declared variables (`self`, `oldSelf`, ...) and their types: unknown
 * variables, unknown fields of schema objects and unsupported functions are reported as a rule
 * author would see them from the real API server at CRD creation.
 */
export function checkCel(expr: CelExpr, vars: ReadonlyMap<string, CelType>): void {
  const typeOf = (e: CelExpr, env: ReadonlyMap<string, CelType>): CelType => {
    switch (e.k) {
      case 'lit':
        return typeof e.value === 'bigint'
          ? { kind: 'int' }
          : typeof e.value === 'number'
            ? { kind: 'double' }
            : typeof e.value === 'string'
              ? { kind: 'string' }
              : typeof e.value === 'boolean'
                ? { kind: 'bool' }
                : DYN;
      case 'ident': {
        const t = env.get(e.name);
        if (t === undefined) throw new CelCheckError(`undeclared reference to '${e.name}'`);
        return t;
      }
      case 'select':
      case 'has': {
        const t = typeOf(e.operand, env);
        return selectType(t, e.field);
      }
      case 'index': {
        const t = typeOf(e.operand, env);
        typeOf(e.index, env);
        if (t.kind === 'list') return t.items;
        if (t.kind === 'map') return t.values;
        return DYN;
      }
      case 'call': {
        const arities = e.target === undefined ? FUNCTIONS[e.fn] : METHODS[e.fn];
        if (arities === undefined)
          throw new CelUnsupportedError(
            `function ${e.target === undefined ? '' : '<x>.'}${e.fn}() is not supported by the local CEL evaluator`,
          );
        if (!arities.includes(e.args.length))
          throw new CelCheckError(
            `found no matching overload for '${e.fn}' with ${e.args.length} argument(s)`,
          );
        if (e.target !== undefined) typeOf(e.target, env);
        for (const a of e.args) typeOf(a, env);
        if (e.fn === 'size' || e.fn === 'int' || e.fn === 'indexOf') return { kind: 'int' };
        if (e.fn === 'dyn') return DYN;
        if (e.fn === 'double') return { kind: 'double' };
        if (
          e.fn === 'string' ||
          e.fn === 'lowerAscii' ||
          e.fn === 'upperAscii' ||
          e.fn === 'trim' ||
          e.fn === 'join'
        )
          return { kind: 'string' };
        if (e.fn === 'split') return { kind: 'list', items: { kind: 'string' } };
        return { kind: 'bool' };
      }
      case 'list':
        for (const i of e.items) typeOf(i, env);
        return { kind: 'list', items: DYN };
      case 'map':
        for (const [k, v] of e.entries) {
          typeOf(k, env);
          typeOf(v, env);
        }
        return { kind: 'map', values: DYN };
      case 'unary':
        return typeOf(e.operand, env);
      case 'binary': {
        const l = typeOf(e.left, env);
        typeOf(e.right, env);
        if (['==', '!=', '<', '<=', '>', '>=', 'in', '&&', '||'].includes(e.op)) return { kind: 'bool' };
        return l;
      }
      case 'cond':
        typeOf(e.test, env);
        typeOf(e.otherwise, env);
        return typeOf(e.then, env);
      case 'macro': {
        const t = typeOf(e.target, env);
        const elem = t.kind === 'list' ? t.items : t.kind === 'map' ? { kind: 'string' as const } : DYN;
        const inner = new Map(env).set(e.iterVar, elem);
        if (e.predicate !== undefined) typeOf(e.predicate, inner);
        const out = e.transform !== undefined ? typeOf(e.transform, inner) : elem;
        if (e.macro === 'filter') return { kind: 'list', items: elem };
        if (e.macro === 'map') return { kind: 'list', items: out };
        return { kind: 'bool' };
      }
    }
  };
  typeOf(expr, vars);
}

function selectType(t: CelType, field: string): CelType {
  switch (t.kind) {
    case 'object': {
      const f = t.fields.get(field);
      if (f === undefined) throw new CelCheckError(`undefined field '${field}'`);
      return f;
    }
    case 'map':
      return t.values;
    case 'dyn':
      return DYN;
    case 'list':
    case 'int':
    case 'double':
    case 'string':
    case 'bool':
    case 'intOrString':
      throw new CelCheckError(`type '${t.kind}' does not support field selection`);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function checkedInt(v: bigint): bigint {
  if (v < INT64_MIN || v > INT64_MAX) throw new CelEvalError('integer overflow');
  return v;
}

function typeName(v: CelValue): string {
  if (v === null) return 'null_type';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  return 'map';
}

function isMap(v: CelValue): v is CelMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function noOverload(op: string, ...args: CelValue[]): CelEvalError {
  return new CelEvalError(`no such overload: ${op}(${args.map(typeName).join(', ')})`);
}

/** CEL equality: deep, with numbers compared across int and double. */
export function celEquals(a: CelValue, b: CelValue): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number'))
    return typeof a === typeof b ? a === b : Number(a) === Number(b);
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]!));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && celEquals(a[k]!, b[k]!))
    );
  }
  return a === b;
}

function compare(op: string, a: CelValue, b: CelValue): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    const x = typeof a === typeof b ? a : Number(a);
    const y = typeof a === typeof b ? b : Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw noOverload(op, a, b);
}

function asBool(v: CelValue, what: string): boolean {
  if (typeof v !== 'boolean') throw new CelEvalError(`${what} must be bool, got ${typeName(v)}`);
  return v;
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (s.includes('%')) return false;
  let head = s;
  let groupsNeeded = 8;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    if (!isIPv4(v4[1]!)) return false;
    head = s.slice(0, s.length - v4[1]!.length - 1) + ':';
    if (head.endsWith('::')) head = head.slice(0, -1);
    else head = head.slice(0, -1);
    groupsNeeded = 6;
  }
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const dbl = head.split('::');
  if (dbl.length > 2) return false;
  const groups = (x: string): string[] => (x === '' ? [] : x.split(':'));
  if (dbl.length === 2) {
    const all = [...groups(dbl[0]!), ...groups(dbl[1]!)];
    return all.length < groupsNeeded && all.every((g) => hex.test(g));
  }
  const all = groups(head);
  return all.length === groupsNeeded && all.every((g) => hex.test(g));
}

/** Kubernetes `isIP()`: canonical-enough IPv4 (no leading zeros) or IPv6 without zone. */
export function celIsIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** Kubernetes `isCIDR()`: an IP and a prefix length within the family's range. */
export function celIsCIDR(s: string): boolean {
  const m = /^([^/]+)\/(0|[1-9]\d*)$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  if (isIPv4(m[1]!)) return bits <= 32;
  if (isIPv6(m[1]!)) return bits <= 128;
  return false;
}

function size(v: CelValue): bigint {
  if (typeof v === 'string') return BigInt([...v].length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (isMap(v)) return BigInt(Object.keys(v).length);
  throw noOverload('size', v);
}

function str(v: CelValue, fn: string): string {
  if (typeof v !== 'string') throw noOverload(fn, v);
  return v;
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch (e) {
    throw new CelEvalError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

function callMethod(fn: string, target: CelValue, args: readonly CelValue[]): CelValue {
  switch (fn) {
    case 'size':
      return size(target);
    case 'startsWith':
      return str(target, fn).startsWith(str(args[0]!, fn));
    case 'endsWith':
      return str(target, fn).endsWith(str(args[0]!, fn));
    case 'contains':
      return str(target, fn).includes(str(args[0]!, fn));
    case 'matches':
      return regex(str(args[0]!, fn)).test(str(target, fn));
    case 'lowerAscii':
      return str(target, fn).replace(/[A-Z]/g, (c) => c.toLowerCase());
    case 'upperAscii':
      return str(target, fn).replace(/[a-z]/g, (c) => c.toUpperCase());
    case 'trim':
      return str(target, fn).trim();
    case 'split':
      return str(target, fn).split(str(args[0]!, fn));
    case 'indexOf':
      return BigInt([...str(target, fn)].join('').indexOf(str(args[0]!, fn)));
    case 'join': {
      if (!Array.isArray(target)) throw noOverload(fn, target);
      const sep = args.length > 0 ? str(args[0]!, fn) : '';
      return target.map((x) => str(x, fn)).join(sep);
    }
    default:
      throw new CelUnsupportedError(`function <x>.${fn}() is not supported by the local CEL evaluator`);
  }
}

function callFunction(fn: string, args: readonly CelValue[]): CelValue {
  const a = args[0]!;
  switch (fn) {
    case 'size':
      return size(a);
    case 'matches':
      return regex(str(args[1]!, fn)).test(str(a, fn));
    case 'dyn':
      return a;
    case 'int':
      if (typeof a === 'bigint') return a;
      if (typeof a === 'number') {
        if (!Number.isFinite(a)) throw new CelEvalError('double out of int range');
        return checkedInt(BigInt(Math.trunc(a)));
      }
      if (typeof a === 'string' && /^-?\d+$/.test(a)) return checkedInt(BigInt(a));
      throw new CelEvalError(`cannot convert ${typeName(a)} to int`);
    case 'double':
      if (typeof a === 'bigint' || typeof a === 'number') return Number(a);
      if (typeof a === 'string' && a.trim() !== '' && !Number.isNaN(Number(a))) return Number(a);
      throw new CelEvalError(`cannot convert ${typeName(a)} to double`);
    case 'string':
      if (typeof a === 'string') return a;
      if (typeof a === 'bigint' || typeof a === 'boolean') return String(a);
      if (typeof a === 'number') return Number.isInteger(a) ? `${a}` : String(a);
      throw noOverload(fn, a);
    case 'isIP':
      return celIsIP(str(a, fn));
    case 'isCIDR':
      return celIsCIDR(str(a, fn));
    default:
      throw new CelUnsupportedError(`function ${fn}() is not supported by the local CEL evaluator`);
  }
}

function arith(op: string, a: CelValue, b: CelValue): CelValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    switch (op) {
      case '+':
        return checkedInt(a + b);
      case '-':
        return checkedInt(a - b);
      case '*':
        return checkedInt(a * b);
      case '/':
        if (b === 0n) throw new CelEvalError('division by zero');
        return checkedInt(a / b);
      case '%':
        if (b === 0n) throw new CelEvalError('modulus by zero');
        return a % b;
    }
  }
  if (typeof a === 'number' && typeof b === 'number' && op !== '%') {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return a / b;
    }
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  throw noOverload(op, a, b);
}

function iterate(v: CelValue, macro: string): CelValue[] {
  if (Array.isArray(v)) return v;
  if (isMap(v)) return Object.keys(v);
  throw noOverload(macro, v);
}

/** Evaluates an AST with the given variables. Throws `CelEvalError` for run-time errors. */
export function evaluateCel(expr: CelExpr, vars: ReadonlyMap<string, CelValue>): CelValue {
  const ev = (e: CelExpr, env: ReadonlyMap<string, CelValue>): CelValue => {
    switch (e.k) {
      case 'lit':
        return e.value;
      case 'ident': {
        if (!env.has(e.name)) throw new CelEvalError(`undeclared reference to '${e.name}'`);
        return env.get(e.name)!;
      }
      case 'select': {
        const o = ev(e.operand, env);
        if (!isMap(o)) throw new CelEvalError(`no such key: ${e.field}`);
        if (!Object.hasOwn(o, e.field)) throw new CelEvalError(`no such key: ${e.field}`);
        return o[e.field]!;
      }
      case 'has': {
        const o = ev(e.operand, env);
        if (!isMap(o)) throw new CelEvalError(`invalid type for field selection: ${typeName(o)}`);
        return Object.hasOwn(o, e.field);
      }
      case 'index': {
        const o = ev(e.operand, env);
        const i = ev(e.index, env);
        if (Array.isArray(o)) {
          if (typeof i !== 'bigint' && !(typeof i === 'number' && Number.isInteger(i)))
            throw noOverload('_[_]', o, i);
          const n = Number(i);
          if (n < 0 || n >= o.length) throw new CelEvalError(`index out of bounds: ${n}`);
          return o[n]!;
        }
        if (isMap(o)) {
          const k = typeof i === 'string' ? i : JSON.stringify(typeof i === 'bigint' ? i.toString() : i);
          if (!Object.hasOwn(o, k)) throw new CelEvalError(`no such key: ${k}`);
          return o[k]!;
        }
        throw noOverload('_[_]', o, i);
      }
      case 'call': {
        if (e.target !== undefined)
          return callMethod(
            e.fn,
            ev(e.target, env),
            e.args.map((a) => ev(a, env)),
          );
        return callFunction(
          e.fn,
          e.args.map((a) => ev(a, env)),
        );
      }
      case 'list':
        return e.items.map((i) => ev(i, env));
      case 'map': {
        const out: CelMap = {};
        for (const [k, v] of e.entries) {
          const key = ev(k, env);
          if (typeof key !== 'string')
            throw new CelUnsupportedError('map literals with non-string keys are not supported');
          if (Object.hasOwn(out, key)) throw new CelEvalError(`Failed with repeated key: ${key}`);
          out[key] = ev(v, env);
        }
        return out;
      }
      case 'unary': {
        const v = ev(e.operand, env);
        if (e.op === '!') return !asBool(v, 'operand of !');
        if (typeof v === 'bigint') return checkedInt(-v);
        if (typeof v === 'number') return -v;
        throw noOverload('-_', v);
      }
      case 'binary':
        return binary(e.op, e.left, e.right, env);
      case 'cond':
        return asBool(ev(e.test, env), 'ternary condition') ? ev(e.then, env) : ev(e.otherwise, env);
      case 'macro':
        return macro(e, env);
    }
  };

  const logical = (op: '&&' | '||', l: CelExpr, r: CelExpr, env: ReadonlyMap<string, CelValue>): boolean => {
    const decisive = op === '||';
    let leftError: CelEvalError | undefined;
    try {
      const lv = asBool(ev(l, env), `operand of ${op}`);
      if (lv === decisive) return decisive;
    } catch (err) {
      if (!(err instanceof CelEvalError)) throw err;
      leftError = err;
    }
    const rv = asBool(ev(r, env), `operand of ${op}`);
    if (rv === decisive) return decisive;
    if (leftError !== undefined) throw leftError;
    return !decisive;
  };

  const binary = (op: string, l: CelExpr, r: CelExpr, env: ReadonlyMap<string, CelValue>): CelValue => {
    if (op === '&&' || op === '||') return logical(op, l, r, env);
    const a = ev(l, env);
    const b = ev(r, env);
    switch (op) {
      case '==':
        return celEquals(a, b);
      case '!=':
        return !celEquals(a, b);
      case '<':
        return compare(op, a, b) < 0;
      case '<=':
        return compare(op, a, b) <= 0;
      case '>':
        return compare(op, a, b) > 0;
      case '>=':
        return compare(op, a, b) >= 0;
      case 'in':
        if (Array.isArray(b)) return b.some((x) => celEquals(x, a));
        if (isMap(b)) return typeof a === 'string' && Object.hasOwn(b, a);
        throw noOverload('@in', a, b);
      default:
        return arith(op, a, b);
    }
  };

  const macro = (e: Extract<CelExpr, { k: 'macro' }>, env: ReadonlyMap<string, CelValue>): CelValue => {
    const items = iterate(ev(e.target, env), e.macro);
    const withVar = (x: CelValue): Map<string, CelValue> => new Map(env).set(e.iterVar, x);
    const test = (x: CelValue): boolean => asBool(ev(e.predicate!, withVar(x)), `${e.macro}() predicate`);
    switch (e.macro) {
      case 'all':
      case 'exists': {
        const decisive = e.macro === 'exists';
        let firstError: CelEvalError | undefined;
        for (const x of items) {
          try {
            if (test(x) === decisive) return decisive;
          } catch (err) {
            if (!(err instanceof CelEvalError)) throw err;
            firstError ??= err;
          }
        }
        if (firstError !== undefined) throw firstError;
        return !decisive;
      }
      case 'exists_one':
        return items.filter(test).length === 1;
      case 'filter':
        return items.filter(test);
      case 'map':
        return (e.predicate === undefined ? items : items.filter(test)).map((x) =>
          ev(e.transform!, withVar(x)),
        );
    }
  };

  return ev(expr, vars);
}
