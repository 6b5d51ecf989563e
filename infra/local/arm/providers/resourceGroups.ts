/** Resource groups: PUT is synchronous (201/200); DELETE is a long-running operation removing everything inside. */
import { armErrors } from '../core/armError.js';
import type { JsonObject } from '../core/json.js';
import { clone, str } from '../core/json.js';
import { resourceGroupId } from '../core/resourceId.js';
import type { ArmRequest, Route } from '../router.js';
import { newStoredResource } from '../store.js';
import type { ProviderContext } from './context.js';
import {
  beginOperation,
  checkName,
  eventFor,
  okResource,
  page,
  RESOURCE_GROUP_TYPE,
  requestedResourceUri,
  requireBody,
} from './context.js';

const BASE = '/subscriptions/{subscriptionId}/resourcegroups';

export function resourceGroupRoutes(ctx: ProviderContext): Route[] {
  const rgId = (p: Readonly<Record<string, string>>) =>
    resourceGroupId(p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
  return [
    {
      method: 'GET',
      pattern: BASE,
      api: 'resources',
      handler: (req) =>
        page(
          ctx,
          req,
          ctx.store
            .list({ type: RESOURCE_GROUP_TYPE, subscriptionId: req.params['subscriptionId'] ?? '' })
            .map((r) => clone(r.body)),
        ),
    },
    {
      method: 'GET',
      pattern: `${BASE}/{resourceGroupName}`,
      api: 'resources',
      handler: (req) => {
        const r = ctx.store.get(rgId(req.params));
        if (!r) throw armErrors.resourceGroupNotFound(req.params['resourceGroupName'] ?? '');
        return okResource(clone(r.body));
      },
    },
    {
      method: 'PUT',
      pattern: `${BASE}/{resourceGroupName}`,
      api: 'resources',
      resourceId: rgId,
      handler: (req) => {
        const name = req.params['resourceGroupName'] ?? '';
        checkName(name, 'resource group');
        const r = putResourceGroup(
          ctx,
          req.params['subscriptionId'] ?? ctx.config.subscriptionId,
          name,
          requireBody(req),
        );
        ctx.events.publish(
          eventFor(req, {
            kind: 'write',
            operationName: 'Microsoft.Resources/subscriptions/resourceGroups/write',
            resourceUri: requestedResourceUri(req),
            provider: 'Microsoft.Resources',
            subscriptionId: req.params['subscriptionId'] ?? '',
            resourceGroup: name,
          }),
          'Succeeded',
        );
        return okResource(clone(r.resource.body), r.created ? 201 : 200);
      },
    },
    {
      method: 'DELETE',
      pattern: `${BASE}/{resourceGroupName}`,
      api: 'resources',
      resourceId: rgId,
      handler: (req: ArmRequest) => {
        const id = rgId(req.params);
        const rg = ctx.store.get(id);
        if (!rg) throw armErrors.resourceGroupNotFound(req.params['resourceGroupName'] ?? '');
        const headers = beginOperation(ctx, {
          provider: 'Microsoft.Resources',
          kind: 'resourceGroupWrite',
          location: str(rg.body['location']) ?? ctx.config.location,
          locks: [],
          event: eventFor(req, {
            kind: 'delete',
            operationName: 'Microsoft.Resources/subscriptions/resourceGroups/delete',
            resourceUri: requestedResourceUri(req),
            provider: 'Microsoft.Resources',
            subscriptionId: req.params['subscriptionId'] ?? '',
            resourceGroup: req.params['resourceGroupName'] ?? '',
          }),
          onSucceeded: () => {
            const prefix = `${rg.id.toLowerCase()}/`;
            for (const r of ctx.store.all())
              if (r.id.toLowerCase().startsWith(prefix)) ctx.store.delete(r.id);
            ctx.store.delete(rg.id);
          },
          onFailed: () => undefined,
          withLocation: true,
          baseUrl: req.baseUrl,
          lroFailure: req.lroFailure,
        });
        return { status: 202, headers };
      },
    },
  ];
}

/** Creates or updates a resource group (also used by seeding). */
export function putResourceGroup(
  ctx: ProviderContext,
  subscriptionId: string,
  name: string,
  input: JsonObject,
) {
  const id = resourceGroupId(subscriptionId, name);
  const existing = ctx.store.get(id);
  const location = str(input['location']) ?? str(existing?.body['location']);
  if (location === undefined) throw armErrors.locationRequired();
  const body: JsonObject = {
    id: existing?.id ?? id,
    name: str(existing?.body['name']) ?? name,
    type: RESOURCE_GROUP_TYPE,
    location,
    properties: { provisioningState: 'Succeeded' },
  };
  if (input['tags'] !== undefined) body['tags'] = clone(input['tags']);
  const resource = existing ?? newStoredResource(id, RESOURCE_GROUP_TYPE, body, 'none');
  resource.body = body;
  ctx.store.put(resource);
  return { resource, created: !existing };
}
