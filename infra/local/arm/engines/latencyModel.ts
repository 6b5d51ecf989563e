/**
 * How long things take. Durations are those of real Azure (rough medians seen in practice), multiplied
 * by `scale` so tests stay fast: the default 0.001 turns a 45 s scale set instance update into 45 ms.
 */
export type OperationKind =
  | 'vmssWrite'
  | 'vmssDelete'
  | 'vmssAction'
  | 'vmssVmWrite'
  | 'vmssVmDelete'
  | 'vmWrite'
  | 'vmDelete'
  | 'networkWrite'
  | 'networkDelete'
  | 'resourceGroupWrite';

export type RequestKind = 'read' | 'write';

export const AZURE_LRO_MS: Readonly<Record<OperationKind, number>> = {
  vmssWrite: 30_000,
  vmssDelete: 120_000,
  vmssAction: 60_000,
  vmssVmWrite: 45_000,
  vmssVmDelete: 60_000,
  vmWrite: 60_000,
  vmDelete: 60_000,
  networkWrite: 3_000,
  networkDelete: 10_000,
  resourceGroupWrite: 0,
};

export const AZURE_REQUEST_MS: Readonly<Record<RequestKind, number>> = { read: 60, write: 250 };

export interface LatencySettings {
  /** Multiplies every Azure duration (default 0.001). 0 makes operations complete at once. */
  readonly scale?: number;
  /** Absolute overrides in milliseconds (not scaled), per operation kind. */
  readonly lroMs?: Partial<Record<OperationKind, number>>;
  /** Absolute overrides in milliseconds (not scaled), per request kind. */
  readonly requestMs?: Partial<Record<RequestKind, number>>;
}

export class LatencyModel {
  private settings: Required<LatencySettings>;

  constructor(settings: LatencySettings = {}) {
    this.settings = { scale: 0.001, lroMs: {}, requestMs: {} };
    this.configure(settings);
  }

  /** Replaces the given parts of the model (other parts stay). */
  configure(settings: LatencySettings): void {
    this.settings = {
      scale: settings.scale ?? this.settings.scale,
      lroMs: { ...this.settings.lroMs, ...settings.lroMs },
      requestMs: { ...this.settings.requestMs, ...settings.requestMs },
    };
  }

  current(): Required<LatencySettings> {
    return this.settings;
  }

  lroMs(kind: OperationKind): number {
    return this.settings.lroMs[kind] ?? Math.round(AZURE_LRO_MS[kind] * this.settings.scale);
  }

  requestMs(kind: RequestKind): number {
    return this.settings.requestMs[kind] ?? Math.round(AZURE_REQUEST_MS[kind] * this.settings.scale);
  }
}
