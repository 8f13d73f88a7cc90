// The Jail builder: chainable setters that fill a JailSpec, then spawn()/start()/run(). Nothing is
// checked until spawn (validateSpec), so the builder can be filled in any order.
import { JailSpec, NamespacesSpec, MountSpec, CapsSpec, RlimitSpec, CgroupSpec, LandlockSpec, FilesystemSpec } from './spec';
import { spawnJail, startJail, JailProcess, JailExit, StdioOption } from './spawn';
import { lookupUser, lookupGroup, userGroups } from './users';
import { SpecError } from './validate';
import { coreArch } from './arch';
import { ProgramLookupError, findProgram } from './program';
import type { CompileOptions } from '../policy/compile';
import type { PolicyError } from '../policy/index';
import { readFile } from 'fs/promises';
import { describeFsError } from '../node/system-errors';

export interface UserOptions {
  /** A user name (looked up in /etc/passwd; also sets gid unless given) or a uid. */
  user?: string | number;
  uid?: number;
  gid?: number | string;
  /** 'keep', explicit gids/names, or 'user' = the groups of `user` (like minijail -G). */
  groups?: 'keep' | 'user' | (number | string)[];
  uidMap?: JailSpec['user']['uidMap'];
  gidMap?: JailSpec['user']['gidMap'];
}

export interface SpawnArgs {
  env?: Record<string, string> | string[];
  /** Keep Node's environment and add `env` to it (default false: exactly `env`). */
  inheritEnv?: boolean;
  cwd?: string;
  stdio?: StdioOption[];
}

export interface RunResult extends JailExit {
  stdout: Buffer;
  stderr: Buffer;
}

/** argv[0]'s path inside the jail, by tsjail run's lookup (program.ts); its errors as SpecErrors. */
function resolveProgram(file: string, env: string[], filesystem: FilesystemSpec | undefined): string {
  try {
    return findProgram(file, env, { mounts: filesystem?.mounts ?? [], root: filesystem?.root });
  } catch (e) {
    if (e instanceof ProgramLookupError) throw Object.assign(new SpecError('argv[0]', e.message), { cause: e });
    throw e;
  }
}

function envList(env: SpawnArgs['env'], inherit: boolean): string[] {
  const base: Record<string, string> = inherit ? { ...(process.env as Record<string, string>) } : {};
  if (Array.isArray(env)) {
    for (const e of env) {
      const i = e.indexOf('=');
      if (i > 0) base[e.slice(0, i)] = e.slice(i + 1);
    }
  } else if (env) Object.assign(base, env);
  return Object.entries(base).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
}

export interface SeccompOptions {
  tsync?: boolean;
  log?: boolean;
  names?: Record<number, string>;
  timing?: JailSpec['seccompTiming'];
  /** Run a policy that lets io_uring through (SeccompSpec.allowIoUring); refused otherwise. */
  allowIoUring?: boolean;
  /**
   * Permissive mode (SeccompSpec.logMode): the program is NOT contained by the policy; the
   * calls it would deny run and are listed in the exit's wouldDeny.
   */
  logMode?: boolean;
  /**
   * Options for the policy compiler when the policy is text (path, files, defaultAction...).
   * Without `files`, @include files are read from disk, `./` paths relative to `path`'s
   * directory (the current directory when there is no `path`).
   */
  compile?: Omit<CompileOptions, 'arch'>;
}

export class Jail {
  private pendingPolicy?: { text?: string; file?: string; options: SeccompOptions };
  private spec: Omit<JailSpec, 'path' | 'argv' | 'env'> = {
    namespaces: {},
    user: {},
    noNewPrivs: false,
    filesystem: { mounts: [] },
    rlimits: [],
    preserveFds: [],
  };

