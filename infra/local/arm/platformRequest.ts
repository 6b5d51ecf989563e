/**
 * A request the platform makes through ARM on its own (autoscale PATCHes a scale set, AKS recreates a
 * VM): it runs through the same resource provider code as a client request, so it conflicts, emits
 * events and bumps etags exactly like one, but it is not in the request log.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from './core/json.js';
import type { ArmRequest, Method } from './router.js';

export function platformRequest(options: {
  readonly method: Method;
  readonly path: string;
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly body?: JsonObject;
}): ArmRequest {
  return {
    method: options.method,
    path: options.path,
    query: new URLSearchParams({ 'api-version': options.apiVersion }),
    params: {},
    body: options.body,
    headers: {},
    clientRequestId: randomUUID(),
    correlationId: randomUUID(),
    lroFailure: undefined,
    baseUrl: options.baseUrl,
  };
}
