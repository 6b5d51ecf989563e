/**
 * HTTP front of the stand-in: parses Kubernetes API paths into targets (as the apiserver's
 * RequestInfo does), serves discovery/version/OpenAPI, applies test faults and latency, logs
 * every request, and renders every failure as a `Status` object.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiServer, type Target } from './apiServer.js';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  coreVersions,
  openApiV2Json,
  openApiV2Protobuf,
  versionInfo,
} from './discovery.js';
import type { JsonObject } from './json.js';
import { KubeApiError, methodNotAllowed, pathNotFound } from './kubeStatus.js';

/** One served request, as the in-process request log keeps it. */
export interface RequestLogEntry {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; or `discovery`. */
  readonly verb: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly contentType?: string;
  readonly userAgent?: string;
  readonly status: number;
}

/** What a fault rule matches; every given field must match. */
export interface FaultMatch {
  readonly method?: string;
  readonly verb?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Substring of, or pattern for, the URL path. */
  readonly path?: string | RegExp;
}

/** An injected failure: matching requests get this Status (the first `times` of them). */
export interface FaultRule {
  readonly match?: FaultMatch;
  readonly status: number;
  readonly reason?: string;
  readonly message?: string;
  readonly times?: number;
  readonly retryAfterSeconds?: number;
}

interface Parsed {
  readonly verb: string;
  readonly target?: Target;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export interface RouterOptions {
  /** If set, requests must carry `Authorization: Bearer <token>` (401 otherwise). */
  readonly token?: string;
  readonly serverAddress: () => string;
}

export class HttpRouter {
  readonly log: RequestLogEntry[] = [];
  private faults: { rule: FaultRule; left: number }[] = [];
  private latency: (entry: { method: string; path: string; verb: string }) => number = () => 0;

  constructor(
    private readonly api: ApiServer,
    private readonly options: RouterOptions,
  ) {}

