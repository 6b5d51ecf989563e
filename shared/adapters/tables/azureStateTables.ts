/**
 * `StateTable` over `@azure/data-tables` (real Table Storage or Azurite). Facts this relies on
 * (reference/azure-platform.md §5, verified against Azurite):
 * - `createEntity` is create-only (409 on an existing key); `updateEntity(…, 'Replace', { etag })`
 *   and `deleteEntity(…, { etag })` answer 412 on a stale ETag;
 * - transactions are atomic within one partition; their deletes carry no ETag (If-Match: *);
 * - Int64 values are written as `{ value, type: 'Int64' }` and come back as bigint (or as the
 *   typed object, depending on the SDK path): both are read; DateTime comes back as Date;
 * - keys are validated here first: Azurite answers 500 to a RowKey with `/` where Azure answers 400.
 */
import {
  odata,
  TableClient,
  TableServiceClient,
  type TableEntity,
  type TransactionAction,
} from '@azure/data-tables';
import { assertNever, InvariantError } from '../../core/errors.js';
import { tlsOptionsOf, type StorageAccess } from '../system/createStorageAccess.js';
import {
  assertTableKey,
  assertTableName,
  type EdmValue,
  type NewRow,
  type StateTable,
  type StateTableFactory,
  type TableFilter,
  type TableRow,
} from './stateTable.js';
import { translateStorageError } from './translateStorageError.js';

export interface AzureStateTablesOptions {
  /** The account: a connection string (Azurite's, `UseDevelopmentStorage=true`) or endpoint + credential. */
  readonly storage: StorageAccess;
}

/** Opens tables on the account, creating each once (createTable is idempotent). */
export function createAzureStateTables(options: AzureStateTablesOptions): StateTableFactory {
  const { service, table } = tableClientsOf(options.storage);
  const opened = new Map<string, Promise<StateTable>>();
  return (name, signal) => {
    assertTableName(name);
    let t = opened.get(name);
    if (!t) {
      t = (async () => {
        try {
          await service.createTable(name, { abortSignal: signal });
        } catch (e) {
          throw translateStorageError(e, `create table ${name}`);
        }
        return azureTable(table(name));
      })();
      t.catch(() => opened.delete(name));
      opened.set(name, t);
    }
    return t;
  };
}

function tableClientsOf(access: StorageAccess): {
  readonly service: TableServiceClient;
  readonly table: (name: string) => TableClient;
} {
  const tls = tlsOptionsOf(access);
  switch (access.kind) {
    case 'connectionString': {
      const insecure =
        /^(?:.*;)?\s*(?:DefaultEndpointsProtocol=http;|TableEndpoint=http:)|UseDevelopmentStorage=true/i.test(
          access.connectionString,
        );
      const clientOptions = { ...tls, ...(insecure ? { allowInsecureConnection: true } : {}) };
      return {
        service: TableServiceClient.fromConnectionString(access.connectionString, clientOptions),
        table: (name) => TableClient.fromConnectionString(access.connectionString, name, clientOptions),
      };
    }
    case 'identity': {
      // Bearer tokens go over https only: the SDK's bearer policy refuses an http endpoint.
      const url = access.tableEndpoint.replace(/\/+$/, '');
      return {
        service: new TableServiceClient(url, access.credential, tls),
        table: (name) => new TableClient(url, name, access.credential, tls),
      };
    }
    default:
      return assertNever(access, 'storage access');
  }
}

