/**
 * Reading an HTTP request body with a size limit, before anything decodes it. A `Content-Length` over
 * the limit is refused without reading; a body without one (chunked) is read from the stream and
 * refused as soon as it passes the limit. (The Functions host has buffered the request already, up to
 * its own 100 MiB; this keeps the worker from copying, decoding and parsing it.)
 */
import type { HttpRequest } from '@azure/functions';

/** The body's bytes, or that it is too large (→ 413). */
export type BodyRead = { readonly kind: 'ok'; readonly bytes: Uint8Array } | { readonly kind: 'too-large' };

/** Reads at most `maxBytes` of the request's body. */
export async function readRequestBody(req: HttpRequest, maxBytes: number): Promise<BodyRead> {
  const length = req.headers.get('content-length');
  if (length !== null && /^[0-9]+$/.test(length.trim()) && Number(length.trim()) > maxBytes)
    return { kind: 'too-large' };
  const stream = req.body as ReadableStream<Uint8Array> | null;
  if (stream === null) return { kind: 'ok', bytes: new Uint8Array(0) };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { kind: 'too-large' };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { kind: 'ok', bytes };
}
