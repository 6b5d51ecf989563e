/**
 * An in-memory "deployment" of an ARM template: resolves parameters as ARM does (declared only, defaults,
 * allowed values), evaluates conditions, names, scopes and properties, follows nested deployments into
 * their resource groups, and records what would be created where. It also enforces the template rules a
 * real deployment would fail on (or, worse, race on): undeclared parameters, duplicate resources,
 * `dependsOn` entries that name nothing, and `reference()` to a resource the referencing resource does
 * not depend on (ARM creates no implicit dependency for `reference(resourceId(...))`).
 *
 * Runtime values only Azure knows (identity client/principal ids, endpoints, connection strings) are
 * replaced by deterministic stand-ins derived from the resource id.
 */
import {
  armGuid,
  evaluate,
  evaluateDeep,
  parseTemplateString,
  calls,
  type EvalContext,
  type Expr,
} from './armExpression.js';

export interface DeployTarget {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly resourceGroup: string;
  readonly location: string;
}

export interface DeployedResource {
  /** Nested-deployment path, e.g. `main` or `main/egret-x-role-network-gateway-rg`. */
  readonly deployment: string;
  readonly resourceGroup: string;
  readonly type: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly id: string;
  /** For extension resources (role assignments): the id of what they apply to. */
  readonly scopeId?: string;
  /** The evaluated resource (properties, identity, sku, kind, location, ...). */
  readonly body: Readonly<Record<string, unknown>>;
}

export interface Deployment {
  readonly resources: readonly DeployedResource[];
  readonly outputs: Readonly<Record<string, unknown>>;
}

type Template = {
  parameters?: Record<string, ParameterSpec>;
  variables?: Record<string, unknown>;
  resources: RawResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
};
type ParameterSpec = {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
};
type RawResource = Record<string, unknown> & { type: string; apiVersion: string; name: string };

const EXTENSION_TYPES = new Set(['microsoft.authorization/roleassignments']);

interface Header {
  readonly raw: RawResource;
  readonly condition: boolean;
  readonly type: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly id: string;
  readonly scopeId?: string;
}

/** Deploys `template` into `target` with `parameters` (values, as `az deployment group create -p` gives). */
export function deployTemplate(
  template: unknown,
  target: DeployTarget,
  parameters: Readonly<Record<string, unknown>>,
): Deployment {
  const resources: DeployedResource[] = [];
  const outputs = deployScope(template as Template, target, parameters, 'main', resources);
  const seen = new Map<string, string>();
  for (const r of resources) {
    const key = r.id.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined)
      throw new Error(`${r.id} is deployed twice (by ${earlier} and ${r.deployment})`);
    seen.set(key, r.deployment);
  }
  return { resources, outputs };
}

function resolveParameters(
  template: Template,
  given: Readonly<Record<string, unknown>>,
  ctxFor: (params: Record<string, unknown>) => EvalContext,
  where: string,
): Record<string, unknown> {
  const declared = template.parameters ?? {};
  for (const name of Object.keys(given))
    if (!(name in declared)) throw new Error(`${where}: parameter ${name} is not declared by the template`);
  const values: Record<string, unknown> = {};
  const ctx = ctxFor(values);
  for (const [name, spec] of Object.entries(declared)) {
    let v = given[name];
    if (v === undefined) {
      if (!('defaultValue' in spec)) throw new Error(`${where}: required parameter ${name} has no value`);
      v = evaluateDeep(spec.defaultValue, ctx);
    }
    checkParameter(name, spec, v, where);
    values[name] = v;
  }
  return values;
}

function checkParameter(name: string, spec: ParameterSpec, v: unknown, where: string): void {
  const type = spec.type.toLowerCase();
  const ok =
    type === 'string' || type === 'securestring'
      ? typeof v === 'string'
      : type === 'int'
        ? Number.isInteger(v)
        : type === 'bool'
          ? typeof v === 'boolean'
          : type === 'array'
            ? Array.isArray(v)
            : typeof v === 'object' && v !== null;
  if (!ok) throw new Error(`${where}: parameter ${name} is not a ${spec.type}: ${JSON.stringify(v)}`);
  if (spec.allowedValues && !spec.allowedValues.some((a) => JSON.stringify(a) === JSON.stringify(v)))
    throw new Error(
      `${where}: parameter ${name}=${JSON.stringify(v)} is not one of ${JSON.stringify(spec.allowedValues)}`,
    );
  if (typeof v === 'string' && spec.maxLength !== undefined && v.length > spec.maxLength)
    throw new Error(`${where}: parameter ${name} is longer than ${spec.maxLength}`);
  if (typeof v === 'string' && spec.minLength !== undefined && v.length < spec.minLength)
    throw new Error(`${where}: parameter ${name} is shorter than ${spec.minLength}`);
  if (typeof v === 'number' && spec.maxValue !== undefined && v > spec.maxValue)
    throw new Error(`${where}: parameter ${name} is above ${spec.maxValue}`);
  if (typeof v === 'number' && spec.minValue !== undefined && v < spec.minValue)
    throw new Error(`${where}: parameter ${name} is below ${spec.minValue}`);
}

