/**
 * A model of `docker build` for the instructions egret's Dockerfiles use (infra/images), so tests can
 * check an image's contents without a Docker engine. Dockerfiles are parsed with dockerfile-ast; each
 * stage is then materialized as a directory tree: COPY copies real files (from the build context as
 * the root .dockerignore filters it, or from an earlier stage), `npm ci` and `npm run <script>` are carried
 * out the way they affect the tree (a tsc or `tsx <script>` really runs, in the stage's tree), `apt-get install` and `useradd` are
 * recorded. Anything else a Dockerfile could do is refused rather than ignored, so an image cannot
 * quietly start relying on something this model does not check. Other RUN commands (`node --version`,
 * `rm -rf /var/lib/apt/lists/*`) only leave a record: they do not touch what the tests look at.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import {
  DockerfileParser,
  type Copy,
  type From,
  type Instruction,
  type JSONInstruction,
} from 'dockerfile-ast';

/** One instruction of a stage, as the model understands it. */
export type Step =
  | { readonly kind: 'workdir'; readonly path: string }
  | {
      readonly kind: 'copy';
      readonly from: string | undefined;
      readonly sources: readonly string[];
      readonly dest: string;
    }
  | { readonly kind: 'run'; readonly commands: readonly (readonly string[])[] }
  | { readonly kind: 'user'; readonly user: string }
  | { readonly kind: 'expose'; readonly ports: readonly number[] }
  | { readonly kind: 'cmd' | 'entrypoint'; readonly argv: readonly string[] };

/** A build stage: `FROM base [AS name]` and what follows. */
export interface StageSpec {
  readonly name: string | undefined;
  /** The image reference with the global ARG defaults substituted. */
  readonly base: string;
  readonly steps: readonly Step[];
}

/** Marker written into a `node_modules` that `npm ci --omit=dev` made (the model installs nothing). */
export const PRODUCTION_INSTALL_MARKER = '.npm-ci-omit-dev';
/** Where the official node images keep the node binary. */
export const NODE_IMAGE_BINARY = '/usr/local/bin/node';
/** Docker's default PATH, which the Debian and node images keep. */
export const DEFAULT_PATH = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
] as const;

function unsupported(i: Instruction, what: string): Error {
  return new Error(
    `line ${i.getRange().start.line + 1}: ${what} is not modelled by test/k8s/support/dockerBuild.ts`,
  );
}

function expand(value: string, args: ReadonlyMap<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const v = args.get(name);
    if (v === undefined) throw new Error(`\${${name}} has no default (ARG ${name}=… before the first FROM)`);
    return v;
  });
}

/** Splits a RUN's words into the commands joined by `&&`, without environment assignments in front. */
function commandsOf(i: Instruction): string[][] {
  const words = i.getArguments().map((a) => a.getValue());
  if (words.some((w) => w === ';' || w === '||' || w.includes('|') || w.includes('`') || w.includes('$(')))
    throw unsupported(i, 'a RUN with ;, ||, pipes or substitutions');
  const out: string[][] = [[]];
  for (const w of words) {
    if (w === '&&') out.push([]);
    else out[out.length - 1]!.push(w);
  }
  return out.map((c) => c.slice(c.findIndex((w) => !/^[A-Za-z_]\w*=/.test(w))));
}

