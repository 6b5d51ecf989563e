/**
 * A parser and evaluator for the ARM template expression language, as far as egret's template uses it.
 * Tests use it to check the template statically (every `[...]` parses, every function is known, every
 * parameters()/variables() is declared) and to "deploy" it in memory (see armDeployment.ts).
 *
 * Language facts (learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions):
 * a string value is an expression when it starts with `[` and ends with `]`; `[[` escapes a literal
 * leading bracket; string literals are single-quoted with `''` for a quote; `.name` and `[index]`
 * access properties and elements; there are no operators, only functions (`if`, `equals`, ...).
 * `if()` evaluates only the branch it takes (template-functions-logical.md, "Remarks").
 */
import { createHash } from 'node:crypto';

export type Expr =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: 'property'; readonly target: Expr; readonly name: string }
  | { readonly kind: 'index'; readonly target: Expr; readonly index: Expr };

/** A template string: a literal, or an expression to evaluate. */
export type TemplateString =
  { readonly kind: 'literal'; readonly value: string } | { readonly kind: 'expression'; readonly expr: Expr };

export function parseTemplateString(s: string): TemplateString {
  if (s.startsWith('[[')) return { kind: 'literal', value: s.slice(1) };
  if (s.startsWith('[') && s.endsWith(']'))
    return { kind: 'expression', expr: parseExpression(s.slice(1, -1)) };
  return { kind: 'literal', value: s };
}

export function isExpression(s: string): boolean {
  return s.startsWith('[') && !s.startsWith('[[') && s.endsWith(']');
}

