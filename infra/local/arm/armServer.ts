/**
 * The request pipeline, in ARM's order: operation status polls; authentication (a bearer token must
 * be present); route + api-version; fault rules; latency; throttling (ARM's subscription buckets, then
 * Compute's per-resource and per-subscription policies); the resource provider. Every answer carries
 * ARM's headers (`x-ms-request-id`, `x-ms-correlation-request-id`, `x-ms-ratelimit-remaining-*`) and
 * every error ARM's body `{error:{code,message}}`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArmError } from './core/armError.js';
import type { Json, JsonObject } from './core/json.js';
import { isObject, text } from './core/json.js';
import type { FaultEngine } from './engines/faultEngine.js';
import type { RequestLog } from './engines/requestLog.js';
import type { BucketRequest, ComputePolicy, ThrottleEngine } from './engines/throttleEngine.js';
import type { ProviderContext } from './providers/context.js';
import type { ApiFamily, ArmReply, ArmRequest, Method, Router } from './router.js';

const OPERATION_PATH =
  /^\/subscriptions\/([^/]+)\/providers\/(Microsoft\.(?:Compute|Network|Resources))\/locations\/([^/]+)\/(operations|operationResults)\/([^/]+)$/i;
const METHODS = new Set<string>(['GET', 'PUT', 'PATCH', 'POST', 'DELETE']);

export interface ArmServerDeps {
  readonly ctx: ProviderContext;
  readonly router: Router;
  readonly throttle: ThrottleEngine;
  readonly faults: FaultEngine;
  readonly log: RequestLog;
  /** Serves `/_admin/...`. */
  readonly admin: (
    method: string,
    path: string,
    query: URLSearchParams,
    body: Json | undefined,
  ) => Promise<ArmReply>;
  readonly baseUrl: () => string;
}

export class ArmServer {
  constructor(private readonly deps: ArmServerDeps) {}

