/**
 * A parser for the subset of CEL (github.com/google/cel-spec, langdef.md) that Kubernetes
 * `x-kubernetes-validations` rules use. It accepts the full expression grammar (ternary, ||, &&,
 * relations incl. `in`, arithmetic, unary, member/index/call, list and map literals) and rejects,
 * with a `CelUnsupportedError`, what the evaluator does not implement (bytes literals, message
 * construction, optional `?.`). Pure.
 */

/** A CEL value at run time: int is bigint, double is number, maps are plain objects. */
export type CelValue = bigint | number | string | boolean | null | CelValue[] | CelMap;
export interface CelMap {
  [key: string]: CelValue;
}

export type CelExpr =
  | { readonly k: 'lit'; readonly value: CelValue }
  | { readonly k: 'ident'; readonly name: string }
  | { readonly k: 'select'; readonly operand: CelExpr; readonly field: string }
  | { readonly k: 'index'; readonly operand: CelExpr; readonly index: CelExpr }
  | {
      readonly k: 'call';
      readonly fn: string;
      readonly target: CelExpr | undefined;
      readonly args: readonly CelExpr[];
    }
  | { readonly k: 'list'; readonly items: readonly CelExpr[] }
  | { readonly k: 'map'; readonly entries: readonly (readonly [CelExpr, CelExpr])[] }
  | { readonly k: 'unary'; readonly op: '!' | '-'; readonly operand: CelExpr }
  | { readonly k: 'binary'; readonly op: BinaryOp; readonly left: CelExpr; readonly right: CelExpr }
  | { readonly k: 'cond'; readonly test: CelExpr; readonly then: CelExpr; readonly otherwise: CelExpr }
  | { readonly k: 'has'; readonly operand: CelExpr; readonly field: string }
  | {
      readonly k: 'macro';
      readonly macro: 'all' | 'exists' | 'exists_one' | 'filter' | 'map';
      readonly target: CelExpr;
      readonly iterVar: string;
      readonly predicate: CelExpr | undefined;
      readonly transform: CelExpr | undefined;
    };

export type BinaryOp =
  '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/' | '%';

/** The expression is not valid CEL. */
export class CelSyntaxError extends Error {}
/** Valid CEL that this evaluator does not implement: a new rule needs the evaluator extended. */
export class CelUnsupportedError extends Error {}

type Token =
  | { readonly t: 'int'; readonly v: bigint; readonly pos: number }
  | { readonly t: 'uint'; readonly v: bigint; readonly pos: number }
  | { readonly t: 'double'; readonly v: number; readonly pos: number }
  | { readonly t: 'string'; readonly v: string; readonly pos: number }
  | { readonly t: 'ident'; readonly v: string; readonly pos: number }
  | { readonly t: 'op'; readonly v: string; readonly pos: number }
  | { readonly t: 'eof'; readonly pos: number };

