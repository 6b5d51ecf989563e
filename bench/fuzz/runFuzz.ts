/**
 * The HTTP fuzzer (issue 12 item 4): seeded requests from fuzzRequests.ts against the real local
 * Functions host (infra/local/functions-host) serving egret's app over Azurite and the ARM stand-in
 * (the sandbox), then a valid configuration that must still converge. Every answer is checked:
 * - no status ≥ 500 (storage is up, so not even a 503);
 * - a 400 or 413 from egret's handlers is JSON naming the field (`problems[0].field`);
 * - the Event Grid handshake echoes its code.
 * Memory: the process's RSS (the host and the ARM stand-in run in it; Azurite is a child) is sampled
 * every 500 requests.
 */
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startSandbox, type Sandbox } from '../../infra/local/sandbox/startSandbox.js';
import { fuzzRequest, type FuzzRequest } from './fuzzRequests.js';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  readonly requests: number;
  readonly seed: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  /** Progress lines (every 5,000 requests). */
  readonly progress?: (line: string) => void;
}

/** An answer that broke a rule. */
export interface FuzzViolation {
  readonly rule: string;
  readonly target: FuzzRequest['target'];
  readonly status: number;
  readonly request: string;
  readonly answer: string;
}

/** What a run found. */
export interface FuzzReport {
  readonly seed: number;
  readonly requests: number;
  /** Status → count, per target. */
  readonly histogram: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly violations: readonly FuzzViolation[];
  readonly rssMiB: {
    readonly start: number;
    readonly afterTenth: number;
    readonly peak: number;
    readonly end: number;
  };
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Whether a valid configuration applied after the fuzz became Ready. */
  readonly convergedAfter: boolean;
}

const FUZZ_CLUSTER = 'fuzz-cluster';

/** Starts a sandbox, fuzzes it, checks convergence, stops it. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  // The TypeScript registrations (as the tests load them), so no build is needed.
  const dir = join(REPO_ROOT, 'functions');
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(dir, f));
  const sandbox = await startSandbox({ modules, log: () => undefined });
  try {
    return await fuzzSandbox(sandbox, options);
  } finally {
    await sandbox.stop();
  }
}

async function fuzzSandbox(sandbox: Sandbox, options: FuzzOptions): Promise<FuzzReport> {
  const base = sandbox.describe().functionsBaseUrl;
  const arbitrary = fuzzRequest({
    secret: sandbox.relaySecret,
    clusterId: FUZZ_CLUSTER,
    subscriptionId: sandbox.arm.subscriptionId,
    resourceGroup: sandbox.seeded.resourceGroup,
    vmssName: Object.keys(sandbox.seeded.scaleSets)[0] ?? 'aks-gw-vmss',
    nowSeconds: () => Date.now() / 1000,
  });
  const histogram: Record<string, Record<string, number>> = {};
  const violations: FuzzViolation[] = [];
  const mib = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
  const rss = { start: mib(), afterTenth: 0, peak: mib(), end: 0 };
  const started = Date.now();
  const batch = 500;
  let sent = 0;
  for (let b = 0; sent < options.requests; b++) {
    const n = Math.min(batch, options.requests - sent);
    const requests = fc.sample(arbitrary, { seed: options.seed + b, numRuns: n });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const r = requests[next++] as FuzzRequest;
        const { status, answer } = await send(base, r);
        const counts = (histogram[r.target] ??= {});
        counts[String(status)] = (counts[String(status)] ?? 0) + 1;
        const rule = broken(r, status, answer);
        if (rule !== undefined && violations.length < 50)
          violations.push({
            rule,
            target: r.target,
            status,
            request: describe(r),
            answer: answer.slice(0, 500),
          });
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, () => worker()));
    sent += n;
    rss.peak = Math.max(rss.peak, mib());
    if (rss.afterTenth === 0 && sent >= options.requests / 10) rss.afterTenth = mib();
    if (sent % 5000 === 0)
      options.progress?.(`${sent} requests, ${violations.length} violations, rss ${mib()} MiB`);
  }
  rss.end = mib();
  const seconds = (Date.now() - started) / 1000;
  const convergedAfter = await convergesAfter(sandbox);
  return {
    seed: options.seed,
    requests: sent,
    histogram,
    violations,
    rssMiB: rss,
    seconds: Math.round(seconds),
    requestsPerSecond: Math.round(sent / seconds),
    convergedAfter,
  };
}

async function send(base: string, r: FuzzRequest): Promise<{ status: number; answer: string }> {
  try {
    const res = await fetch(`${base}${r.path}`, {
      method: r.method,
      headers: r.headers,
      ...(r.body === undefined ? {} : { body: r.body }),
      signal: AbortSignal.timeout(120_000),
    });
    return { status: res.status, answer: await res.text() };
  } catch (e) {
    // The client refused to send it (an invalid header value): not an answer of the server.
    return { status: 0, answer: String(e) };
  }
}

/** The rule an answer breaks, or undefined. */
function broken(r: FuzzRequest, status: number, answer: string): string | undefined {
  if (status >= 500) return 'no answer ≥ 500';
  const ours = r.target === 'relayEvents' || r.target === 'relayStatus' || r.target === 'admin';
  if (ours && (status === 400 || status === 413)) {
    try {
      const field = (JSON.parse(answer) as { problems?: { field?: unknown }[] }).problems?.[0]?.field;
      if (typeof field !== 'string' || field === '') return 'a rejection names its field';
    } catch {
      return 'a rejection is JSON naming its field';
    }
  }
  if (
    r.target === 'handshake' &&
    status === 200 &&
    r.headers['aeg-event-type'] === 'SubscriptionValidation'
  ) {
    const code = (JSON.parse(String(r.body)) as [{ data?: { validationCode?: unknown } }] | undefined)?.[0]
      ?.data?.validationCode;
    let echoed: unknown;
    try {
      echoed = (JSON.parse(answer) as { validationResponse?: unknown }).validationResponse;
    } catch {
      echoed = undefined;
    }
    if (echoed !== code) return 'the handshake echoes its validation code';
  }
  return undefined;
}

function describe(r: FuzzRequest): string {
  const body =
    r.body === undefined
      ? ''
      : typeof r.body === 'string'
        ? r.body.slice(0, 300)
        : `<${r.body.byteLength} bytes>`;
  return `${r.method} ${r.path.slice(0, 300)} ${JSON.stringify(r.headers).slice(0, 300)} ${body}`;
}

/** A valid configuration on the VMSS pool must still become Ready. */
async function convergesAfter(sandbox: Sandbox): Promise<boolean> {
  const uid = '0f0f0f0f-0000-4000-8000-000000000001';
  const sent = await sandbox.relay.sendEvents({
    clusterId: sandbox.clusterId,
    events: [
      {
        type: 'ADDED',
        object: {
          apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
          kind: 'StaticGatewayConfiguration',
          metadata: { namespace: 'default', name: 'after-fuzz', uid, generation: 1, resourceVersion: '1' },
          spec: { gatewayNodepoolName: 'gw' },
        },
      },
    ],
  });
  if (sent.status !== 200) return false;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const item = (await sandbox.relay.status()).find((i) => i.uid === uid);
    if (item?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}
