/**
 * The admin API: what tests and the sandbox use to shape the world and watch it. Every function is
 * callable in-process (`standIn.admin.*`) and over HTTP under `/_admin/...` (README.md lists the routes).
 */
import { ArmError } from './core/armError.js';
import type { Json, JsonObject } from './core/json.js';
import { arr, isObject, num, obj, str, text } from './core/json.js';
import { lastName } from './core/resourceId.js';
import type { EmitterSettings, DeliveryRecord, SubscriberSpec } from './engines/eventGridEmitter.js';
import type { FaultEngine, FaultRule, FaultRuleSpec } from './engines/faultEngine.js';
import type { LatencySettings } from './engines/latencyModel.js';
import type { LroSettings } from './engines/lroEngine.js';
import type { LoggedRequest, RequestLog, WriteCount } from './engines/requestLog.js';
import type { ThrottleEngine, ThrottleSettings } from './engines/throttleEngine.js';
import { platformRequest } from './platformRequest.js';
import type { ProviderContext } from './providers/context.js';
import { VM_TYPE, VMSS_TYPE } from './providers/compute/computeWrites.js';
import { writeScaleSet } from './providers/compute/virtualMachineScaleSets.js';
import {
  applyInstanceNetwork,
  deleteInstances,
  instanceNetworkConfigs,
  instancesOf,
  modelNetworkConfigs,
} from './providers/compute/vmssInstances.js';
import { deleteVirtualMachine, writeVirtualMachine } from './providers/compute/virtualMachines.js';
import type { ArmReply } from './router.js';
import type { SeededWorld, WorldSpec } from './seedWorld.js';
import { seedWorld } from './seedWorld.js';
import { bumpEtag } from './store.js';

export interface ArmAdmin {
  /** Seeds resource group, network, scale sets, VM pools and VMs (see WorldSpec). */
  seed(spec?: WorldSpec): Promise<SeededWorld>;
  /** Platform scale out/in (like autoscale: a PATCH of `sku.capacity`, one scale set write event). */
  scaleVmss(options: { readonly vmssId: string; readonly capacity: number }): Promise<void>;
  /** Deletes one instance (one `virtualMachineScaleSets/virtualMachines/delete` event). */
  deleteVmssInstance(options: { readonly vmssId: string; readonly instanceId: string }): Promise<void>;
  /** Replaces a VM: deletes it and creates a new one (new vmId) on the same NICs; delete + write events. */
  replaceVm(options: {
    readonly vmId: string;
    readonly newName?: string;
  }): Promise<{ readonly vmId: string }>;
  /**
   * An out-of-band model rollout that strips every secondary ipConfiguration from the scale set model
   * and its instances, WITHOUT any event or request-log entry (kube-egress-gateway PR #1381).
   */
  stripSecondaryIpConfigs(options: { readonly vmssId: string }): Promise<void>;
  addFault(spec: FaultRuleSpec): FaultRule;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): readonly FaultRule[];
  setLatency(settings: LatencySettings): void;
  setThrottle(settings: ThrottleSettings): void;
  setLro(settings: LroSettings): void;
  setEvents(settings: EmitterSettings): void;
  requests(): readonly LoggedRequest[];
  clearRequests(): void;
  /** PUT/PATCH/POST/DELETE per resource id (client requests only). */
  writeCounts(): WriteCount[];
  subscribe(spec: SubscriberSpec): { readonly name: string };
  unsubscribe(name: string): boolean;
  /** Waits until every running operation ended and every event delivery finished (or gave up). */
  waitForEvents(): Promise<void>;
  /** Waits until every running operation ended. */
  waitForOperations(): Promise<void>;
  deliveries(): readonly DeliveryRecord[];
  publishedEvents(): readonly JsonObject[];
  /** The stored (raw) resource, for assertions that must not go through ARM. */
  resource(id: string): JsonObject | undefined;
}

