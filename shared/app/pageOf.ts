/**
 * Paging of admin listings: `?limit=n` (1–1000, default 100) and `?continuationToken=…` (opaque: the
 * last key of the previous page, base64url). Items are sorted by key, so pages are stable while the
 * data does not change, and an item added or removed between two pages shifts nothing already seen.
 */
import { ValidationError } from '../core/errors.js';

/** Default and largest page size. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** A page request, as parsed by {@link parsePageRequest}. */
export interface PageRequest {
  readonly limit: number;
  /** Items with a key after this one. */
  readonly after?: string;
}

/** A page of a listing. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Present when there are more items: pass it back as `continuationToken`. */
  readonly continuationToken?: string;
}

/**
 * Reads `limit` and `continuationToken` query values.
 * @throws ValidationError naming the field.
 */
export function parsePageRequest(query: {
  readonly limit: string | null;
  readonly continuationToken: string | null;
}): PageRequest {
  const limit = query.limit === null ? DEFAULT_PAGE : Number(query.limit);
  if (!/^[0-9]{1,4}$/.test(query.limit ?? '100') || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new ValidationError([{ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE}` }]);
  if (query.continuationToken === null) return { limit };
  const after = decodeToken(query.continuationToken);
  if (after === undefined)
    throw new ValidationError([
      { field: 'continuationToken', message: 'is not a token this listing handed out' },
    ]);
  return { limit, after };
}

/** The page of `items` (in any order) that `request` asks for, sorted by `keyOf`. */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => string, request: PageRequest): Page<T> {
  const sorted = items
    .map((item) => ({ item, key: keyOf(item) }))
    .filter((x) => request.after === undefined || x.key > request.after)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const page = sorted.slice(0, request.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((x) => x.item),
    ...(sorted.length > request.limit && last !== undefined
      ? { continuationToken: Buffer.from(JSON.stringify([last.key]), 'utf8').toString('base64url') }
      : {}),
  };
}

function decodeToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(v) && v.length === 1 && typeof v[0] === 'string' ? v[0] : undefined;
  } catch {
    return undefined;
  }
}
