/**
 * The host's HTTP front door:
 * - `/<routePrefix>/<route>` → HTTP triggers (route templates, methods, authLevel). A request whose
 *   path or method matches no function gets 404, as the host's router answers. A handler that throws
 *   gives 500 with an empty body; a handler that returns nothing gives 204 (Functions 2.x+ default).
 * - `POST /runtime/webhooks/EventGrid?functionName=<name>` → Event Grid triggers, answered as the
 *   Event Grid extension does (see `handleEventGrid`).
 * - `GET /admin/host/status` and `POST /admin/functions/<name>` (`{ "input": ... }` → 202) for
 *   non-HTTP functions, both master-key protected as in Azure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionRegistration } from './describeRegistration.js';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from './functionsCore.js';
import type { HostRuntime } from './hostRuntime.js';
import { compareRoutePrecedence, compileRouteTemplate, type RouteTemplate } from './routeTemplate.js';

interface HttpRoute {
  readonly reg: FunctionRegistration & { readonly trigger: { readonly kind: 'http' } };
  readonly template: RouteTemplate;
}

export interface HttpFrontDoorOptions {
  /** Largest accepted request body; the host's default limit is 100 MiB. */
  readonly maxRequestBodyBytes?: number;
  /** Invokes a non-HTTP function from `POST /admin/functions/<name>`. */
  readonly invokeNonHttp: (name: string, input: unknown) => Promise<void> | 'notFound';
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Builds the request listener for `http.createServer`. */
export function createHttpFrontDoor(
  rt: HostRuntime,
  options: HttpFrontDoorOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: HttpRoute[] = [];
  for (const reg of rt.registrations.values())
    if (reg.trigger.kind === 'http')
      routes.push({ reg: reg as HttpRoute['reg'], template: compileRouteTemplate(reg.trigger.route) });
  routes.sort((a, b) => compareRoutePrecedence(a.template, b.template));
  const prefix = rt.config.routePrefix.toLowerCase();
  const maxBody = options.maxRequestBodyBytes ?? 100 * 1024 * 1024;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const path = url.pathname;
    const lower = path.toLowerCase();
    const presentedKey = header(req, 'x-functions-key') ?? url.searchParams.get('code') ?? undefined;

    if (lower === '/runtime/webhooks/eventgrid' || lower === '/runtime/webhooks/eventgrid/') {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'Method Not Allowed');
      if (!rt.authorized('system:eventgrid_extension', '', presentedKey))
        return send(res, 401, 'text/plain', '');
      const body = await readBody(req, maxBody);
      return handleEventGrid(rt, url, req, body, res);
    }
    if (lower === '/admin/host/status') {
      if (!rt.authorized('admin', '', presentedKey)) return send(res, 401, 'text/plain', '');
      return send(res, 200, 'application/json', JSON.stringify({ state: 'Running', version: '4-local' }));
    }
    const admin = /^\/admin\/functions\/([^/]+)\/?$/i.exec(path);
    if (admin && req.method === 'POST') {
      if (!rt.authorized('admin', '', presentedKey)) return send(res, 401, 'text/plain', '');
      const body = await readBody(req, maxBody);
      let input: unknown;
      try {
        input =
          body.length === 0 ? undefined : (JSON.parse(body.toString('utf8')) as { input?: unknown }).input;
      } catch {
        return send(res, 400, 'text/plain', 'body must be JSON like {"input": ...}');
      }
      const started = options.invokeNonHttp(decodeURIComponent(admin[1]!), input);
      if (started === 'notFound') return send(res, 404, 'text/plain', '');
      started.catch(() => undefined); // the outcome is logged; the caller only learns it was accepted
      return send(res, 202, 'text/plain', '');
    }

    let rest: string | undefined;
    if (prefix === '') rest = path.replace(/^\/+/, '');
    else if (lower === `/${prefix}` || lower.startsWith(`/${prefix}/`)) rest = path.slice(prefix.length + 2);
    if (rest === undefined) return send(res, 404, 'text/plain', '');
    const method = (req.method ?? 'GET').toUpperCase();
    let found: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const route of routes) {
      if (!route.reg.trigger.methods.includes(method)) continue;
      const params = route.template.match(rest);
      if (params) {
        found = { route, params };
        break;
      }
    }
    if (!found) return send(res, 404, 'text/plain', '');
    const { route, params } = found;
    if (!rt.authorized(route.reg.trigger.authLevel, route.reg.name, presentedKey))
      return send(res, 401, 'text/plain', '');

    const body = await readBody(req, maxBody);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const http: RpcHttpData = {
      method,
      url: url.href,
      headers,
      params,
      identities: [],
      ...(body.length > 0 ? { body: { bytes: new Uint8Array(body) } } : {}),
    };
    const target = rt.find(route.reg.name)!;
    let result;
    try {
      result = await rt.invoke(target, 'http', { triggerData: { http } });
    } catch {
      return send(res, 500, 'text/plain', '');
    }
    writeHttpResult(res, result.returnValue?.http);
  };

  // The whole exchange counts as in flight until the response is written, so stop() drains it.
  return (req, res) => {
    const finished = new Promise<void>((resolve) => res.once('close', resolve));
    void rt.track(
      handle(req, res)
        .catch((e: unknown) => {
          if (res.headersSent) return void res.destroy();
          if (e instanceof HttpError) send(res, e.status, 'text/plain', e.message);
          else send(res, 500, 'text/plain', '');
        })
        .then(() => finished),
    );
  };
}

