/**
 * The real @azure/arm-compute and @azure/arm-network clients from `EgretConfig` (shared/config.ts).
 *
 * - Endpoint: `config.arm.endpoint` (ARM, or the local stand-in). The token scope follows the endpoint
 *   (`<endpoint>/.default`): both SDKs default to `https://management.azure.com/.default` whatever the
 *   endpoint, which is wrong for a sovereign cloud; for public ARM it is the same string.
 * - TLS: the stand-in serves a self-signed CA; its PEM (`ARM_CA_CERT_PATH`) is passed as
 *   `tlsOptions.ca`, which adds to (does not replace the checks of) the TLS verification. TLS checks
 *   are never disabled and the bearer-token policy is never removed (the SDKs refuse bearer tokens
 *   over plain http, which is why the stand-in speaks https).
 * - Retries: the SDK defaults (3 retries; 429/503 wait exactly Retry-After; 408/5xx/network back off
 *   exponentially from 1 s, capped at 64 s). `retryOptions` exists for tests that inject 5xx faults
 *   and must not wait seconds per retry; production passes nothing.
 * - Long-running operations: polled at the interval Azure's Retry-After asks for (core-lro).
 */
import { readFileSync } from 'node:fs';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/core-auth';
import { ConfigError } from '../../core/errors.js';
import type { EgretConfig } from '../../config.js';
import { createArmCredential } from '../credentials/createArmCredential.js';

/** The two SDK clients egret uses. */
export interface ArmSdkClients {
  readonly compute: ComputeManagementClient;
  readonly network: NetworkManagementClient;
}

/** Options of {@link createArmClientsFromConfig}. */
export interface CreateArmClientsOptions {
  readonly config: Pick<EgretConfig, 'subscriptionId' | 'arm' | 'credential'>;
  /** Defaults to `createArmCredential(config.credential)`. */
  readonly credential?: TokenCredential;
  /** Overrides of the SDK retry policy (tests only; see the module comment). */
  readonly retryOptions?: {
    readonly maxRetries?: number;
    readonly retryDelayInMs?: number;
    readonly maxRetryDelayInMs?: number;
  };
}

/**
 * Builds the clients once per worker.
 * @throws ConfigError when the CA file named by `ARM_CA_CERT_PATH` cannot be read.
 */
export function createArmClientsFromConfig(options: CreateArmClientsOptions): ArmSdkClients {
  const { config } = options;
  const credential = options.credential ?? createArmCredential(config.credential);
  const endpoint = config.arm.endpoint.replace(/\/+$/, '');
  const common = {
    endpoint,
    credentials: { scopes: [`${endpoint}/.default`] },
    ...(config.arm.caCertPath === undefined ? {} : { tlsOptions: { ca: readCa(config.arm.caCertPath) } }),
    ...(options.retryOptions === undefined ? {} : { retryOptions: { ...options.retryOptions } }),
  };
  return {
    compute: new ComputeManagementClient(credential, config.subscriptionId, common),
    network: new NetworkManagementClient(credential, config.subscriptionId, common),
  };
}

function readCa(path: string): string {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('the file holds no PEM certificate');
    return pem;
  } catch (e) {
    throw new ConfigError(
      `ARM_CA_CERT_PATH=${JSON.stringify(path)} cannot be used: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}
