/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * The in-cluster images (infra/images/*.Dockerfile) against the manifests that run them (infra/k8s)
 * and the guide that builds them (docs/install.md). No Docker engine here: each Dockerfile is built by
 * the model in support/dockerBuild.ts — its build stage really compiles, with tsc, the sources it
 * copies from the context the root .dockerignore lets through — and the tests then look at the image's
 * file tree: every command a container runs names a file the image has, whose imports resolve inside
 * the image against production dependencies only; the node agent's init container puts the CNI plugin
 * where the agent's CNI_PLUGIN_COMMAND points; users, ports and Debian packages match what the
 * manifests and the agents need; and the guide builds exactly the images the manifests name.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import {
  buildImage,
  DEFAULT_PATH,
  NODE_IMAGE_BINARY,
  parseDockerfile,
  PRODUCTION_INSTALL_MARKER,
  readDockerignore,
  type BuiltStage,
  type StageSpec,
} from './support/dockerBuild.js';
import { renderKustomization, type Manifest } from './support/kustomize.js';
import { shellCommands, shellWords } from '../support/guideShell.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const imagesDir = 'infra/images';
const install = readFileSync(join(repoRoot, 'docs/install.md'), 'utf8');
const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
};

/** The guide's `az acr build` commands. */
function acrBuilds(): { image: string; file: string; context: string; registry: string; line: string }[] {
  return shellCommands(install)
    .filter((c) => c.startsWith('az acr build '))
    .map((line) => {
      const w = shellWords(line).slice(3);
      const opts = new Map<string, string>();
      const positional: string[] = [];
      for (let i = 0; i < w.length; i++) {
        if (w[i]!.startsWith('-')) opts.set(w[i]!, w[++i] ?? '');
        else positional.push(w[i]!);
      }
      return {
        image: opts.get('--image') ?? opts.get('-t') ?? '',
        file: opts.get('--file') ?? opts.get('-f') ?? '',
        registry: opts.get('--registry') ?? opts.get('-r') ?? '',
        context: positional.join(' '),
        line,
      };
    });
}

interface Container {
  readonly workload: string;
  readonly name: string;
  readonly init: boolean;
  readonly spec: any;
  readonly pod: any;
}

function containersOf(objects: readonly Manifest[]): Container[] {
  return objects
    .filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind))
    .flatMap((o) => {
      const pod = (o as any).spec.template.spec;
      const workload = `${o.kind}/${o.metadata.name}`;
      return [
        ...((pod.initContainers ?? []) as any[]).map((spec) => ({
          workload,
          name: spec.name,
          init: true,
          spec,
          pod,
        })),
        ...(pod.containers as any[]).map((spec) => ({ workload, name: spec.name, init: false, spec, pod })),
      ];
    });
}

/** A file tree the import walk reads: an image's, or the files an init container put on the host. */
type ReadFile = (path: string) => string | undefined;

function imageReader(root: string): ReadFile {
  return (p) => {
    const host = join(root, p);
    return existsSync(host) && statSync(host).isFile() ? readFileSync(host, 'utf8') : undefined;
  };
}

/** The packages a bare specifier names (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Walks the static and dynamic imports from `entry` the way node resolves ES modules: relative
 * specifiers (which carry their .js extension) must be files in the tree; bare ones are packages.
 */
function importClosure(
  entry: string,
  read: ReadFile,
): { files: string[]; packages: Set<string>; missing: string[] } {
  const files: string[] = [];
  const packages = new Set<string>();
  const missing: string[] = [];
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = read(file);
    if (text === undefined) {
      missing.push(file);
      continue;
    }
    files.push(file);
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (fileName.startsWith('.') || fileName.startsWith('/'))
        queue.push(posix.resolve(posix.dirname(file), fileName));
      else if (!isBuiltin(fileName)) packages.add(packageName(fileName));
    }
  }
  return { files, packages, missing };
}