/**
 * The Event Grid extension's webhook (Microsoft.Azure.WebJobs.Extensions.EventGrid
 * `EventGridExtensionConfigProvider.ProcessAsync`): unknown function → 404 "cannot find function";
 * `aeg-event-type: SubscriptionValidation` → 200 `{"validationResponse": code}` without invoking the
 * function; `Notification` → one invocation per element of the array (Event Grid schema) or one for
 * an object (CloudEvents), all in parallel, 202 when all succeed, 500 with the first error message
 * otherwise (Event Grid then retries the whole batch); `Unsubscribe`/`SubscriptionDeletion` → 202;
 * anything else, or a body that is not JSON → 400.
 */
async function handleEventGrid(
  rt: HostRuntime,
  url: URL,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): Promise<void> {
  const name = url.searchParams.get('functionName') ?? '';
  const target = rt.find(name);
  if (!target || target.reg.trigger.kind !== 'eventGrid')
    return send(res, 404, 'text/plain', `cannot find function: '${name}'`);
  const type = (header(req, 'aeg-event-type') ?? '').toLowerCase();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return send(res, 400, 'text/plain', 'the request body is not JSON');
  }
  if (type === 'subscriptionvalidation') {
    const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    const code = (first as { data?: { validationCode?: unknown } } | undefined)?.data?.validationCode;
    if (typeof code !== 'string')
      return send(res, 400, 'text/plain', 'no data.validationCode in the validation event');
    rt.env.log({
      level: 'information',
      category: 'system',
      message: `perform handshake with eventGrid for function: ${target.reg.name}`,
    });
    return send(res, 200, 'application/json', JSON.stringify({ validationResponse: code }));
  }
  if (type === 'notification') {
    let events: unknown[];
    if (Array.isArray(parsed)) events = parsed;
    else if (typeof parsed === 'object' && parsed !== null) events = [parsed];
    else return send(res, 400, 'text/plain', 'expected a JSON array of events or one CloudEvent object');
    let texts: string[];
    try {
      texts = events.map((ev) => JSON.stringify(ev));
    } catch {
      // Nested too deep to serialise again (V8's JSON.stringify recurses): the real host's JSON
      // reader refuses such a body too (Newtonsoft's MaxDepth), before any invocation.
      return send(res, 400, 'text/plain', 'the request body nests too deeply');
    }
    const outcomes = await Promise.allSettled(
      texts.map((json) => rt.invoke(target, 'eventGrid', { triggerData: { json } })),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) {
      const reason: unknown = failed.reason;
      return send(res, 500, 'text/plain', reason instanceof Error ? reason.message : String(reason));
    }
    return send(res, 202, 'text/plain', '');
  }
  if (type === 'unsubscribe' || type === 'subscriptiondeletion') return send(res, 202, 'text/plain', '');
  return send(res, 400, 'text/plain', 'missing or unknown aeg-event-type header');
}

function writeHttpResult(res: ServerResponse, http: RpcHttpData | undefined): void {
  if (!http) {
    res.writeHead(204);
    res.end();
    return;
  }
  const status = Number(http.statusCode ?? '200');
  const headers: Record<string, string | string[]> = { ...http.headers };
  const cookies = (http.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = bodyBytes(http.body);
  res.writeHead(Number.isInteger(status) && status >= 100 && status <= 999 ? status : 500, headers);
  res.end(body);
}

function bodyBytes(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.string !== undefined) return Buffer.from(data.string);
  if (data.json !== undefined) return Buffer.from(data.json);
  return Buffer.alloc(0);
}

function serializeCookie(c: RpcHttpCookie): string {
  const parts = [`${c.name ?? ''}=${c.value ?? ''}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  if (c.expires?.value?.seconds !== undefined)
    parts.push(`Expires=${new Date(c.expires.value.seconds * 1000).toUTCString()}`);
  if (c.maxAge?.value !== undefined) parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  // The library sends 'none' (not set), 'lax', 'strict' or 'explicitNone'.
  const sameSite = ({ lax: 'Lax', strict: 'Strict', explicitnone: 'None' } as Record<string, string>)[
    String(c.sameSite ?? '').toLowerCase()
  ];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.pause();
        reject(new HttpError(413, `request body larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, body === '' ? {} : { 'content-type': contentType });
  res.end(body);
}