function deployScope(
  template: Template,
  target: DeployTarget,
  given: Readonly<Record<string, unknown>>,
  path: string,
  out: DeployedResource[],
): Record<string, unknown> {
  const rgId = `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}`;
  const variableCache = new Map<string, unknown>();
  const evaluatingVariables = new Set<string>();
  const headers: Header[] = [];
  const bodies = new Map<Header, Record<string, unknown> | 'evaluating'>();
  const referencedBy = new Map<Header, Set<Header>>();
  let current: Header | undefined;

  const findLocal = (id: string): Header | undefined =>
    headers.find((h) => h.id.toLowerCase() === id.toLowerCase() || h.name.toLowerCase() === id.toLowerCase());

  let params: Record<string, unknown> = {};
  const ctx: EvalContext = {
    subscriptionId: target.subscriptionId,
    tenantId: target.tenantId,
    resourceGroup: { name: target.resourceGroup, location: target.location },
    parameter(name) {
      if (!(name in params)) throw new Error(`${path}: parameters('${name}') is not declared`);
      return params[name];
    },
    variable(name) {
      if (variableCache.has(name)) return variableCache.get(name);
      const raw = template.variables?.[name];
      if (raw === undefined) throw new Error(`${path}: variables('${name}') is not declared`);
      if (evaluatingVariables.has(name)) throw new Error(`${path}: variable ${name} refers to itself`);
      evaluatingVariables.add(name);
      const v = evaluateDeep(raw, ctx);
      evaluatingVariables.delete(name);
      variableCache.set(name, v);
      return v;
    },
    reference(id, full) {
      const h = findLocal(id);
      if (h === undefined)
        throw new Error(`${path}: reference('${id}') names no resource this template deploys`);
      if (!h.condition)
        throw new Error(`${path}: reference('${id}') names a resource whose condition is false`);
      if (current !== undefined) {
        const set = referencedBy.get(current) ?? new Set<Header>();
        set.add(h);
        referencedBy.set(current, set);
      }
      const body = bodyOf(h);
      const runtime = runtimeProperties(h, body, target);
      return full ? { ...body, properties: runtime } : runtime;
    },
  };
  params = resolveParameters(template, given, () => ctx, path);

  // Headers: everything needed to know what and where, for every declared resource.
  for (const raw of template.resources) {
    const condition = raw.condition === undefined ? true : evaluateDeep(raw.condition, ctx);
    if (typeof condition !== 'boolean') throw new Error(`${path}: condition of ${raw.type} is not a bool`);
    const type = String(evaluateDeep(raw.type, ctx));
    const apiVersion = String(evaluateDeep(raw.apiVersion, ctx));
    const name = String(evaluateDeep(raw.name, ctx));
    const isDeployment = type.toLowerCase() === 'microsoft.resources/deployments';
    const resourceGroup =
      raw.resourceGroup === undefined ? target.resourceGroup : String(evaluateDeep(raw.resourceGroup, ctx));
    if (!isDeployment && raw.resourceGroup !== undefined)
      throw new Error(`${path}: only nested deployments may set resourceGroup (${type} ${name})`);
    let id: string;
    let scopeId: string | undefined;
    if (type.toLowerCase() === 'microsoft.authorization/roledefinitions') {
      // A custom role deployed by a resource-group deployment is a subscription resource.
      if (raw.scope !== undefined) throw new Error(`${path}: ${type} ${name} sets scope`);
      id = `/subscriptions/${target.subscriptionId}/providers/${type}/${name}`;
    } else if (EXTENSION_TYPES.has(type.toLowerCase())) {
      const scope = raw.scope === undefined ? undefined : String(evaluateDeep(raw.scope, ctx));
      scopeId = scope === undefined ? rgId : scope.startsWith('/') ? scope : `${rgId}/providers/${scope}`;
      id = `${scopeId}/providers/${type}/${name}`;
    } else {
      if (raw.scope !== undefined)
        throw new Error(`${path}: ${type} is not an extension resource but sets scope`);
      const typeSegments = type.split('/');
      const nameSegments = name.split('/');
      if (nameSegments.length !== typeSegments.length - 1)
        throw new Error(
          `${path}: ${type} needs a name with ${typeSegments.length - 1} segment(s), got ${name}`,
        );
      let p = typeSegments[0]!;
      typeSegments.slice(1).forEach((t, i) => (p += `/${t}/${nameSegments[i]!}`));
      id = `/subscriptions/${target.subscriptionId}/resourceGroups/${resourceGroup}/providers/${p}`;
    }
    headers.push({
      raw,
      condition,
      type,
      apiVersion,
      name,
      resourceGroup,
      id,
      ...(scopeId ? { scopeId } : {}),
    });
  }
  const ids = new Map<string, Header>();
  for (const h of headers) {
    const key = h.id.toLowerCase();
    if (ids.has(key)) throw new Error(`${path}: ${h.id} is defined more than once in the template`);
    ids.set(key, h);
  }

  // Explicit dependencies must name resources of this template.
  const dependsOn = new Map<Header, Header[]>();
  for (const h of headers) {
    const list = (h.raw.dependsOn as unknown[] | undefined) ?? [];
    dependsOn.set(
      h,
      list.map((d) => {
        const dep = findLocal(String(evaluateDeep(d, ctx)));
        if (dep === undefined)
          throw new Error(`${path}: ${h.type} ${h.name} dependsOn ${String(d)}, which names nothing here`);
        return dep;
      }),
    );
  }

  function bodyOf(h: Header): Record<string, unknown> {
    const cached = bodies.get(h);
    if (cached === 'evaluating') throw new Error(`${path}: ${h.type} ${h.name} references itself`);
    if (cached !== undefined) return cached;
    bodies.set(h, 'evaluating');
    const previous = current;
    current = h;
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(h.raw)) {
      if (['condition', 'type', 'apiVersion', 'name', 'dependsOn', 'scope', 'resourceGroup'].includes(k))
        continue;
      if (k === 'properties' && h.type.toLowerCase() === 'microsoft.resources/deployments') {
        body[k] = nestedDeployment(h, v as Record<string, unknown>);
      } else {
        body[k] = evaluateDeep(v, ctx);
      }
    }
    current = previous;
    bodies.set(h, body);
    return body;
  }

  function nestedDeployment(h: Header, props: Record<string, unknown>): Record<string, unknown> {
    const options = props.expressionEvaluationOptions as { scope?: string } | undefined;
    if (options?.scope !== 'inner')
      throw new Error(
        `${path}: nested deployment ${h.name} must use expressionEvaluationOptions.scope=inner`,
      );
    const given: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((props.parameters as Record<string, { value: unknown }>) ?? {}))
      given[k] = evaluateDeep(v.value, ctx);
    const innerOutputs = deployScope(
      props.template as Template,
      { ...target, resourceGroup: h.resourceGroup },
      given,
      `${path}/${h.name}`,
      out,
    );
    return { mode: props.mode, parameters: given, outputs: innerOutputs };
  }

  for (const h of headers) {
    if (!h.condition) continue;
    const body = bodyOf(h);
    out.push({
      deployment: path,
      resourceGroup: h.resourceGroup,
      type: h.type,
      apiVersion: h.apiVersion,
      name: h.name,
      id: h.id,
      ...(h.scopeId ? { scopeId: h.scopeId } : {}),
      body,
    });
  }

  // reference() to a resource of this template needs a (transitive) dependsOn on it.
  const reaches = (from: Header, to: Header, seen = new Set<Header>()): boolean => {
    if (seen.has(from)) return false;
    seen.add(from);
    return (dependsOn.get(from) ?? []).some((d) => d === to || reaches(d, to, seen));
  };
  for (const [h, targets] of referencedBy)
    for (const t of targets)
      if (t !== h && !reaches(h, t))
        throw new Error(`${path}: ${h.type} ${h.name} uses reference() to ${t.id} but does not depend on it`);

  const outputs: Record<string, unknown> = {};
  current = undefined;
  for (const [k, o] of Object.entries(template.outputs ?? {}))
    outputs[k] = { type: o.type, value: evaluateDeep(o.value, ctx) };
  return outputs;
}

