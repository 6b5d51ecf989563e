/**
 * Test facade: one call starts the ARM stand-in, seeds a world and builds the real SDK clients; an
 * Event Grid sink records what the stand-in delivers (answering the validation handshake).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ArmClients } from '../../../infra/local/arm/createArmClients.js';
import { createArmClients } from '../../../infra/local/arm/createArmClients.js';
import type { SeededWorld, WorldSpec } from '../../../infra/local/arm/seedWorld.js';
import type { ArmStandIn, StartArmStandInOptions } from '../../../infra/local/arm/startArmStandIn.js';
import { startArmStandIn } from '../../../infra/local/arm/startArmStandIn.js';
import type { RawResponse } from './rawRequest.js';
import { rawRequest } from './rawRequest.js';

export interface StandInWorld extends ArmClients {
  readonly standIn: ArmStandIn;
  readonly world: SeededWorld;
  readonly rg: string;
  /** A plain HTTPS request to the stand-in (routes or headers the SDKs do not expose). */
  raw(options: Omit<Parameters<typeof rawRequest>[0], 'endpoint' | 'caPem'>): Promise<RawResponse>;
  stop(): Promise<void>;
}

export async function startStandInWorld(
  spec: WorldSpec = {},
  options: StartArmStandInOptions = {},
  clientOptions: { readonly maxRetries?: number } = {},
): Promise<StandInWorld> {
  const standIn = await startArmStandIn(options);
  const world = await standIn.admin.seed(spec);
  const clients = createArmClients({
    endpoint: standIn.endpoint,
    caPem: standIn.caPem,
    subscriptionId: standIn.subscriptionId,
    ...clientOptions,
  });
  return {
    ...clients,
    standIn,
    world,
    rg: world.resourceGroup,
    raw: (o) => rawRequest({ endpoint: standIn.endpoint, caPem: standIn.caPem, ...o }),
    stop: () => standIn.stop(),
  };
}

export interface ReceivedDelivery {
  readonly eventType: string | undefined;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

/** An Event Grid webhook sink on loopback: answers the handshake, records every POST. */
export async function startEventSink(options: { readonly failFirst?: number } = {}) {
  const received: ReceivedDelivery[] = [];
  let failures = options.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        eventType?: string;
        data?: { validationCode?: string };
      }[];
      const type = req.headers['aeg-event-type'];
      received.push({ eventType: typeof type === 'string' ? type : undefined, headers: req.headers, body });
      if (type === 'SubscriptionValidation') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ validationResponse: body[0]?.data?.validationCode }));
        return;
      }
      if (failures > 0) {
        failures -= 1;
        res.writeHead(503);
        res.end();
        return;
      }
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
  return {
    url,
    received,
    /** Notification payload events, flattened. */
    events: () =>
      received
        .filter((d) => d.eventType === 'Notification')
        .flatMap((d) => d.body as Record<string, unknown>[]),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