export function createArmAdmin(deps: {
  readonly ctx: ProviderContext;
  readonly faults: FaultEngine;
  readonly throttle: ThrottleEngine;
  readonly log: RequestLog;
  readonly baseUrl: () => string;
}): ArmAdmin {
  const { ctx, faults, throttle, log } = deps;
  const compute = () => ctx.config.apiVersions.compute[0] ?? '';
  const requireType = (id: string, type: string) => {
    const r = ctx.store.get(id);
    if (!r || r.type !== type) throw new ArmError(404, 'ResourceNotFound', `${type} ${id} was not found.`);
    return r;
  };
  const done = async (reply: ArmReply) => {
    void reply;
    await ctx.lro.idle();
  };
  return {
    seed: (spec) => seedWorld(ctx, deps.baseUrl(), spec),
    async scaleVmss({ vmssId, capacity }) {
      const vmss = requireType(vmssId, VMSS_TYPE);
      const req = platformRequest({
        method: 'PATCH',
        path: vmss.id,
        baseUrl: deps.baseUrl(),
        apiVersion: compute(),
        body: { sku: { capacity } },
      });
      await done(writeScaleSet(ctx, req, vmss.id, { sku: { capacity } }, 'PATCH'));
    },
    async deleteVmssInstance({ vmssId, instanceId }) {
      const vmss = requireType(vmssId, VMSS_TYPE);
      const instance = ctx.store.get(`${vmss.id}/virtualMachines/${instanceId}`);
      if (!instance)
        throw new ArmError(404, 'NotFound', `Instance ${instanceId} of ${vmss.id} was not found.`);
      const req = platformRequest({
        method: 'DELETE',
        path: instance.id,
        baseUrl: deps.baseUrl(),
        apiVersion: compute(),
      });
      await done(deleteInstances(ctx, req, vmss, [instance], 'instance'));
    },
    async replaceVm({ vmId, newName }) {
      const vm = requireType(vmId, VM_TYPE);
      const old = structuredClone(vm.body);
      await done(
        deleteVirtualMachine(
          ctx,
          platformRequest({ method: 'DELETE', path: vm.id, baseUrl: deps.baseUrl(), apiVersion: compute() }),
          vm.id,
        ),
      );
      const id =
        newName === undefined ? vm.id : `${vm.id.slice(0, vm.id.length - lastName(vm.id).length)}${newName}`;
      const props = obj(old['properties']);
      const body: JsonObject = {
        location: old['location'] ?? ctx.config.location,
        ...(old['tags'] === undefined ? {} : { tags: old['tags'] }),
        properties: {
          hardwareProfile: obj(props['hardwareProfile']),
          storageProfile: { imageReference: obj(obj(props['storageProfile'])['imageReference']) },
          osProfile: { ...obj(props['osProfile']), computerName: lastName(id) },
          networkProfile: obj(props['networkProfile']),
        },
      };
      await done(
        writeVirtualMachine(
          ctx,
          platformRequest({ method: 'PUT', path: id, baseUrl: deps.baseUrl(), apiVersion: compute(), body }),
          id,
          body,
          'PUT',
        ),
      );
      return { vmId: id };
    },
    async stripSecondaryIpConfigs({ vmssId }) {
      const vmss = requireType(vmssId, VMSS_TYPE);
      await ctx.lro.idle();
      const strip = (configs: JsonObject[]): JsonObject[] =>
        configs.map((c) => {
          const p = obj(c['properties']);
          const ipcs = arr(p['ipConfigurations']).filter(isObject);
          const primary = ipcs.find((ic) => obj(ic['properties'])['primary'] === true) ?? ipcs[0];
          return { ...c, properties: { ...p, ipConfigurations: primary ? [primary] : [] } };
        });
      ctx.store.transaction(() => {
        const profile = obj(obj(vmss.body['properties'])['virtualMachineProfile']);
        obj(profile['networkProfile'])['networkInterfaceConfigurations'] = strip(modelNetworkConfigs(vmss));
        vmss.internal['modelVersion'] = (num(vmss.internal['modelVersion']) ?? 0) + 1;
        bumpEtag(vmss, 'compute');
        for (const i of instancesOf(ctx, vmss)) {
          const configs = strip(instanceNetworkConfigs(i));
          obj(i.body['properties'])['networkProfileConfiguration'] = {
            networkInterfaceConfigurations: configs,
          };
          applyInstanceNetwork(ctx, i, configs);
          i.internal['modelVersionApplied'] = vmss.internal['modelVersion'];
          bumpEtag(i, 'compute');
        }
      });
    },
    addFault: (spec) => faults.add(spec),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    setLatency: (s) => ctx.latency.configure(s),
    setThrottle: (s) => throttle.configure(s),
    setLro: (s) => ctx.lro.configure(s),
    setEvents: (s) => ctx.events.configure(s),
    requests: () => log.entries(),
    clearRequests: () => log.clear(),
    writeCounts: () => log.writeCounts(),
    subscribe: (spec) => ctx.events.subscribe(spec),
    unsubscribe: (name) => ctx.events.unsubscribe(name),
    async waitForEvents() {
      await ctx.lro.idle();
      await ctx.events.idle();
    },
    waitForOperations: () => ctx.lro.idle(),
    deliveries: () => ctx.events.deliveries(),
    publishedEvents: () => ctx.events.publishedEvents(),
    resource: (id) => {
      const r = ctx.store.get(id);
      return r ? structuredClone(r.body) : undefined;
    },
  };
}

