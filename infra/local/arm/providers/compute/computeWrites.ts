/**
 * The Compute RP's write lifecycle: PUT answers 201 (create) / 200 (update) and PATCH 200, with
 * `provisioningState` Creating/Updating and `Azure-AsyncOperation`; DELETE and POST actions answer 202
 * with `Location` too; etags count writes (`"1"`, `"2"`). A write that meets a running operation on
 * the same scale set (model, any of its instances) or VM answers 409 `Conflict`, the code Compute uses
 * ("The request failed due to conflict with a concurrent request", as seen by cloud-provider-azure).
 * PUT and PATCH merge into the stored resource: Compute keeps what a partial body leaves out.
 */
import { ArmError } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, deepMerge, obj, str } from '../../core/json.js';
import { idKey } from '../../core/resourceId.js';
import type { ComputePolicy } from '../../engines/throttleEngine.js';
import type { ArmReply, ArmRequest, Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { checkName, requireBody } from '../context.js';
import type { ResourceType } from '../resourceType.js';

export const VMSS_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';
export const INSTANCE_TYPE = 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines';
export const VM_TYPE = 'Microsoft.Compute/virtualMachines';

export function vmssLock(vmssId: string): string {
  return `vmss:${idKey(vmssId)}`;
}

export function instanceLock(vmssId: string, instanceId: string): string {
  return `vmssinst:${idKey(vmssId)}/${instanceId.toLowerCase()}`;
}

export function vmLock(vmId: string): string {
  return `vm:${idKey(vmId)}`;
}

/** Any running operation on the scale set model or one of its instances. */
export function touchesScaleSet(vmssId: string): (lock: string) => boolean {
  const model = vmssLock(vmssId);
  const instances = `vmssinst:${idKey(vmssId)}/`;
  return (l) => l === model || l.startsWith(instances);
}

/** A running operation on the scale set model or on this instance. */
export function touchesInstance(vmssId: string, instanceId: string): (lock: string) => boolean {
  const model = vmssLock(vmssId);
  const inst = instanceLock(vmssId, instanceId);
  return (l) => l === model || l === inst;
}

/**
 * The body a PUT or PATCH leaves: the request's `writable` top-level keys merged into the stored body
 * (all of them on create), its read-only `properties` ignored, and `tags` replaced as a whole.
 */
export function mergeComputeWrite(
  existing: StoredResource | undefined,
  input: JsonObject,
  o: { readonly writable: readonly string[]; readonly readOnlyProperties: readonly string[] },
): JsonObject {
  const patch: JsonObject = {};
  for (const k of o.writable) if (input[k] !== undefined) patch[k] = clone(input[k]);
  const props = obj(patch['properties']);
  for (const readOnly of o.readOnlyProperties) delete props[readOnly];
  const body = existing ? deepMerge(existing.body, patch) : patch;
  if (existing && input['tags'] !== undefined) body['tags'] = clone(input['tags']);
  return body;
}

/** `Windows` for a Windows marketplace image, else `Linux` (what Compute reports as `osType`). */
export function osTypeOf(storage: JsonObject): string {
  const image = obj(storage['imageReference']);
  return /windows/i.test(`${str(image['publisher']) ?? ''} ${str(image['offer']) ?? ''}`)
    ? 'Windows'
    : 'Linux';
}

/**
 * The `osProfile` of a VM or scale set model as Compute returns it: its write-only fields dropped,
 * `secrets` present, and the Windows agent settings filled in for a Windows image.
 */
export function normalizeOsProfile(profile: JsonObject, writeOnly: readonly string[]): void {
  const os = obj(profile['osProfile']);
  for (const k of writeOnly) delete os[k];
  if (Object.keys(os).length === 0) return;
  os['secrets'] = arr(os['secrets']);
  if (
    os['linuxConfiguration'] === undefined &&
    os['windowsConfiguration'] === undefined &&
    osTypeOf(obj(profile['storageProfile'])) === 'Windows'
  )
    os['windowsConfiguration'] = { provisionVMAgent: true, enableAutomaticUpdates: true };
  profile['osProfile'] = os;
}

/**
 * PUT, PATCH (404 unless the resource exists) and DELETE of a top-level Compute resource, with the
 * throttling policy of each (a PUT that creates counts against the create policy).
 */
export function computeWriteRoutes(
  ctx: ProviderContext,
  t: ResourceType,
  o: {
    /** The type as `InvalidResourceName` names it, e.g. `virtual machine`. */
    readonly what: string;
    readonly policies: {
      readonly create: ComputePolicy;
      readonly update: ComputePolicy;
      readonly delete: ComputePolicy;
    };
    readonly write: (req: ArmRequest, id: string, input: JsonObject, method: 'PUT' | 'PATCH') => ArmReply;
    readonly remove: (req: ArmRequest, id: string) => ArmReply;
  },
): Route[] {
  return [
    {
      method: 'PUT',
      pattern: t.itemPattern,
      api: t.api,
      resourceId: t.idOf,
      computePolicy: (req) => (ctx.store.has(t.idOf(req.params)) ? o.policies.update : o.policies.create),
      handler: (req) => {
        checkName(req.params[t.nameParam] ?? '', o.what);
        return o.write(req, t.idOf(req.params), requireBody(req), 'PUT');
      },
    },
    {
      method: 'PATCH',
      pattern: t.itemPattern,
      api: t.api,
      resourceId: t.idOf,
      computePolicy: () => o.policies.update,
      handler: (req) => {
        t.get(req);
        return o.write(req, t.idOf(req.params), requireBody(req), 'PATCH');
      },
    },
    {
      method: 'DELETE',
      pattern: t.itemPattern,
      api: t.api,
      resourceId: t.idOf,
      computePolicy: () => o.policies.delete,
      handler: (req) => o.remove(req, t.idOf(req.params)),
    },
  ];
}

export function concurrentConflict(): ArmError {
  return new ArmError(
    409,
    'Conflict',
    'The request failed due to conflict with a concurrent request. To resolve it, please refer to https://aka.ms/activitylog to get more details on the conflicting requests.',
  );
}
