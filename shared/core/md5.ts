/**
 * MD5 digests, from node:crypto (pure: same input, same output; no I/O). egret needs MD5 only to
 * reproduce upstream's name-based UUIDv3 pool ids and to shorten over-long keys; it is not used for
 * anything security-related.
 */
import { createHash } from 'node:crypto';

/** The 16-byte MD5 digest of `data`. */
export function md5(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('md5').update(data).digest());
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
