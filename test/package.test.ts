// The npm package as users get it (docs/install.md): `npm run prebuild` (scripts/prebuild.js)
// builds the native runtime for linux-x64 and, cross, linux-arm64 into prebuilds/; `npm pack`
// makes the tarball; it is installed into an empty project with --ignore-scripts, an empty npm
// cache and an unreachable registry (so nothing can come from the network), and used from
// there: the CLI, a saved jail run by the packaged tsjail-exec, require('tsjail/policy') and
// import('tsjail'). A platform without prebuilt binaries (faked with a -r script) keeps the
// policy tools and gets one line naming the platform from the jail API.

import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeUnless } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'tsjail');

function has(cmd: string, args = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const suite = describeUnless(
  [process.platform !== 'linux' || process.arch !== 'x64', 'the prebuilds are made on an x86_64 Linux host'],
  // README "Install": the arm64 prebuild is a cross build.
  [!has('aarch64-linux-gnu-gcc') || !has('aarch64-linux-gnu-g++'), 'no aarch64 cross compiler (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu)'],
  [!fs.existsSync(path.join(REPO, 'dist', 'cli.cjs')), 'tsjail is not built (npm run build)'],
);

let work = '';
let app = '';
let pack: { filename: string; size: number; unpackedSize: number; files: { path: string }[] } | undefined;
let setupError = '';

/** npm with no way to the network: an empty private cache, a registry nobody listens on. */
function npmEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    npm_config_offline: 'true',
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_cache: path.join(work, 'npm-cache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

function run(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(argv[0], argv.slice(1), {
    cwd: opts.cwd ?? app, env: opts.env ?? npmEnv(), input: opts.input, encoding: 'utf8', timeout: 60_000,
  });
}
const npx = (...args: string[]) => run(['npx', '--no-install', ...args]);
const status = (r: SpawnSyncReturns<string>) => `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`;

beforeAll(() => {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !has('aarch64-linux-gnu-gcc')) return;
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli.cjs'))) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-package-'));
  fs.chmodSync(work, 0o755);
  // Incremental: with build/native and build/native-arm64 up to date, a few seconds.
  const pre = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'prebuild.js')], { cwd: REPO, encoding: 'utf8', timeout: 240_000 });
  if (pre.status !== 0) return void (setupError = `npm run prebuild failed: ${status(pre)}`);
  // --ignore-scripts: prepare would rebuild everything; the prepack check runs here explicitly.
  const check = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'prebuild.js'), '--check'], { cwd: REPO, encoding: 'utf8' });
  if (check.status !== 0) return void (setupError = `prebuild --check failed: ${status(check)}`);
  const p = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    { cwd: REPO, env: npmEnv(), encoding: 'utf8', timeout: 60_000 });
  if (p.status !== 0) return void (setupError = `npm pack failed: ${status(p)}`);
  pack = JSON.parse(p.stdout)[0];
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
  const i = run(['npm', 'install', '--ignore-scripts', path.join(work, pack!.filename)]);
  if (i.status !== 0) return void (setupError = `npm install of the tarball failed: ${status(i)}`);
  fs.writeFileSync(path.join(work, 'exit.policy'), 'exit_group: 1\n');
}, 300_000);
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function ready(): void {
  if (setupError) throw new Error(setupError);
}
const PKG = () => path.join(app, 'node_modules', 'tsjail');

