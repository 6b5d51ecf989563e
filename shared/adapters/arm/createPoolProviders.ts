/**
 * The provider factory (the pattern of reference/specs/arc-provider-design.md): ONE switch from the
 * platform setting `providerType` (PROVIDER_TYPE, read and validated once in shared/config.ts — an
 * unknown value already stopped the app with a ConfigError) to the set of gateway pool providers of
 * that platform. Only `aks` exists: VMSS, AKS VirtualMachines pools and standalone VMs over
 * @azure/arm-compute + @azure/arm-network. Another platform (e.g. Arc) would be one more case here,
 * with its own clients, and the same `GatewayPools` contract.
 *
 * Build it once per worker:
 * ```ts
 * const config = loadConfig();
 * const pools = createPoolProviders({ config, clients: createArmClientsFromConfig({ config }) });
 * ```
 */
import type { GatewayPoolProvider, GatewayPools } from '../../ports/armInventory.js';
import type { AppliedStep, MemberPlanStep } from '../../ports/armWriter.js';
import { assertNever, InvariantError } from '../../core/errors.js';
import type { PlanStep } from '../../core/plan.js';
import type { PoolRef } from '../../core/pool.js';
import type { EgretConfig } from '../../config.js';
import { applySharedResourceStep } from './applySharedResourceStep.js';
import type { ArmSdkClients } from './createArmClientsFromConfig.js';
import { createArmInventory } from './createArmInventory.js';
import { createAksVmPoolProvider, createStandaloneVmsPoolProvider } from './createNicPoolProviders.js';
import { createVmssPoolProvider } from './createVmssPoolProvider.js';
import { observePoolWorld } from './observePoolWorld.js';
import { resolvePoolForConfiguration } from './resolvePoolForConfiguration.js';

/** Options of {@link createPoolProviders}. */
export interface CreatePoolProvidersOptions {
  readonly config: Pick<EgretConfig, 'providerType' | 'gatewayResourceGroup'>;
  readonly clients: ArmSdkClients;
}

/** The gateway pools of the configured platform. */
export function createPoolProviders(options: CreatePoolProvidersOptions): GatewayPools {
  const { providerType } = options.config;
  switch (providerType) {
    case 'aks':
      return createAksGatewayPools(options);
    default:
      return assertNever(providerType, 'providerType');
  }
}

/** AKS (and plain Azure VMs/VMSS) through the Compute and Network resource providers. */
function createAksGatewayPools(options: CreatePoolProvidersOptions): GatewayPools {
  const { clients, config } = options;
  const providers: Readonly<Record<PoolRef['kind'], GatewayPoolProvider>> = {
    vmss: createVmssPoolProvider(clients),
    'aks-vm-pool': createAksVmPoolProvider(clients),
    'standalone-vms': createStandaloneVmsPoolProvider(clients),
  };
  const provider = (kind: PoolRef['kind']): GatewayPoolProvider => providers[kind];
  const inventory = createArmInventory({ clients, provider });
  const memberWriter = (step: MemberPlanStep): GatewayPoolProvider => {
    const found = Object.values(providers).find((p) => p.handles(step));
    if (found === undefined) throw new InvariantError(`no gateway pool provider writes ${step.kind}`);
    return found;
  };
  return {
    ...inventory,
    providerType: 'aks',
    provider,
    resolvePoolForConfiguration: (spec, signal) =>
      resolvePoolForConfiguration(
        spec,
        { inventory, gatewayResourceGroup: config.gatewayResourceGroup },
        signal,
      ),
    observePoolWorld: (query, signal) => observePoolWorld(query, inventory, signal),
    apply(step: PlanStep, signal: AbortSignal): Promise<AppliedStep> {
      switch (step.kind) {
        case 'put-vmss':
        case 'put-vmss-instance':
        case 'put-network-interface':
          return memberWriter(step).apply(step, signal);
        case 'put-public-ip-prefix':
        case 'delete-public-ip-prefix':
        case 'put-public-ip':
        case 'delete-public-ip':
        case 'put-load-balancer':
        case 'delete-load-balancer':
          return applySharedResourceStep(clients, step, signal);
      }
    },
  };
}
