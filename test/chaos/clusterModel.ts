/**
 * The harness's cluster: the StaticGatewayConfigurations as the API server would hold them (uid,
 * generation, resourceVersion, deletionTimestamp), the events the relay forwarded (for replays) and
 * the lists it could have taken (for stale SYNCs). The harness acts as the relay: it forwards every
 * change, and removes the finalizer (sends DELETED) once relayStatus says `finalized`.
 */
import { configurationObject } from '../../infra/local/sandbox/startSandbox.js';
import type { RelayEvent } from '../../shared/core/relayContract.js';
import type {
  StaticGatewayConfiguration,
  StaticGatewayConfigurationSpec,
} from '../../shared/core/staticGatewayConfiguration.js';
import type { Expectation } from './chaosInvariants.js';
import { RG, type ChaosWorld } from './chaosWorld.js';
import { CONFIG_KINDS, type ConfigKind } from './chaosSchedule.js';

export const NAMESPACE = 'chaos';

interface ClusterObject {
  readonly name: string;
  readonly uid: string;
  kind: ConfigKind;
  generation: number;
  object: StaticGatewayConfiguration;
  deleting: boolean;
}

/** The spec of a kind (BYO ids from the world). */
export function specFor(kind: ConfigKind, world: ChaosWorld): StaticGatewayConfigurationSpec {
  switch (kind) {
    case 'gw-public':
      return { gatewayNodepoolName: 'gw' };
    case 'gw-private':
      return { gatewayNodepoolName: 'gw', provisionPublicIps: false };
    case 'gw-profile':
      return {
        gatewayVmssProfile: { vmssResourceGroup: RG, vmssName: 'aks-gw-vmss', publicIpPrefixSize: 30 },
      };
    case 'gw-byo':
      return { gatewayNodepoolName: 'gw', publicIpPrefixId: world.byoIds.gw };
    case 'gw-excluded-cidrs':
      return { gatewayNodepoolName: 'gw', excludeCidrs: ['192.168.0.0/16'], defaultRoute: 'azureNetworking' };
    case 'vm-public':
      return { gatewayNodepoolName: 'vmgw' };
    case 'vm-private':
      return { gatewayNodepoolName: 'vmgw', provisionPublicIps: false };
    case 'vm-byo':
      return { gatewayNodepoolName: 'vmgw', publicIpPrefixId: world.byoIds.vm };
    case 'sa-public':
      return saSpec(true);
    case 'sa-private':
      return saSpec(false);
    case 'invalid-cidr':
      return { gatewayNodepoolName: 'gw', excludeCidrs: ['10.0.0.0/33'] };
    case 'invalid-two-pools':
      return {
        gatewayNodepoolName: 'gw',
        gatewayVmssProfile: { vmssResourceGroup: RG, vmssName: 'aks-gw-vmss', publicIpPrefixSize: 30 },
      };
    case 'invalid-byo-private':
      return { gatewayNodepoolName: 'gw', provisionPublicIps: false, publicIpPrefixId: world.byoIds.gw };
    case 'byo-mismatch':
      return { gatewayNodepoolName: 'gw', publicIpPrefixId: world.byoIds.mismatch };
    case 'no-such-pool':
      return { gatewayNodepoolName: 'nope' };
  }
}

function saSpec(publicIps: boolean): StaticGatewayConfigurationSpec {
  return {
    gatewayProfile: {
      standaloneVMProfile: {
        vmResourceGroup: RG,
        vmNames: ['standalone-1', 'standalone-2'],
        publicIpPrefixSize: 31,
      },
    },
    provisionPublicIps: publicIps,
  };
}

export class ClusterModel {
  private readonly present = new Map<string, ClusterObject>();
  /** uid → name of everything deleted from the cluster. */
  private readonly gone = new Map<string, string>();
  /** BYO prefix → the configuration holding it until it is finalized or gone for good. */
  private readonly byoHolders = new Map<string, string>();
  readonly history: RelayEvent[] = [];
  /** Lists of the cluster after each change (for stale SYNCs). */
  private readonly lists: StaticGatewayConfiguration[][] = [];
  private rv: number;

  constructor(
    private readonly world: ChaosWorld,
    private readonly seedUid: (n: number) => string,
    firstResourceVersion: number,
  ) {
    this.rv = firstResourceVersion;
  }

  names(): string[] {
    return [...this.present.keys()];
  }

  /**
   * The kind a create or edit really gets: a BYO prefix held by another configuration is not taken
   * (a second claimant is refused by rule, in an order the harness does not model); the pool's
   * managed-prefix kind is used instead.
   */
  private effectiveKind(name: string, kind: ConfigKind): ConfigKind {
    const byo = (CONFIG_KINDS[kind] as { byo?: string }).byo;
    if (byo === undefined) return kind;
    const holder = this.byoHolders.get(byo);
    if (holder !== undefined && holder !== name) return byo === 'gw' ? 'gw-public' : 'vm-public';
    this.byoHolders.set(byo, name);
    return kind;
  }