function runtimeProperties(
  h: Header,
  body: Record<string, unknown>,
  target: DeployTarget,
): Record<string, unknown> {
  const props = (body.properties as Record<string, unknown> | undefined) ?? {};
  switch (h.type.toLowerCase()) {
    case 'microsoft.managedidentity/userassignedidentities':
      return {
        ...props,
        principalId: armGuid('principal', h.id),
        clientId: armGuid('client', h.id),
        tenantId: target.tenantId,
      };
    case 'microsoft.storage/storageaccounts':
      return {
        ...props,
        primaryEndpoints: Object.fromEntries(
          ['blob', 'queue', 'table'].map((s) => [s, `https://${h.name}.${s}.core.windows.net/`]),
        ),
      };
    case 'microsoft.insights/components':
      return {
        ...props,
        ConnectionString: `InstrumentationKey=${armGuid('ikey', h.id)};IngestionEndpoint=https://${target.location}.in.applicationinsights.azure.com/`,
      };
    case 'microsoft.web/sites':
      return { ...props, defaultHostName: `${h.name}.azurewebsites.net` };
    case 'microsoft.resources/deployments':
      return { outputs: props.outputs };
    default:
      return props;
  }
}

/** Every expression string in a JSON value, with the JSON path it sits at (object keys included). */
export function expressionsIn(value: unknown, at = '$'): { path: string; text: string; expr: Expr }[] {
  if (typeof value === 'string') {
    const t = parseTemplateString(value);
    return t.kind === 'expression' ? [{ path: at, text: value, expr: t.expr }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => expressionsIn(v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [
      ...expressionsIn(k, `${at}{key ${k}}`),
      ...expressionsIn(v, `${at}.${k}`),
    ]);
  return [];
}

export { calls, evaluate };
