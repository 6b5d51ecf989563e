/**
 * Pure IPv4 address management for the ARM stand-in: subnet allocation with Azure's reserved
 * addresses, public IP prefixes carved from documentation ranges, addresses taken from a prefix.
 *
 * Azure reserves five addresses in every subnet: the network address, .1 (gateway), .2 and .3 (DNS)
 * and the last (broadcast). Dynamic allocation hands out the lowest free address.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefixLength: number;
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return (
    (((octets[0] ?? 0) << 24) >>> 0) + ((octets[1] ?? 0) << 16) + ((octets[2] ?? 0) << 8) + (octets[3] ?? 0)
  );
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/len`; the base is masked to the network address. */
export function parseCidr(s: string): Cidr | undefined {
  const [ip, len, extra] = s.trim().split('/');
  if (ip === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len))
    return undefined;
  const prefixLength = Number(len);
  const addr = parseIPv4(ip);
  if (addr === undefined || prefixLength > 32) return undefined;
  return { base: (addr & maskOf(prefixLength)) >>> 0, prefixLength };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefixLength}`;
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefixLength);
}

export function cidrContains(c: Cidr, addr: number): boolean {
  return addr >= c.base && addr < c.base + cidrSize(c);
}

/** The addresses of a subnet that Azure can hand out (first four and the last are reserved). */
export function usableSubnetRange(c: Cidr): { readonly first: number; readonly last: number } {
  return { first: c.base + 4, last: c.base + cidrSize(c) - 2 };
}

export function usableSubnetCount(c: Cidr): number {
  const { first, last } = usableSubnetRange(c);
  return Math.max(0, last - first + 1);
}

export type StaticAddressCheck = 'ok' | 'notInSubnet' | 'reserved' | 'inUse';

/** Checks a requested static private address against the subnet and the addresses already taken. */
export function checkStaticAddress(
  subnet: Cidr,
  addr: number,
  used: ReadonlySet<number>,
): StaticAddressCheck {
  if (!cidrContains(subnet, addr)) return 'notInSubnet';
  const { first, last } = usableSubnetRange(subnet);
  if (addr < first || addr > last) return 'reserved';
  return used.has(addr) ? 'inUse' : 'ok';
}

/**
 * The lowest aligned free block of `blockSize` addresses (a power of two) in the usable range of a
 * subnet, or undefined when the subnet is full. Block size 1 is an ordinary dynamic address; larger
 * blocks serve `privateIPAddressPrefixLength` ipConfigurations.
 */
export function allocateInSubnet(subnet: Cidr, used: ReadonlySet<number>, blockSize = 1): number | undefined {
  const { first, last } = usableSubnetRange(subnet);
  let start = Math.ceil(first / blockSize) * blockSize;
  for (; start + blockSize - 1 <= last; start += blockSize) {
    let free = true;
    for (let a = start; a < start + blockSize; a++) {
      if (used.has(a)) {
        free = false;
        break;
      }
    }
    if (free) return start;
  }
  return undefined;
}

/** The lowest free address of a public IP prefix (every address of a prefix is usable). */
export function allocateInPrefix(prefix: Cidr, used: ReadonlySet<number>): number | undefined {
  for (let a = prefix.base; a < prefix.base + cidrSize(prefix); a++) if (!used.has(a)) return a;
  return undefined;
}

/**
 * Carves an aligned `/prefixLength` block out of the first pool that still has room, avoiding blocks
 * already handed out. Pools are documentation ranges (RFC 5737), so no real address is ever shown.
 */
export function allocatePrefix(
  pools: readonly string[],
  prefixLength: number,
  taken: readonly string[],
): Cidr | undefined {
  const takenCidrs = taken.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const size = 2 ** (32 - prefixLength);
  for (const p of pools) {
    const pool = parseCidr(p);
    if (!pool || pool.prefixLength > prefixLength) continue;
    for (let base = pool.base; base + size <= pool.base + cidrSize(pool); base += size) {
      const candidate = { base, prefixLength };
      if (!takenCidrs.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  return undefined;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}