  create(name: string, kind: ConfigKind, index: number): RelayEvent | undefined {
    if (this.present.has(name)) return this.edit(name, kind);
    const k = this.effectiveKind(name, kind);
    const o: ClusterObject = {
      name,
      uid: this.seedUid(index),
      kind: k,
      generation: 1,
      object: undefined as unknown as StaticGatewayConfiguration,
      deleting: false,
    };
    o.object = this.objectOf(o);
    this.present.set(name, o);
    return this.record({ type: 'ADDED', object: o.object });
  }

  edit(name: string, kind: ConfigKind): RelayEvent | undefined {
    const o = this.present.get(name);
    if (o === undefined || o.deleting) return undefined; // the API server refuses spec edits then too
    o.kind = this.effectiveKind(name, kind);
    o.generation++;
    o.object = this.objectOf(o);
    return this.record({ type: 'MODIFIED', object: o.object });
  }

  /** `finalizer`: sets deletionTimestamp (MODIFIED); `direct`: the object is gone (DELETED). */
  delete(name: string, mode: 'finalizer' | 'direct'): RelayEvent | undefined {
    const o = this.present.get(name);
    if (o === undefined) return undefined;
    if (mode === 'finalizer') {
      if (o.deleting) return undefined;
      o.deleting = true;
      const base = this.objectOf(o);
      o.object = { ...base, metadata: { ...base.metadata, deletionTimestamp: new Date().toISOString() } };
      return this.record({ type: 'MODIFIED', object: o.object });
    }
    return this.remove(o);
  }

  /** relayStatus said `finalized`: the relay removes its finalizer and the object goes. */
  finalized(uid: string): RelayEvent | undefined {
    const o = [...this.present.values()].find((x) => x.uid === uid && x.deleting);
    if (o === undefined) return undefined;
    const e = this.remove(o);
    this.release(o);
    return e;
  }

  isDeleting(uid: string): boolean {
    return [...this.present.values()].some((x) => x.uid === uid && x.deleting);
  }

  private remove(o: ClusterObject): RelayEvent {
    this.present.delete(o.name);
    this.gone.set(o.uid, o.name);
    return this.record({ type: 'DELETED', object: o.object });
  }

  /** A BYO prefix is free again once its holder is finalized (nothing of it is left in Azure). */
  private release(o: ClusterObject): void {
    for (const [byo, holder] of this.byoHolders) if (holder === o.name) this.byoHolders.delete(byo);
  }

  /** The events of a full SYNC of the cluster now, or as it was `back` changes ago. */
  syncEvents(back = 0): RelayEvent[] {
    const list =
      back === 0
        ? [...this.present.values()].map((o) => o.object)
        : (this.lists[Math.max(0, this.lists.length - 1 - back)] ?? []);
    return list.map((object) => ({ type: 'SYNC', object }));
  }

  expectations(): Expectation[] {
    const out: Expectation[] = [];
    for (const o of this.present.values()) {
      const k = CONFIG_KINDS[o.kind] as { pool: string; expect: string; byo?: string; reason?: string };
      if (o.deleting) out.push({ state: 'deleted', uid: o.uid, name: o.name });
      else if (k.expect === 'excluded')
        out.push({
          state: 'excluded',
          uid: o.uid,
          name: o.name,
          generation: o.generation,
          reason: k.reason!,
        });
      else
        out.push({
          state: 'valid',
          uid: o.uid,
          name: o.name,
          generation: o.generation,
          pool: k.pool as 'gw' | 'vmgw' | 'standalone',
          publicIps: !o.kind.endsWith('private'),
          byo: k.byo === undefined ? undefined : this.world.byoIds[k.byo as 'gw' | 'vm'],
        });
    }
    for (const [uid, name] of this.gone) out.push({ state: 'deleted', uid, name });
    return out;
  }

  /** Ready reasons the harness expects, by kind, for the report. */
  kinds(): Record<string, ConfigKind> {
    return Object.fromEntries([...this.present.values()].map((o) => [o.uid, o.kind]));
  }

  nextResourceVersion(): number {
    return this.rv;
  }

  private objectOf(o: ClusterObject): StaticGatewayConfiguration {
    return configurationObject({
      namespace: NAMESPACE,
      name: o.name,
      uid: o.uid,
      spec: specFor(o.kind, this.world),
      generation: o.generation,
      resourceVersion: String(this.rv++),
    });
  }

  private record(e: RelayEvent): RelayEvent {
    this.history.push(e);
    this.lists.push([...this.present.values()].map((o) => o.object));
    return e;
  }
}
