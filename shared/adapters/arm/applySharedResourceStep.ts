/**
 * Writes of the resources a gateway pool shares with others or owns outside its members: public IP
 * prefixes, per-NIC public IPs and the ILB (PUT and DELETE).
 *
 * Conditions: a step's `ifMatch` goes out as `If-Match` (the Network SDK has no ifMatch option, so as
 * a request header). A PUT without `ifMatch` is a create (the planner only omits it when it observed
 * no such resource) and goes out with `If-None-Match: *`: the ILB is shared by every gateway pool and
 * pools reconcile concurrently (one lease per pool), so two pools may both see "no ILB"; the second
 * create then gets 412 (ConflictError → re-observe) instead of replacing the first pool's frontend.
 * A DELETE of an absent resource succeeds; a DELETE whose ETag is stale gets 412 (ConflictError).
 */
import type { LoadBalancer, PublicIPAddress, PublicIPPrefix } from '@azure/arm-network';
import type { AppliedStep } from '../../ports/armWriter.js';
import type { PlanStep } from '../../core/plan.js';
import type { ArmSdkClients } from './createArmClientsFromConfig.js';
import { armDelete, armWrite, asSdkModel, conditionHeaders, requireArmId } from './armCalls.js';

/** The plan steps this module writes. */
export type SharedResourceStep = Extract<
  PlanStep,
  {
    readonly kind:
      | 'put-public-ip-prefix'
      | 'delete-public-ip-prefix'
      | 'put-public-ip'
      | 'delete-public-ip'
      | 'put-load-balancer'
      | 'delete-load-balancer';
  }
>;

/** Applies one shared-resource step; errors as shared/ports/armWriter.ts says. */
export async function applySharedResourceStep(
  clients: ArmSdkClients,
  step: SharedResourceStep,
  signal: AbortSignal,
): Promise<AppliedStep> {
  const { network } = clients;
  const at = requireArmId(step.resourceId);
  const rg = at.resourceGroup;
  const name = at.name;
  const put = { action: 'PUT', resourceId: step.resourceId };
  const del = { action: 'DELETE', resourceId: step.resourceId };
  const options = {
    abortSignal: signal,
    requestOptions: {
      headers: conditionHeaders(step.ifMatch === undefined ? { create: true } : { ifMatch: step.ifMatch }),
    },
  };
  const deleteOptions = {
    abortSignal: signal,
    requestOptions: {
      headers: conditionHeaders(step.ifMatch === undefined ? {} : { ifMatch: step.ifMatch }),
    },
  };
  switch (step.kind) {
    case 'put-public-ip-prefix': {
      const written = await armWrite(
        () =>
          network.publicIPPrefixes.createOrUpdate(rg, name, asSdkModel<PublicIPPrefix>(step.body), options),
        put,
      );
      return applied(step.resourceId, written.etag);
    }
    case 'put-public-ip': {
      const written = await armWrite(
        () =>
          network.publicIPAddresses.createOrUpdate(rg, name, asSdkModel<PublicIPAddress>(step.body), options),
        put,
      );
      return applied(step.resourceId, written.etag);
    }
    case 'put-load-balancer': {
      const written = await armWrite(
        () => network.loadBalancers.createOrUpdate(rg, name, asSdkModel<LoadBalancer>(step.body), options),
        put,
      );
      return applied(step.resourceId, written.etag);
    }
    case 'delete-public-ip-prefix':
      await armDelete(() => network.publicIPPrefixes.delete(rg, name, deleteOptions), del);
      return { resourceId: step.resourceId };
    case 'delete-public-ip':
      await armDelete(() => network.publicIPAddresses.delete(rg, name, deleteOptions), del);
      return { resourceId: step.resourceId };
    case 'delete-load-balancer':
      await armDelete(() => network.loadBalancers.delete(rg, name, deleteOptions), del);
      return { resourceId: step.resourceId };
  }
}

function applied(resourceId: string, etag: string | undefined): AppliedStep {
  return etag === undefined ? { resourceId } : { resourceId, etag };
}
