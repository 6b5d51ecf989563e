/** ARM traffic from the stand-in's request log, summed the way the bench reports it. */
import type { LoggedRequest } from '../../infra/local/arm/engines/requestLog.js';

/** Writes, reads and refusals of one measured interval. */
export interface ArmTraffic {
  /** Accepted (2xx) writes by kind, e.g. `VMSS instance PUT`. */
  readonly writesByKind: Readonly<Record<string, number>>;
  /** Accepted (2xx) writes in all. */
  readonly writes: number;
  /** Writes ARM refused, by status (409 conflict, 412 stale ETag, 429 throttled, ...). */
  readonly refusedWrites: Readonly<Record<string, number>>;
  /** GETs (lists count once per page). */
  readonly reads: number;
  /** Answers 429 of any method. */
  readonly throttled: number;
  /** Polls of long-running operations (Azure-AsyncOperation / Location). */
  readonly lroPolls: number;
}

const WRITE_METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

/** The kind of a write, named by method and resource type. */
export function writeKind(method: string, resourceId: string | undefined): string {
  const id = (resourceId ?? '').toLowerCase();
  const type = /\/virtualmachinescalesets\/[^/]+\/virtualmachines\/[^/]+$/.test(id)
    ? 'VMSS instance'
    : /\/virtualmachinescalesets\/[^/]+$/.test(id)
      ? 'VMSS model'
      : /\/loadbalancers\/[^/]+$/.test(id)
        ? 'ILB'
        : /\/publicipprefixes\/[^/]+$/.test(id)
          ? 'prefix'
          : /\/publicipaddresses\/[^/]+$/.test(id)
            ? 'public IP'
            : /\/networkinterfaces\/[^/]+$/.test(id)
              ? 'NIC'
              : /\/virtualmachines\/[^/]+$/.test(id)
                ? 'VM'
                : (id.split('/').at(-2) ?? 'other');
  return `${type} ${method}`;
}

export function armTraffic(requests: readonly LoggedRequest[]): ArmTraffic {
  const writesByKind: Record<string, number> = {};
  const refusedWrites: Record<string, number> = {};
  let writes = 0;
  let reads = 0;
  let throttled = 0;
  let lroPolls = 0;
  for (const r of requests) {
    if (r.status === 429) throttled++;
    if (r.category === 'operation') {
      lroPolls++;
      continue;
    }
    if (r.category !== 'arm') continue;
    if (r.method === 'GET') {
      reads++;
      continue;
    }
    if (!WRITE_METHODS.has(r.method)) continue;
    if (r.status >= 200 && r.status < 300) {
      const kind = writeKind(r.method, r.resourceId);
      writesByKind[kind] = (writesByKind[kind] ?? 0) + 1;
      writes++;
    } else {
      const key = String(r.status);
      refusedWrites[key] = (refusedWrites[key] ?? 0) + 1;
    }
  }
  return { writesByKind: sortKeys(writesByKind), writes, refusedWrites, reads, throttled, lroPolls };
}

function sortKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

/** `ILB PUT 1, prefix PUT 50, ...` */
export function formatKinds(kinds: Readonly<Record<string, number>>): string {
  const parts = Object.entries(kinds).map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}
