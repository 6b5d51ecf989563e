/**
 * Test facade: one call starts the ARM stand-in, seeds a world, loads the app settings the way the
 * Functions app does (`loadConfig` with PROVIDER_TYPE, AZURE_CREDENTIAL=standIn, ARM_ENDPOINT,
 * ARM_CA_CERT_PATH), builds the real SDK clients from them and the gateway pools of the platform.
 * Helpers run the reconcile loop (observe → plan → apply) the way a use case would.
 */
import type { SeededWorld, WorldSpec } from '../../../../infra/local/arm/seedWorld.js';
import type { ArmStandIn, StartArmStandInOptions } from '../../../../infra/local/arm/startArmStandIn.js';
import { startArmStandIn } from '../../../../infra/local/arm/startArmStandIn.js';
import { applyPlan } from '../../../../shared/adapters/arm/applyPlan.js';
import type { ArmSdkClients } from '../../../../shared/adapters/arm/createArmClientsFromConfig.js';
import { createArmClientsFromConfig } from '../../../../shared/adapters/arm/createArmClientsFromConfig.js';
import { createPoolProviders } from '../../../../shared/adapters/arm/createPoolProviders.js';
import { planSettingsFromConfig } from '../../../../shared/adapters/arm/planSettingsFromConfig.js';
import type { EgretConfig } from '../../../../shared/config.js';
import { loadConfig } from '../../../../shared/config.js';
import type { Plan } from '../../../../shared/core/plan.js';
import type { PlanSettings, PlannedConfiguration, PortClaim } from '../../../../shared/core/planPool.js';
import { planPool } from '../../../../shared/core/planPool.js';
import type { ResolvedPool } from '../../../../shared/core/pool.js';
import type { DesiredSpec, EgressSpec } from '../../../../shared/core/staticGatewayConfiguration.js';
import type { GatewayPools, ObservedPoolWorld } from '../../../../shared/ports/armInventory.js';
import type { ApplyPlanReport, ArmWriteRecord } from '../../../../shared/ports/armWriter.js';

export const FRONTEND_SUBNET = 'ilb-subnet';

export interface ArmPoolWorld {
  readonly standIn: ArmStandIn;
  readonly world: SeededWorld;
  readonly rg: string;
  readonly config: EgretConfig;
  readonly clients: ArmSdkClients;
  readonly pools: GatewayPools;
  readonly signal: AbortSignal;
  settings(orphans?: PlanSettings['orphans']): PlanSettings;
  /** Resolves a spec; throws unless it resolved. */
  resolve(spec: DesiredSpec): Promise<ResolvedPool>;
  observe(pool: ResolvedPool, configurations: readonly PlannedConfiguration[]): Promise<ObservedPoolWorld>;
  plan(
    pool: ResolvedPool,
    configurations: readonly PlannedConfiguration[],
    options?: { readonly portClaims?: readonly PortClaim[]; readonly orphans?: PlanSettings['orphans'] },
  ): Promise<{ readonly plan: Plan; readonly observed: ObservedPoolWorld }>;
  /** One observe → plan → apply pass. */
  reconcileOnce(
    pool: ResolvedPool,
    configurations: readonly PlannedConfiguration[],
  ): Promise<{
    readonly plan: Plan;
    readonly report: ApplyPlanReport;
    readonly audit: readonly ArmWriteRecord[];
  }>;
  stop(): Promise<void>;
}

