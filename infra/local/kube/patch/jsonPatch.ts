/** JSON patch (RFC 6902), what `application/json-patch+json` means. Pure. */
import { cloneJson, isJsonObject, jsonEqual, type Json } from '../json.js';

/** A patch that cannot be decoded (the API server answers 400). */
export class JsonPatchDecodeError extends Error {}
/** A patch that does not apply to the document, a failed `test` included (the API server answers 422). */
export class JsonPatchApplyError extends Error {}

export type JsonPatchOp =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: Json }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly path: string; readonly from: string };

/** Validates the shape of a JSON patch document. */
export function decodeJsonPatch(body: unknown): JsonPatchOp[] {
  if (!Array.isArray(body))
    throw new JsonPatchDecodeError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return body.map((raw: unknown, i): JsonPatchOp => {
    if (!isJsonObject(raw)) throw new JsonPatchDecodeError(`operation ${i} is not an object`);
    const o = raw;
    const path = o['path'];
    const op = typeof o['op'] === 'string' ? o['op'] : '';
    if (typeof path !== 'string') throw new JsonPatchDecodeError(`operation ${i}: missing path`);
    switch (op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!Object.hasOwn(o, 'value'))
          throw new JsonPatchDecodeError(`operation ${i} (${op}): missing value`);
        return { op, path, value: o['value']! };
      case 'remove':
        return { op, path };
      case 'move':
      case 'copy': {
        const from = o['from'];
        if (typeof from !== 'string') throw new JsonPatchDecodeError(`operation ${i} (${op}): missing from`);
        return { op, path, from };
      }
      default:
        throw new JsonPatchDecodeError(`Unexpected kind: ${JSON.stringify(o['op'] ?? null)}`);
    }
  });
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new JsonPatchApplyError(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Json[] | { [k: string]: Json };

/** Resolves the parent container of a pointer. */
function parentOf(doc: Json, tokens: readonly string[], path: string): { parent: Container; key: string } {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const i = Number(t);
      if (!/^\d+$/.test(t) || i >= cur.length)
        throw new JsonPatchApplyError(`path ${path}: index ${t} out of range`);
      cur = cur[i]!;
    } else if (isJsonObject(cur)) {
      if (!Object.hasOwn(cur, t)) throw new JsonPatchApplyError(`path ${path}: missing key ${t}`);
      cur = cur[t]!;
    } else throw new JsonPatchApplyError(`path ${path}: cannot traverse a scalar`);
  }
  if (!Array.isArray(cur) && !isJsonObject(cur))
    throw new JsonPatchApplyError(`path ${path}: parent is not a container`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur) && /^\d+$/.test(t) && Number(t) < cur.length) cur = cur[Number(t)]!;
    else if (isJsonObject(cur) && Object.hasOwn(cur, t)) cur = cur[t]!;
    else throw new JsonPatchApplyError(`path ${path} does not exist`);
  }
  return cur;
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!/^\d+$/.test(key) && key !== '-') throw new JsonPatchApplyError(`path ${path}: bad array index`);
    if (i > parent.length) throw new JsonPatchApplyError(`path ${path}: index out of range`);
    parent.splice(i, 0, value);
  } else parent[key] = value;
  return doc;
}

function remove(doc: Json, path: string): { doc: Json; removed: Json } {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new JsonPatchApplyError('cannot remove the whole document');
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^\d+$/.test(key) || i >= parent.length)
      throw new JsonPatchApplyError(`path ${path}: index out of range`);
    return { doc, removed: parent.splice(i, 1)[0]! };
  }
  if (!Object.hasOwn(parent, key))
    throw new JsonPatchApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
  const removed = parent[key]!;
  delete parent[key];
  return { doc, removed };
}

/** Applies the operations in order to a copy of `doc`; the input is never modified. */
export function applyJsonPatch(doc: Json, ops: readonly JsonPatchOp[]): Json {
  let out = cloneJson(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        out = add(out, op.path, cloneJson(op.value));
        break;
      case 'remove':
        out = remove(out, op.path).doc;
        break;
      case 'replace':
        getAt(out, op.path);
        out = add(remove(out, op.path).doc, op.path, cloneJson(op.value));
        break;
      case 'test':
        if (!jsonEqual(getAt(out, op.path), op.value))
          throw new JsonPatchApplyError(`testing value ${op.path} failed: test failed`);
        break;
      case 'move': {
        const r = remove(out, op.from);
        out = add(r.doc, op.path, r.removed);
        break;
      }
      case 'copy':
        out = add(out, op.path, cloneJson(getAt(out, op.from)));
        break;
    }
  }
  return out;
}
