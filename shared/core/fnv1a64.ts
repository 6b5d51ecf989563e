/**
 * FNV-1a, 64 bit, as Go's `hash/fnv.New64a`. Upstream names the public IP it creates for a
 * VirtualMachines-pool NIC `<prefix name>-<fmt.Sprintf("%x", fnv64a(nic name))>` (PR #1227: unique per
 * prefix and NIC), so egret computes the same names and adopts those IPs.
 */

const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** The FNV-1a 64-bit hash of the UTF-8 bytes of `text`. */
export function fnv1a64(text: string): bigint {
  let hash = OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * PRIME) & MASK;
  }
  return hash;
}

/** Go's `%x` of the hash: lower-case hex without leading zeros. */
export function fnv1a64Hex(text: string): string {
  return fnv1a64(text).toString(16);
}