  /** Adds a fault rule; returns a function removing it. */
  addFault(rule: FaultRule): () => void {
    const f = { rule, left: rule.times ?? Number.POSITIVE_INFINITY };
    this.faults.push(f);
    return () => {
      this.faults = this.faults.filter((x) => x !== f);
    };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Delays every matching request (real time; keep it small in tests). */
  setLatency(ms: number | ((req: { method: string; path: string; verb: string }) => number)): void {
    this.latency = typeof ms === 'number' ? () => ms : ms;
  }

  private parse(method: string, path: string, query: URLSearchParams): Parsed {
    const parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api') {
      if (parts.length <= 2) return { verb: 'discovery' };
      group = '';
      version = parts[1]!;
      rest = parts.slice(2);
    } else if (parts[0] === 'apis') {
      if (parts.length <= 3) return { verb: 'discovery' };
      group = parts[1]!;
      version = parts[2]!;
      rest = parts.slice(3);
    } else return { verb: 'discovery' };
    let watch = query.get('watch') === 'true' || query.get('watch') === '1';
    if (rest[0] === 'watch') {
      watch = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    if (
      rest[0] === 'namespaces' &&
      rest.length >= 2 &&
      !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]!))
    ) {
      if (rest.length > 2) {
        namespace = rest[1];
        rest = rest.slice(2);
      }
    }
    const [resource, name, subresource, ...extra] = rest;
    if (resource === undefined || extra.length > 0) throw pathNotFound();
    const type = this.api.registry.find(group, version, resource);
    if (type === undefined) throw pathNotFound();
    if (type.namespaced && namespace === undefined && name !== undefined) throw pathNotFound();
    if (!type.namespaced && namespace !== undefined) throw pathNotFound();
    if (subresource !== undefined && !(subresource === 'status' && type.statusSubresource))
      throw pathNotFound();
    const verb = (() => {
      switch (method) {
        case 'GET':
          return watch ? 'watch' : name === undefined ? 'list' : 'get';
        case 'POST':
          return 'create';
        case 'PUT':
          return 'update';
        case 'PATCH':
          return 'patch';
        case 'DELETE':
          return name === undefined ? 'deletecollection' : 'delete';
        default:
          return method.toLowerCase();
      }
    })();
    return {
      verb,
      target: { type, version, namespace, name, subresource },
      resource,
      ...(subresource === undefined ? {} : { subresource }),
      ...(namespace === undefined ? {} : { namespace }),
      ...(name === undefined ? {} : { name }),
    };
  }

  private matchFault(method: string, path: string, p: Parsed): FaultRule | undefined {
    for (const f of this.faults) {
      if (f.left <= 0) continue;
      const m = f.rule.match ?? {};
      if (m.method !== undefined && m.method.toUpperCase() !== method) continue;
      if (m.verb !== undefined && m.verb !== p.verb) continue;
      if (m.resource !== undefined && m.resource !== p.resource) continue;
      if (m.subresource !== undefined && m.subresource !== p.subresource) continue;
      if (m.namespace !== undefined && m.namespace !== p.namespace) continue;
      if (m.name !== undefined && m.name !== p.name) continue;
      if (m.path !== undefined && (typeof m.path === 'string' ? !path.includes(m.path) : !m.path.test(path)))
        continue;
      f.left--;
      return f.rule;
    }
    return undefined;
  }

  /** The node:http(s) request listener. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void this.serve(req, res, Buffer.concat(chunks));
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const query = url.searchParams;
    const contentType = req.headers['content-type'];
    let parsed: Parsed = { verb: 'discovery' };
    const record = (status: number): void => {
      this.log.push({
        at: this.api.now().toISOString(),
        method,
        path: url.pathname,
        query: url.search.replace(/^\?/, ''),
        verb: parsed.verb,
        status,
        ...(parsed.resource === undefined ? {} : { resource: parsed.resource }),
        ...(parsed.subresource === undefined ? {} : { subresource: parsed.subresource }),
        ...(parsed.namespace === undefined ? {} : { namespace: parsed.namespace }),
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        ...(contentType === undefined ? {} : { contentType }),
        ...(req.headers['user-agent'] === undefined ? {} : { userAgent: req.headers['user-agent'] }),
      });
    };
    try {
      if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`)
        throw new KubeApiError(401, 'Unauthorized', 'Unauthorized');
      parsed = this.parse(method, url.pathname, query);
      const delay = this.latency({ method, path: url.pathname, verb: parsed.verb });
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const fault = this.matchFault(method, url.pathname, parsed);
      if (fault !== undefined) {
        const err = new KubeApiError(
          fault.status,
          fault.reason ?? REASONS[fault.status] ?? 'InternalError',
          fault.message ?? `injected fault (${fault.status})`,
          fault.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: fault.retryAfterSeconds },
        );
        if (fault.retryAfterSeconds !== undefined)
          res.setHeader('Retry-After', String(fault.retryAfterSeconds));
        throw err;
      }
      if (parsed.target === undefined) {
        this.discovery(req, res, method, url.pathname);
        record(res.statusCode);
        return;
      }
      const t = parsed.target;
      const accept = req.headers.accept;
      let reply;
      switch (parsed.verb) {
        case 'watch':
          this.api.watch(t, query, accept, res);
          record(200);
          return;
        case 'get':
          reply = this.api.get(t);
          break;
        case 'list':
          reply = this.api.list(t, query, accept);
          break;
        case 'create':
          if (t.name !== undefined)
            throw methodNotAllowed(`the server does not allow this method on the requested resource`);
          reply = this.api.create(t, ApiServer.parseBody(body), query);
          break;
        case 'update':
          if (t.name === undefined)
            throw methodNotAllowed('the server does not allow this method on the requested resource');
          reply = this.api.update(t, ApiServer.parseBody(body), query);
          break;
        case 'patch':
          if (t.name === undefined)
            throw methodNotAllowed('the server does not allow this method on the requested resource');
          reply = this.api.patch(t, contentType ?? '', body, query);
          break;
        case 'delete':
          reply = this.api.delete(t, ApiServer.deleteOptions(body), query);
          break;
        case 'deletecollection':
          reply = this.api.deleteCollection(t, ApiServer.deleteOptions(body), query);
          break;
        default:
          throw methodNotAllowed('the server does not allow this method on the requested resource');
      }
      for (const w of reply.warnings ?? []) res.appendHeader('Warning', `299 - ${JSON.stringify(w)}`);
      this.send(res, reply.status, reply.body);
      record(reply.status);
    } catch (e) {
      const err =
        e instanceof KubeApiError
          ? e
          : new KubeApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      if (!res.headersSent) this.send(res, err.code, err.toStatus());
      else res.end();
      record(err.code);
    }
  }

  private send(
    res: ServerResponse,
    status: number,
    body: JsonObject | Buffer,
    contentType = 'application/json',
  ): void {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': data.length });
    res.end(data);
  }

  private discovery(req: IncomingMessage, res: ServerResponse, method: string, path: string): void {
    if (method !== 'GET')
      throw methodNotAllowed('the server does not allow this method on the requested resource');
    const reg = this.api.registry;
    const parts = path.split('/').filter((p) => p !== '');
    const p = `/${parts.join('/')}`;
    if (p === '/version') return this.send(res, 200, versionInfo());
    if (p === '/healthz' || p === '/livez' || p === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (p === '/api') return this.send(res, 200, coreVersions(this.options.serverAddress()));
    if (p === '/apis') return this.send(res, 200, apiGroupList(reg));
    if (parts[0] === 'api' && parts.length === 2) {
      const list = apiResourceList(reg, '', parts[1]!);
      if (list !== undefined) return this.send(res, 200, list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = apiGroup(reg, parts[1]!);
      if (g !== undefined) return this.send(res, 200, g);
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = apiResourceList(reg, parts[1]!, parts[2]!);
      if (list !== undefined) return this.send(res, 200, list);
    }
    if (p === '/openapi/v2') {
      const accept = req.headers.accept ?? '';
      if (accept.includes('protobuf'))
        return this.send(
          res,
          200,
          openApiV2Protobuf(),
          'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
        );
      return this.send(res, 200, openApiV2Json());
    }
    if (p === '/') {
      return this.send(res, 200, {
        paths: ['/api', '/api/v1', '/apis', '/openapi/v2', '/version', '/healthz'],
      });
    }
    throw pathNotFound();
  }
}
