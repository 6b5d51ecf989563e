/**
 * IPv4/IPv6 address and CIDR parsing without `node:net` (the core is pure and must run anywhere).
 * Addresses are held as bigints so both families share one code path.
 */

/** A parsed IP address. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A parsed CIDR block: the network address and prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefixLength: number;
  /** Canonical text: lower-case, compressed IPv6, no leading zeros. */
  readonly text: string;
}

/** The result of {@link parseCidr}. */
export type ParsedCidr =
  { readonly kind: 'ok'; readonly cidr: Cidr } | { readonly kind: 'invalid'; readonly problem: string };

/** Parses a dotted-quad IPv4 address; no leading zeros (they mean octal to some parsers). */
export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Parses an IPv6 address (RFC 4291 text forms, including `::` and a trailing dotted IPv4). No zone ids. */
export function parseIpv6(text: string): bigint | undefined {
  if (text.length === 0 || text.includes('%')) return undefined;
  let head = text;
  let tailWords: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tailWords = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseWords = (s: string): number[] | undefined => {
    if (s === '') return [];
    const words: number[] = [];
    for (const w of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
      words.push(parseInt(w, 16));
    }
    return words;
  };
  const left = parseWords(halves[0] ?? '');
  const right = halves.length === 2 ? parseWords(halves[1] ?? '') : [];
  if (left === undefined || right === undefined) return undefined;
  const given = left.length + right.length + tailWords.length;
  let words: number[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    words = [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tailWords];
  } else {
    if (given !== 8) return undefined;
    words = [...left, ...tailWords];
  }
  return words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/** Parses an IPv4 or IPv6 address. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const v6 = parseIpv6(text);
    return v6 === undefined ? undefined : { family: 6, value: v6 };
  }
  const v4 = parseIpv4(text);
  return v4 === undefined ? undefined : { family: 4, value: v4 };
}

/** Formats an address canonically (RFC 5952 for IPv6: lower case, longest zero run compressed). */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((address.value >> s) & 0xffn)).join('.');
  }
  const words = [...Array(8).keys()].map((i) => Number((address.value >> BigInt((7 - i) * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Parses `address/length`. Host bits must be zero (`10.0.0.1/8` is refused, naming `10.0.0.0/8`),
 * because a route or an exclusion written that way usually hides a typo.
 */
export function parseCidr(text: string): ParsedCidr {
  const parsed = parseCidrClearingHostBits(text);
  if (parsed.kind === 'invalid') return parsed;
  if (parsed.hostBitsIn !== undefined)
    return { kind: 'invalid', problem: `"${text}" has host bits set; did you mean ${parsed.cidr.text}?` };
  return { kind: 'ok', cidr: parsed.cidr };
}

/** The result of {@link parseCidrClearingHostBits}. */
export type ClearedCidr =
  | {
      readonly kind: 'ok';
      readonly cidr: Cidr;
      /** The text as given, when its host bits were set and have been cleared. */
      readonly hostBitsIn?: string;
    }
  | { readonly kind: 'invalid'; readonly problem: string };

/**
 * Parses `address/length` as the Linux kernel and Go's `net.ParseCIDR` read it: host bits are
 * cleared (`10.0.0.1/8` is `10.0.0.0/8`), and `hostBitsIn` says so, so a caller can warn.
 */
export function parseCidrClearingHostBits(text: string): ClearedCidr {
  const slash = text.indexOf('/');
  if (slash < 0)
    return { kind: 'invalid', problem: `"${text}" is not a CIDR: expected <address>/<prefix length>` };
  const address = parseIp(text.slice(0, slash));
  if (address === undefined) {
    return {
      kind: 'invalid',
      problem: `"${text}" is not a CIDR: "${text.slice(0, slash)}" is not an IPv4 or IPv6 address`,
    };
  }
  const lengthText = text.slice(slash + 1);
  const bits = address.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText) || Number(lengthText) > bits) {
    return { kind: 'invalid', problem: `"${text}" is not a CIDR: prefix length must be 0–${bits}` };
  }
  const prefixLength = Number(lengthText);
  const hostMask = (1n << BigInt(bits - prefixLength)) - 1n;
  const network = address.value & ~hostMask;
  const canonical = `${formatIp({ family: address.family, value: network })}/${prefixLength}`;
  const cidr = { family: address.family, network, prefixLength, text: canonical };
  return (address.value & hostMask) !== 0n ? { kind: 'ok', cidr, hostBitsIn: text } : { kind: 'ok', cidr };
}

/** Sorts IP address strings numerically (IPv4 before IPv6); unparsable ones last, by text. */
export function compareIpText(a: string, b: string): number {
  const pa = parseIp(a);
  const pb = parseIp(b);
  if (pa === undefined || pb === undefined) {
    if (pa !== undefined) return -1;
    if (pb !== undefined) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (pa.family !== pb.family) return pa.family - pb.family;
  return pa.value < pb.value ? -1 : pa.value > pb.value ? 1 : 0;
}
