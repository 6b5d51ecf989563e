/**
 * ARM resource ids. ARM compares them case-insensitively (clients send `resourcegroups`, events carry
 * either casing), so the store keys on `idKey(id)` and keeps the casing a resource was created with.
 */

/** The store key for an id: lower case, no trailing slash. */
export function idKey(id: string): string {
  return id.replace(/\/+$/, '').toLowerCase();
}

export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && idKey(a) === idKey(b);
}

export interface ParsedId {
  readonly subscriptionId: string;
  readonly resourceGroup: string | undefined;
  /** e.g. `Microsoft.Network` */
  readonly provider: string | undefined;
  /** Type segments and names after the provider: [['loadBalancers','lb'], ['backendAddressPools','pool']]. */
  readonly segments: readonly (readonly [string, string])[];
}

/** Parses `/subscriptions/{s}[/resourceGroups/{rg}[/providers/{ns}/{type}/{name}...]]`; undefined if malformed. */
export function parseResourceId(id: string): ParsedId | undefined {
  const parts = id.split('/').filter((p) => p !== '');
  if (parts.length < 2 || parts[0]?.toLowerCase() !== 'subscriptions') return undefined;
  const subscriptionId = parts[1] as string;
  let i = 2;
  let resourceGroup: string | undefined;
  if (parts[i]?.toLowerCase() === 'resourcegroups') {
    resourceGroup = parts[i + 1];
    if (resourceGroup === undefined) return undefined;
    i += 2;
  }
  if (i === parts.length) return { subscriptionId, resourceGroup, provider: undefined, segments: [] };
  if (parts[i]?.toLowerCase() !== 'providers' || parts[i + 1] === undefined) return undefined;
  const provider = parts[i + 1] as string;
  const rest = parts.slice(i + 2);
  if (rest.length === 0 || rest.length % 2 !== 0) return undefined;
  const segments: (readonly [string, string])[] = [];
  for (let j = 0; j < rest.length; j += 2) segments.push([rest[j] as string, rest[j + 1] as string]);
  return { subscriptionId, resourceGroup, provider, segments };
}

/** The full type of a parsed id, e.g. `Microsoft.Network/loadBalancers/backendAddressPools`. */
export function resourceTypeOf(p: ParsedId): string | undefined {
  if (p.provider === undefined) return undefined;
  return [p.provider, ...p.segments.map(([t]) => t)].join('/');
}

/** True when `id` names a resource of `type` (case-insensitive). */
export function isIdOfType(id: string | undefined, type: string): boolean {
  if (id === undefined) return false;
  const p = parseResourceId(id);
  const t = p && resourceTypeOf(p);
  return t !== undefined && t.toLowerCase() === type.toLowerCase();
}

/** The id of the parent resource (one type/name pair less), or undefined for a top-level resource. */
export function parentId(id: string): string | undefined {
  const parts = id.replace(/\/+$/, '').split('/');
  const p = parseResourceId(id);
  if (!p || p.segments.length < 2) return undefined;
  return parts.slice(0, -2).join('/');
}

export function lastName(id: string): string {
  return id.replace(/\/+$/, '').split('/').pop() ?? '';
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}