  /** Node's request listener. Never throws: every failure becomes an ARM error answer. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    void this.serve(req, res).catch((e: unknown) => {
      if (!res.headersSent)
        send(
          res,
          new ArmError(500, 'InternalServerError', `stand-in failure: ${String(e)}`).toBody(),
          500,
          {},
        );
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const path = url.pathname;
    const requestId = randomUUID();
    const clientRequestId = headerOf(req, 'x-ms-client-request-id');
    const correlationId = headerOf(req, 'x-ms-correlation-request-id') ?? randomUUID();
    const baseHeaders: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': correlationId,
      ...(clientRequestId === undefined ? {} : { 'x-ms-client-request-id': clientRequestId }),
    };

    if (path === '/_admin' || path.startsWith('/_admin/')) {
      const entry = this.deps.log.start({
        method,
        path,
        apiVersion: undefined,
        resourceId: undefined,
        clientRequestId,
        category: 'admin',
      });
      let body: Json | undefined;
      try {
        body = raw === '' ? undefined : (JSON.parse(raw) as Json);
      } catch {
        return this.finish(
          res,
          entry,
          { status: 400, body: { error: { code: 'InvalidJson', message: 'admin body is not JSON' } } },
          baseHeaders,
        );
      }
      let reply: ArmReply;
      try {
        reply = await this.deps.admin(method, path.slice('/_admin'.length) || '/', url.searchParams, body);
      } catch (e) {
        reply = errorReply(e);
      }
      return this.finish(res, entry, reply, baseHeaders);
    }

    const opMatch = OPERATION_PATH.exec(path);
    if (opMatch) {
      const entry = this.deps.log.start({
        method,
        path,
        apiVersion: url.searchParams.get('api-version') ?? undefined,
        resourceId: undefined,
        clientRequestId,
        category: 'operation',
      });
      if (!authorized(req)) return this.finish(res, entry, errorReply(authError()), baseHeaders);
      const mode =
        opMatch[4]?.toLowerCase() === 'operationresults' || url.searchParams.get('monitor') === 'true'
          ? 'result'
          : 'status';
      const reply = await this.deps.ctx.lro.serveStatus(opMatch[5] ?? '', mode);
      if (reply === undefined)
        return this.finish(
          res,
          entry,
          errorReply(new ArmError(404, 'NotFound', `Operation ${opMatch[5] ?? ''} was not found.`)),
          baseHeaders,
        );
      return this.finish(res, entry, reply instanceof ArmError ? errorReply(reply) : reply, baseHeaders);
    }

    const matched = METHODS.has(method) ? this.deps.router.match(method, path) : undefined;
    const route = matched !== undefined && matched !== 'methodNotAllowed' ? matched : undefined;
    let resourceId: string | undefined;
    try {
      resourceId = route?.route.resourceId?.(route.params);
    } catch {
      resourceId = undefined;
    }
    const entry = this.deps.log.start({
      method,
      path,
      apiVersion: url.searchParams.get('api-version') ?? undefined,
      resourceId: resourceId ?? (method === 'GET' ? undefined : path),
      clientRequestId,
      category: 'arm',
    });
    try {
      if (!authorized(req)) throw authError();
      if (matched === undefined) throw unknownResourceType(path, url.searchParams.get('api-version'));
      if (matched === 'methodNotAllowed')
        throw new ArmError(
          405,
          'MethodNotAllowed',
          `The requested resource does not support http method '${method}'.`,
        );
      const { route: r, params } = matched;
      checkApiVersion(this.deps.ctx, r.api, url.searchParams.get('api-version'), path);

      const fault = this.deps.faults.match(method, path);
      if (fault?.latencyMs !== undefined) await sleep(fault.latencyMs);
      if (fault?.status !== undefined) {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
        throw new ArmError(
          fault.status,
          fault.code ?? 'InternalServerError',
          fault.message ?? 'Injected fault.',
          { headers },
        );
      }
      await sleep(this.deps.ctx.latency.requestMs(method === 'GET' ? 'read' : 'write'));

      let body: JsonObject | undefined;
      if (raw !== '' && method !== 'GET' && method !== 'DELETE') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch (e) {
          throw new ArmError(
            400,
            'InvalidRequestContent',
            `The request content was invalid and could not be deserialized: '${String(e)}'.`,
          );
        }
        if (!isObject(parsed))
          throw new ArmError(400, 'InvalidRequestContent', 'The request content must be a JSON object.');
        body = parsed;
      }
      const armReq: ArmRequest = {
        method: method as Method,
        path,
        query: url.searchParams,
        params,
        body,
        headers: req.headers,
        clientRequestId: clientRequestId ?? randomUUID(),
        correlationId,
        lroFailure:
          fault?.lroFailure === true
            ? {
                code: fault.code ?? 'InternalExecutionError',
                message: fault.message ?? 'An internal execution error occurred.',
              }
            : undefined,
        baseUrl: this.deps.baseUrl(),
      };
      const limits = this.takeThrottle(armReq, r.computePolicy?.(armReq), resourceId);
      const reply = await r.handler(armReq);
      return this.finish(res, entry, reply, { ...baseHeaders, ...limits });
    } catch (e) {
      return this.finish(res, entry, errorReply(e), baseHeaders);
    }
  }

  /** Takes ARM's and Compute's tokens; throws the 429 ARM or Compute would answer. */
  private takeThrottle(
    req: ArmRequest,
    policy: ComputePolicy | undefined,
    resourceId: string | undefined,
  ): Record<string, string> {
    const { throttle, ctx } = this.deps;
    const sub = req.params['subscriptionId'] ?? ctx.config.subscriptionId;
    const armBucket =
      req.method === 'GET'
        ? 'subscriptionReads'
        : req.method === 'DELETE'
          ? 'subscriptionDeletes'
          : 'subscriptionWrites';
    const armHeader = `x-ms-ratelimit-remaining-subscription-${armBucket === 'subscriptionReads' ? 'reads' : armBucket === 'subscriptionDeletes' ? 'deletes' : 'writes'}`;
    const armRequest = throttle.armBucket(armBucket, sub);
    const arm = throttle.take([armRequest]);
    if (!arm.ok) {
      const seconds = Math.ceil(arm.retryAfterMs / 1000);
      throw new ArmError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${armBucket === 'subscriptionReads' ? 'read' : armBucket === 'subscriptionDeletes' ? 'delete' : 'write'}' requests for subscription '${sub}' actor 'a0a0a0a0-0000-0000-0000-000000000001' exceeded. Please try again after '${seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
        { headers: { 'Retry-After': String(seconds), [armHeader]: '0' } },
      );
    }
    const headers: Record<string, string> = { [armHeader]: String(arm.remaining[0]?.remaining ?? 0) };
    if (policy === undefined || resourceId === undefined) return headers;
    const buckets: BucketRequest[] = throttle.computeBuckets(policy, sub, resourceId);
    const compute = throttle.take(buckets);
    if (!compute.ok) {
      const seconds = Math.ceil(compute.retryAfterMs / 1000);
      throw new ArmError(
        429,
        'OperationNotAllowed',
        'The server rejected the request because too many requests have been received for this subscription.',
        {
          details: [
            {
              code: 'TooManyRequests',
              target: compute.bucket.label.replace('Microsoft.Compute/', ''),
              message: JSON.stringify({
                operationGroup: compute.bucket.label.replace('Microsoft.Compute/', ''),
                retryAfterSeconds: seconds,
              }),
            },
          ],
          headers: {
            'Retry-After': String(seconds),
            'x-ms-ratelimit-remaining-resource': buckets
              .map((b) => `${b.label};${b === compute.bucket ? 0 : b.spec.capacity}`)
              .join(','),
          },
        },
      );
    }
    headers['x-ms-ratelimit-remaining-resource'] = compute.remaining
      .map((r) => `${r.label};${r.remaining}`)
      .join(',');
    return headers;
  }

