/**
 * In-memory tables with Table Storage's semantics for the operations `StateTable` declares: ETags
 * change on every write, create-only conflicts, stale ETags conflict, transactions are atomic within
 * one partition, keys and string sizes are validated as the service would, rows list in key order.
 * The contract suite runs the state store over these and over Azurite alike.
 */
import { ConflictError, InvariantError, NotFoundError, ValidationError } from '../../core/errors.js';
import {
  assertTableKey,
  assertTableName,
  MAX_STRING_PROPERTY,
  type EdmValue,
  type NewRow,
  type Props,
  type StateTable,
  type StateTableFactory,
  type TableFilter,
  type TableRow,
} from './stateTable.js';

/** A factory whose tables live as long as it does (one per fake store). */
export function createMemoryStateTables(): StateTableFactory {
  const tables = new Map<string, StateTable>();
  let etagSeq = 0;
  return (name) => {
    assertTableName(name);
    let t = tables.get(name.toLowerCase());
    if (!t) {
      t = memoryTable(name, () => `W/"mem-${++etagSeq}"`);
      tables.set(name.toLowerCase(), t);
    }
    return Promise.resolve(t);
  };
}

function memoryTable(name: string, nextEtag: () => string): StateTable {
  const rows = new Map<string, TableRow>();
  const id = (pk: string, rk: string): string => `${pk}\u0000${rk}`;
  const check = (row: NewRow): void => {
    assertTableKey('PartitionKey', row.partitionKey);
    assertTableKey('RowKey', row.rowKey);
    for (const [k, v] of Object.entries(row.props))
      if (typeof v === 'string' && v.length > MAX_STRING_PROPERTY)
        throw new ValidationError([
          { field: k, message: 'PropertyValueTooLarge: strings hold at most 64 KiB' },
        ]);
  };
  const store = (row: NewRow): string => {
    const etag = nextEtag();
    rows.set(id(row.partitionKey, row.rowKey), { ...row, props: cloneProps(row.props), etag });
    return etag;
  };
  const current = (pk: string, rk: string, etag: string): TableRow => {
    const r = rows.get(id(pk, rk));
    if (!r) throw new NotFoundError(`${name}: ${pk}/${rk} does not exist`, { detail: 'ResourceNotFound' });
    if (etag !== '*' && etag !== r.etag)
      throw new ConflictError(`${name}: ${pk}/${rk} was changed by someone else`, {
        detail: 'UpdateConditionNotSatisfied',
      });
    return r;
  };
  const aborted = (signal: AbortSignal): void => signal.throwIfAborted();

  return {
    name,
    get(pk, rk, signal) {
      return settle(() => {
        aborted(signal);
        assertTableKey('PartitionKey', pk);
        assertTableKey('RowKey', rk);
        const r = rows.get(id(pk, rk));
        return r ? { ...r, props: cloneProps(r.props) } : undefined;
      });
    },
    create(row, signal) {
      return settle(() => {
        aborted(signal);
        check(row);
        if (rows.has(id(row.partitionKey, row.rowKey)))
          throw new ConflictError(`${name}: ${row.partitionKey}/${row.rowKey} already exists`, {
            detail: 'EntityAlreadyExists',
          });
        return store(row);
      });
    },
    replace(row, etag, signal) {
      return settle(() => {
        aborted(signal);
        check(row);
        current(row.partitionKey, row.rowKey, etag);
        return store(row);
      });
    },
    delete(pk, rk, etag, signal) {
      return settle(() => {
        aborted(signal);
        assertTableKey('PartitionKey', pk);
        assertTableKey('RowKey', rk);
        current(pk, rk, etag);
        rows.delete(id(pk, rk));
        return;
      });
    },
    query(q, signal) {
      return settle(() => {
        aborted(signal);
        const out = [...rows.values()]
          .filter((r) => q.partitionKey === undefined || r.partitionKey === q.partitionKey)
          .filter((r) => (q.filters ?? []).every((f) => matches(r, f)))
          .sort((a, b) => cmp(a.partitionKey, b.partitionKey) || cmp(a.rowKey, b.rowKey))
          .map((r) => ({ ...r, props: cloneProps(r.props) }));
        return out;
      });
    },
    transact(pk, ops, signal) {
      return settle(() => {
        aborted(signal);
        if (ops.length === 0) return;
        if (ops.length > 100) throw new InvariantError(`${name}: a transaction holds at most 100 operations`);
        const keys = ops.map((o) => (o.kind === 'delete' ? o.rowKey : o.row.rowKey));
        if (new Set(keys).size !== keys.length)
          throw new InvariantError(`${name}: a transaction may touch each entity once`);
        // Validate everything first, then apply: all or nothing.
        for (const o of ops) {
          if (o.kind !== 'delete' && o.row.partitionKey !== pk)
            throw new InvariantError(`${name}: all operations in a transaction must target partition ${pk}`);
          if (o.kind === 'create') {
            check(o.row);
            if (rows.has(id(pk, o.row.rowKey)))
              throw new ConflictError(`${name}: ${pk}/${o.row.rowKey} already exists`, {
                detail: 'EntityAlreadyExists',
              });
          } else if (o.kind === 'replace') {
            check(o.row);
            current(pk, o.row.rowKey, o.etag);
          } else {
            current(pk, o.rowKey, '*');
          }
        }
        for (const o of ops) {
          if (o.kind === 'delete') rows.delete(id(pk, o.rowKey));
          else store(o.row);
        }
        return;
      });
    },
  };
}

/** Runs `f` and reports its result or its throw as a promise, as an I/O call would. */
function settle<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

function cloneProps(p: Props): Props {
  const out: Record<string, EdmValue> = {};
  for (const [k, v] of Object.entries(p)) out[k] = v instanceof Date ? new Date(v.getTime()) : v;
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function matches(row: TableRow, f: TableFilter): boolean {
  const raw =
    f.property === 'PartitionKey'
      ? row.partitionKey
      : f.property === 'RowKey'
        ? row.rowKey
        : row.props[f.property];
  if (raw === undefined) return false; // Table Storage: a missing property never matches
  const a = raw instanceof Date ? raw.getTime() : typeof raw === 'bigint' ? Number(raw) : raw;
  const b = f.value instanceof Date ? f.value.getTime() : f.value;
  if (typeof a !== typeof b) return false;
  switch (f.op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}