const OPS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '?.',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '?',
  ':',
  '.',
  ',',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
];
const RESERVED = new Set([
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

function unescape(body: string, raw: boolean, pos: number): string {
  if (raw) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    switch (n) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case "'":
        out += "'";
        break;
      case '`':
        out += '`';
        break;
      case '?':
        out += '?';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case 'u':
        out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
        break;
      case 'U':
        out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 9), 16));
        i += 8;
        break;
      case 'x':
      case 'X':
        out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
        break;
      case undefined:
      default:
        throw new CelSyntaxError(`invalid escape sequence \\${n ?? ''} at ${pos}`);
    }
  }
  return out;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const pos = i;
    // string literals, with optional r/R (raw) or b/B (bytes) prefix
    const prefix = /^([rRbB]{0,2})("""|'''|"|')/.exec(src.slice(i));
    if (prefix && (prefix[1] === '' || /^[A-Za-z]/.test(src[i]!))) {
      const flags = prefix[1]!.toLowerCase();
      if (flags.includes('b')) throw new CelUnsupportedError(`bytes literals are not supported (at ${pos})`);
      const quote = prefix[2]!;
      let j = i + prefix[0].length;
      let body = '';
      for (;;) {
        if (j >= src.length) throw new CelSyntaxError(`unterminated string starting at ${pos}`);
        if (src.startsWith(quote, j)) break;
        if (quote.length === 1 && src[j] === '\n')
          throw new CelSyntaxError(`newline in string starting at ${pos}`);
        if (src[j] === '\\' && !flags.includes('r')) {
          body += src[j]! + (src[j + 1] ?? '');
          j += 2;
        } else body += src[j++]!;
      }
      out.push({ t: 'string', v: unescape(body, flags.includes('r'), pos), pos });
      i = j + quote.length;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+[uU]?|\d+\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+[uU]?)/.exec(
      src.slice(i),
    );
    if (num) {
      const s = num[0];
      if (/[uU]$/.test(s)) out.push({ t: 'uint', v: BigInt(s.slice(0, -1)), pos });
      else if (/^0[xX]/.test(s) || /^\d+$/.test(s)) out.push({ t: 'int', v: BigInt(s), pos });
      else out.push({ t: 'double', v: Number(s), pos });
      i += s.length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'ident', v: id[0], pos });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelSyntaxError(`unexpected character ${JSON.stringify(c)} at ${pos}`);
    out.push({ t: 'op', v: op, pos });
    i += op.length;
  }
  out.push({ t: 'eof', pos: src.length });
  return out;
}

const MACROS = new Set(['all', 'exists', 'exists_one', 'filter', 'map']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private isIdent(v: string): boolean {
    const t = this.peek();
    return t.t === 'ident' && t.v === v;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  private expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new CelSyntaxError(`expected '${v}' at ${t.pos}`);
  }
  private expectIdent(): string {
    const t = this.next();
    if (t.t !== 'ident') throw new CelSyntaxError(`expected an identifier at ${t.pos}`);
    return t.v;
  }

  parseAll(): CelExpr {
    const e = this.expr();
    const t = this.peek();
    if (t.t !== 'eof') throw new CelSyntaxError(`unexpected token at ${t.pos}`);
    return e;
  }

  private expr(): CelExpr {
    const test = this.or();
    if (!this.isOp('?')) return test;
    this.next();
    const then = this.or();
    this.expectOp(':');
    const otherwise = this.expr();
    return { k: 'cond', test, then, otherwise };
  }
  private or(): CelExpr {
    let left = this.and();
    while (this.isOp('||')) {
      this.next();
      left = { k: 'binary', op: '||', left, right: this.and() };
    }
    return left;
  }
  private and(): CelExpr {
    let left = this.relation();
    while (this.isOp('&&')) {
      this.next();
      left = { k: 'binary', op: '&&', left, right: this.relation() };
    }
    return left;
  }
  private relation(): CelExpr {
    let left = this.addition();
    for (;;) {
      const t = this.peek();
      const op =
        t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)
          ? t.v
          : this.isIdent('in')
            ? 'in'
            : undefined;
      if (op === undefined) return left;
      this.next();
      left = { k: 'binary', op: op as BinaryOp, left, right: this.addition() };
    }
  }
  private addition(): CelExpr {
    let left = this.multiplication();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.next() as { v: string }).v as BinaryOp;
      left = { k: 'binary', op, left, right: this.multiplication() };
    }
    return left;
  }
  private multiplication(): CelExpr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = (this.next() as { v: string }).v as BinaryOp;
      left = { k: 'binary', op, left, right: this.unary() };
    }
    return left;
  }
  private unary(): CelExpr {
    if (this.isOp('!')) {
      this.next();
      return { k: 'unary', op: '!', operand: this.unary() };
    }
    if (this.isOp('-')) {
      this.next();
      const t = this.peek();
      // -9223372036854775808 is a valid int literal only with its sign
      if (t.t === 'int' || t.t === 'double') {
        this.next();
        return this.member({ k: 'lit', value: t.t === 'int' ? -t.v : -t.v });
      }
      return { k: 'unary', op: '-', operand: this.unary() };
    }
    return this.member(this.primary());
  }
  private member(start: CelExpr): CelExpr {
    let e = start;
    for (;;) {
      if (this.isOp('?.')) throw new CelUnsupportedError('optional field selection (?.) is not supported');
      if (this.isOp('.')) {
        this.next();
        if (this.isOp('?')) throw new CelUnsupportedError('optional field selection (.?) is not supported');
        const name = this.expectIdent();
        if (this.isOp('(')) {
          this.next();
          const args = this.args(')');
          e = this.macroOrCall(name, e, args);
        } else e = { k: 'select', operand: e, field: name };
      } else if (this.isOp('[')) {
        this.next();
        if (this.isOp('?')) throw new CelUnsupportedError('optional index ([?) is not supported');
        const index = this.expr();
        this.expectOp(']');
        e = { k: 'index', operand: e, index };
      } else return e;
    }
  }
  private macroOrCall(name: string, target: CelExpr, args: CelExpr[]): CelExpr {
    if (!MACROS.has(name)) return { k: 'call', fn: name, target, args };
    const macro = name as 'all' | 'exists' | 'exists_one' | 'filter' | 'map';
    const v = args[0];
    if (v?.k !== 'ident')
      throw new CelSyntaxError(`${name}() needs an iteration variable as its first argument`);
    if (macro === 'map' && args.length === 3)
      return { k: 'macro', macro, target, iterVar: v.name, predicate: args[1], transform: args[2] };
    if (args.length !== 2) throw new CelSyntaxError(`${name}() takes 2 arguments`);
    if (macro === 'map')
      return { k: 'macro', macro, target, iterVar: v.name, predicate: undefined, transform: args[1] };
    return { k: 'macro', macro, target, iterVar: v.name, predicate: args[1], transform: undefined };
  }
  private args(close: string): CelExpr[] {
    const out: CelExpr[] = [];
    if (this.isOp(close)) {
      this.next();
      return out;
    }
    for (;;) {
      out.push(this.expr());
      if (this.isOp(',')) {
        this.next();
        if (this.isOp(close)) {
          this.next();
          return out;
        }
        continue;
      }
      this.expectOp(close);
      return out;
    }
  }
  private primary(): CelExpr {
    const t = this.next();
    switch (t.t) {
      case 'int':
        return { k: 'lit', value: t.v };
      case 'uint':
        throw new CelUnsupportedError(`unsigned int literals are not supported (at ${t.pos})`);
      case 'double':
        return { k: 'lit', value: t.v };
      case 'string':
        return { k: 'lit', value: t.v };
      case 'ident': {
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', value: t.v === 'true' };
        if (t.v === 'null') return { k: 'lit', value: null };
        if (RESERVED.has(t.v) || t.v === 'in')
          throw new CelSyntaxError(`reserved identifier '${t.v}' at ${t.pos}`);
        if (this.isOp('(')) {
          this.next();
          const args = this.args(')');
          if (t.v === 'has') {
            const a = args[0];
            if (args.length !== 1 || a?.k !== 'select')
              throw new CelSyntaxError('invalid argument to has() macro: it takes one field selection');
            return { k: 'has', operand: a.operand, field: a.field };
          }
          return { k: 'call', fn: t.v, target: undefined, args };
        }
        if (this.isOp('{'))
          throw new CelUnsupportedError(`message construction (${t.v}{...}) is not supported`);
        return { k: 'ident', name: t.v };
      }
      case 'op':
        if (t.v === '(') {
          const e = this.expr();
          this.expectOp(')');
          return e;
        }
        if (t.v === '[') return { k: 'list', items: this.args(']') };
        if (t.v === '{') {
          const entries: [CelExpr, CelExpr][] = [];
          while (!this.isOp('}')) {
            const key = this.expr();
            this.expectOp(':');
            entries.push([key, this.expr()]);
            if (!this.isOp(',')) break;
            this.next();
          }
          this.expectOp('}');
          return { k: 'map', entries };
        }
        if (t.v === '.') throw new CelUnsupportedError('leading-dot identifiers are not supported');
        throw new CelSyntaxError(`unexpected '${t.v}' at ${t.pos}`);
      case 'eof':
        throw new CelSyntaxError('unexpected end of expression');
    }
  }
}

/** Parses a CEL expression into an AST; throws `CelSyntaxError` or `CelUnsupportedError`. */
export function parseCel(source: string): CelExpr {
  return new Parser(tokenize(source)).parseAll();
}