type Token =
  | { readonly t: 'ident'; readonly v: string }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: number }
  | { readonly t: 'punct'; readonly v: '(' | ')' | ',' | '.' | '[' | ']' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated string literal in [${text}]`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ t: 'string', v: value });
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+/.exec(text.slice(i));
      if (!m) throw new Error(`bad number at ${i} in [${text}]`);
      tokens.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else if ('(),.[]'.includes(c)) {
      tokens.push({ t: 'punct', v: c as '(' | ')' | ',' | '.' | '[' | ']' });
      i++;
    } else {
      throw new Error(`unexpected character ${JSON.stringify(c)} at ${i} in [${text}]`);
    }
  }
  return tokens;
}

/** Parses expression text (without the surrounding brackets). Throws on any syntax error. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const expectPunct = (v: string): void => {
    const tok = tokens[pos];
    if (tok?.t !== 'punct' || tok.v !== v) throw new Error(`expected '${v}' at token ${pos} in [${text}]`);
    pos++;
  };
  const primary = (): Expr => {
    const tok = tokens[pos++];
    if (tok === undefined) throw new Error(`unexpected end of [${text}]`);
    if (tok.t === 'string') return { kind: 'string', value: tok.v };
    if (tok.t === 'number') return { kind: 'number', value: tok.v };
    if (tok.t === 'ident') {
      expectPunct('(');
      const args: Expr[] = [];
      const next = peek();
      if (!(next?.t === 'punct' && next.v === ')')) {
        for (;;) {
          args.push(expression());
          const sep = peek();
          if (sep?.t === 'punct' && sep.v === ',') {
            pos++;
            continue;
          }
          break;
        }
      }
      expectPunct(')');
      return { kind: 'call', name: tok.v, args };
    }
    throw new Error(`unexpected '${String(tok.v)}' at token ${pos - 1} in [${text}]`);
  };
  const expression = (): Expr => {
    let e = primary();
    for (;;) {
      const tok = peek();
      if (tok?.t === 'punct' && tok.v === '.') {
        pos++;
        const name = tokens[pos++];
        if (name?.t !== 'ident') throw new Error(`expected a property name after '.' in [${text}]`);
        e = { kind: 'property', target: e, name: name.v };
      } else if (tok?.t === 'punct' && tok.v === '[') {
        pos++;
        const index = expression();
        expectPunct(']');
        e = { kind: 'index', target: e, index };
      } else {
        return e;
      }
    }
  };
  const e = expression();
  if (pos !== tokens.length) throw new Error(`trailing tokens after position ${pos} in [${text}]`);
  return e;
}

/** Every function call in an expression, depth first. */
export function calls(e: Expr): { name: string; args: readonly Expr[] }[] {
  switch (e.kind) {
    case 'string':
    case 'number':
      return [];
    case 'call':
      return [{ name: e.name, args: e.args }, ...e.args.flatMap(calls)];
    case 'property':
      return calls(e.target);
    case 'index':
      return [...calls(e.target), ...calls(e.index)];
  }
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

/** What an expression can see: everything else is a function of these. */
export interface EvalContext {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly resourceGroup: { readonly name: string; readonly location: string };
  /** `reference(idOrName, apiVersion?, 'Full'?)` */
  reference(id: string, full: boolean): unknown;
}

/** Functions this evaluator implements; a template using any other fails the tests. */
export const KNOWN_FUNCTIONS = new Set([
  'and',
  'concat',
  'createArray',
  'createObject',
  'empty',
  'environment',
  'equals',
  'extensionResourceId',
  'false',
  'format',
  'guid',
  'if',
  'not',
  'null',
  'or',
  'parameters',
  'reference',
  'resourceGroup',
  'resourceId',
  'split',
  'subscription',
  'subscriptionResourceId',
  'toLower',
  'true',
  'union',
  'uniqueString',
  'variables',
]);

const ARM_GUID_NAMESPACE = Buffer.from('11fb06fb712d4ddd98c7e71bbd588830', 'hex');

/**
 * ARM's guid(): an RFC 4122 version-5 (SHA-1, name-based) UUID in the namespace
 * 11fb06fb-712d-4ddd-98c7-e71bbd588830 over the arguments joined by '-' (Bicep string-functions docs).
 */
export function armGuid(...parts: readonly string[]): string {
  const h = createHash('sha1').update(ARM_GUID_NAMESPACE).update(parts.join('-'), 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A deterministic stand-in for uniqueString(): 13 lowercase base-32 characters (the shape ARM returns). */
export function armUniqueString(...parts: readonly string[]): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  let out = '';
  for (let i = 0; i < 13; i++) out += alphabet[h[i]! % 32];
  return out;
}

const str = (v: unknown, fn: string): string => {
  if (typeof v !== 'string') throw new Error(`${fn}() expects a string, got ${JSON.stringify(v)}`);
  return v;
};

/** Builds a resource id from (optional subscription, optional resource group), type and names. */
function buildResourceId(ctx: EvalContext, args: readonly unknown[], fn: string): string {
  const strings = args.map((a) => str(a, fn));
  const typeIndex = strings.findIndex((s) => s.includes('/'));
  if (typeIndex < 0) throw new Error(`${fn}() has no resource type argument`);
  const scopeArgs = strings.slice(0, typeIndex);
  const type = strings[typeIndex]!;
  const names = strings.slice(typeIndex + 1);
  const typeSegments = type.split('/');
  if (names.length !== typeSegments.length - 1)
    throw new Error(
      `${fn}('${type}', ...) needs ${typeSegments.length - 1} name segment(s), got ${names.length}`,
    );
  let path = typeSegments[0]!;
  typeSegments.slice(1).forEach((t, i) => (path += `/${t}/${names[i]!}`));
  if (fn === 'subscriptionResourceId') {
    const sub = scopeArgs[0] ?? ctx.subscriptionId;
    return `/subscriptions/${sub}/providers/${path}`;
  }
  const [sub, rg] =
    scopeArgs.length === 2
      ? [scopeArgs[0]!, scopeArgs[1]!]
      : scopeArgs.length === 1
        ? [ctx.subscriptionId, scopeArgs[0]!]
        : [ctx.subscriptionId, ctx.resourceGroup.name];
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${path}`;
}

export function evaluate(e: Expr, ctx: EvalContext): unknown {
  switch (e.kind) {
    case 'string':
      return e.value;
    case 'number':
      return e.value;
    case 'property': {
      const target = evaluate(e.target, ctx);
      if (target === null || typeof target !== 'object')
        throw new Error(`.${e.name} on a non-object (${JSON.stringify(target)})`);
      const found = Object.entries(target).find(([k]) => k.toLowerCase() === e.name.toLowerCase());
      if (found === undefined)
        throw new Error(`property ${e.name} does not exist on ${JSON.stringify(target)}`);
      return found[1];
    }
    case 'index': {
      const target = evaluate(e.target, ctx);
      const index = evaluate(e.index, ctx);
      if (Array.isArray(target)) {
        if (typeof index !== 'number' || index < 0 || index >= target.length)
          throw new Error(`index ${String(index)} is out of range for an array of ${target.length}`);
        return target[index] as unknown;
      }
      if (target !== null && typeof target === 'object' && typeof index === 'string')
        return (target as Record<string, unknown>)[index];
      throw new Error(`cannot index ${JSON.stringify(target)} with ${JSON.stringify(index)}`);
    }
    case 'call':
      return callFunction(e.name, e.args, ctx);
  }
}

