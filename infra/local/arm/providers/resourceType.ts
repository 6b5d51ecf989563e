/**
 * What ARM serves the same way for every top-level resource type in a resource group: the canonical
 * id from the route parameters (the group's casing as created, 404 ResourceGroupNotFound when it is
 * missing), GET by name (404 ResourceNotFound naming type, name and group), and the paged lists in a
 * resource group and in the subscription. Provider modules add their writes (`networkWriteRoutes`,
 * `computeWriteRoutes`) and whatever else their type serves.
 */
import { armErrors } from '../core/armError.js';
import type { JsonObject } from '../core/json.js';
import type { ApiFamily, ArmReply, ArmRequest, Route } from '../router.js';
import type { StoredResource } from '../store.js';
import type { ProviderContext } from './context.js';
import { canonicalId, okResource, page, requireResourceGroup } from './context.js';

export interface ResourceTypeOptions {
  /** Full type, e.g. `Microsoft.Network/loadBalancers`. */
  readonly type: string;
  readonly api: ApiFamily;
  /** The route parameter naming one resource, e.g. `loadBalancerName` (the SDKs' names). */
  readonly nameParam: string;
  /** The resource as GET and list return it. */
  readonly render: (r: StoredResource) => JsonObject;
}

export interface ResourceType extends ResourceTypeOptions {
  /** `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/<type>/{<nameParam>}`. */
  readonly itemPattern: string;
  /** The canonical id of the resource the route parameters name. */
  readonly idOf: (params: Readonly<Record<string, string>>) => string;
  /** The resource the request names, or 404 ResourceNotFound. */
  readonly get: (req: ArmRequest) => StoredResource;
  /** One rendered page of this type in the request's subscription, within `resourceGroup` if given. */
  readonly list: (
    req: ArmRequest,
    scope: { readonly resourceGroup?: string },
    keep?: (r: StoredResource) => boolean,
  ) => ArmReply;
  /** GET of the list in a resource group, of the list in the subscription, and of one resource. */
  readonly readRoutes: () => Route[];
}

/** The canonical id of the `type` resource that route parameters name (`nameParam` holds its name). */
export function idFromParams(
  ctx: ProviderContext,
  type: string,
  nameParam: string,
): (params: Readonly<Record<string, string>>) => string {
  return (params) =>
    canonicalId(
      ctx,
      params['subscriptionId'] ?? '',
      params['resourceGroupName'] ?? '',
      `${type}/${params[nameParam] ?? ''}`,
    );
}

export function resourceType(ctx: ProviderContext, o: ResourceTypeOptions): ResourceType {
  const collectionPattern = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${o.type}`;
  const itemPattern = `${collectionPattern}/{${o.nameParam}}`;
  const idOf = idFromParams(ctx, o.type, o.nameParam);
  const get = (req: ArmRequest): StoredResource => {
    const r = ctx.store.get(idOf(req.params));
    if (!r)
      throw armErrors.resourceNotFound(
        o.type,
        req.params[o.nameParam] ?? '',
        req.params['resourceGroupName'] ?? '',
      );
    return r;
  };
  const list: ResourceType['list'] = (req, scope, keep = () => true) => {
    const subscriptionId = req.params['subscriptionId'] ?? '';
    if (scope.resourceGroup !== undefined) requireResourceGroup(ctx, subscriptionId, scope.resourceGroup);
    const items = ctx.store.list({
      type: o.type,
      subscriptionId,
      ...(scope.resourceGroup === undefined ? {} : { resourceGroup: scope.resourceGroup }),
    });
    return page(ctx, req, items.filter(keep).map(o.render));
  };
  return {
    ...o,
    itemPattern,
    idOf,
    get,
    list,
    readRoutes: () => [
      {
        method: 'GET',
        pattern: collectionPattern,
        api: o.api,
        handler: (req) => list(req, { resourceGroup: req.params['resourceGroupName'] ?? '' }),
      },
      {
        method: 'GET',
        pattern: `/subscriptions/{subscriptionId}/providers/${o.type}`,
        api: o.api,
        handler: (req) => list(req, {}),
      },
      { method: 'GET', pattern: itemPattern, api: o.api, handler: (req) => okResource(o.render(get(req))) },
    ],
  };
}
