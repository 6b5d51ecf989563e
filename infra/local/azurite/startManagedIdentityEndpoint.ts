/**
 * A stand-in for the managed identity endpoint App Service gives a Functions app, so identity-based
 * storage runs locally through the real `ManagedIdentityCredential` (@azure/identity → MSAL's App
 * Service source) and the real storage SDKs, against Azurite started with `oauth: 'basic'`.
 *
 * The protocol, as MSAL's App Service source speaks it (App Service managed identity, api-version
 * 2019-08-01): the platform sets `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`; the client sends
 * `GET <IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=<resource>[&client_id=<id>]` with the
 * header `X-IDENTITY-HEADER: <IDENTITY_HEADER>`; the answer is JSON `{access_token, expires_on (epoch
 * seconds), resource, token_type, client_id}`. No `client_id` means the system-assigned identity.
 *
 * Tokens are unsigned JWTs shaped for Azurite's basic OAuth check (issuer under
 * `https://sts.windows.net/`, audience = the requested resource, iat/nbf/exp); Azurite does not check
 * signatures, Azure would. Each request is recorded so a test can see which identity asked for what.
 *
 * MSAL picks its managed identity source once per process, from the environment at the first token
 * request: set `env` before the first `getToken` and keep this endpoint for the rest of the process.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One token request as the endpoint received it. */
export interface ManagedIdentityTokenRequest {
  readonly resource: string;
  /** The user-assigned identity's client id; undefined for the system-assigned identity. */
  readonly clientId: string | undefined;
  readonly apiVersion: string | undefined;
}

export interface ManagedIdentityEndpoint {
  /** The environment App Service would give the app. */
  readonly env: { readonly IDENTITY_ENDPOINT: string; readonly IDENTITY_HEADER: string };
  /** Token requests answered, oldest first. */
  readonly requests: readonly ManagedIdentityTokenRequest[];
  stop(): Promise<void>;
}

/** The tenant the minted tokens name (any GUID: Azurite only checks the issuer's prefix). */
export const STAND_IN_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
/** The principal of the system-assigned identity in minted tokens. */
export const SYSTEM_ASSIGNED_CLIENT_ID = '00000000-0000-0000-0000-0000000000aa';

/**
 * An unsigned access token Azurite's `--oauth basic` accepts for `audience` (e.g.
 * `https://storage.azure.com`), valid from a minute ago for `lifetimeMs`.
 */
export function mintStandInToken(options: {
  readonly audience: string;
  readonly clientId: string;
  readonly nowMs?: number;
  readonly lifetimeMs?: number;
}): string {
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = {
    aud: options.audience,
    iss: `https://sts.windows.net/${STAND_IN_TENANT}/`,
    iat: now - 60,
    nbf: now - 60,
    exp: now + Math.floor((options.lifetimeMs ?? 3_600_000) / 1000),
    appid: options.clientId,
    oid: options.clientId,
    sub: options.clientId,
    tid: STAND_IN_TENANT,
    ver: '1.0',
  };
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${Buffer.from('unsigned').toString('base64url')}`;
}

/** Starts the endpoint on a loopback port. */
export async function startManagedIdentityEndpoint(): Promise<ManagedIdentityEndpoint> {
  const secret = randomBytes(16).toString('hex');
  const requests: ManagedIdentityTokenRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== '/msi/token')
      return answer(404, { error: 'not_found', error_description: `${req.method} ${url.pathname}` });
    if (req.headers['x-identity-header'] !== secret)
      return answer(401, {
        error: 'unauthorized',
        error_description: 'X-IDENTITY-HEADER is missing or wrong',
      });
    const resource = url.searchParams.get('resource');
    if (resource === null || resource === '')
      return answer(400, { error: 'invalid_request', error_description: 'resource is required' });
    const clientId = url.searchParams.get('client_id') ?? undefined;
    requests.push({ resource, clientId, apiVersion: url.searchParams.get('api-version') ?? undefined });
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    answer(200, {
      access_token: mintStandInToken({ audience: resource, clientId: clientId ?? SYSTEM_ASSIGNED_CLIENT_ID }),
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: clientId ?? SYSTEM_ASSIGNED_CLIENT_ID,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
