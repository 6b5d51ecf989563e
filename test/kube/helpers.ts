/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import type { KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';

/** The Status body of a failed client-node call. */
export function statusOf(e: unknown): { code: number; reason: string; message: string; details?: any } {
  assert.ok(e instanceof k8s.ApiException, `expected ApiException, got ${String(e)}`);
  return typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
}

/** Polls (bounded) until `check` holds: for effects of the server's asynchronous controllers. */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A raw HTTPS request to the stand-in (for headers client-node does not let us set). */
export function raw(
  kube: KubeStandIn,
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, kube.url);
    const req = request(
      url,
      { method, ca: kube.caPem, headers: { Authorization: `Bearer ${kube.token}`, ...(opts.headers ?? {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
