/**
 * Azure Resource Manager resource ids: parsing, building and comparing.
 *
 * ARM ids are case-insensitive and Azure itself is not consistent about case: Event Grid's official
 * write sample says `/resourcegroups/`, the delete sample `/resourceGroups/`, and ARM may echo a
 * resource group in upper case. So parsing accepts any case of the fixed keywords, keeps the caller's
 * case in names, and comparison goes through {@link armIdKey}.
 */

/** A parsed ARM id of a resource (or nested child resource) inside a resource group. */
export interface ArmResourceId {
  /** Canonical spelling: fixed keywords normalised (`resourceGroups`, `providers`), names as given. */
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** Resource provider namespace as given, e.g. `Microsoft.Compute`. */
  readonly provider: string;
  /** Type segments from the outermost in, e.g. `['virtualMachineScaleSets', 'virtualMachines']`. */
  readonly types: readonly string[];
  /** Name segments matching {@link types}, e.g. `['gw-vmss', '3']`. */
  readonly names: readonly string[];
  /** Full type, e.g. `Microsoft.Compute/virtualMachineScaleSets/virtualMachines`. */
  readonly type: string;
  /** Innermost name. */
  readonly name: string;
}

/** The result of {@link parseArmId}: an id or the reason it is not one. */
export type ParsedArmId =
  | { readonly kind: 'ok'; readonly resource: ArmResourceId }
  | { readonly kind: 'invalid'; readonly problem: string };

/**
 * Parses `/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{type}/{name}…]`,
 * case-insensitively in its fixed keywords. Extension resources (a second `/providers/`) are refused.
 */
export function parseArmId(value: string): ParsedArmId {
  const trimmed = value.trim();
  if (!trimmed.startsWith('/')) return invalid('an ARM id starts with "/subscriptions/"');
  const segments = trimmed.slice(1).replace(/\/+$/, '').split('/');
  if (segments.some((s) => s.length === 0)) return invalid('an ARM id has no empty segments');
  const [
    subscriptionsKeyword,
    subscriptionId,
    groupsKeyword,
    resourceGroup,
    providersKeyword,
    provider,
    ...rest
  ] = segments;
  if (subscriptionsKeyword?.toLowerCase() !== 'subscriptions' || subscriptionId === undefined) {
    return invalid('an ARM id starts with "/subscriptions/<subscription id>"');
  }
  if (groupsKeyword?.toLowerCase() !== 'resourcegroups' || resourceGroup === undefined) {
    return invalid('expected "/resourceGroups/<name>" after the subscription');
  }
  if (providersKeyword?.toLowerCase() !== 'providers' || provider === undefined) {
    return invalid('expected "/providers/<namespace>" after the resource group');
  }
  if (rest.length === 0 || rest.length % 2 !== 0) {
    return invalid('expected "<type>/<name>" pairs after the provider namespace');
  }
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const type = rest[i] as string;
    if (type.toLowerCase() === 'providers') return invalid('extension resources are not supported');
    types.push(type);
    names.push(rest[i + 1] as string);
  }
  const resource: ArmResourceId = {
    id: formatArmId({ subscriptionId, resourceGroup, provider, types, names }),
    subscriptionId,
    resourceGroup,
    provider,
    types,
    names,
    type: [provider, ...types].join('/'),
    name: names[names.length - 1] as string,
  };
  return { kind: 'ok', resource };
}

function invalid(problem: string): ParsedArmId {
  return { kind: 'invalid', problem };
}

/** The parts of an id, as {@link formatArmId} takes them. */
export interface ArmIdParts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly provider: string;
  readonly types: readonly string[];
  readonly names: readonly string[];
}

/** Builds the canonical id string from its parts. */
export function formatArmId(parts: ArmIdParts): string {
  const pairs = parts.types.map((t, i) => `/${t}/${parts.names[i] ?? ''}`).join('');
  return `/subscriptions/${parts.subscriptionId}/resourceGroups/${parts.resourceGroup}/providers/${parts.provider}${pairs}`;
}

/**
 * The comparison key of an id: ARM treats ids case-insensitively, so does egret. It is the lower-case
 * canonical id when `id` parses (see {@link parseArmId}), else the trimmed id in lower case. The
 * canonical id differs from the trimmed input only in the case of its keywords and in trailing
 * slashes, so the key is computed without building the parsed id (planners call this per ipConfig).
 */
