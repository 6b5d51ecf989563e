/**
 * HMAC-SHA256 as lower-case hex over UTF-8 strings: the primitive shared/core/relaySignature.ts leaves
 * to the caller (node:crypto here; the relay has its own copy on its side of the wire).
 */
import { createHmac } from 'node:crypto';
import type { HmacSha256Hex } from '../../core/relaySignature.js';

/** `HMAC-SHA256(secret, message)` as lower-case hex. */
export const hmacSha256Hex: HmacSha256Hex = (secret, message) =>
  createHmac('sha256', secret).update(message, 'utf8').digest('hex');