/** `/_admin/...` over HTTP: JSON in, JSON out, errors as ARM error bodies. */
export async function serveAdmin(
  admin: ArmAdmin,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Json | undefined,
): Promise<ArmReply> {
  const b = obj(body);
  const ok = (value: Json = { ok: true }): ArmReply => ({ status: 200, body: value });
  const key = `${method} ${path.replace(/\/+$/, '') || '/'}`;
  switch (key) {
    case 'POST /seed':
      return ok((await admin.seed(b)) as unknown as Json);
    case 'POST /vmss/scale':
      await admin.scaleVmss({ vmssId: str(b['vmssId']) ?? '', capacity: num(b['capacity']) ?? 0 });
      return ok();
    case 'POST /vmss/deleteInstance':
      await admin.deleteVmssInstance({
        vmssId: str(b['vmssId']) ?? '',
        instanceId: text(b['instanceId'] ?? ''),
      });
      return ok();
    case 'POST /vmss/stripSecondaryIpConfigs':
      await admin.stripSecondaryIpConfigs({ vmssId: str(b['vmssId']) ?? '' });
      return ok();
    case 'POST /vms/replace': {
      const newName = str(b['newName']);
      return ok(
        await admin.replaceVm({ vmId: str(b['vmId']) ?? '', ...(newName === undefined ? {} : { newName }) }),
      );
    }
    case 'GET /faults':
      return ok([...admin.faults()] as unknown as Json);
    case 'POST /faults':
      return ok(admin.addFault(b as unknown as FaultRuleSpec) as unknown as Json);
    case 'DELETE /faults':
      admin.clearFaults();
      return ok();
    case 'PUT /latency':
      admin.setLatency(b);
      return ok();
    case 'PUT /throttle':
      admin.setThrottle(b);
      return ok();
    case 'PUT /lro':
      admin.setLro(b);
      return ok();
    case 'PUT /events/settings':
      admin.setEvents(b);
      return ok();
    case 'GET /requests':
      return ok([...admin.requests()] as unknown as Json);
    case 'DELETE /requests':
      admin.clearRequests();
      return ok();
    case 'GET /requests/writeCounts':
      return ok(admin.writeCounts() as unknown as Json);
    case 'POST /events/subscribers':
      return ok(admin.subscribe(b as unknown as SubscriberSpec));
    case 'POST /events/wait':
      await admin.waitForEvents();
      return ok();
    case 'POST /operations/wait':
      await admin.waitForOperations();
      return ok();
    case 'GET /events/deliveries':
      return ok([...admin.deliveries()] as unknown as Json);
    case 'GET /events/published':
      return ok([...admin.publishedEvents()]);
    case 'GET /resource': {
      const r = admin.resource(query.get('id') ?? '');
      if (!r) throw new ArmError(404, 'NotFound', `No resource ${query.get('id') ?? ''}.`);
      return ok(r);
    }
    default: {
      const fault = /^DELETE \/faults\/(.+)$/.exec(key);
      if (fault) return ok({ removed: admin.removeFault(fault[1] ?? '') });
      const sub = /^DELETE \/events\/subscribers\/(.+)$/.exec(key);
      if (sub) return ok({ removed: admin.unsubscribe(decodeURIComponent(sub[1] ?? '')) });
      throw new ArmError(404, 'NotFound', `No admin route ${key}. See infra/local/arm/README.md.`);
    }
  }
}
