/**
 * The relay's narrow view of the Kubernetes API (STYLE.md §4): the informer caches it reads and the
 * few writes it makes. The real implementation is clientNodeRelayCluster.ts on @kubernetes/client-node;
 * the relay's tests run it against the Kubernetes API stand-in. Failures arrive as the error taxonomy:
 * NotFoundError, ConflictError (409: stale resourceVersion or already exists), ValidationError (422),
 * TransientError (everything else).
 */
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';

/** Informer callbacks for StaticGatewayConfigurations (all namespaces). */
export interface ConfigurationHandlers {
  readonly added: (object: StaticGatewayConfiguration) => void;
  readonly modified: (object: StaticGatewayConfiguration) => void;
  readonly deleted: (object: StaticGatewayConfiguration) => void;
}

/** Informer callbacks for gateway nodes (a node enters or leaves the set of gateway-labelled nodes). */
export interface GatewayNodeHandlers {
  readonly joined: (nodeName: string) => void;
  readonly left: (nodeName: string) => void;
}

/** A key Secret `sgw-<uid>`, its data decoded. */
export interface KeySecret {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, string>>;
}

/** Addresses one configuration, optionally at a resourceVersion (a write precondition). */
export interface ConfigurationRef {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion?: string;
}

/** The relay's cluster port. */
export interface RelayCluster {
  /** Registers callbacks; call before `start`. */
  onConfiguration(handlers: ConfigurationHandlers): void;
  onGatewayNode(handlers: GatewayNodeHandlers): void;
  /**
   * Starts the informers and resolves once every one has listed (or `signal` aborts). Informers that
   * fail later are restarted with backoff; a watch that expires (410 Gone) relists.
   */
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  /** True once every informer has listed at least once. */
  hasSynced(): boolean;
  /** The cached configurations. */
  configurations(): readonly StaticGatewayConfiguration[];
  configurationByUid(uid: string): StaticGatewayConfiguration | undefined;
  /** Names of the cached gateway nodes, sorted. */
  gatewayNodeNames(): readonly string[];

  /** Replaces `metadata.finalizers` (merge patch guarded by `ref.resourceVersion`). */
  setFinalizers(ref: ConfigurationRef, finalizers: readonly string[], signal: AbortSignal): Promise<void>;
  /** Merge-patches the status subresource. */
  patchStatus(ref: ConfigurationRef, patch: { readonly status: unknown }, signal: AbortSignal): Promise<void>;

  getSecret(namespace: string, name: string, signal: AbortSignal): Promise<KeySecret | undefined>;
  /** @throws ConflictError when it already exists. */
  createSecret(secret: KeySecret, signal: AbortSignal): Promise<void>;
  /** Replaces a Secret at `secret.resourceVersion`. */
  replaceSecret(secret: KeySecret, signal: AbortSignal): Promise<void>;
  /** Deletes a Secret; an absent one is fine. */
  deleteSecret(namespace: string, name: string, signal: AbortSignal): Promise<void>;
  /** Secrets in `namespace` carrying `labelSelector`. */
  listSecrets(namespace: string, labelSelector: string, signal: AbortSignal): Promise<readonly KeySecret[]>;
}
