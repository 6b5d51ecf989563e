/**
 * The real SDK clients wired to the stand-in: a fake TokenCredential (the bearer-token policy stays in
 * the pipeline and the stand-in checks the header), the stand-in's CA via `tlsOptions`, and retry
 * options suited to tests (throttling still honours `Retry-After` exactly; only the exponential
 * back-off for 5xx/network errors is shortened). LRO polling is fast because the stand-in answers a
 * poll when the operation ends (see engines/lroEngine.ts); callers need no `updateIntervalInMs`.
 */
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { AccessToken, TokenCredential } from '@azure/core-auth';

export interface ArmClientsOptions {
  readonly endpoint: string;
  readonly caPem: string;
  readonly subscriptionId: string;
  /** Default 3 (the SDK default). */
  readonly maxRetries?: number;
  /** Base delay of the exponential strategy (default 20 ms; the SDK's is 1000 ms). */
  readonly retryDelayInMs?: number;
}

export interface ArmClients {
  readonly compute: ComputeManagementClient;
  readonly network: NetworkManagementClient;
  readonly credential: TokenCredential;
}

/** A credential that hands out a fixed token (the stand-in accepts any bearer token). */
export const fakeCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({
      token: 'egret-local-stand-in-token',
      expiresOnTimestamp: Date.now() + 3_600_000,
      tokenType: 'Bearer',
    }),
};

export function createArmClients(options: ArmClientsOptions): ArmClients {
  const common = {
    endpoint: options.endpoint,
    tlsOptions: { ca: options.caPem },
    retryOptions: {
      maxRetries: options.maxRetries ?? 3,
      retryDelayInMs: options.retryDelayInMs ?? 20,
      maxRetryDelayInMs: 500,
    },
  };
  return {
    compute: new ComputeManagementClient(fakeCredential, options.subscriptionId, common),
    network: new NetworkManagementClient(fakeCredential, options.subscriptionId, common),
    credential: fakeCredential,
  };
}