suite('npm package: the tarball', () => {
  test('holds the bundles, types, CLI, wasm, prebuilt binaries, policies and docs', () => {
    ready();
    const files = new Set(pack!.files.map((f) => f.path));
    for (const f of [
      'package.json', 'README.md', 'bin/tsjail', 'dist/cli.cjs', 'dist/index.cjs', 'dist/index.mjs', 'dist/policy.cjs',
      'dist/policy.mjs', 'dist/policy.browser.mjs', 'dist/types/index.d.ts', 'dist/types/policy/index.d.ts',
      'build/wasm/core.wasm', 'policies/example.policy', 'docs/install.md', 'docs/runtime.md',
      ...['linux-x64', 'linux-arm64'].flatMap((p) => ['tsjail.node', 'libtsjailpreload.so', 'tsjail-exec'].map((f) => `prebuilds/${p}/${f}`)),
    ]) expect(files).toContain(f);
  });

  test('and nothing users do not need: no sources, tests, scripts or build trees', () => {
    ready();
    const allowed = /^(package\.json|README\.md|bin\/tsjail|dist\/|build\/wasm\/core\.wasm$|policies\/|docs\/|prebuilds\/linux-(x64|arm64)\/(tsjail\.node|libtsjailpreload\.so|tsjail-exec)$)/;
    expect(pack!.files.map((f) => f.path).filter((f) => !allowed.test(f))).toEqual([]);
    // The sizes docs/benchmarks.md reports ("Package size").
    console.log(`tarball ${pack!.filename}: ${pack!.size} bytes packed, ${pack!.unpackedSize} unpacked, ${pack!.files.length} files`);
    expect(pack!.size).toBeLessThan(4 << 20);
  });

  test('the installed package has no install script and no dependencies, and npm fetched nothing', () => {
    ready();
    const pj = JSON.parse(fs.readFileSync(path.join(PKG(), 'package.json'), 'utf8'));
    for (const s of ['preinstall', 'install', 'postinstall']) expect(pj.scripts?.[s]).toBeUndefined();
    expect(pj.dependencies ?? {}).toEqual({});
    expect(fs.readdirSync(path.join(app, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['tsjail']);
    // The package's own binaries: an x86_64 and an aarch64 ELF (e_machine 62, 183).
    for (const [p, machine] of [['linux-x64', 62], ['linux-arm64', 183]] as const) {
      for (const f of ['tsjail.node', 'libtsjailpreload.so', 'tsjail-exec']) {
        const h = fs.readFileSync(path.join(PKG(), 'prebuilds', p, f)).subarray(0, 20);
        expect([h.subarray(0, 4).toString('latin1'), h.readUInt16LE(18)]).toEqual(['\x7fELF', machine]);
      }
    }
  });
});

suite('npm package: installed with --ignore-scripts, offline', () => {
  test('npx tsjail compile gives the bytes the repository CLI gives', () => {
    ready();
    const policy = path.join(PKG(), 'policies', 'example.policy');
    const r = npx('tsjail', 'compile', policy, '--arch', 'x86_64', '-o', path.join(work, 'pkg.bpf'));
    expect(status(r)).toMatch(/^status 0 /);
    const ref = spawnSync(process.execPath, [BIN, 'compile', policy, '--arch', 'x86_64', '-o', path.join(work, 'repo.bpf')]);
    expect(ref.status).toBe(0);
    expect(fs.readFileSync(path.join(work, 'pkg.bpf'))).toEqual(fs.readFileSync(path.join(work, 'repo.bpf')));
  });

  test('npx tsjail run -S POLICY -- /bin/true runs on the prebuilt addon, and the filter holds', () => {
    ready();
    const policy = path.join(work, 'exit.policy');
    expect(status(npx('tsjail', 'run', '-S', policy, '--', '/bin/true'))).toMatch(/^status 0 /);
    // /bin/echo writes: not allowed by exit_group alone, so the jail ends in a violation (159).
    const denied = npx('tsjail', 'run', '-S', policy, '--', '/bin/echo', 'hi');
    expect(denied.status).toBe(159);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/seccomp violation/);
  });

  test('tsjail-exec from the package runs a saved jail', () => {
    ready();
    const where = npx('tsjail', 'exec-path');
    expect(status(where)).toMatch(/^status 0 /);
    const exec = where.stdout.trim();
    expect(exec).toBe(path.join(fs.realpathSync(PKG()), 'prebuilds', 'linux-x64', 'tsjail-exec'));
    const jail = path.join(work, 'true.jail');
    expect(status(npx('tsjail', 'run', '-S', path.join(work, 'exit.policy'), '--save-jail', jail, '--', '/bin/true'))).toMatch(/^status 0 /);
    fs.chmodSync(jail, 0o644);
    expect(status(run([exec, jail]))).toMatch(/^status 0 /);
  });

  test("require('tsjail/policy') and import('tsjail') resolve to the package and work", () => {
    ready();
    const cjs = run([process.execPath, '-e', `
      const p = require('tsjail/policy');
      p.compilePolicy('read: 1\\nexit_group: 1\\n', { arch: 'x86_64' }).then((r) =>
        console.log(require.resolve('tsjail/policy'), r.ok, r.program.length > 0));`]);
    expect(status(cjs)).toMatch(/^status 0 /);
    expect(cjs.stdout.trim()).toBe(`${path.join(fs.realpathSync(PKG()), 'dist', 'policy.cjs')} true true`);
    const esm = run([process.execPath, '--input-type=module', '-e', `
      const t = await import('tsjail');
      const jail = new t.Jail().noNewPrivs().seccomp('exit_group: 1\\n');
      const ok = await jail.run(['/bin/true']);
      const denied = await jail.run(['/bin/echo', 'from the jail']);
      console.log(JSON.stringify({ ok: ok.code, denied: [denied.code, denied.stdout.toString(), Boolean(denied.violation)] }));`]);
    expect(status(esm)).toMatch(/^status 0 /);
    expect(JSON.parse(esm.stdout)).toEqual({ ok: 0, denied: [null, '', true] });
  });
});

suite('npm package: a platform without prebuilt binaries', () => {
  // Node on another platform, faked before the package loads: process.platform/arch, and for
  // musl a report without glibcVersionRuntime (what musl builds of Node give).
  const FAKE = `
    const f = process.env.FAKE_PLATFORM.split('-');
    Object.defineProperty(process, 'platform', { value: f[0] });
    Object.defineProperty(process, 'arch', { value: f[1] });
    if (f[2] === 'musl') { const g = process.report.getReport.bind(process.report);
      process.report.getReport = () => { const r = g(); delete r.header.glibcVersionRuntime; return r; }; }`;
  const fake = (platform: string, args: string[]) => {
    fs.writeFileSync(path.join(work, 'fake.cjs'), FAKE);
    return run([process.execPath, '-r', path.join(work, 'fake.cjs'), path.join(app, 'node_modules', '.bin', 'tsjail'), ...args],
      { env: { ...npmEnv(), FAKE_PLATFORM: platform } });
  };

  test.each(['linux-arm', 'linux-x64-musl', 'darwin-arm64'])('%s: compile works, run fails with one line naming it', (platform) => {
    ready();
    const c = fake(platform, ['compile', path.join(PKG(), 'policies', 'example.policy'), '--arch', 'x86_64', '-o', path.join(work, `${platform}.bpf`)]);
    expect(status(c)).toMatch(/^status 0 /);
    const r = fake(platform, ['run', '-S', path.join(work, 'exit.policy'), '--', '/bin/true']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`no binaries for ${platform}`);
  });
});
