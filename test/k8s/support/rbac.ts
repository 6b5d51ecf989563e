/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes RBAC JSON is walked untyped */
/**
 * RBAC as the API server evaluates it, for the rendered base: the rules bound to a ServiceAccount
 * (ClusterRoleBindings cluster-wide, RoleBindings in their namespace) and whether a request matches one.
 */
import type { Manifest } from './kustomize.js';

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
export interface Grant {
  rule: Rule;
  /** undefined: cluster-wide (ClusterRoleBinding); else only requests in this namespace. */
  namespace: string | undefined;
  from: string;
}
export interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
  path: string;
}

export function grantsFor(objects: Manifest[], serviceAccount: string, namespace: string): Grant[] {
  const isSubject = (b: any) =>
    (b.subjects ?? []).some(
      (s: any) => s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === namespace,
    );
  const role = (kind: string, name: string, ns?: string) =>
    objects.find(
      (o) => o.kind === kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns),
    ) as any;
  const grants: Grant[] = [];
  for (const b of objects.filter((o) => o.kind === 'ClusterRoleBinding' && isSubject(o)) as any[]) {
    for (const rule of role('ClusterRole', b.roleRef.name).rules)
      grants.push({ rule, namespace: undefined, from: `ClusterRole/${b.roleRef.name}` });
  }
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' && isSubject(o)) as any[]) {
    const r =
      b.roleRef.kind === 'Role'
        ? role('Role', b.roleRef.name, b.metadata.namespace)
        : role('ClusterRole', b.roleRef.name);
    for (const rule of r.rules)
      grants.push({ rule, namespace: b.metadata.namespace, from: `${b.roleRef.kind}/${b.roleRef.name}` });
  }
  return grants;
}

export function matches(g: Grant, a: Access, verb = a.verb): boolean {
  const r = g.rule;
  return (
    (g.namespace === undefined || g.namespace === a.namespace) &&
    (r.apiGroups.includes('*') || r.apiGroups.includes(a.group)) &&
    (r.resources.includes('*') || r.resources.includes(a.resource)) &&
    (r.verbs.includes('*') || r.verbs.includes(verb)) &&
    (r.resourceNames === undefined || (a.name !== undefined && r.resourceNames.includes(a.name)))
  );
}

/** The stand-in's request log as RBAC requests (discovery left out). */
export function accessesOf(
  requests: readonly {
    verb: string;
    method: string;
    path: string;
    resource?: string | undefined;
    subresource?: string | undefined;
    namespace?: string | undefined;
    name?: string | undefined;
  }[],
): Access[] {
  return requests
    .filter((r) => r.verb !== 'discovery')
    .map((r) => {
      const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\//.exec(r.path);
      if (!m) throw new Error(`unexpected path ${r.path}`);
      return {
        verb: r.verb,
        group: m[1] ?? '',
        resource: r.subresource === undefined ? r.resource! : `${r.resource}/${r.subresource}`,
        namespace: r.namespace,
        name: r.name,
        path: `${r.method} ${r.path}`,
      };
    });
}
