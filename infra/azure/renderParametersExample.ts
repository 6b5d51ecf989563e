/**
 * Renders `infra/azure/azuredeploy.parameters.example.json`: a parameters file for
 * `az deployment group create --parameters @<file>` with placeholder values for the cluster a user
 * installs into (copy it, edit the values). Tests deploy the template with it, so every name here is a
 * template parameter and every required parameter is present.
 */
import type { Json } from './armExpression.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const GATEWAY_RG = 'MC_myResourceGroup_myAKSCluster_westeurope';

/** Example values, by template parameter name. */
export const EXAMPLE_PARAMETER_VALUES: Readonly<Record<string, Json>> = {
  gatewayResourceGroup: GATEWAY_RG,
  gatewayPoolId:
    `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GATEWAY_RG}` +
    '/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gateway-12345678-vmss',
  networkResourceGroup: 'myNetworkResourceGroup',
  vnetName: 'myVnet',
  subnetName: 'egress-gateway-ilb-subnet',
  relaySharedSecretKeyVaultUri: 'https://my-key-vault.vault.azure.net/secrets/egret-relay-shared-secret',
  deployEventSubscription: false,
};

export function renderParametersExample(): { readonly [key: string]: Json } {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
    contentVersion: '1.0.0.0',
    parameters: Object.fromEntries(
      Object.entries(EXAMPLE_PARAMETER_VALUES).map(([k, value]) => [k, { value }]),
    ),
  };
}
