/**
 * HTTP trigger route templates, the subset of ASP.NET Core route templates the Functions host
 * accepts that egret and its tests use: literal segments (matched case-insensitively), `{name}`,
 * optional `{name?}` (trailing segments only), constrained `{name:int}` / `long` / `bool` / `guid` /
 * `alpha` / `double`, and a trailing catch-all `{*name}`. The default route is the function name.
 */

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | {
      readonly kind: 'param';
      readonly name: string;
      readonly optional: boolean;
      readonly catchAll: boolean;
      readonly constraint: ((v: string) => boolean) | undefined;
    };

/** A compiled route template. */
export interface RouteTemplate {
  readonly template: string;
  /** Route parameters when `path` (already stripped of the route prefix, no leading `/`) matches. */
  match(path: string): Record<string, string> | undefined;
  /** Higher is more specific: literals beat constrained parameters beat parameters beat catch-alls. */
  readonly precedence: readonly number[];
}

const CONSTRAINTS: Readonly<Record<string, (v: string) => boolean>> = {
  int: (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2 ** 31,
  long: (v) => /^-?\d+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  guid: (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
  double: (v) => v !== '' && Number.isFinite(Number(v)),
};

/**
 * Compiles a route template.
 * @throws Error naming the template and the unsupported part.
 */
export function compileRouteTemplate(template: string): RouteTemplate {
  const bad = (why: string): Error => new Error(`route template ${JSON.stringify(template)}: ${why}`);
  const texts = template.replace(/^\/+|\/+$/g, '').split('/');
  const segments: Segment[] = texts.map((text, i) => {
    const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([a-z]+))?(\?)?\}$/.exec(text);
    if (!m) {
      if (/[{}]/.test(text)) throw bad(`segment ${JSON.stringify(text)} is not supported`);
      if (text === '') throw bad('empty segment');
      return { kind: 'literal', text: text.toLowerCase() };
    }
    const [, star, name = '', constraintName, q] = m;
    let constraint: ((v: string) => boolean) | undefined;
    if (constraintName !== undefined) {
      constraint = CONSTRAINTS[constraintName];
      if (!constraint) throw bad(`unknown constraint ${JSON.stringify(constraintName)}`);
    }
    if (star && i !== texts.length - 1) throw bad('a catch-all parameter must be the last segment');
    return {
      kind: 'param',
      name,
      optional: q !== undefined || star !== undefined,
      catchAll: !!star,
      constraint,
    };
  });
  const firstOptional = segments.findIndex((s) => s.kind === 'param' && s.optional);
  if (firstOptional >= 0 && segments.slice(firstOptional).some((s) => s.kind === 'literal' || !s.optional))
    throw bad('optional parameters must be trailing');
  const names = segments.flatMap((s) => (s.kind === 'param' ? [s.name.toLowerCase()] : []));
  if (new Set(names).size !== names.length) throw bad('a parameter name appears twice');

  const precedence = segments.map((s) =>
    s.kind === 'literal' ? 4 : s.catchAll ? 1 : s.constraint ? 3 : s.optional ? 2 : 2.5,
  );

  return {
    template,
    precedence,
    match(path: string): Record<string, string> | undefined {
      const parts = path === '' ? [] : path.replace(/\/+$/, '').split('/');
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i]!;
        const part = parts[i];
        if (seg.kind === 'literal') {
          if (part === undefined || safeDecode(part)?.toLowerCase() !== seg.text) return undefined;
          continue;
        }
        if (seg.catchAll) {
          const rest = parts.slice(i).map(safeDecode);
          if (rest.some((r) => r === undefined)) return undefined;
          if (rest.length > 0) params[seg.name] = rest.join('/');
          return params;
        }
        if (part === undefined || part === '') {
          if (!seg.optional) return undefined;
          continue;
        }
        const value = safeDecode(part);
        if (value === undefined || (seg.constraint && !seg.constraint(value))) return undefined;
        params[seg.name] = value;
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Orders routes most specific first, as ASP.NET Core routing does. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const d = (b.precedence[i] ?? 0) - (a.precedence[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The prefixes the Functions host keeps for its own APIs (`/admin/…`, `/runtime/webhooks/…`). The real
 * host refuses an HTTP function whose route — or, without a route, whose name — starts with one of them,
 * as plain text after trimming slashes and ignoring case, whatever the `routePrefix`: so `administration`
 * and `runtimeInfo` are refused too ("The specified route conflicts with one or more built in routes.",
 * ScriptHost.ValidateHttpFunction; azure-functions-host #1781 and #3460).
 */
export const RESERVED_ROUTE_PREFIXES: readonly string[] = ['admin', 'runtime'];

/** True when the real host would refuse `route` as conflicting with its built-in routes. */
export function isReservedRoute(route: string): boolean {
  const r = route.replace(/^\/+|\/+$/g, '').toLowerCase();
  return RESERVED_ROUTE_PREFIXES.some((p) => r.startsWith(p));
}