  private finish(
    res: ServerResponse,
    entry: { status: number; errorCode: string | undefined },
    reply: ArmReply,
    headers: Record<string, string>,
  ): void {
    entry.status = reply.status;
    const body = reply.body;
    if (isObject(body) && isObject(body['error'])) entry.errorCode = text(body['error']['code']);
    send(res, body, reply.status, { ...headers, ...reply.headers });
  }
}

function send(
  res: ServerResponse,
  body: Json | undefined,
  status: number,
  headers: Record<string, string>,
): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    ...(payload === '' ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function errorReply(e: unknown): ArmReply {
  if (e instanceof ArmError) return { status: e.status, body: e.toBody(), headers: { ...e.headers } };
  const msg = e instanceof Error ? e.message : String(e);
  return {
    status: 500,
    body: { error: { code: 'InternalServerError', message: `stand-in failure: ${msg}` } },
  };
}

function authorized(req: IncomingMessage): boolean {
  return /^Bearer\s+\S+/i.test(headerOf(req, 'authorization') ?? '');
}

function authError(): ArmError {
  return new ArmError(
    401,
    'AuthenticationFailed',
    "Authentication failed. The 'Authorization' header is missing.",
    {
      headers: {
        'WWW-Authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token"',
      },
    },
  );
}

function unknownResourceType(path: string, apiVersion: string | null): ArmError {
  const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(path);
  if (!m)
    return new ArmError(
      404,
      'NotFound',
      `No HTTP resource was found that matches the request URI '${path}'.`,
    );
  return new ArmError(
    404,
    'InvalidResourceType',
    `The resource type '${m[2] ?? ''}' could not be found in the namespace '${m[1] ?? ''}' for api version '${apiVersion ?? ''}'.`,
  );
}

/** ARM rejects a missing, malformed or unknown api-version before the resource provider sees the request. */
function checkApiVersion(
  ctx: ProviderContext,
  family: ApiFamily,
  apiVersion: string | null,
  path: string,
): void {
  if (apiVersion === null || apiVersion === '')
    throw new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion))
    throw new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${apiVersion}' is invalid. The supported versions are '${ctx.config.apiVersions[family].join(',')}'.`,
    );
  const supported = ctx.config.apiVersions[family];
  if (supported.includes(apiVersion)) return;
  const m = /\/providers\/[^/]+\/([^/]+)/i.exec(path);
  throw new ArmError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location '${ctx.config.location}' and API version '${apiVersion}' for type '${m?.[1] ?? 'resourceGroups'}'. The supported api-versions are '${supported.join(', ')}'. The supported locations are '${ctx.config.location}'.`,
  );
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