export function armIdKey(id: string): string {
  // Lower-casing first: it keeps slashes and white space where they are (it may change lengths).
  const lower = id.toLowerCase().trim();
  let end = lower.length;
  while (end > 1 && lower.charCodeAt(end - 1) === 47 /* / */) end--;
  return isArmIdShape(lower, end) ? lower.slice(0, end) : lower;
}

/**
 * True when `lower.slice(0, end)` (lower case, trimmed, no trailing slash) has the shape
 * {@link parseArmId} accepts: `/subscriptions/s/resourcegroups/g/providers/p` and then `type/name`
 * pairs, no empty segment, no `providers` type.
 */
function isArmIdShape(lower: string, end: number): boolean {
  if (lower.charCodeAt(0) !== 47) return false;
  let segment = 0;
  let start = 1;
  for (;;) {
    let slash = lower.indexOf('/', start);
    if (slash < 0 || slash > end) slash = end;
    if (slash === start) return false; // an empty segment
    const word = segment === 0 || segment === 2 || segment === 4 || (segment >= 6 && segment % 2 === 0);
    if (word) {
      const text = lower.slice(start, slash);
      if (segment === 0 && text !== 'subscriptions') return false;
      if (segment === 2 && text !== 'resourcegroups') return false;
      if (segment === 4 && text !== 'providers') return false;
      if (segment >= 6 && text === 'providers') return false;
    }
    segment++;
    if (slash >= end) break;
    start = slash + 1;
  }
  return segment >= 8 && segment % 2 === 0;
}

/** True when two ids name the same resource. */
export function sameArmId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return armIdKey(a) === armIdKey(b);
}

/** True when `id` parses and names a resource of `type` (e.g. `Microsoft.Network/publicIPPrefixes`). */
export function isArmIdOfType(id: string, type: string): boolean {
  const parsed = parseArmId(id);
  return parsed.kind === 'ok' && parsed.resource.type.toLowerCase() === type.toLowerCase();
}

/** Where a top-level resource lives: the subscription and resource group of its id. */
export interface ResourceLocation {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

/** Id of a load balancer. */
export function loadBalancerId(at: ResourceLocation, name: string): string {
  return formatArmId({ ...at, provider: 'Microsoft.Network', types: ['loadBalancers'], names: [name] });
}

/** Id of a load balancer child (`frontendIPConfigurations`, `backendAddressPools`, `probes`, …). */
export function loadBalancerChildId(lbId: string, childType: string, name: string): string {
  return `${lbId}/${childType}/${name}`;
}

/** Id of a public IP prefix. */
export function publicIpPrefixId(at: ResourceLocation, name: string): string {
  return formatArmId({ ...at, provider: 'Microsoft.Network', types: ['publicIPPrefixes'], names: [name] });
}

/** Id of a (standalone) public IP address. */
export function publicIpAddressId(at: ResourceLocation, name: string): string {
  return formatArmId({ ...at, provider: 'Microsoft.Network', types: ['publicIPAddresses'], names: [name] });
}

/** Id of a standalone network interface. */
export function networkInterfaceId(at: ResourceLocation, name: string): string {
  return formatArmId({ ...at, provider: 'Microsoft.Network', types: ['networkInterfaces'], names: [name] });
}

/** Id of a virtual machine scale set. */
export function vmssId(at: ResourceLocation, name: string): string {
  return formatArmId({
    ...at,
    provider: 'Microsoft.Compute',
    types: ['virtualMachineScaleSets'],
    names: [name],
  });
}

/** Id of one VMSS instance (Uniform orchestration). */
export function vmssInstanceId(at: ResourceLocation, vmssName: string, instanceId: string): string {
  return formatArmId({
    ...at,
    provider: 'Microsoft.Compute',
    types: ['virtualMachineScaleSets', 'virtualMachines'],
    names: [vmssName, instanceId],
  });
}

/** Id of a virtual machine. */
export function virtualMachineId(at: ResourceLocation, name: string): string {
  return formatArmId({ ...at, provider: 'Microsoft.Compute', types: ['virtualMachines'], names: [name] });
}
