/**
 * The agent's CNI endpoint: HTTP on a unix socket, `POST /v1/cni/{add,del,check}` with a
 * {@link CniRequest} body. 200 with `{result}` (ADD) or `{}`; otherwise a CNI error body.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { isEgretError, errorMessage } from '../../shared/core/errors.js';
import type { Logger } from '../common/logger.js';
import { CNI_ERROR, type CniErrorBody, type CniRequest } from './cni/cniProtocol.js';
import { CniCallError, type CniService } from './cniService.js';

export interface CniServer {
  close(): Promise<void>;
}

function validate(body: unknown, command: CniRequest['command']): CniRequest {
  const b = body as Partial<CniRequest> | null;
  const str = (v: unknown): v is string => typeof v === 'string';
  if (
    b === null ||
    typeof b !== 'object' ||
    !str(b.containerId) ||
    !str(b.netns) ||
    !str(b.podName) ||
    !str(b.podNamespace)
  )
    throw new CniCallError(
      CNI_ERROR.invalidConfig,
      'malformed request: containerId, netns, podName, podNamespace are required',
    );
  return {
    command,
    containerId: b.containerId,
    netns: b.netns,
    ifName: str(b.ifName) && b.ifName !== '' ? b.ifName : 'eth0',
    podName: b.podName,
    podNamespace: b.podNamespace,
    cniVersion: str(b.cniVersion) ? b.cniVersion : '1.0.0',
    ...(b.prevResult === undefined ? {} : { prevResult: b.prevResult }),
  };
}

export async function startCniServer(options: {
  readonly socketPath: string;
  readonly service: CniService;
  readonly log: Logger;
  /** Upper bound of one call (the plugin's own deadline is the conflist's timeoutMs). */
  readonly callTimeoutMs?: number;
}): Promise<CniServer> {
  const { service, log } = options;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (text += d));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const m = /^\/v1\/cni\/(add|del|check)$/.exec(req.url ?? '');
      if (req.method !== 'POST' || m?.[1] === undefined) {
        reply(404, {
          cniVersion: '1.0.0',
          code: CNI_ERROR.internal,
          msg: `no such endpoint ${req.method} ${req.url}`,
        });
        return;
      }
      const command = m[1].toUpperCase() as CniRequest['command'];
      const signal = AbortSignal.timeout(options.callTimeoutMs ?? 30_000);
      void (async () => {
        try {
          const call = validate(JSON.parse(text), command);
          if (command === 'ADD') reply(200, { result: await service.add(call, signal) });
          else if (command === 'DEL') {
            await service.del(call, signal);
            reply(200, {});
          } else {
            await service.check(call, signal);
            reply(200, {});
          }
        } catch (e) {
          const body: CniErrorBody =
            e instanceof CniCallError
              ? {
                  cniVersion: '1.0.0',
                  code: e.code,
                  msg: e.message,
                  ...(e.details === undefined ? {} : { details: e.details }),
                }
              : {
                  cniVersion: '1.0.0',
                  code:
                    isEgretError(e) && e.code === 'ValidationError'
                      ? CNI_ERROR.invalidConfig
                      : CNI_ERROR.tryAgainLater,
                  msg: errorMessage(e),
                };
          log.warn('CNI call failed', { command, code: body.code, msg: body.msg });
          reply(e instanceof CniCallError && e.code === CNI_ERROR.invalidConfig ? 400 : 500, body);
        }
      })();
    });
  });
  mkdirSync(dirname(options.socketPath), { recursive: true });
  rmSync(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolve());
  });
  chmodSync(options.socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(options.socketPath, { force: true });
          resolve();
        });
      }),
  };
}