/** Parses a Dockerfile into its stages; throws on instructions the model does not cover. */
export function parseDockerfile(text: string): StageSpec[] {
  const df = DockerfileParser.parse(text);
  const args = new Map<string, string>();
  for (const a of df.getInitialARGs()) {
    const p = a.getProperty();
    if (p?.getValue() != null) args.set(p.getName(), p.getValue()!);
  }
  const stages: { name: string | undefined; base: string; steps: Step[] }[] = [];
  for (const i of df.getInstructions()) {
    const keyword = i.getKeyword();
    if (keyword === 'FROM') {
      const from = i as From;
      if (from.getFlags().length > 0) throw unsupported(i, 'FROM with flags');
      stages.push({
        name: from.getBuildStage() ?? undefined,
        base: expand(from.getImage() ?? '', args),
        steps: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (keyword === 'ARG') continue;
      throw unsupported(i, `${keyword} before FROM`);
    }
    const words = i.getArguments().map((a) => a.getValue());
    const json = (): string[] => {
      const strings = (i as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
      if (strings.length === 0) throw unsupported(i, `${keyword} in shell form`);
      return strings;
    };
    switch (keyword) {
      case 'WORKDIR':
        stage.steps.push({ kind: 'workdir', path: words.join(' ') });
        break;
      case 'COPY': {
        const copy = i as Copy;
        const flags = copy.getFlags();
        if (flags.some((f) => f.getName() !== 'from')) throw unsupported(i, 'COPY flags other than --from');
        if (copy.getJSONStrings().length > 0) throw unsupported(i, 'COPY in JSON form');
        if (words.length < 2) throw unsupported(i, 'COPY without source and destination');
        if (words.some((w) => /[*?[\]$]/.test(w))) throw unsupported(i, 'COPY with wildcards or variables');
        stage.steps.push({
          kind: 'copy',
          from: copy.getFromFlag()?.getValue() ?? undefined,
          sources: words.slice(0, -1),
          dest: words.at(-1)!,
        });
        break;
      }
      case 'RUN':
        stage.steps.push({ kind: 'run', commands: commandsOf(i) });
        break;
      case 'USER':
        stage.steps.push({ kind: 'user', user: words.join(' ') });
        break;
      case 'EXPOSE':
        stage.steps.push({ kind: 'expose', ports: words.map((w) => Number(w.replace(/\/tcp$/, ''))) });
        break;
      case 'CMD':
        stage.steps.push({ kind: 'cmd', argv: json() });
        break;
      case 'ENTRYPOINT':
        stage.steps.push({ kind: 'entrypoint', argv: json() });
        break;
      case 'LABEL':
        break;
      default:
        throw unsupported(i, keyword);
    }
  }
  if (stages.length === 0) throw new Error('no FROM');
  return stages;
}

/**
 * The root .dockerignore as an inclusion test on context-relative paths. Only the allow-list form is
 * accepted — `*`, then `!path` lines without wildcards — because Docker's matcher and the one
 * `az acr build` uses to pack the upload (azure-cli's _archive_utils) read that form alike and differ
 * on others (a leading double asterisk, trailing slashes).
 */
export function readDockerignore(text: string): (relPath: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (rules[0] !== '*') throw new Error('.dockerignore: the first rule must be `*` (an allow-list)');
  const allowed = rules.slice(1).map((r) => {
    if (!/^![\w.-]+(\/[\w.-]+)*$/.test(r) || r.includes('..'))
      throw new Error(`.dockerignore: ${r} is not a plain !path rule`);
    return r.slice(1);
  });
  return (relPath) => allowed.some((a) => relPath === a || relPath.startsWith(`${a}/`));
}

/** What one stage left behind. */
export interface BuiltStage {
  readonly name: string | undefined;
  readonly base: string;
  /** The stage's file tree: image path `/x` is `join(root, 'x')`. */
  readonly root: string;
  readonly workdir: string;
  readonly user: string | undefined;
  readonly expose: readonly number[];
  readonly cmd: readonly string[] | undefined;
  readonly entrypoint: readonly string[] | undefined;
  readonly aptPackages: readonly string[];
  /** `useradd --uid` values. */
  readonly createdUids: readonly number[];
  /** Every RUN command, as words. */
  readonly runs: readonly (readonly string[])[];
}

export interface BuildOptions {
  readonly stages: readonly StageSpec[];
  /** The build context (the repository root). */
  readonly contextDir: string;
  readonly included: (relPath: string) => boolean;
  /** A scratch directory for the stages' trees. */
  readonly scratchDir: string;
  /** A full `npm ci` is stood in for by a link to this installed node_modules. */
  readonly installedNodeModules: string;
  /** Stages built before, by content: identical stages (the two images share theirs) are built once. */
  readonly cache?: Map<string, BuiltStage>;
}

let stageCounter = 0;

/** Builds every stage; the last one is the image. */
export function buildImage(o: BuildOptions): BuiltStage[] {
  const built: BuiltStage[] = [];
  const keys: string[] = [];
  for (const spec of o.stages) {
    const fromStages = spec.steps.flatMap((s) => (s.kind === 'copy' && s.from !== undefined ? [s.from] : []));
    const depKeys = fromStages.map((f) => keys[stageIndex(o.stages, f)]);
    const key = JSON.stringify([spec.base, spec.steps, depKeys]);
    keys.push(key);
    const cached = o.cache?.get(key);
    if (cached) {
      built.push({ ...cached, name: spec.name });
      continue;
    }
    const stage = buildStage(o, spec, built);
    o.cache?.set(key, stage);
    built.push(stage);
  }
  return built;
}

function stageIndex(stages: readonly StageSpec[], name: string): number {
  const i = stages.findIndex((s) => s.name === name);
  if (i < 0) throw new Error(`COPY --from=${name}: no stage of that name before it`);
  return i;
}

function buildStage(o: BuildOptions, spec: StageSpec, earlier: readonly BuiltStage[]): BuiltStage {
  const root = join(o.scratchDir, `stage-${++stageCounter}`);
  mkdirSync(root, { recursive: true });
  if (earlier.some((s) => s.name === spec.base))
    throw new Error(`FROM ${spec.base}: stage bases are not modelled`);
  if (/^node:/.test(spec.base)) write(root, NODE_IMAGE_BINARY, `node binary of ${spec.base}\n`);
  const host = (imagePath: string): string => join(root, imagePath);
  let workdir = '/';
  let user: string | undefined;
  let cmd: string[] | undefined;
  let entrypoint: string[] | undefined;
  const expose: number[] = [];
  const aptPackages: string[] = [];
  const createdUids: number[] = [];
  const runs: string[][] = [];

  for (const step of spec.steps) {
    switch (step.kind) {
      case 'workdir':
        workdir = posix.resolve(workdir, step.path);
        mkdirSync(host(workdir), { recursive: true });
        break;
      case 'copy':
        copy(step, workdir, root, o, earlier);
        break;
      case 'user':
        user = step.user;
        break;
      case 'expose':
        expose.push(...step.ports);
        break;
      case 'cmd':
        cmd = [...step.argv];
        break;
      case 'entrypoint':
        entrypoint = [...step.argv];
        break;
      case 'run':
        for (const c of step.commands) {
          runs.push([...c]);
          run(c, { workdir, host, aptPackages, createdUids, o });
        }
        break;
    }
  }
  return {
    name: spec.name,
    base: spec.base,
    root,
    workdir,
    user,
    expose,
    cmd,
    entrypoint,
    aptPackages,
    createdUids,
    runs,
  };
}

function write(root: string, imagePath: string, content: string): void {
  mkdirSync(posix.dirname(join(root, imagePath)), { recursive: true });
  writeFileSync(join(root, imagePath), content);
}

/** COPY: a directory's contents go into the destination; files into it when it ends in / or there are several. */
function copy(
  step: Extract<Step, { kind: 'copy' }>,
  workdir: string,
  root: string,
  o: BuildOptions,
  earlier: readonly BuiltStage[],
): void {
  const dest = posix.resolve(workdir, step.dest);
  const intoDir = step.dest.endsWith('/') || step.sources.length > 1;
  const fromStage = step.from === undefined ? undefined : earlier.find((s) => s.name === step.from);
  if (step.from !== undefined && fromStage === undefined)
    throw new Error(`COPY --from=${step.from}: no such stage`);
  for (const source of step.sources) {
    let src: string;
    if (fromStage) src = join(fromStage.root, posix.resolve('/', source));
    else {
      const rel = posix.normalize(source).replace(/^\.\/|\/$/g, '');
      if (rel.startsWith('..') || rel.startsWith('/')) throw new Error(`COPY ${source}: outside the context`);
      if (!o.included(rel))
        throw new Error(`COPY ${source}: excluded from the build context by .dockerignore`);
      src = join(o.contextDir, rel);
    }
    if (!existsSync(src) && !isLink(src))
      throw new Error(`COPY ${step.from ? `--from=${step.from} ` : ''}${source}: not found`);
    const st = lstatSync(src);
    if (st.isSymbolicLink()) {
      // A stood-in full `npm ci` (a directory): stays a link, never a copy of the developer's node_modules.
      mkdirSync(posix.dirname(join(root, dest)), { recursive: true });
      symlinkSync(o.installedNodeModules, join(root, dest));
    } else if (st.isDirectory()) {
      const base = src;
      cpSync(src, join(root, dest), {
        recursive: true,
        verbatimSymlinks: true,
        filter: (from) =>
          fromStage !== undefined ||
          o.included(
            posix.join(posix.normalize(source).replace(/^\.\/|\/$/g, ''), from.slice(base.length + 1)),
          ),
      });
    } else {
      const target = intoDir ? posix.join(dest, posix.basename(source)) : dest;
      mkdirSync(posix.dirname(join(root, target)), { recursive: true });
      cpSync(src, join(root, target));
    }
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function run(
  words: readonly string[],
  s: {
    workdir: string;
    host: (p: string) => string;
    aptPackages: string[];
    createdUids: number[];
    o: BuildOptions;
  },
): void {
  const [cmd, sub, ...rest] = words;
  if (cmd === 'npm') {
    const cwd = s.host(s.workdir);
    if (sub === 'ci') {
      for (const f of ['package.json', 'package-lock.json'])
        if (!existsSync(join(cwd, f))) throw new Error(`npm ci in ${s.workdir}: no ${f} there`);
      if (rest.includes('--omit=dev')) {
        mkdirSync(join(cwd, 'node_modules'), { recursive: true });
        writeFileSync(join(cwd, 'node_modules', PRODUCTION_INSTALL_MARKER), '');
      } else symlinkSync(s.o.installedNodeModules, join(cwd, 'node_modules'));
      return;
    }
    if (sub === 'run' && rest.length === 1) {
      const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      const script = pkg.scripts?.[rest[0]!];
      if (!existsSync(join(cwd, 'node_modules'))) throw new Error(`npm run ${rest[0]!} before npm ci`);
      // A plain tsc, or a TypeScript script through tsx: both really run, in the stage's tree.
      const tsc = /^tsc((?: [\w./=-]+)*)$/.exec(script ?? '');
      const tsx = /^tsx ([\w./-]+\.ts)((?: [\w./=-]+)*)$/.exec(script ?? '');
      if (!tsc && !tsx)
        throw new Error(`npm run ${rest[0]!}: only a plain tsc or tsx <script> is modelled, got ${script}`);
      const argv = tsc
        ? [join(s.o.installedNodeModules, 'typescript/bin/tsc'), ...tsc[1]!.trim().split(' ')]
        : [
            '--import',
            'tsx',
            tsx![1]!,
            ...tsx![2]!
              .trim()
              .split(' ')
              .filter((w) => w !== ''),
          ];
      if (tsx && !existsSync(join(cwd, tsx[1]!)))
        throw new Error(`npm run ${rest[0]!}: ${tsx[1]!} is not in the stage (COPY it)`);
      const r = spawnSync(
        process.execPath,
        argv.filter((w) => w !== ''),
        { cwd, encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`npm run ${rest[0]!} failed:\n${r.stdout}${r.stderr}`);
      return;
    }
    throw new Error(`npm ${words.slice(1).join(' ')}: not modelled`);
  }
  if (cmd === 'apt-get' && sub === 'install') s.aptPackages.push(...rest.filter((w) => !w.startsWith('-')));
  if (cmd === 'useradd') {
    const i = words.indexOf('--uid');
    if (i > 0) s.createdUids.push(Number(words[i + 1]));
  }
}
