/**
 * Validation of StaticGatewayConfiguration specs: every problem at once, each with its field path.
 *
 * Layer 1 is the schema (staticGatewayConfigurationSchema.ts), checked by the same keywords the API
 * server applies: types, enums, ranges, name patterns, defaults. Layer 2 is the two CEL rules of that
 * schema, written here in code (a test evaluates the CEL text to prove they agree). Layer 3 are rules
 * the API server cannot check because they need context or Azure knowledge: prefix sizes Azure
 * creates, the BYO prefix id's type and subscription, CIDR syntax.
 * Layer 4, {@link validateConfigurationSet}, checks configurations against each other.
 *
 * ## Accepted with a warning (compatibility with kube-egress-gateway v1alpha1)
 * What upstream accepts is accepted unless Azure itself would refuse it; where egret behaves
 * differently or the spec is risky, the valid result carries `warnings` (a status condition and an
 * Event tell the user), never a refusal:
 * - private-IP mode on a VMSS: upstream runs it (its e2e suite does); a VMSS instance's secondary
 *   private IP can change when the instance is reimaged or rebuilt, so allowlists may need updating;
 * - a managed prefix longer than /28 (fewer addresses) is what Azure creates by default; a larger one
 *   (/27 … /1) needs a raised public IP prefix quota, so it is accepted with a warning;
 * - CIDRs with host bits set are normalised (`10.0.0.1/8` → `10.0.0.0/8`), as Linux and Go's
 *   `net.ParseCIDR` read them.
 */
import { parseArmId } from './armId.js';
import { parseCidrClearingHostBits } from './cidr.js';
import type { FieldProblem } from './errors.js';
import { checkJsonSchema } from './jsonSchema.js';
import type {
  DefaultRoute,
  DesiredSpec,
  EgressSpec,
  PoolSelector,
  PoolSelectorField,
} from './staticGatewayConfiguration.js';
import { SPEC_RULES, STATIC_GATEWAY_CONFIGURATION_SPEC_SCHEMA } from './staticGatewayConfigurationSchema.js';
import { PUBLIC_IP_PREFIX_LENGTH_MAX, PUBLIC_IP_PREFIX_LENGTH_MIN } from './wellKnown.js';

/** What validation needs to know about the control plane. */
export interface ValidationContext {
  /** The control plane's subscription: gateway pools and BYO prefixes must be in it. */
  readonly subscriptionId: string;
}

/** The result of {@link validateStaticGatewayConfiguration}. */
export type SpecValidation =
  | {
      readonly kind: 'valid';
      readonly spec: DesiredSpec;
      /** What is accepted but risky or handled differently than asked, sorted by field path. */
      readonly warnings: readonly FieldProblem[];
    }
  | { readonly kind: 'invalid'; readonly problems: readonly FieldProblem[] };

type Json = Readonly<Record<string, unknown>>;

/**
 * Validates a spec as it arrives from the cluster (untyped JSON) and, when valid, returns it normalised
 * with defaults applied. Problems are sorted by field path.
 */
export function validateStaticGatewayConfiguration(
  spec: unknown,
  context: ValidationContext,
): SpecValidation {
  const checked = checkJsonSchema(spec ?? {}, STATIC_GATEWAY_CONFIGURATION_SPEC_SCHEMA, 'spec');
  const problems: FieldProblem[] = [...checked.problems];
  const warnings: FieldProblem[] = [];
  if (!isObject(checked.value)) return invalid(problems);
  const s = checked.value;
  const publicIps = s['provisionPublicIps'] !== false;

  // CEL rule 1: exactly one pool selector.
  const selected = setPoolSelectors(s);
  if (selected.length === 0) {
    problems.push({ field: 'spec', message: SPEC_RULES.exactlyOnePoolSelector.message });
  } else if (selected.length > 1) {
    for (const field of selected) {
      const others = selected.filter((f) => f !== field).join(', ');
      problems.push({ field, message: `${SPEC_RULES.exactlyOnePoolSelector.message}; also set: ${others}` });
    }
  }
  for (const field of selected)
    checkProfile(
      s,
      field,
      { publicIps, managed: !nonEmptyString(s['publicIpPrefixId']) },
      { problems, warnings },
    );

  // CEL rule 2 and the BYO prefix id.
  const prefixId = typeof s['publicIpPrefixId'] === 'string' ? s['publicIpPrefixId'] : '';
  if (prefixId !== '') {
    if (!publicIps) {
      problems.push({
        field: 'spec.publicIpPrefixId',
        message: SPEC_RULES.publicIpPrefixIdNeedsPublicIps.message,
      });
    } else {
      checkPrefixId(prefixId, context, problems);
    }
  }

  // Private-IP mode on a VMSS: upstream runs it; its private IPs are not stable.
  if (!publicIps) {
    for (const field of selected) {
      if (field === 'spec.gatewayVmssProfile' || field === 'spec.gatewayProfile.vmssProfile') {
        warnings.push({
          field: 'spec.provisionPublicIps',
          message:
            `private-IP mode on ${field}, a VMSS: an instance's secondary private IP can change when it is ` +
            'reimaged, rebuilt or scaled in and out, and the egress IPs in status change with it; an AKS ' +
            'VirtualMachines pool (gatewayNodepoolName) or gatewayProfile.standaloneVMProfile keeps them stable',
        });
      }
    }
  }

  const excludeCidrs = checkCidrs(s['excludeCidrs'], { problems, warnings });

  if (problems.length > 0 || selected.length !== 1) return invalid(problems);
  const egress: EgressSpec = !publicIps
    ? { kind: 'private' }
    : { kind: 'public', prefix: prefixId === '' ? { kind: 'managed' } : { kind: 'byo', id: prefixId } };
  return {
    kind: 'valid',
    spec: {
      pool: poolSelector(s, selected[0] as PoolSelectorField),
      egress,
      defaultRoute: s['defaultRoute'] as DefaultRoute,
      excludeCidrs,
    },
    warnings: sortByField(warnings),
  };
}