function callFunction(name: string, argExprs: readonly Expr[], ctx: EvalContext): unknown {
  if (name === 'if') {
    if (argExprs.length !== 3) throw new Error('if() takes 3 arguments');
    const cond = evaluate(argExprs[0]!, ctx);
    if (typeof cond !== 'boolean') throw new Error(`if() condition is not a bool: ${JSON.stringify(cond)}`);
    return evaluate(cond ? argExprs[1]! : argExprs[2]!, ctx);
  }
  const args = argExprs.map((a) => evaluate(a, ctx));
  switch (name) {
    case 'parameters':
      return ctx.parameter(str(args[0], name));
    case 'variables':
      return ctx.variable(str(args[0], name));
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'equals':
      return JSON.stringify(args[0]) === JSON.stringify(args[1]);
    case 'not':
      if (typeof args[0] !== 'boolean') throw new Error('not() expects a bool');
      return !args[0];
    case 'and':
    case 'or': {
      if (!args.every((a) => typeof a === 'boolean')) throw new Error(`${name}() expects bools`);
      return name === 'and' ? args.every(Boolean) : args.some(Boolean);
    }
    case 'empty': {
      const v = args[0];
      if (v === null || v === undefined) return true;
      if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
      if (typeof v === 'object') return Object.keys(v).length === 0;
      throw new Error(`empty() of ${JSON.stringify(v)}`);
    }
    case 'concat':
      if (args.every((a) => Array.isArray(a))) return (args as unknown[][]).flat(1);
      return args.map((a) => str(a, name)).join('');
    case 'format': {
      const template = str(args[0], name);
      return template.replace(/\{(\d+)\}/g, (_, n: string) => {
        const v = args[Number(n) + 1];
        if (v === undefined) throw new Error(`format('${template}') has no argument ${n}`);
        return typeof v === 'string' ? v : JSON.stringify(v);
      });
    }
    case 'split':
      return str(args[0], name).split(str(args[1], name));
    case 'toLower':
      return str(args[0], name).toLowerCase();
    case 'createArray':
      return [...args];
    case 'union': {
      // Arrays: the items of all, each once (first occurrence order; equality by value, case-sensitive).
      if (!args.every((a) => Array.isArray(a))) throw new Error('union() of non-arrays is not supported');
      const seen = new Set<string>();
      return (args as unknown[][]).flat(1).filter((v) => {
        const key = JSON.stringify(v);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    case 'createObject': {
      if (args.length % 2 !== 0) throw new Error('createObject() takes key/value pairs');
      const o: Record<string, unknown> = {};
      for (let i = 0; i < args.length; i += 2) o[str(args[i], name)] = args[i + 1];
      return o;
    }
    case 'guid':
      return armGuid(...args.map((a) => str(a, name)));
    case 'uniqueString':
      return armUniqueString(...args.map((a) => str(a, name)));
    case 'subscription':
      return {
        id: `/subscriptions/${ctx.subscriptionId}`,
        subscriptionId: ctx.subscriptionId,
        tenantId: ctx.tenantId,
      };
    case 'resourceGroup':
      return {
        id: `/subscriptions/${ctx.subscriptionId}/resourceGroups/${ctx.resourceGroup.name}`,
        name: ctx.resourceGroup.name,
        location: ctx.resourceGroup.location,
      };
    case 'environment':
      return {
        name: 'AzureCloud',
        resourceManager: 'https://management.azure.com/',
        suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' },
      };
    case 'resourceId':
    case 'subscriptionResourceId':
      return buildResourceId(ctx, args, name);
    case 'extensionResourceId': {
      const [scope, type, ...names] = args.map((a) => str(a, name));
      const typeSegments = type!.split('/');
      if (names.length !== typeSegments.length - 1) throw new Error(`extensionResourceId('${type}') arity`);
      let path = typeSegments[0]!;
      typeSegments.slice(1).forEach((t, i) => (path += `/${t}/${names[i]!}`));
      return `${scope!}/providers/${path}`;
    }
    case 'reference':
      return ctx.reference(str(args[0], name), args[2] === 'Full');
    default:
      throw new Error(`function ${name}() is not supported by the test evaluator`);
  }
}

/** Evaluates every expression string inside a JSON value (object keys included), recursively. */
export function evaluateDeep(value: unknown, ctx: EvalContext): unknown {
  if (typeof value === 'string') {
    const t = parseTemplateString(value);
    return t.kind === 'literal' ? t.value : evaluate(t.expr, ctx);
  }
  if (Array.isArray(value)) return value.map((v) => evaluateDeep(v, ctx));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[String(evaluateDeep(k, ctx))] = evaluateDeep(v, ctx);
    return out;
  }
  return value;
}
