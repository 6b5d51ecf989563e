/**
 * What upstream kube-egress-gateway would do for the same change — MODELLED from its algorithm
 * (/work/shared/reference/kube-egress-gateway.md §3, controllers/manager/*.go), never measured:
 * there is no upstream controller in this bench.
 *
 * Upstream reconciles ONE configuration at a time, each through three controllers with one worker
 * each: the LBC reconciler PUTs the whole ILB (adding the configuration's rule + probe, and the pool's
 * frontend + backend pool for the first one); the VMC reconciler GETs or creates the managed prefix
 * `egressgateway-<uid>`, PUTs the VMSS model if its ipConfig is missing, then loops over the instances
 * IN SERIES and PUTs each one whose network profile lacks the ipConfig. Nothing is batched across
 * configurations, so creating N configurations on a VMSS pool of M instances (managed prefixes) makes
 * N × (1 prefix PUT + 1 ILB PUT + 1 VMSS model PUT + M instance PUTs) writes.
 */
import { AZURE_LRO_MS } from '../../infra/local/arm/engines/latencyModel.js';

export const UPSTREAM_CREATE_FORMULA =
  'upstream writes = N × (1 prefix PUT + 1 ILB PUT + 1 VMSS model PUT + M instance PUTs) = N × (M + 3)';

export const UPSTREAM_FLOOR_FORMULA =
  'upstream VMC floor = N × (prefix LRO + VMSS model LRO + M × instance LRO), serial (1 worker, instances in a loop)';

export const UPSTREAM_RESYNC_FORMULA =
  'upstream reads per resync = N × (M + 4): every 5 min each GatewayVMConfiguration lists VMs and VMSS, ' +
  'GETs its prefix, lists the instances and GETs each instance NIC';

/** Writes upstream makes to create N managed-prefix configurations on a VMSS pool of M instances. */
export function upstreamCreateWrites(n: number, m: number): number {
  return n * (m + 3);
}

/**
 * The least time upstream's VMC controller needs for those writes at the stand-in's latency scale:
 * its LROs one after another (the ILB PUTs run in the LBC controller meanwhile and are left out).
 */
export function upstreamFloorMs(n: number, m: number, latencyScale: number): number {
  const lro = (ms: number): number => ms * latencyScale;
  return (
    n * (lro(AZURE_LRO_MS.networkWrite) + lro(AZURE_LRO_MS.vmssWrite) + m * lro(AZURE_LRO_MS.vmssVmWrite))
  );
}

/** ARM reads of one upstream periodic requeue (every 5 min) over N configurations on M instances. */
export function upstreamResyncReads(n: number, m: number): number {
  return n * (m + 4);
}

/**
 * A scale-out by one instance: the new instance is built from the VMSS model, which already carries
 * every configuration's ipConfig; upstream's VMC reconciles (triggered by the new Node) find nothing to
 * write. Modelled as 0.
 */
export const UPSTREAM_SCALE_OUT_WRITES = 0;