/** Where {@link checkProfile} and {@link checkCidrs} report. */
interface Findings {
  readonly problems: FieldProblem[];
  readonly warnings: FieldProblem[];
}

/**
 * The pool selectors a (defaulted) spec sets, in schema order. A profile counts as set only when one
 * of its fields is non-empty: upstream's Go types serialise an unused profile as `{}`, and such objects
 * are stored in clusters that ran upstream. Mirrors the CEL of SPEC_RULES.exactlyOnePoolSelector.
 */
export function setPoolSelectors(spec: Json): readonly PoolSelectorField[] {
  const fields: PoolSelectorField[] = [];
  if (nonEmptyString(spec['gatewayNodepoolName'])) fields.push('spec.gatewayNodepoolName');
  if (vmssProfileSet(spec['gatewayVmssProfile'])) fields.push('spec.gatewayVmssProfile');
  const gatewayProfile = isObject(spec['gatewayProfile']) ? spec['gatewayProfile'] : {};
  if (vmssProfileSet(gatewayProfile['vmssProfile'])) fields.push('spec.gatewayProfile.vmssProfile');
  if (standaloneProfileSet(gatewayProfile['standaloneVMProfile']))
    fields.push('spec.gatewayProfile.standaloneVMProfile');
  return fields;
}

function vmssProfileSet(value: unknown): boolean {
  return (
    isObject(value) &&
    (nonEmptyString(value['vmssResourceGroup']) ||
      nonEmptyString(value['vmssName']) ||
      nonZero(value['publicIpPrefixSize']))
  );
}

function standaloneProfileSet(value: unknown): boolean {
  return (
    isObject(value) &&
    (nonEmptyString(value['vmResourceGroup']) ||
      (Array.isArray(value['vmNames']) && value['vmNames'].length > 0) ||
      nonZero(value['publicIpPrefixSize']))
  );
}

function profileAt(spec: Json, field: PoolSelectorField): Json {
  const pick = (v: unknown): Json => (isObject(v) ? v : {});
  switch (field) {
    case 'spec.gatewayNodepoolName':
      return spec;
    case 'spec.gatewayVmssProfile':
      return pick(spec['gatewayVmssProfile']);
    case 'spec.gatewayProfile.vmssProfile':
      return pick(pick(spec['gatewayProfile'])['vmssProfile']);
    case 'spec.gatewayProfile.standaloneVMProfile':
      return pick(pick(spec['gatewayProfile'])['standaloneVMProfile']);
  }
}

