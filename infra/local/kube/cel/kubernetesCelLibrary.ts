/**
 * The CEL environment Kubernetes gives `x-kubernetes-validations` rules, built on
 * `@marcbachmann/cel-js` (the CEL standard library, macros, optional types) plus the pieces of the
 * Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library) that the package lacks and CRD rules
 * commonly use: the IP predicates `isIP`/`isCIDR`, the URL library (`isURL`, `url(...)` and its
 * getters) and the global form of `matches`. Options follow Kubernetes' base environment: optional
 * types (`self.?x`) on, list and map literals homogeneous.
 *
 * Everything else Kubernetes adds (`ip()`/`cidr()` objects, `quantity`, `format`, list `sum`/`sort`,
 * regex `find`...) is absent: a rule that calls it fails CRD creation with "found no matching
 * overload", so a rule that needs one is noticed when its CRD is created — register it here then.
 * Pure.
 */
import { Environment, EvaluationError } from '@marcbachmann/cel-js';

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (s.includes('%')) return false;
  let head = s;
  let groupsNeeded = 8;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    if (!isIPv4(v4[1]!)) return false;
    head = s.slice(0, s.length - v4[1]!.length); // keeps the ':' before the IPv4 part
    if (!head.endsWith('::')) head = head.slice(0, -1);
    groupsNeeded = 6;
  }
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const halves = head.split('::');
  if (halves.length > 2) return false;
  const groups = (x: string): string[] => (x === '' ? [] : x.split(':'));
  if (halves.length === 2) {
    const all = [...groups(halves[0]!), ...groups(halves[1]!)];
    return all.length < groupsNeeded && all.every((g) => hex.test(g));
  }
  const all = groups(head);
  return all.length === groupsNeeded && all.every((g) => hex.test(g));
}

/**
 * Kubernetes `isIP()` (Go's netip.ParseAddr): IPv4 without leading zeros, or IPv6 (IPv4-mapped
 * allowed) without a zone.
 */
export function isKubernetesIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** Kubernetes `isCIDR()` (netip.ParsePrefix): an IP and a prefix length within its family's range. */
export function isKubernetesCIDR(s: string): boolean {
  const m = /^([^/]+)\/(0|[1-9]\d*)$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  if (isIPv4(m[1]!)) return bits <= 32;
  if (isIPv6(m[1]!)) return bits <= 128;
  return false;
}

/**
 * A parsed `url(...)`. Kubernetes parses with Go's url.ParseRequestURI, which accepts an absolute
 * URI or an absolute path; an absolute path has no scheme, host or port.
 */
class KubernetesUrl {
  readonly #url: URL | undefined;
  readonly #path: string;
  constructor(s: string) {
    this.#url = s.startsWith('/') ? undefined : new URL(s);
    this.#path = s.startsWith('/') ? s.split(/[?#]/)[0]! : '';
  }
  scheme(): string {
    return this.#url?.protocol.replace(/:$/, '') ?? '';
  }
  host(): string {
    return this.#url?.host ?? '';
  }
  hostname(): string {
    return this.#url?.hostname.replace(/^\[(.*)\]$/, '$1') ?? '';
  }
  port(): string {
    return this.#url?.port ?? '';
  }
  escapedPath(): string {
    return this.#url?.pathname ?? this.#path;
  }
  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [k, v] of this.#url?.searchParams ?? []) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  }
}

function parseUrl(s: string): KubernetesUrl | undefined {
  if (s.startsWith('/')) return new KubernetesUrl(s);
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) return undefined;
  try {
    return new KubernetesUrl(s);
  } catch {
    return undefined;
  }
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    throw new EvaluationError({
      code: 'invalid_regular_expression',
      message: `Invalid regular expression: ${pattern}`,
    });
  }
}

const URL_TYPE = 'kubernetes.URL';
const URL_GETTERS: readonly [string, string, (u: KubernetesUrl) => unknown][] = [
  ['getScheme', 'string', (u) => u.scheme()],
  ['getHost', 'string', (u) => u.host()],
  ['getHostname', 'string', (u) => u.hostname()],
  ['getPort', 'string', (u) => u.port()],
  ['getEscapedPath', 'string', (u) => u.escapedPath()],
  ['getQuery', 'map<string, list<string>>', (u) => u.query()],
];

/**
 * A fresh environment with the Kubernetes additions registered; callers register types and
 * variables on a `clone()` of it.
 */
export function createKubernetesCelEnvironment(): Environment {
  const env = new Environment({ enableOptionalTypes: true })
    .registerFunction('isIP(string): bool', isKubernetesIP)
    .registerFunction('isCIDR(string): bool', isKubernetesCIDR)
    .registerFunction('matches(string, string): bool', (s: string, re: string) => regex(re).test(s))
    .registerType(URL_TYPE, { ctor: KubernetesUrl, fields: {} })
    .registerFunction('isURL(string): bool', (s: string) => parseUrl(s) !== undefined)
    .registerFunction(`url(string): ${URL_TYPE}`, (s: string) => {
      const u = parseUrl(s);
      if (u === undefined)
        throw new EvaluationError({
          code: 'invalid_url',
          message: `URL parse error during conversion from string: ${s}`,
        });
      return u;
    });
  for (const [name, returnType, handler] of URL_GETTERS)
    env.registerFunction({ name, receiverType: URL_TYPE, returnType, params: [], handler });
  return env;
}