export async function startArmPoolWorld(
  spec: WorldSpec,
  options: StartArmStandInOptions = {},
  clientOptions: { readonly maxRetries?: number } = {},
): Promise<ArmPoolWorld> {
  const standIn = await startArmStandIn(options);
  const world = await standIn.admin.seed({
    vnet: {
      subnets: [
        { name: 'aks-subnet', addressPrefix: '10.224.0.0/24' },
        { name: FRONTEND_SUBNET, addressPrefix: '10.224.1.0/24' },
      ],
    },
    ...spec,
  });
  const config = loadConfig({
    PROVIDER_TYPE: 'aks',
    AZURE_SUBSCRIPTION_ID: standIn.subscriptionId,
    AZURE_LOCATION: world.location,
    GATEWAY_RESOURCE_GROUP: world.resourceGroup,
    VNET_NAME: 'vnet-egret',
    SUBNET_NAME: FRONTEND_SUBNET,
    AZURE_CREDENTIAL: 'standIn',
    ARM_ENDPOINT: standIn.endpoint,
    ARM_CA_CERT_PATH: standIn.caPath,
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    RELAY_SHARED_SECRET: 'r'.repeat(32),
  });
  // The SDK's retry strategy is kept; only the exponential base delay is shortened so injected 5xx
  // faults do not cost seconds (production passes no retryOptions).
  const clients = createArmClientsFromConfig({
    config,
    retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 200, ...clientOptions },
  });
  const pools = createPoolProviders({ config, clients });
  const signal = new AbortController().signal;
  const settings = (orphans: PlanSettings['orphans'] = 'keep'): PlanSettings =>
    planSettingsFromConfig(config, { orphans });
  const observe = (pool: ResolvedPool, configurations: readonly PlannedConfiguration[]) =>
    pools.observePoolWorld({ pool: pool.ref, configurations, settings: settings() }, signal);
  const plan: ArmPoolWorld['plan'] = async (pool, configurations, o = {}) => {
    const observed = await observe(pool, configurations);
    return {
      observed,
      plan: planPool({
        pool,
        configurations,
        ...observed,
        portClaims: o.portClaims ?? [],
        settings: settings(o.orphans),
      }),
    };
  };
  return {
    standIn,
    world,
    rg: world.resourceGroup,
    config,
    clients,
    pools,
    signal,
    settings,
    async resolve(desired) {
      const r = await pools.resolvePoolForConfiguration(desired, signal);
      if (r.kind !== 'resolved') throw new Error(`pool did not resolve: ${r.kind}: ${r.message}`);
      return r.pool;
    },
    observe,
    plan,
    async reconcileOnce(pool, configurations) {
      const made = await plan(pool, configurations);
      const audit: ArmWriteRecord[] = [];
      const report = await applyPlan(made.plan, {
        writer: pools,
        onWrite: (r) => {
          audit.push(r);
        },
        signal,
      });
      return { plan: made.plan, report, audit };
    },
    stop: () => standIn.stop(),
  };
}

/** A present configuration. */
export function present(uid: string, egress: EgressSpec = managed()): PlannedConfiguration {
  return { uid, namespace: 'default', name: `sgw-${uid.slice(0, 8)}`, state: { kind: 'present', egress } };
}

/** A configuration being deleted. */
export function deleting(uid: string, egress: EgressSpec = managed()): PlannedConfiguration {
  return { uid, namespace: 'default', name: `sgw-${uid.slice(0, 8)}`, state: { kind: 'deleting', egress } };
}

export function managed(): EgressSpec {
  return { kind: 'public', prefix: { kind: 'managed' } };
}

/** A spec selecting a nodepool by name. */
export function nodepoolSpec(name: string, egress: EgressSpec = managed()): DesiredSpec {
  return {
    pool: { kind: 'nodepool', field: 'spec.gatewayNodepoolName', nodepoolName: name },
    egress,
    defaultRoute: 'staticEgressGateway',
    excludeCidrs: [],
  };
}

/** A spec selecting standalone VMs. */
export function standaloneSpec(
  resourceGroup: string,
  vmNames: readonly string[],
  prefixSize: number,
  egress: EgressSpec = managed(),
): DesiredSpec {
  return {
    pool: {
      kind: 'standalone-vms',
      field: 'spec.gatewayProfile.standaloneVMProfile',
      resourceGroup,
      vmNames,
      publicIpPrefixSize: prefixSize,
    },
    egress,
    defaultRoute: 'staticEgressGateway',
    excludeCidrs: [],
  };
}

/** A spec selecting a VMSS by profile. */
export function vmssProfileSpec(resourceGroup: string, vmssName: string, prefixSize: number): DesiredSpec {
  return {
    pool: {
      kind: 'vmss',
      field: 'spec.gatewayVmssProfile',
      resourceGroup,
      vmssName,
      publicIpPrefixSize: prefixSize,
    },
    egress: managed(),
    defaultRoute: 'staticEgressGateway',
    excludeCidrs: [],
  };
}

/** Deterministic configuration uids (UUID-shaped). */
export function uid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
