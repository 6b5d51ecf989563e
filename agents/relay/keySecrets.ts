/**
 * The gateway WireGuard key of each configuration: one X25519 key pair per configuration uid, kept in
 * Secret `sgw-<uid>` in the relay's namespace with upstream's keys (`PrivateKey`, `PublicKey`) and
 * labels (owning configuration namespace/name), so upstream's gateway daemon and egret's read the same
 * thing. A Secret that exists is reused — a restarted relay, or the other replica, keeps the same key —
 * and creation is create-if-absent, so two writers never make two keys. The private key is never
 * logged, never put in status and never sent to the control plane; only the public key leaves here.
 */
import { ConflictError } from '../../shared/core/errors.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';
import {
  SECRET_OWNER_NAME_LABEL,
  SECRET_OWNER_NAMESPACE_LABEL,
  WIREGUARD_SECRET_PRIVATE_KEY,
  WIREGUARD_SECRET_PUBLIC_KEY,
  wireguardSecretName,
} from '../../shared/core/wellKnown.js';
import type { Logger } from '../common/logger.js';
import { generateWireGuardKeyPair, wireGuardPublicKey } from '../common/wireguard.js';
import type { KeySecret, RelayCluster } from './relayCluster.js';
import type { KeyStatus } from './statusPatch.js';

/** Label egret adds to the Secrets it manages (besides upstream's two owner labels). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Value of {@link MANAGED_BY_LABEL} on key Secrets. */
export const MANAGED_BY_RELAY = 'egret-relay';

/** A WireGuard key as `wg genkey`/`wg pubkey` print it: base64 of exactly 32 bytes. */
export function isWireGuardKey(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(value);
}

/** Options of {@link ensureKeySecret}. */
export interface EnsureKeySecretOptions {
  readonly cluster: RelayCluster;
  /** The relay's namespace, where the Secrets live. */
  readonly namespace: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Defaults to a fresh X25519 pair from node:crypto. */
  readonly generateKeyPair?: () => { readonly privateKey: string; readonly publicKey: string };
}

/**
 * Makes sure the configuration's key Secret exists with a valid key pair and the owner labels, and
 * returns its public key. Reuses an existing key; repairs a missing or wrong `PublicKey` or labels.
 */
export async function ensureKeySecret(
  configuration: StaticGatewayConfiguration,
  options: EnsureKeySecretOptions,
): Promise<KeyStatus> {
  const { cluster, namespace, signal, log } = options;
  const name = wireguardSecretName(configuration.metadata.uid);
  const labels = keySecretLabels(configuration);
  const result: (publicKey: string) => KeyStatus = (publicKey) => ({
    publicKey,
    secretName: name,
    secretNamespace: namespace,
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await cluster.getSecret(namespace, name, signal);
    if (existing === undefined) {
      const pair = (options.generateKeyPair ?? generateWireGuardKeyPair)();
      try {
        await cluster.createSecret({ namespace, name, labels, data: keyData(pair) }, signal);
        log.info('created WireGuard key Secret', {
          secret: `${namespace}/${name}`,
          ...ownerFields(configuration),
        });
        return result(pair.publicKey);
      } catch (e) {
        if (e instanceof ConflictError) continue; // created meanwhile (other replica): read and reuse it
        throw e;
      }
    }
    const privateKey = existing.data[WIREGUARD_SECRET_PRIVATE_KEY];
    let pair: { readonly privateKey: string; readonly publicKey: string };
    if (isWireGuardKey(privateKey)) {
      pair = { privateKey, publicKey: wireGuardPublicKey(privateKey) };
    } else {
      log.warn('key Secret holds no valid private key; generating a new key pair', {
        secret: `${namespace}/${name}`,
      });
      pair = (options.generateKeyPair ?? generateWireGuardKeyPair)();
    }
    const wanted = keyData(pair);
    const dataOk =
      existing.data[WIREGUARD_SECRET_PRIVATE_KEY] === wanted[WIREGUARD_SECRET_PRIVATE_KEY] &&
      existing.data[WIREGUARD_SECRET_PUBLIC_KEY] === wanted[WIREGUARD_SECRET_PUBLIC_KEY];
    const labelsOk = Object.entries(labels).every(([k, v]) => existing.labels[k] === v);
    if (dataOk && labelsOk) return result(pair.publicKey);
    try {
      await cluster.replaceSecret(
        { ...existing, labels: { ...existing.labels, ...labels }, data: { ...existing.data, ...wanted } },
        signal,
      );
      log.info('repaired WireGuard key Secret', {
        secret: `${namespace}/${name}`,
        data: !dataOk,
        labels: !labelsOk,
      });
      return result(pair.publicKey);
    } catch (e) {
      if (e instanceof ConflictError) continue;
      throw e;
    }
  }
  throw new ConflictError(`Secret ${namespace}/${name} kept changing while the relay ensured it`);
}

/** Upstream's owner labels (the name label only when it is a valid label value) plus managed-by. */
export function keySecretLabels(configuration: StaticGatewayConfiguration): Readonly<Record<string, string>> {
  const { namespace, name } = configuration.metadata;
  return {
    [SECRET_OWNER_NAMESPACE_LABEL]: namespace,
    // A configuration name may be 253 characters; a label value only 63 (upstream would fail here).
    ...(isLabelValue(name) ? { [SECRET_OWNER_NAME_LABEL]: name } : {}),
    [MANAGED_BY_LABEL]: MANAGED_BY_RELAY,
  };
}

/** The uid a key Secret name stands for, or undefined for other Secrets. */
export function uidOfKeySecret(secret: Pick<KeySecret, 'name'>): string | undefined {
  const prefix = wireguardSecretName('');
  return secret.name.startsWith(prefix) && secret.name.length > prefix.length
    ? secret.name.slice(prefix.length)
    : undefined;
}

function keyData(pair: { readonly privateKey: string; readonly publicKey: string }): Record<string, string> {
  return { [WIREGUARD_SECRET_PRIVATE_KEY]: pair.privateKey, [WIREGUARD_SECRET_PUBLIC_KEY]: pair.publicKey };
}

function ownerFields(c: StaticGatewayConfiguration): Record<string, string> {
  return { configuration: `${c.metadata.namespace}/${c.metadata.name}`, uid: c.metadata.uid };
}

function isLabelValue(v: string): boolean {
  return v.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v);
}