  /** Identity inside the jail. Names are looked up here, in the parent. */
  user(o: UserOptions): this {
    const u = { ...this.spec.user };
    let userName: string | undefined;
    if (typeof o.user === 'string') {
      const e = lookupUser(o.user);
      if (!e) throw new SpecError('user.user', `unknown user ${o.user}`);
      userName = e.name;
      u.uid = e.uid;
      u.gid = e.gid;
    } else if (typeof o.user === 'number') u.uid = o.user;
    if (o.uid !== undefined) u.uid = o.uid;
    if (typeof o.gid === 'string') {
      const g = lookupGroup(o.gid);
      if (g === undefined) throw new SpecError('user.gid', `unknown group ${o.gid}`);
      u.gid = g;
    } else if (o.gid !== undefined) u.gid = o.gid;
    if (o.groups === 'keep') u.groups = 'keep';
    else if (o.groups === 'user') {
      if (!userName) throw new SpecError('user.groups', "'user' needs a user name in user.user");
      u.groups = userGroups(userName, u.gid!);
    } else if (o.groups) {
      u.groups = o.groups.map((g, i) => {
        if (typeof g === 'number') return g;
        const n = lookupGroup(g);
        if (n === undefined) throw new SpecError(`user.groups[${i}]`, `unknown group ${g}`);
        return n;
      });
    }
    if (o.uidMap) u.uidMap = o.uidMap;
    if (o.gidMap) u.gidMap = o.gidMap;
    this.spec.user = u;
    return this;
  }

  namespaces(ns: NamespacesSpec): this {
    this.spec.namespaces = { ...this.spec.namespaces, ...ns };
    return this;
  }
  /** The program itself is pid 1 of the pid namespace (no tsjail init). */
  programAsInit(on = true): this {
    this.spec.programAsInit = on;
    return this;
  }
  hostname(name: string): this {
    this.spec.hostname = name;
    this.spec.namespaces = { ...this.spec.namespaces, uts: true };
    return this;
  }
  caps(c: CapsSpec): this {
    this.spec.caps = c;
    return this;
  }
  noNewPrivs(on = true): this {
    this.spec.noNewPrivs = on;
    return this;
  }
  /**
   * The seccomp filter: compiled bytes (sock_filter[]), or minijail policy text, compiled for
   * this machine's arch by the policy core in prepare()/run() (spawn() needs it compiled).
   */
  seccomp(policy: Uint8Array | string, o: SeccompOptions = {}): this {
    if (typeof policy === 'string') {
      this.pendingPolicy = { text: policy, options: o };
      this.spec.seccomp = undefined;
    } else {
      this.pendingPolicy = undefined;
      this.spec.seccomp = { bpf: policy, tsync: o.tsync, log: o.log, names: o.names, allowIoUring: o.allowIoUring, logMode: o.logMode };
    }
    if (o.timing) this.spec.seccompTiming = o.timing;
    return this;
  }
  /**
   * The seccomp policy in the file `path`, read and compiled (with its @include files from
   * disk, relative to it) in prepare()/run(): `seccomp(text, {compile: {path}})` for the
   * common case.
   */
  seccompFile(path: string, o: SeccompOptions = {}): this {
    this.pendingPolicy = { file: path, options: { ...o, compile: { ...o.compile, path: o.compile?.path ?? path } } };
    this.spec.seccomp = undefined;
    if (o.timing) this.spec.seccompTiming = o.timing;
    return this;
  }

