/**
 * Token-bucket throttling, shaped like Azure's:
 * - ARM, per subscription (2024 regional model): writes 200 tokens refilled at 10/s, deletes 200 at
 *   10/s, reads 250 at 25/s (azure-resource-manager/management/request-limits-and-throttling.md);
 * - Compute, per resource and per subscription, per policy: e.g. "Update VMSS" 12 tokens refilled at
 *   4/min per scale set and 1500 at 500/min per subscription (virtual-machines/compute-throttling-limits.md).
 * `rateScale` speeds refills up (default 10) so a throttled test waits seconds, not minutes.
 */
export interface BucketSpec {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export type ArmBucket = 'subscriptionWrites' | 'subscriptionDeletes' | 'subscriptionReads';

export type ComputePolicy =
  | 'PutVMScaleSet'
  | 'UpdateVMScaleSet'
  | 'DeleteVMScaleSet'
  | 'UpdateVMScaleSetVMs'
  | 'DeleteVMScaleSetVMs'
  | 'PutVM'
  | 'UpdateVM'
  | 'DeleteVM';

const perMinute = (capacity: number, refillPerMinute: number): BucketSpec => ({
  capacity,
  refillPerSecond: refillPerMinute / 60,
});

export const AZURE_ARM_BUCKETS: Readonly<Record<ArmBucket, BucketSpec>> = {
  subscriptionWrites: { capacity: 200, refillPerSecond: 10 },
  subscriptionDeletes: { capacity: 200, refillPerSecond: 10 },
  subscriptionReads: { capacity: 250, refillPerSecond: 25 },
};

export const AZURE_COMPUTE_POLICIES: Readonly<
  Record<ComputePolicy, { readonly resource: BucketSpec; readonly subscription: BucketSpec }>
> = {
  PutVMScaleSet: { resource: perMinute(12, 4), subscription: perMinute(375, 125) },
  UpdateVMScaleSet: { resource: perMinute(12, 4), subscription: perMinute(1500, 500) },
  DeleteVMScaleSet: { resource: perMinute(12, 4), subscription: perMinute(525, 175) },
  UpdateVMScaleSetVMs: { resource: perMinute(12, 4), subscription: perMinute(1500, 500) },
  DeleteVMScaleSetVMs: { resource: perMinute(12, 4), subscription: perMinute(1500, 500) },
  PutVM: { resource: perMinute(12, 4), subscription: perMinute(1500, 500) },
  UpdateVM: { resource: perMinute(12, 4), subscription: perMinute(1500, 500) },
  DeleteVM: { resource: perMinute(12, 4), subscription: perMinute(1500, 500) },
};

export interface ThrottleSettings {
  readonly enabled?: boolean;
  /** Multiplies every refill rate (default 10). */
  readonly rateScale?: number;
  readonly arm?: Partial<Record<ArmBucket, BucketSpec>>;
  readonly compute?: Partial<
    Record<ComputePolicy, { readonly resource?: BucketSpec; readonly subscription?: BucketSpec }>
  >;
}

export interface BucketRequest {
  /** Unique bucket key, e.g. `compute/UpdateVMScaleSet/resource/<id>`. */
  readonly key: string;
  readonly spec: BucketSpec;
  /** Shown in response headers, e.g. `Microsoft.Compute/UpdateVMScaleSetResource`. */
  readonly label: string;
}

export type TakeResult =
  | {
      readonly ok: true;
      readonly remaining: readonly { readonly label: string; readonly remaining: number }[];
    }
  | { readonly ok: false; readonly bucket: BucketRequest; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class ThrottleEngine {
  private settings: Required<ThrottleSettings>;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    settings: ThrottleSettings = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = { enabled: true, rateScale: 10, arm: {}, compute: {} };
    this.configure(settings);
  }

  /** Changes settings (a given `arm` / `compute` map replaces the previous one) and refills every bucket. */
  configure(settings: ThrottleSettings): void {
    this.settings = {
      enabled: settings.enabled ?? this.settings.enabled,
      rateScale: settings.rateScale ?? this.settings.rateScale,
      arm: settings.arm ?? this.settings.arm,
      compute: settings.compute ?? this.settings.compute,
    };
    this.buckets.clear();
  }

  current(): Required<ThrottleSettings> {
    return this.settings;
  }

  armBucket(bucket: ArmBucket, subscriptionId: string): BucketRequest {
    const spec = this.settings.arm[bucket] ?? AZURE_ARM_BUCKETS[bucket];
    return { key: `arm/${bucket}/${subscriptionId.toLowerCase()}`, spec: this.scaled(spec), label: bucket };
  }

  computeBuckets(policy: ComputePolicy, subscriptionId: string, resourceId: string): BucketRequest[] {
    const o = this.settings.compute[policy];
    const d = AZURE_COMPUTE_POLICIES[policy];
    return [
      {
        key: `compute/${policy}/resource/${resourceId.toLowerCase()}`,
        spec: this.scaled(o?.resource ?? d.resource),
        label: `Microsoft.Compute/${policy}Resource`,
      },
      {
        key: `compute/${policy}/subscription/${subscriptionId.toLowerCase()}`,
        spec: this.scaled(o?.subscription ?? d.subscription),
        label: `Microsoft.Compute/${policy}Subscription`,
      },
    ];
  }

  /** Takes one token from every bucket, or none when any is empty (then says how long to wait). */
  take(requests: readonly BucketRequest[]): TakeResult {
    if (!this.settings.enabled)
      return { ok: true, remaining: requests.map((r) => ({ label: r.label, remaining: r.spec.capacity })) };
    const now = this.now();
    const states = requests.map((r) => this.refill(r, now));
    for (const [i, r] of requests.entries()) {
      const b = states[i] as Bucket;
      if (b.tokens < 1) {
        const retryAfterMs =
          r.spec.refillPerSecond > 0
            ? Math.ceil(((1 - b.tokens) / r.spec.refillPerSecond) * 1000)
            : 3_600_000;
        return { ok: false, bucket: r, retryAfterMs };
      }
    }
    return {
      ok: true,
      remaining: requests.map((r, i) => {
        const b = states[i] as Bucket;
        b.tokens -= 1;
        return { label: r.label, remaining: Math.floor(b.tokens) };
      }),
    };
  }

  private refill(r: BucketRequest, now: number): Bucket {
    let b = this.buckets.get(r.key);
    if (!b) {
      b = { tokens: r.spec.capacity, at: now };
      this.buckets.set(r.key, b);
    }
    b.tokens = Math.min(r.spec.capacity, b.tokens + ((now - b.at) / 1000) * r.spec.refillPerSecond);
    b.at = now;
    return b;
  }

  private scaled(spec: BucketSpec): BucketSpec {
    return { capacity: spec.capacity, refillPerSecond: spec.refillPerSecond * this.settings.rateScale };
  }
}
