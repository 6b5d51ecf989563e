/** What the contract suites check on the real SDK clients' results: all pages of a list, ARM errors. */
import assert from 'node:assert/strict';
import { RestError } from '@azure/core-rest-pipeline';

/** Every item of a paged SDK list (follows `nextLink`). */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** `p` fails with a RestError of that HTTP status and ARM error code; returns the error. */
export async function rejectsWith(p: Promise<unknown>, statusCode: number, code: string): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RestError, `expected RestError, got ${String(e)}`);
    assert.equal(e.statusCode, statusCode, e.message);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${statusCode} ${code}`);
}