/** The nearest package.json above `file`, as node looks for the module type. */
function nearestPackageJson(file: string, read: ReadFile): { path: string; json: any } | undefined {
  for (let dir = posix.dirname(file); ; dir = posix.dirname(dir)) {
    const path = posix.join(dir, 'package.json');
    const text = read(path);
    if (text !== undefined) return { path, json: JSON.parse(text) };
    if (dir === '/') return undefined;
  }
}

/** The repository paths a bundle in the image was made of (its linked source map), `..` stripped. */
function sourcesOf(image: BuiltStage, file: string): string[] {
  const map = join(image.root, `${file}.map`);
  if (!existsSync(map)) return [];
  const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
  return sources.map((f) => f.replace(/^(\.\.\/)+/, ''));
}

/** Where `command` is found on the image's PATH, if anywhere. */
function which(image: BuiltStage, command: string): string | undefined {
  return DEFAULT_PATH.map((d) => posix.join(d, command)).find((p) => existsSync(join(image.root, p)));
}

/** `cmd` → Debian package, from scripts/bootstrap.sh's `command -v cmd … missing="$missing pkg"` lines. */
function bootstrapPackages(): Map<string, string> {
  const text = readFileSync(join(repoRoot, 'scripts/bootstrap.sh'), 'utf8');
  return new Map(
    [...text.matchAll(/command -v (\S+) .*\|\| missing="\$missing (\S+)"/g)].map((m) => [m[1]!, m[2]!]),
  );
}

/** Every string literal in the agents' sources (the commands they spawn are among them). */
function agentStringLiterals(): Set<string> {
  const out = new Set<string>();
  const dir = join(repoRoot, 'agents');
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts')) continue;
    const source = ts.createSourceFile(f, readFileSync(join(dir, f), 'utf8'), ts.ScriptTarget.ES2022);
    const visit = (n: ts.Node): void => {
      if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.add(n.text);
      n.forEachChild(visit);
    };
    visit(source);
  }
  return out;
}

function userOf(image: BuiltStage): { uid: number; gid: number | undefined } {
  const [uid, gid] = (image.user ?? '0').split(':');
  assert.match(uid!, /^\d+$/, `USER ${image.user}: give the uid as a number (runAsNonRoot checks it)`);
  return { uid: Number(uid), gid: gid === undefined ? undefined : Number(gid) };
}

