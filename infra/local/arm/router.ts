/**
 * A small router for ARM paths: literal segments match case-insensitively (ARM accepts
 * `resourcegroups`, and the SDK itself sends `microsoft.Compute` on some routes), `{name}` segments
 * capture (URL-decoded).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ComputePolicy } from './engines/throttleEngine.js';
import type { OperationFailure } from './engines/lroEngine.js';
import type { Json, JsonObject } from './core/json.js';

export type Method = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

/** Which api-versions a route accepts (see `StandInConfig.apiVersions`). */
export type ApiFamily = 'compute' | 'network' | 'vmssNic' | 'resources';

export interface ArmRequest {
  readonly method: Method;
  /** The request path as the client sent it (no query). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  readonly body: JsonObject | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly clientRequestId: string;
  readonly correlationId: string;
  /** Set by a fault rule: the operation this request starts ends `Failed`. */
  readonly lroFailure: OperationFailure | undefined;
  /** Where the stand-in listens, e.g. `https://127.0.0.1:40123` (for nextLink and operation URLs). */
  readonly baseUrl: string;
}

export interface ArmReply {
  readonly status: number;
  readonly body?: Json;
  readonly headers?: Record<string, string>;
}

export interface Route {
  readonly method: Method;
  readonly pattern: string;
  readonly api: ApiFamily;
  /** The resource a request acts on (for the request log, writes counts and Compute throttling). */
  readonly resourceId?: (params: Readonly<Record<string, string>>) => string;
  /** The Compute throttling policy of a write, decided per request (create vs update). */
  readonly computePolicy?: (req: ArmRequest) => ComputePolicy | undefined;
  readonly handler: (req: ArmRequest) => ArmReply | Promise<ArmReply>;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

export class Router {
  private readonly routes: { route: Route; segments: string[] }[] = [];

  add(...routes: Route[]): void {
    for (const route of routes) this.routes.push({ route, segments: splitPath(route.pattern) });
  }

  /** The route for method + path; `methodNotAllowed` when only another method matches the path. */
  match(method: string, path: string): RouteMatch | 'methodNotAllowed' | undefined {
    const segments = splitPath(path);
    let pathMatched = false;
    for (const { route, segments: pattern } of this.routes) {
      const params = matchSegments(pattern, segments);
      if (!params) continue;
      if (route.method === method) return { route, params };
      pathMatched = true;
    }
    return pathMatched ? 'methodNotAllowed' : undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, p] of pattern.entries()) {
    const s = segments[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(s);
      } catch {
        return undefined;
      }
      params[p.slice(1, -1)] = value;
    } else if (p.toLowerCase() !== s.toLowerCase()) return undefined;
  }
  return params;
}