function checkProfile(
  spec: Json,
  field: PoolSelectorField,
  mode: { readonly publicIps: boolean; readonly managed: boolean },
  findings: Findings,
): void {
  const { problems, warnings } = findings;
  if (field === 'spec.gatewayNodepoolName') return; // its prefix size is a tag, checked when the pool resolves
  const profile = profileAt(spec, field);
  const standalone = field === 'spec.gatewayProfile.standaloneVMProfile';
  const [rgKey, nameKey] = standalone ? ['vmResourceGroup', 'vmNames'] : ['vmssResourceGroup', 'vmssName'];
  if (!nonEmptyString(profile[rgKey])) problems.push({ field: `${field}.${rgKey}`, message: 'is required' });
  if (standalone) {
    const names = Array.isArray(profile['vmNames']) ? (profile['vmNames'] as unknown[]) : [];
    if (names.length === 0 && !Array.isArray(profile['vmNames'])) {
      problems.push({ field: `${field}.vmNames`, message: 'is required: name at least one VM' });
    }
    const seen = new Map<string, number>();
    names.forEach((name, i) => {
      if (typeof name !== 'string') return;
      const first = seen.get(name.toLowerCase());
      if (first === undefined) seen.set(name.toLowerCase(), i);
      else {
        problems.push({
          field: `${field}.vmNames[${i}]`,
          message: `"${name}" duplicates vmNames[${first}] (Azure VM names are case-insensitive)`,
        });
      }
    });
  } else if (!nonEmptyString(profile[nameKey])) {
    problems.push({ field: `${field}.${nameKey}`, message: 'is required' });
  }
  if (!mode.publicIps) return;
  const size = profile['publicIpPrefixSize'];
  const sizeField = `${field}.publicIpPrefixSize`;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > PUBLIC_IP_PREFIX_LENGTH_MAX) {
    if (typeof size === 'number' && (size < 0 || size > 31 || !Number.isInteger(size))) return; // the schema said so
    problems.push({
      field: sizeField,
      message:
        `public-IP mode needs a prefix length (Azure creates IPv4 public IP prefixes of /${PUBLIC_IP_PREFIX_LENGTH_MIN} ` +
        `to /${PUBLIC_IP_PREFIX_LENGTH_MAX} without a quota request); got ${typeof size === 'number' ? size : 'none'}`,
    });
    return;
  }
  if (size < PUBLIC_IP_PREFIX_LENGTH_MIN && mode.managed) {
    warnings.push({
      field: sizeField,
      message:
        `a /${size} prefix is larger than the /${PUBLIC_IP_PREFIX_LENGTH_MIN} Azure creates without a quota request; ` +
        "creating it fails (AzureError) unless the subscription's public IP prefix quota was raised",
    });
  }
  if (standalone && Array.isArray(profile['vmNames'])) {
    const capacity = 2 ** (32 - size);
    const count = profile['vmNames'].length;
    if (count > capacity) {
      problems.push({
        field: sizeField,
        message: `${count} VMs need ${count} public IPs but a /${size} prefix holds ${capacity}`,
      });
    }
  }
}

function checkPrefixId(prefixId: string, context: ValidationContext, problems: FieldProblem[]): void {
  const field = 'spec.publicIpPrefixId';
  const parsed = parseArmId(prefixId);
  if (parsed.kind === 'invalid') {
    problems.push({
      field,
      message:
        `is not an ARM id of a public IP prefix (${parsed.problem}); expected ` +
        '/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/publicIPPrefixes/<name>',
    });
    return;
  }
  if (parsed.resource.type.toLowerCase() !== 'microsoft.network/publicipprefixes') {
    problems.push({
      field,
      message: `names a ${parsed.resource.type}, not a Microsoft.Network/publicIPPrefixes`,
    });
  }
  if (parsed.resource.subscriptionId.toLowerCase() !== context.subscriptionId.toLowerCase()) {
    problems.push({
      field,
      message: `is in subscription ${parsed.resource.subscriptionId}; egret manages subscription ${context.subscriptionId} only`,
    });
  }
}

function checkCidrs(value: unknown, findings: Findings): readonly string[] {
  const { problems, warnings } = findings;
  if (!Array.isArray(value)) return [];
  const canonical: string[] = [];
  const seen = new Map<string, number>();
  value.forEach((item, i) => {
    if (typeof item !== 'string') return; // the schema reported it
    const field = `spec.excludeCidrs[${i}]`;
    const parsed = parseCidrClearingHostBits(item.trim());
    if (parsed.kind === 'invalid') {
      problems.push({ field, message: parsed.problem });
      return;
    }
    if (parsed.hostBitsIn !== undefined)
      warnings.push({ field, message: `"${item}" has host bits set; used as ${parsed.cidr.text}` });
    const first = seen.get(parsed.cidr.text);
    if (first !== undefined) {
      problems.push({ field, message: `"${item}" duplicates excludeCidrs[${first}]` });
      return;
    }
    seen.set(parsed.cidr.text, i);
    canonical.push(parsed.cidr.text);
  });
  return canonical;
}

