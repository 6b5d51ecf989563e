/**
 * A renderer for the kustomize subset egret's base and the guide's overlay use — `resources` (files, or
 * folders with their own kustomization.yaml), `namespace` and `images` (name → newName/newTag/digest on
 * every container and init container) — so tests render them without a kustomize binary. Any other
 * kustomization field is refused rather than ignored, so the base cannot quietly start relying on a
 * feature this renderer does not implement. (`kubectl kustomize infra/k8s` gives the same objects.)
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images']);
/** Kinds without a namespace (the ones egret's manifests can contain). */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
]);

/** An `images` entry: containers whose image name (without tag or digest) is `name` get the new parts. */
export interface KustomizeImage {
  readonly name: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
}

/** Splits `registry:5000/repo/name:tag@sha256:…` into the name and what follows it. */
function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  return {
    name: tagged ? rest.slice(0, colon) : rest,
    ...(tagged ? { tag: rest.slice(colon + 1) } : {}),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** The image a container gets from the `images` entries (the first entry naming it applies). */
export function transformImage(image: string, images: readonly KustomizeImage[]): string {
  const parts = splitImage(image);
  const entry = images.find((i) => i.name === parts.name);
  if (entry === undefined) return image;
  const name = entry.newName ?? parts.name;
  if (entry.digest !== undefined) return `${name}@${entry.digest}`;
  if (entry.newTag !== undefined) return `${name}:${entry.newTag}`;
  return `${name}${parts.tag === undefined ? '' : `:${parts.tag}`}${parts.digest === undefined ? '' : `@${parts.digest}`}`;
}

function rewriteImages(value: unknown, images: readonly KustomizeImage[]): void {
  if (Array.isArray(value)) for (const v of value) rewriteImages(v, images);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(v)) {
        for (const c of v as { image?: unknown }[])
          if (typeof c.image === 'string') c.image = transformImage(c.image, images);
      } else rewriteImages(v, images);
    }
  }
}

/**
 * Renders the kustomization in `dir` — or, given `text`, that kustomization as if it were
 * `dir`/kustomization.yaml (an overlay the guide writes, rendered without writing it).
 */
export async function renderKustomization(dir: string, text?: string): Promise<Manifest[]> {
  const k = parse(text ?? (await readFile(join(dir, 'kustomization.yaml'), 'utf8'))) as Record<
    string,
    unknown
  >;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key))
      throw new Error(`${dir}/kustomization.yaml: field ${key} is not supported by the test renderer`);
  }
  const out: Manifest[] = [];
  for (const resource of (k['resources'] as string[] | undefined) ?? []) {
    const path = join(dir, resource);
    if ((await stat(path)).isDirectory()) out.push(...(await renderKustomization(path)));
    else {
      for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
        if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
        const value = doc.toJS() as Manifest | null;
        if (value !== null) out.push(value);
      }
    }
  }
  const namespace = k['namespace'] as string | undefined;
  if (namespace !== undefined) {
    for (const o of out) {
      if (o.kind === 'Namespace') o.metadata.name = namespace;
      else if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = namespace;
      if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
        for (const s of (o['subjects'] as { kind: string; namespace?: string }[] | undefined) ?? []) {
          if (s.kind === 'ServiceAccount') s.namespace = namespace;
        }
      }
    }
  }
  const images = k['images'] as KustomizeImage[] | undefined;
  if (images !== undefined) {
    for (const i of images)
      if (
        typeof i.name !== 'string' ||
        Object.keys(i).some((f) => !['name', 'newName', 'newTag', 'digest'].includes(f))
      )
        throw new Error(
          `${dir}/kustomization.yaml: images entry ${JSON.stringify(i)} is not supported by the test renderer`,
        );
    rewriteImages(out, images);
  }
  return out;
}

/**
 * Renders with real kustomize (`kubectl kustomize`, kustomize v5 built in). With `text`, renders that
 * kustomization as if it were `<dir>/kustomization.yaml`: it is written to a temp copy of the path
 * (the parent of `dir` linked in, so relative resources such as `../infra/k8s` resolve as in the repo).
 */
export async function renderWithKubectl(dir: string, text?: string): Promise<Manifest[]> {
  const { execFile } = await import('node:child_process');
  const { mkdtemp, mkdir, readdir, rm, symlink, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const basename = (p: string): string => path.basename(p);
  const dirname = (p: string): string => path.dirname(p);
  let target = dir;
  let cleanup: string | undefined;
  if (text !== undefined) {
    cleanup = await mkdtemp(join(tmpdir(), 'egret-kustomize-'));
    const parent = dirname(dir);
    for (const entry of await readdir(parent))
      if (entry !== basename(dir)) await symlink(join(parent, entry), join(cleanup, entry));
    target = join(cleanup, basename(dir));
    await mkdir(target);
    await writeFile(join(target, 'kustomization.yaml'), text);
  }
  try {
    const out = await new Promise<string>((res, rej) =>
      execFile('kubectl', ['kustomize', target], { maxBuffer: 32 << 20 }, (e, stdout, stderr) =>
        e ? rej(new Error(`kubectl kustomize ${dir}: ${stderr || e.message}`)) : res(stdout),
      ),
    );
    return parseAllDocuments(out)
      .map((d) => d.toJS() as Manifest)
      .filter((o) => o !== null);
  } finally {
    if (cleanup !== undefined) await rm(cleanup, { recursive: true, force: true });
  }
}
