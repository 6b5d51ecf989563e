/**
 * Name-based UUIDs, version 3 (RFC 4122 §4.3, MD5), as Go's `uuid.NewMD5(namespace, name)` makes them.
 * Upstream names an AKS VirtualMachines pool's ILB frontend and backend pool by
 * `uuid.NewMD5(2c96e82c-842f-11f0-8ea5-6bee14278ecd, poolName)`; egret must produce the same string to
 * adopt them.
 */
import { md5, toHex } from './md5.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for the textual form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/** The UUIDv3 of `name` (UTF-8) in `namespace` (a UUID string), lower case. */
export function uuidV3(namespace: string, name: string): string {
  if (!isUuid(namespace)) throw new RangeError(`not a UUID: ${namespace}`);
  const ns = namespace.replace(/-/g, '');
  const nameBytes = new TextEncoder().encode(name);
  const input = new Uint8Array(16 + nameBytes.length);
  for (let i = 0; i < 16; i++) input[i] = parseInt(ns.slice(i * 2, i * 2 + 2), 16);
  input.set(nameBytes, 16);
  const hash = md5(input);
  hash[6] = ((hash[6] as number) & 0x0f) | 0x30;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = toHex(hash);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
