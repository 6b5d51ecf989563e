/**
 * The narrow table seam the state store is written against: exactly the Table Storage operations it
 * uses, with Table Storage's semantics (ETags, create-only, atomic same-partition transactions).
 * `azureStateTables.ts` implements it with `@azure/data-tables`; `memoryStateTables.ts` in memory.
 * One contract suite runs the state store over both, so the in-memory one stays honest.
 */
import { ValidationError } from '../../core/errors.js';

/**
 * A property value: `bigint` is stored as Edm.Int64 (and read back as bigint), `Date` as
 * Edm.DateTime, integral `number`s as Edm.Int32 (keep them small), strings as Edm.String (at most
 * 32K UTF-16 characters = 64 KiB).
 */
export type EdmValue = string | number | boolean | Date | bigint;

export type Props = Readonly<Record<string, EdmValue>>;

export interface NewRow {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly props: Props;
}

export interface TableRow extends NewRow {
  readonly etag: string;
}

/** A comparison on one property; filters of a query are ANDed. */
export interface TableFilter {
  readonly property: string;
  readonly op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
  readonly value: string | number | boolean | Date;
}

export type TransactionOp =
  | { readonly kind: 'create'; readonly row: NewRow }
  | { readonly kind: 'replace'; readonly row: NewRow; readonly etag: string }
  /** Unconditional (If-Match: *): the SDK's transaction delete takes no ETag. Fails when missing. */
  | { readonly kind: 'delete'; readonly rowKey: string };

export interface StateTable {
  readonly name: string;
  get(partitionKey: string, rowKey: string, signal: AbortSignal): Promise<TableRow | undefined>;
  /** Create-only. @throws ConflictError when the row exists. Returns the new ETag. */
  create(row: NewRow, signal: AbortSignal): Promise<string>;
  /** Replaces all properties if the ETag still matches. @throws ConflictError (stale), NotFoundError. */
  replace(row: NewRow, etag: string, signal: AbortSignal): Promise<string>;
  /** Deletes if the ETag (`*` = any) matches. @throws ConflictError (stale), NotFoundError. */
  delete(partitionKey: string, rowKey: string, etag: string, signal: AbortSignal): Promise<void>;
  /** Rows ordered by PartitionKey then RowKey. */
  query(
    query: { readonly partitionKey?: string; readonly filters?: readonly TableFilter[] },
    signal: AbortSignal,
  ): Promise<TableRow[]>;
  /** All operations or none, within one partition (at most 100). @throws ConflictError when any conflicts. */
  transact(partitionKey: string, ops: readonly TransactionOp[], signal: AbortSignal): Promise<void>;
}

/** Creates (if needed) and opens the tables of one store. */
export type StateTableFactory = (name: string, signal: AbortSignal) => Promise<StateTable>;

/**
 * The largest key, in characters. The service limit is 1 KiB of UTF-16 (512 characters); Azurite
 * enforces exactly that (513 characters → 400 InvalidInput), although one Azure page says 1024.
 */
export const MAX_KEY_LENGTH = 512;
/** The largest string property, in UTF-16 code units (64 KiB). */
export const MAX_STRING_PROPERTY = 32 * 1024;

// Forbidden in PartitionKey/RowKey: / \ # ? and control characters U+0000–U+001F, U+007F–U+009F.

const FORBIDDEN_KEY_CHARS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a value used as PartitionKey or RowKey. Azure answers 400 for a bad key but Azurite answers
 * 500 (DESIGN.md), so keys are checked before any request.
 * @throws ValidationError naming `field`.
 */
export function assertTableKey(field: string, value: string): void {
  const problem =
    typeof value !== 'string'
      ? 'must be a string'
      : value === ''
        ? 'must not be empty'
        : value.length > MAX_KEY_LENGTH
          ? `is ${value.length} characters; Table Storage keys hold at most ${MAX_KEY_LENGTH}`
          : FORBIDDEN_KEY_CHARS.test(value)
            ? `${JSON.stringify(value)} contains a character Table Storage keys cannot hold (/ \\ # ? or a control character)`
            : undefined;
  if (problem !== undefined) throw new ValidationError([{ field, message: problem }]);
}

/** Table names: letters and digits, starting with a letter, 3–63 characters. */
export function assertTableName(name: string): void {
  if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(name) || name.toLowerCase() === 'tables')
    throw new ValidationError([
      {
        field: 'table',
        message: `${JSON.stringify(name)} is not a table name (letters and digits, 3-63, a letter first)`,
      },
    ]);
}