function poolSelector(spec: Json, field: PoolSelectorField): PoolSelector {
  const profile = profileAt(spec, field);
  const size =
    typeof profile['publicIpPrefixSize'] === 'number' && profile['publicIpPrefixSize'] !== 0
      ? { publicIpPrefixSize: profile['publicIpPrefixSize'] }
      : {};
  switch (field) {
    case 'spec.gatewayNodepoolName':
      return { kind: 'nodepool', field, nodepoolName: spec['gatewayNodepoolName'] as string };
    case 'spec.gatewayVmssProfile':
    case 'spec.gatewayProfile.vmssProfile':
      return {
        kind: 'vmss',
        field,
        resourceGroup: profile['vmssResourceGroup'] as string,
        vmssName: profile['vmssName'] as string,
        ...size,
      };
    case 'spec.gatewayProfile.standaloneVMProfile':
      return {
        kind: 'standalone-vms',
        field,
        resourceGroup: profile['vmResourceGroup'] as string,
        vmNames: profile['vmNames'] as string[],
        ...size,
      };
  }
}

function invalid(problems: FieldProblem[]): SpecValidation {
  return { kind: 'invalid', problems: sortByField(problems) };
}

function sortByField(problems: readonly FieldProblem[]): readonly FieldProblem[] {
  return [...problems].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

function nonZero(value: unknown): boolean {
  return typeof value === 'number' && value !== 0;
}

// ---- Across configurations ------------------------------------------------------------------------

/** One configuration as {@link validateConfigurationSet} sees it. */
export interface ConfigurationForSetCheck {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** `metadata.creationTimestamp` (RFC 3339): the older configuration keeps a contested resource. */
  readonly createdAt?: string;
  readonly spec: DesiredSpec;
}

/** Problems of one configuration found by {@link validateConfigurationSet}. */
export interface ConfigurationProblems {
  readonly uid: string;
  readonly problems: readonly FieldProblem[];
}

/**
 * Rules between configurations (each already valid on its own):
 * - standalone VM sets in the same resource group are identical (one shared pool) or disjoint: a VM in
 *   two pools would have two reconcilers writing its NIC, and its primary ipConfig in two backend pools;
 * - a bring-your-own prefix serves one configuration: per-NIC public IP names derive from the prefix
 *   and the NIC, so two configurations on one NIC would fight over one public IP, and a status
 *   `egressIpPrefix` must identify one configuration's traffic.
 * Configurations are taken oldest first (then by namespace/name); a newcomer that conflicts with an
 * accepted one gets the problem, so a working configuration is never broken by a later one.
 */
export function validateConfigurationSet(
  configs: readonly ConfigurationForSetCheck[],
): readonly ConfigurationProblems[] {
  const ordered = [...configs].sort(
    (a, b) =>
      compare(a.createdAt ?? '', b.createdAt ?? '') ||
      compare(a.namespace, b.namespace) ||
      compare(a.name, b.name) ||
      compare(a.uid, b.uid),
  );
  const accepted: ConfigurationForSetCheck[] = [];
  const result: ConfigurationProblems[] = [];
  for (const config of ordered) {
    const problems: FieldProblem[] = [];
    for (const other of accepted) {
      const overlap = standaloneOverlap(config.spec.pool, other.spec.pool);
      if (overlap.length > 0) {
        problems.push({
          field: 'spec.gatewayProfile.standaloneVMProfile.vmNames',
          message:
            `shares VM(s) ${overlap.join(', ')} with ${other.namespace}/${other.name} but not the whole set; ` +
            'standalone VM sets must be identical or disjoint',
        });
      }
      const a = byoPrefix(config.spec);
      if (a !== undefined && a === byoPrefix(other.spec)) {
        problems.push({
          field: 'spec.publicIpPrefixId',
          message: `is already used by ${other.namespace}/${other.name}; a prefix serves one configuration`,
        });
      }
    }
    if (problems.length > 0) result.push({ uid: config.uid, problems });
    else accepted.push(config);
  }
  return result.sort((a, b) => compare(a.uid, b.uid));
}

function standaloneOverlap(a: PoolSelector, b: PoolSelector): readonly string[] {
  if (a.kind !== 'standalone-vms' || b.kind !== 'standalone-vms') return [];
  if (a.resourceGroup.toLowerCase() !== b.resourceGroup.toLowerCase()) return [];
  const left = new Set(a.vmNames.map((n) => n.toLowerCase()));
  const right = new Set(b.vmNames.map((n) => n.toLowerCase()));
  const common = [...left].filter((n) => right.has(n)).sort();
  const identical = common.length === left.size && common.length === right.size;
  return identical ? [] : common;
}

function byoPrefix(spec: DesiredSpec): string | undefined {
  if (spec.egress.kind !== 'public' || spec.egress.prefix.kind !== 'byo') return undefined;
  const parsed = parseArmId(spec.egress.prefix.id);
  return (parsed.kind === 'ok' ? parsed.resource.id : spec.egress.prefix.id).toLowerCase();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