  /** Compile a policy given as text (no-op otherwise). Throws PolicyError with the diagnostics. */
  async prepare(): Promise<this> {
    const pending = this.pendingPolicy;
    if (!pending) return this;
    // Lazy: the policy core (wasm) loads only for policies given as text.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { compilePolicyOrThrow, syscallNames, syscallNumber, DiagnosticCode } = require('../policy/index') as typeof import('../policy/index');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { fileResolver, decodePolicyFile } = require('../policy-node/index') as typeof import('../policy-node/index');
    const arch = coreArch() ?? process.arch;
    let text = pending.text;
    if (text === undefined) {
      let bytes: Buffer;
      try {
        bytes = await readFile(pending.file!);
      } catch (e) {
        throw new SpecError('seccomp', `cannot read the policy ${pending.file}: ${describeFsError(e)}`);
      }
      try {
        text = decodePolicyFile(pending.file!, bytes);
      } catch (e) {
        throw new SpecError('seccomp', (e as Error).message);
      }
    }
    // A jail runs on this machine, so its policy's @include files are this machine's files
    // unless the caller supplies them (the browser-safe compilePolicy reads nothing itself).
    const compile = pending.options.compile ?? {};
    let r;
    try {
      r = await compilePolicyOrThrow(text, { arch, ...compile, files: compile.files ?? fileResolver() });
    } catch (e) {
      // Text without a path has no directory of its own: say where ./ includes were looked for.
      const missing = (e as PolicyError).diagnostics?.some((d) => d.code === DiagnosticCode.CouldNotInclude);
      if (missing && compile.path === undefined && compile.files === undefined) {
        (e as Error).message += ` (policy text without compile.path: ./ includes are read from ${process.cwd()}; ` +
          'pass seccomp(text, {compile: {path}}) or use seccompFile(path))';
      }
      throw e;
    }
    const names: Record<number, string> = {};
    for (const n of await syscallNames(arch)) {
      const nr = await syscallNumber(arch, n);
      if (nr !== undefined) names[nr] = n;
    }
    this.spec.seccomp = { bpf: r.program, tsync: pending.options.tsync, log: pending.options.log, names,
      allowIoUring: pending.options.allowIoUring, logMode: pending.options.logMode, source: { text, options: { arch, ...compile } } };
    this.pendingPolicy = undefined;
    return this;
  }
  /** Bind mount (read-only unless writable). */
  bind(source: string, target = source, o: { writable?: boolean; recursive?: boolean } = {}): this {
    return this.mount({ kind: 'bind', source, target, writable: !!o.writable, recursive: o.recursive ?? true });
  }
  mount(m: MountSpec): this {
    this.spec.filesystem = { ...this.spec.filesystem, mounts: [...this.spec.filesystem.mounts, m] };
    this.spec.namespaces = { ...this.spec.namespaces, mount: true };
    return this;
  }
  filesystem(f: Partial<FilesystemSpec>): this {
    this.spec.filesystem = { ...this.spec.filesystem, ...f, mounts: [...this.spec.filesystem.mounts, ...(f.mounts ?? [])] };
    this.spec.namespaces = { ...this.spec.namespaces, mount: true };
    return this;
  }
  landlock(l: LandlockSpec): this {
    this.spec.landlock = l;
    return this;
  }
  rlimit(r: RlimitSpec): this {
    this.spec.rlimits = [...this.spec.rlimits, r];
    return this;
  }
  cgroup(c: CgroupSpec): this {
    this.spec.cgroup = c;
    return this;
  }
  preserveFd(...fds: number[]): this {
    this.spec.preserveFds = [...this.spec.preserveFds, ...fds];
    return this;
  }
  timeLimit(ms: number): this {
    this.spec.timeLimitMs = ms;
    return this;
  }
  pidFile(p: string): this {
    this.spec.pidFile = p;
    return this;
  }
  /** Any other JailSpec fields (preloadLibrary, preloadTimeoutMs, ...). */
  set(extra: Partial<JailSpec>): this {
    this.spec = { ...this.spec, ...extra };
    return this;
  }

  /** The plain spec for argv (what spawn() validates and hands to the runtime). */
  toSpec(argv: string[], o: SpawnArgs = {}): JailSpec {
    if (!Array.isArray(argv) || argv.length === 0) throw new SpecError('argv', 'must name the program');
    const env = envList(o.env, !!o.inheritEnv);
    return { ...this.spec, path: resolveProgram(argv[0], env, this.spec.filesystem), argv: [...argv], env, cwd: o.cwd ?? this.spec.cwd };
  }

  spawn(argv: string[], o: SpawnArgs = {}): JailProcess {
    if (this.pendingPolicy) throw new SpecError('seccomp', 'policy text must be compiled first: await jail.prepare() (run() does it)');
    return spawnJail(this.toSpec(argv, o), { stdio: o.stdio });
  }

  /**
   * spawn() without blocking Node's event loop while the jail is set up (startJail): compiles
   * policy text first (prepare()), resolves once the program runs, rejects with SpecError or
   * JailError (nothing ran).
   */
  async start(argv: string[], o: SpawnArgs = {}): Promise<JailProcess> {
    await this.prepare();
    return startJail(this.toSpec(argv, o), { stdio: o.stdio });
  }

  /** Start, feed `input` to stdin, collect stdout/stderr, resolve at exit. */
  async run(argv: string[], o: SpawnArgs & { input?: string | Buffer } = {}): Promise<RunResult> {
    const p = await this.start(argv, { ...o, stdio: o.stdio ?? ['pipe', 'pipe', 'pipe'] });
    const collect = (s: NodeJS.ReadableStream | null) =>
      new Promise<Buffer>((resolve, reject) => {
        if (!s) return resolve(Buffer.alloc(0));
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks)));
        s.on('error', reject);
      });
    if (p.stdin) {
      p.stdin.on('error', () => { /* EPIPE when the program does not read */ });
      p.stdin.end(o.input ?? '');
    }
    const [stdout, stderr, exit] = await Promise.all([collect(p.stdout), collect(p.stderr), p.exited]);
    return { ...exit, stdout, stderr };
  }
}