function azureTable(client: TableClient): StateTable {
  const name = client.tableName;
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw translateStorageError(e, `${name} ${what}`);
    }
  };
  const checkKeys = (pk: string, rk: string): void => {
    assertTableKey('PartitionKey', pk);
    assertTableKey('RowKey', rk);
  };
  return {
    name,
    async get(pk, rk, signal) {
      checkKeys(pk, rk);
      try {
        const e = await client.getEntity(pk, rk, { abortSignal: signal });
        return fromEntity(e);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return undefined;
        throw translateStorageError(e, `${name} get ${pk}/${rk}`);
      }
    },
    async create(row, signal) {
      checkKeys(row.partitionKey, row.rowKey);
      return await call(`create ${row.partitionKey}/${row.rowKey}`, async () => {
        const r = await client.createEntity(toEntity(row), { abortSignal: signal });
        return etagOf(r.etag);
      });
    },
    async replace(row, etag, signal) {
      checkKeys(row.partitionKey, row.rowKey);
      return await call(`replace ${row.partitionKey}/${row.rowKey}`, async () => {
        const r = await client.updateEntity(toEntity(row), 'Replace', { etag, abortSignal: signal });
        return etagOf(r.etag);
      });
    },
    async delete(pk, rk, etag, signal) {
      checkKeys(pk, rk);
      return await call(`delete ${pk}/${rk}`, async () => {
        await client.deleteEntity(pk, rk, { etag, abortSignal: signal });
      });
    },
    async query(q, signal) {
      if (q.partitionKey !== undefined) assertTableKey('PartitionKey', q.partitionKey);
      const clauses: string[] = [];
      if (q.partitionKey !== undefined) clauses.push(odata`PartitionKey eq ${q.partitionKey}`);
      for (const f of q.filters ?? []) clauses.push(filterClause(f));
      return await call('query', async () => {
        const out: TableRow[] = [];
        const iter = client.listEntities({
          abortSignal: signal,
          ...(clauses.length > 0 ? { queryOptions: { filter: clauses.join(' and ') } } : {}),
        });
        for await (const e of iter) out.push(fromEntity(e));
        return out;
      });
    },
    async transact(pk, ops, signal) {
      assertTableKey('PartitionKey', pk);
      if (ops.length === 0) return;
      const actions: TransactionAction[] = ops.map((o) => {
        if (o.kind === 'delete') {
          assertTableKey('RowKey', o.rowKey);
          return ['delete', { partitionKey: pk, rowKey: o.rowKey }];
        }
        if (o.row.partitionKey !== pk)
          throw new InvariantError(`${name}: transaction rows must be in partition ${pk}`);
        checkKeys(o.row.partitionKey, o.row.rowKey);
        return o.kind === 'create'
          ? ['create', toEntity(o.row)]
          : ['update', toEntity(o.row), 'Replace', { etag: o.etag }];
      });
      return await call(`transaction in ${pk}`, async () => {
        await client.submitTransaction(actions, { abortSignal: signal });
      });
    },
  };
}

function filterClause(f: TableFilter): string {
  // The property name is ours (never user input); string literals double their quotes as OData wants
  // (the `odata` tag only quotes a value that follows text, so it cannot build `name op value` here).
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.property))
    throw new InvariantError(`bad property name ${f.property}`);
  const v = f.value;
  const literal =
    typeof v === 'string'
      ? `'${v.replace(/'/g, "''")}'`
      : v instanceof Date
        ? `datetime'${v.toISOString()}'`
        : String(v);
  return `${f.property} ${f.op} ${literal}`;
}

function toEntity(row: NewRow): TableEntity {
  const e: Record<string, unknown> = { partitionKey: row.partitionKey, rowKey: row.rowKey };
  for (const [k, v] of Object.entries(row.props)) {
    if (typeof v === 'bigint') e[k] = { value: v.toString(), type: 'Int64' };
    else if (typeof v === 'number' && !Number.isInteger(v)) e[k] = { value: String(v), type: 'Double' };
    else e[k] = v;
  }
  return e as TableEntity;
}

const SYSTEM = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata', 'odata.etag']);

function fromEntity(e: Record<string, unknown>): TableRow {
  const props: Record<string, EdmValue> = {};
  for (const [k, v] of Object.entries(e)) {
    if (SYSTEM.has(k)) continue;
    props[k] = fromValue(k, v);
  }
  return {
    partitionKey: String(e.partitionKey),
    rowKey: String(e.rowKey),
    etag: etagOf(e.etag),
    props: props,
  };
}

function fromValue(k: string, v: unknown): EdmValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
    return v;
  if (v instanceof Date) return v;
  if (typeof v === 'object' && v !== null && 'type' in v && 'value' in v) {
    const { type, value } = v as { type: string; value: string };
    if (type === 'Int64') return BigInt(value);
    if (type === 'DateTime') return new Date(value);
    if (type === 'Double') return Number(value);
    if (type === 'Boolean') return value === 'true';
    return String(value);
  }
  throw new InvariantError(`unexpected value of property ${k}: ${typeof v}`);
}

function etagOf(etag: unknown): string {
  if (typeof etag !== 'string' || etag === '')
    throw new InvariantError('Table Storage answered without an ETag');
  return etag;
}
