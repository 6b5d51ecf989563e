/**
 * The ARM credential from `EgretConfig.credential` (shared/config.ts), as the installation guide
 * describes it: a managed identity (system-assigned, or user-assigned by client id — upstream's
 * `useManagedIdentityExtension` + `userAssignedIdentityID`) or a service principal (tenant, client id,
 * secret — upstream's `aadClientId`/`aadClientSecret`). `standIn` is for the local ARM stand-in only:
 * a static token, because the SDKs' bearer-token policy stays in the pipeline and the stand-in checks
 * that a bearer header is present (it never validates the token).
 *
 * Creating a credential does no I/O; the first `getToken` does (IMDS or Entra ID). Tokens are cached
 * and refreshed by @azure/identity and by the SDKs' bearer policy.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { assertNever } from '../../core/errors.js';
import type { CredentialConfig } from '../../config.js';

/** The token the stand-in credential hands out (not a secret: the stand-in accepts any bearer token). */
export const STAND_IN_TOKEN = 'egret-local-stand-in-token';

/** Builds the credential named by the configuration. */
export function createArmCredential(config: CredentialConfig): TokenCredential {
  switch (config.kind) {
    case 'managedIdentity':
      return config.clientId === undefined
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId: config.clientId });
    case 'servicePrincipal':
      return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret);
    case 'standIn':
      return createStandInCredential();
    default:
      return assertNever(config, 'credential kind');
  }
}

/** A credential that always returns the same token, valid for an hour from the call. */
export function createStandInCredential(now: () => number = Date.now): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token: STAND_IN_TOKEN, expiresOnTimestamp: now() + 3_600_000, tokenType: 'Bearer' }),
  };
}