describe('in-cluster images', () => {
  let objects: Manifest[] = [];
  let containers: Container[] = [];
  /** Dockerfile (repo-relative) → parsed and built stages, or why it does not build. */
  const dockerfiles = new Map<string, { specs: StageSpec[]; stages: BuiltStage[] } | { error: Error }>();
  let scratch = '';
  let included: (relPath: string) => boolean = () => false;

  before(async () => {
    objects = await renderKustomization(join(repoRoot, 'infra/k8s'));
    containers = containersOf(objects);
    scratch = mkdtempSync(join(tmpdir(), 'egret-images-'));
    const cache = new Map<string, BuiltStage>();
    for (const f of readdirSync(join(repoRoot, imagesDir)).filter((n) => n.endsWith('.Dockerfile'))) {
      const file = `${imagesDir}/${f}`;
      try {
        included = readDockerignore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
        const specs = parseDockerfile(readFileSync(join(repoRoot, file), 'utf8'));
        const stages = buildImage({
          stages: specs,
          contextDir: repoRoot,
          included,
          scratchDir: scratch,
          installedNodeModules: join(repoRoot, 'node_modules'),
          cache,
        });
        dockerfiles.set(file, { specs, stages });
      } catch (e) {
        dockerfiles.set(file, { error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
  });
  after(() => {
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  /** Every Dockerfile with its stages; a Dockerfile that did not build fails the calling test. */
  const builtDockerfiles = (): [string, { specs: StageSpec[]; stages: BuiltStage[] }][] =>
    [...dockerfiles].map(([file, d]) => {
      if ('error' in d) throw new Error(`${file} does not build: ${d.error.message}`);
      return [file, d];
    });

  /** The final stage of the Dockerfile the guide builds `image` from. */
  const imageFor = (image: string): BuiltStage => {
    const build = acrBuilds().find((b) => b.image === image);
    assert.ok(build, `docs/install.md builds no ${image} (az acr build --image ${image} …)`);
    const d = builtDockerfiles().find(([file]) => file === build.file)?.[1];
    assert.ok(d, `${build.file} (built as ${image}) is not a Dockerfile in ${imagesDir}`);
    return d.stages.at(-1)!;
  };

  it('every Dockerfile builds from the repository: its COPY sources are in the context, its build script (`npm run package:images`) runs', () => {
    assert.ok(dockerfiles.size >= 2, `Dockerfiles in ${imagesDir}: ${[...dockerfiles.keys()].join(', ')}`);
    for (const [file, d] of dockerfiles)
      assert.ok(!('error' in d), `${file}: ${'error' in d ? d.error.message : ''}`);
  });

  it('the guide builds every image the manifests run, each from a Dockerfile here, with the repository as context', () => {
    const used = [...new Set(containers.map((c) => c.spec.image as string))].sort();
    assert.ok(used.length >= 2, used.join(', '));
    const builds = acrBuilds();
    for (const image of used) {
      const b = builds.filter((x) => x.image === image);
      assert.equal(
        b.length,
        1,
        `docs/install.md must build ${image} once with az acr build, found ${b.length}`,
      );
      assert.ok(b[0]!.file.startsWith(`${imagesDir}/`) && existsSync(join(repoRoot, b[0]!.file)), b[0]!.line);
      assert.equal(b[0]!.context, '.', `build from the repository root: ${b[0]!.line}`);
      assert.notEqual(b[0]!.registry, '', b[0]!.line);
    }
    assert.deepEqual(
      [...new Set(builds.map((b) => b.image))].sort(),
      used,
      'the guide builds an image no manifest uses',
    );
    assert.deepEqual(
      [...new Set(builds.map((b) => b.file))].sort(),
      [...dockerfiles.keys()].sort(),
      `every Dockerfile in ${imagesDir} is built by the guide`,
    );
  });

  it('the context is an allow-list that keeps node_modules, dist and .git out and lets in every COPY source', () => {
    for (const p of ['node_modules', 'dist', '.git', 'test', 'local.settings.json', '.state'])
      assert.equal(included(p), false, `${p} is sent to the builder`);
    for (const [file, { specs }] of builtDockerfiles())
      for (const stage of specs)
        for (const step of stage.steps)
          if (step.kind === 'copy' && step.from === undefined)
            for (const s of step.sources) {
              const rel = posix.normalize(s).replace(/\/$/, '');
              assert.ok(included(rel), `${file}: COPY ${s} is excluded by .dockerignore`);
              assert.ok(existsSync(join(repoRoot, rel)), `${file}: COPY ${s}: not in the repository`);
            }
  });

  it('each runtime is Debian slim with the node binary of a node image of the same release, new enough for engines', () => {
    const minMajor = Number(/>=\s*(\d+)/.exec(rootPackage.engines.node)?.[1]);
    for (const [file, { stages }] of builtDockerfiles()) {
      const final = stages.at(-1)!;
      const debian = /^debian:(\w+)-slim(?:@sha256:[0-9a-f]+)?$/.exec(final.base);
      assert.ok(debian, `${file}: the runtime is ${final.base}, not debian:<release>-slim`);
      const node = readFileSync(join(final.root, NODE_IMAGE_BINARY), 'utf8');
      const from = /^node binary of node:(\d+)(?:\.[\d.]+)?-(\w+)-slim/.exec(node);
      assert.ok(from, `${file}: ${NODE_IMAGE_BINARY} comes from ${node.trim()}`);
      assert.equal(from[2], debian[1], `${file}: node built for ${from[2]} on a ${debian[1]} runtime`);
      assert.ok(
        Number(from[1]) >= minMajor,
        `${file}: node ${from[1]} is older than engines ${rootPackage.engines.node}`,
      );
      assert.equal(which(final, 'node'), NODE_IMAGE_BINARY, `${file}: node is not on PATH`);
    }
  });

  it('every command a container runs names a file in its image, whose imports resolve there against production dependencies', () => {
    let checked = 0;
    for (const c of containers) {
      const where = `${c.workload} ${c.init ? 'init container' : 'container'} ${c.name}`;
      const image = imageFor(c.spec.image);
      const argv: string[] = c.spec.command ?? [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
      const workdir: string = c.spec.workingDir ?? image.workdir;
      const read = imageReader(image.root);
      if (argv[0] === 'sh' && argv[1] === '-c') {
        // Paths the script names relative to the working directory must be in the image.
        for (const [, path] of argv[2]!.matchAll(/(?:^|\s)((?:\.\/)?dist\/\S+)/g))
          assert.ok(
            read(posix.resolve(workdir, path!)) !== undefined,
            `${where}: ${path} is not in ${c.spec.image}`,
          );
        for (const [, cmd] of argv[2]!.matchAll(/command -v (\w+)/g))
          assert.ok(which(image, cmd!), `${where}: ${cmd} is not on ${c.spec.image}'s PATH`);
        checked++;
        continue;
      }
      assert.equal(argv[0], 'node', `${where}: runs ${argv.join(' ')}; only node and sh -c are checked`);
      assert.ok(which(image, 'node'), `${where}: node is not on ${c.spec.image}'s PATH`);
      const entry = posix.resolve(workdir, argv[1]!);
      const closure = importClosure(entry, read);
      assert.deepEqual(closure.missing, [], `${where}: ${c.spec.image} lacks these modules (from ${entry})`);
      assert.ok(
        sourcesOf(image, entry).includes(`${entry.replace(/^\/app\/dist\//, '').replace(/\.js$/, '.ts')}`),
        `${where}: ${entry} is not built from its source`,
      );
      const pkg = nearestPackageJson(entry, read);
      assert.ok(pkg, `${where}: no package.json above ${entry}`);
      assert.equal(pkg.json.type, 'module', `${where}: ${pkg.path} does not say "type": "module"`);
      const deps = Object.keys(pkg.json.dependencies ?? {});
      for (const p of closure.packages)
        assert.ok(deps.includes(p), `${where}: imports ${p}, which is not a production dependency`);
      if (closure.packages.size > 0) {
        const nodeModules = posix.join(posix.dirname(pkg.path), 'node_modules');
        assert.ok(
          existsSync(join(image.root, nodeModules, PRODUCTION_INSTALL_MARKER)) &&
            !lstatSync(join(image.root, nodeModules)).isSymbolicLink(),
          `${where}: ${nodeModules} is not an npm ci --omit=dev install`,
        );
      }
      checked++;
    }
    // The relay, the gateway daemon and the node agent, each with its init container but the relay.
    assert.ok(
      checked === containers.length && checked >= 5,
      `${checked} of ${containers.length} containers checked`,
    );
  });

  it("the node agent's init container installs the CNI plugin, with all it imports, where CNI_PLUGIN_COMMAND points", () => {
    const ds = containers.filter((c) => c.workload === 'DaemonSet/egret-node-agent');
    const agent = ds.find((c) => !c.init)!;
    const pluginCommand = JSON.parse(
      (agent.spec.env as any[]).find((e) => e.name === 'CNI_PLUGIN_COMMAND').value,
    ) as string[];
    const init = ds.find((c) => c.init && c.spec.command?.[0] === 'sh');
    assert.ok(init, 'an init container that installs the plugin');
    const image = imageFor(init.spec.image);
    const workdir: string = init.spec.workingDir ?? image.workdir;
    // What the script leaves in the container's paths: files from the image, or text it writes.
    const written = new Map<string, { imagePath: string } | { text: string }>();
    for (const part of (init.spec.command[2] as string).split('&&')) {
      const w = shellWords(part.trim());
      const fromImage = (s: string): string => {
        const m = /^\$\(command -v (\w+)\)$/.exec(s);
        const p = m ? which(image, m[1]!) : posix.resolve(workdir, s);
        assert.ok(p && existsSync(join(image.root, p)), `${s} is not in ${init.spec.image}`);
        return p;
      };
      if (w[0] === 'mkdir') continue;
      else if (w[0] === 'cp') {
        const dest = w.at(-1)!;
        const sources = w.slice(1, -1);
        for (const s of sources) {
          const p = fromImage(s);
          written.set(dest.endsWith('/') || sources.length > 1 ? posix.join(dest, posix.basename(p)) : dest, {
            imagePath: p,
          });
        }
      } else if (w[0] === 'mv') {
        const f = written.get(w[1]!);
        assert.ok(f, `mv ${w[1]!}: not written before`);
        written.delete(w[1]!);
        written.set(w[2]!, f);
      } else if (w[0] === 'echo' && w.at(-2) === '>')
        written.set(w.at(-1)!, { text: w.slice(1, -2).join(' ') });
      else assert.fail(`the init script runs ${w.join(' ')}, which this test does not model`);
    }
    // A host path as the init container sees it, through its hostPath mounts.
    const toContainer = (hostPath: string): string | undefined => {
      for (const m of init.spec.volumeMounts as any[]) {
        const v = (init.pod.volumes as any[]).find((x) => x.name === m.name);
        const h: string | undefined = v?.hostPath?.path;
        if (h !== undefined && (hostPath === h || hostPath.startsWith(`${h}/`)))
          return posix.join(m.mountPath, hostPath.slice(h.length));
      }
      return undefined;
    };
    const onHost = (hostPath: string) => {
      const p = toContainer(hostPath);
      return p === undefined ? undefined : written.get(p);
    };
    const [bin, script] = pluginCommand;
    assert.ok(bin && script, `CNI_PLUGIN_COMMAND is [node, plugin], got ${JSON.stringify(pluginCommand)}`);
    const binFile = onHost(bin);
    assert.ok(binFile && 'imagePath' in binFile, `${bin} is not installed by the init container`);
    assert.equal(binFile.imagePath, which(image, 'node'), `${bin} is not the image's node`);
    const hostRead: ReadFile = (p) => {
      const f = onHost(p);
      if (f === undefined) return undefined;
      return 'text' in f ? f.text : readFileSync(join(image.root, f.imagePath), 'utf8');
    };
    const closure = importClosure(script, hostRead);
    assert.deepEqual(closure.missing, [], `the plugin's modules missing on the host`);
    assert.ok(closure.files.length >= 2, closure.files.join(', '));
    assert.deepEqual(
      [...closure.packages],
      [],
      'the plugin may use node built-ins only: the host has no node_modules',
    );
    assert.equal(
      nearestPackageJson(script, hostRead)?.json.type,
      'module',
      `no package.json with "type": "module" above ${script} on the host`,
    );
  });

  it('no runtime image carries dev dependencies, the Azure SDKs, the stand-ins or the control plane, or runs npm', () => {
    for (const [file, { stages }] of builtDockerfiles()) {
      const final = stages.at(-1)!;
      assert.ok(
        !final.runs.some((r) => r[0] === 'npm' || r[0] === 'npx'),
        `${file}: npm runs in the runtime stage`,
      );
      const app = join(final.root, final.workdir);
      const nodeModules = join(app, 'node_modules');
      if (existsSync(nodeModules)) {
        assert.equal(
          lstatSync(nodeModules).isSymbolicLink(),
          false,
          `${file}: node_modules is a full npm ci (dev too)`,
        );
        assert.ok(
          existsSync(join(nodeModules, PRODUCTION_INSTALL_MARKER)),
          `${file}: node_modules is not --omit=dev`,
        );
        assert.equal(existsSync(join(nodeModules, '@azure')), false, `${file}: ships an Azure SDK`);
      }
      for (const dir of ['dist/infra', 'dist/shared', 'dist/functions'])
        assert.equal(existsSync(join(app, dir)), false, `${file}: ships ${dir}`);
      // What the bundles were made of, from their source maps: the agents, the core, their packages.
      const maps = readdirSync(app, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.js.map'),
      );
      assert.ok(maps.length > 0, `${file}: no bundle in ${final.workdir}`);
      for (const m of maps) {
        const sources = sourcesOf(final, posix.join(final.workdir, m.replace(/\.map$/, '')));
        const own = sources.filter((f) => !f.includes('node_modules/') && !/^[a-z]+:\/\//.test(f));
        assert.deepEqual(
          own.filter(
            (f) => !/^(agents|shared\/core)\//.test(f) && f !== 'shared/adapters/system/systemClock.ts',
          ),
          [],
          `${file}: ${m} bundles more than agents/, shared/core/ and the system clock`,
        );
        assert.deepEqual(
          sources.filter((f) => /node_modules\/(@azure\/|selfsigned|azurite|@marcbachmann)/.test(f)),
          [],
          `${file}: ${m} bundles a package the agents do not run`,
        );
      }
    }
  });

  it("the relay image's user is the Deployment's runAsUser/runAsGroup, created in the image and not root", () => {
    const relay = containers.find((c) => c.workload === 'Deployment/egret-relay' && !c.init)!;
    const image = imageFor(relay.spec.image);
    const sc = { ...relay.pod.securityContext, ...relay.spec.securityContext };
    const { uid, gid } = userOf(image);
    assert.equal(uid, sc.runAsUser, `USER ${image.user} vs runAsUser ${sc.runAsUser}`);
    assert.equal(gid, sc.runAsGroup, `USER ${image.user} vs runAsGroup ${sc.runAsGroup}`);
    assert.notEqual(uid, 0);
    assert.ok(image.createdUids.includes(uid), `the image creates no user ${uid} (useradd --uid)`);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.ok(
      (relay.spec.volumeMounts as any[]).some((m) => m.mountPath === '/tmp'),
      'a writable /tmp next to the read-only root',
    );
  });

  it('containers that set no runAsUser run as root in their image (the agents need it)', () => {
    for (const c of containers.filter((x) => x.workload !== 'Deployment/egret-relay')) {
      const image = imageFor(c.spec.image);
      const uid = c.spec.securityContext?.runAsUser ?? c.pod.securityContext?.runAsUser ?? userOf(image).uid;
      assert.equal(uid, 0, `${c.workload} ${c.name} runs as ${uid}`);
    }
  });

  it("each container's ports are exposed by its image and its probes use them", () => {
    for (const c of containers.filter((x) => !x.init)) {
      const image = imageFor(c.spec.image);
      const ports = (c.spec.ports ?? []) as { name?: string; containerPort: number }[];
      for (const p of ports)
        assert.ok(
          image.expose.includes(p.containerPort),
          `${c.workload}: ${p.containerPort} not exposed by ${c.spec.image}`,
        );
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const port = c.spec[probe]?.httpGet?.port as number | string | undefined;
        if (port === undefined) continue;
        assert.ok(
          ports.some((p) => p.containerPort === port || p.name === port),
          `${c.workload} ${probe} uses port ${port}, which the container does not declare`,
        );
      }
    }
  });

  it('the agents image installs the Debian package of every data-path tool the agents run, and no other', () => {
    const packages = bootstrapPackages();
    const literals = agentStringLiterals();
    const used = [...packages.keys()].filter((cmd) => literals.has(cmd));
    // The scan must find the tools the agents' READMEs describe, or it proves nothing.
    for (const cmd of ['ip', 'nft', 'wg', 'wireguard-go'])
      assert.ok(used.includes(cmd), `${cmd} not found in agents/`);
    const agentImages = new Set(
      containers.filter((c) => c.workload !== 'Deployment/egret-relay').map((c) => c.spec.image as string),
    );
    for (const name of agentImages) {
      const image = imageFor(name);
      for (const cmd of used)
        assert.ok(
          image.aptPackages.includes(packages.get(cmd)!),
          `${name} lacks ${packages.get(cmd)!} (${cmd})`,
        );
      for (const [cmd, pkg] of packages)
        if (image.aptPackages.includes(pkg))
          assert.ok(used.includes(cmd), `${name} installs ${pkg}, but the agents never run ${cmd}`);
    }
  });
});
