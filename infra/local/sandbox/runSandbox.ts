/**
 * What `npm start` does, as a function (main.ts adds Ctrl-C handling; a test runs it in-process):
 * start the sandbox, then either print ONE JSON line describing it (`--json`, for scripts: nothing is
 * applied) or walk through it — apply a sample configuration through a signed `POST /api/relay/events`
 * (what the in-cluster relay does), show its Ready condition as it changes until it converges, print
 * the resulting status, the ARM writes it took and the endpoints. The sandbox keeps serving.
 */
import { relative } from 'node:path';
import type { RelayStatusItem } from '../../../shared/core/relayContract.js';
import {
  configurationObject,
  REPO_ROOT,
  SAMPLE_CONFIGURATION,
  startSandbox,
  type Sandbox,
  type StartSandboxOptions,
} from './startSandbox.js';

export interface RunSandboxOptions {
  /** Print the one-line JSON description instead of the walkthrough. */
  readonly json: boolean;
  /** Where lines go (main.ts: stdout). */
  readonly write: (line: string) => void;
  readonly sandbox?: StartSandboxOptions;
  /** How long the sample may take to converge (default 60 s). */
  readonly convergeTimeoutMs?: number;
}

/** Thrown when the sample configuration does not converge in time (the sandbox is stopped). */
export class SampleDidNotConverge extends Error {}

/** Starts the sandbox and prints what `npm start` prints; resolves once it is ready, still serving. */
export async function runSandbox(options: RunSandboxOptions): Promise<Sandbox> {
  const say = (line = ''): void => {
    if (!options.json) options.write(line);
  };
  say('egret sandbox: starting Azurite, the ARM stand-in and the Functions host ...');
  const sandbox = await startSandbox({ writeSettingsFile: true, ...options.sandbox });
  const d = sandbox.describe();
  if (options.json) {
    options.write(JSON.stringify(d));
    return sandbox;
  }
  const s = sandbox.seeded;
  say(
    `  Azurite           ${sandbox.azurite.tableEndpoint} (tables), ${sandbox.azurite.queueEndpoint} (queues)`,
  );
  say(`  ARM stand-in      ${d.armEndpoint}  subscription ${d.subscriptionId}`);
  for (const [name, v] of Object.entries(s.scaleSets))
    say(
      `                    ${s.resourceGroup}: VMSS ${name} (${v.instanceIds.length} instances, nodepool tag)`,
    );
  for (const [name, v] of Object.entries(s.vmPools))
    say(
      `                    ${s.resourceGroup}: VirtualMachines pool ${name} (${v.nicIds.length} pre-created NICs, ${v.vmIds.length} VMs)`,
    );
  say(`                    ${s.resourceGroup}: standalone VMs ${Object.keys(s.vms).join(', ')}`);
  say(
    `  Functions host    ${d.functionsBaseUrl}  (${sandbox.host.registrations.map((r) => r.name).join(', ')})`,
  );
  say(
    `  Event Grid        ARM write events → ${d.functionsBaseUrl}/runtime/webhooks/EventGrid?functionName=armEvents`,
  );
  say();

  const { namespace, name } = SAMPLE_CONFIGURATION;
  const spec = { gatewayNodepoolName: 'gw', provisionPublicIps: true };
  say(`Applying ${namespace}/${name} ${JSON.stringify(spec)}`);
  say('  through a signed POST /api/relay/events, as the in-cluster relay forwards it ...');
  const started = Date.now();
  const res = await sandbox.relay.sendEvents({
    clusterId: sandbox.clusterId,
    events: [
      {
        type: 'ADDED',
        object: configurationObject({ namespace, name, uid: 'sample-0001', spec, resourceVersion: '1' }),
      },
    ],
  });
  say(`  relayEvents answered ${res.status} ${JSON.stringify(res.body)}`);
  const item = await watchUntilReady(
    sandbox,
    { namespace, name },
    started,
    say,
    options.convergeTimeoutMs ?? 60_000,
  );
  if (item === undefined) {
    await sandbox.stop();
    throw new SampleDidNotConverge(`${namespace}/${name} did not converge in time`);
  }
  say();
  say(`Status of ${namespace}/${name} (what the relay writes into the custom resource):`);
  say(`  egressIpPrefix        ${item.status.egressIpPrefix ?? ''}`);
  say(
    `  gatewayServerProfile  ip ${item.status.gatewayServerProfile?.ip ?? ''}, port ${String(item.status.gatewayServerProfile?.port ?? '')}`,
  );
  for (const p of item.status.gatewayVMProfiles ?? [])
    say(`  gateway node          ${p.nodeName}: primary ${p.primaryIP}, egress ${p.secondaryIP}`);
  const writes = sandbox.arm.admin.writeCounts().filter((w) => w.accepted > 0);
  say(
    `  ARM writes            ${writes.reduce((a, w) => a + w.accepted, 0)} (${writes
      .map((w) => w.resourceId.split('/').slice(-2).join('/'))
      .join(', ')})`,
  );
  say();
  say('Endpoints:');
  say(`  relay events   POST ${d.relayEventsUrl}`);
  say(`  relay status   GET  ${d.relayStatusUrl}`);
  say(
    '                 (headers X-Egret-Timestamp and X-Egret-Signature: sha256=HMAC(secret, timestamp.body))',
  );
  say(`  relay secret   ${d.relaySharedSecret}   cluster id ${d.clusterId}`);
  say(`  admin          ${d.adminEndpoint}/health | /configurations | /pools | /poison`);
  say(`  ARM stand-in   ${d.armEndpoint} (CA ${d.armCaPath}; admin ${d.armAdminEndpoint})`);
  say(`  storage        ${d.storageConnectionString}`);
  say(`  app settings   ${relative(REPO_ROOT, `${REPO_ROOT}/.state/sandbox/local.settings.json`)}`);
  say();
  say('Ready. Press Ctrl-C to stop.');
  return sandbox;
}

async function watchUntilReady(
  sandbox: Sandbox,
  key: { readonly namespace: string; readonly name: string },
  started: number,
  say: (line?: string) => void,
  timeoutMs: number,
): Promise<RelayStatusItem | undefined> {
  let last = '';
  while (Date.now() - started < timeoutMs) {
    const item = (await sandbox.relay.status()).find(
      (i) => i.namespace === key.namespace && i.name === key.name,
    );
    const ready = item?.status.conditions?.find((c) => c.type === 'Ready');
    const line =
      ready === undefined
        ? 'waiting for the first reconcile'
        : `Ready=${ready.status} ${ready.reason}: ${ready.message}`;
    if (line !== last) {
      say(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);
      last = line;
    }
    if (ready?.status === 'True') return item;
    await new Promise((r) => setTimeout(r, 200));
  }
  say(`  not converged after ${timeoutMs / 1000} s; last: ${last}`);
  return undefined;
}
