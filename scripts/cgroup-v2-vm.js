#!/usr/bin/env node
'use strict';
// `npm run test:cgroup-v2`: the cgroup-escape defence on a pure cgroup v2 kernel. Boots Debian
// 12's amd64 kernel (package debian-installer-12-netboot-amd64) in qemu-system-x86_64 with
// cgroup_no_v1=all, and an initramfs made here: a static /init (test/cgroup-v2-vm/init.c) that
// mounts cgroup2 alone at /sys/fs/cgroup, enables pids and memory, runs tsjail-exec on jail
// files written on the host by `tsjail pack-jail`, and powers off. The jails:
//   attack   -c 0 --pids 5 --memory 64M: test/fixtures/hostile/cgroup-escape.c, 8 forks (root
//            without capabilities leaves its cgroup through cgroup.procs, then forks)
//   direct   -c 0 --pids 5: a shell writes its pid into /sys/fs/cgroup/cgroup.procs, into
//            the root cgroup of every cgroup2 mount it can see and through /proc/PID/root of
//            every process (the cgroup-escape program finds nothing to write on v2: in its
//            cgroup namespace /proc/self/cgroup says 0::/)
//   control  -c 0 --pids 20: the same attack program; all 8 forks start (the limit of the
//            attack jail, not the program, stops them there)
// Prints a summary; exit 0 only when the VM booted (an x86_64 kernel on cgroup v2 only) and
// every check held, 1 on any failure, 2 when a tool or package is missing (one line naming it).
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { RUNNER, vmScript, Initramfs, sections: sectionsOf } = require('./vm-initramfs');

const root = path.resolve(__dirname, '..');
const WORK = process.env.TSJAIL_CGROUP_V2_VM_DIR || path.join(root, 'build', 'cgroup-v2-vm');
const KERNEL = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/linux';
const BOOT_TIMEOUT_S = Number(process.env.TSJAIL_CGROUP_V2_TIMEOUT || 120);

const vm = vmScript('test:cgroup-v2', WORK);
const { missing, has, run, check } = vm;

if (process.platform !== 'linux' || process.arch !== 'x64') missing('an x86_64 Linux host', 'the VM check runs on x86_64 Linux');
if (!has('qemu-system-x86_64')) missing('qemu-system-x86_64', 'apt-get install qemu-system-x86');
if (!fs.existsSync(KERNEL)) missing(`the amd64 kernel ${KERNEL}`, 'apt-get install debian-installer-12-netboot-amd64');
if (process.env.TSJAIL_CGROUP_V2_KVM === '1' && !fs.existsSync('/dev/kvm')) missing('/dev/kvm', 'a host with KVM, or leave TSJAIL_CGROUP_V2_KVM unset');
if (!fs.existsSync('/bin/busybox')) missing('/bin/busybox', 'apt-get install busybox-static');
if (!has('gcc')) missing('gcc', 'apt-get install gcc libc6-dev');
const CLI = path.join(root, 'bin', 'tsjail');
if (!fs.existsSync(path.join(root, 'dist', 'cli.cjs'))) missing('the built tsjail', 'npm run build');
const EXEC = run(process.execPath, [CLI, 'exec-path']).trim();
if (!fs.existsSync(EXEC)) missing(`tsjail-exec (${EXEC})`, 'npm run build');

const t0 = Date.now();
fs.mkdirSync(WORK, { recursive: true });
const img = new Initramfs();
const add = (p, file, mode) => img.add(p, file, mode);
const cc = vm.compiler('gcc', ['-static']);
add('init', cc('init', [path.join(root, 'test', 'cgroup-v2-vm', 'init.c'), RUNNER]));
// Programs sit at their host paths in the VM: the jail files name them as pack-jail found them.
const HOSTILE = path.join(root, 'test', 'fixtures', 'hostile');
const ATTACK = cc('cgroup-escape', path.join(HOSTILE, 'cgroup-escape.c'), [`-I${HOSTILE}`]);
add(ATTACK, ATTACK);
add('/bin/busybox', '/bin/busybox');
add('/bin/sh', '/bin/busybox');
add(EXEC, EXEC);
const preload = path.join(path.dirname(EXEC), 'libtsjailpreload.so');
if (fs.existsSync(preload)) add(preload, preload);
// The loader and libraries of tsjail-exec, as ldd names them.
for (const m of run('ldd', [EXEC]).matchAll(/(\/\S+) \(0x/g)) add(m[1], fs.realpathSync(m[1]));

const DIRECT = [
  'echo "cgroup: $(cat /proc/self/cgroup)"',
  'grep -E " (cgroup2?|tmpfs) " /proc/self/mounts | sed "s/^/mount: /"',
  'for d in /sys/fs/cgroup $(awk \'$3=="cgroup2"{print $2}\' /proc/self/mounts) /proc/[0-9]*/root/sys/fs/cgroup; do',
  '  if echo $$ > $d/cgroup.procs; then echo "ESCAPED: wrote my pid into $d/cgroup.procs"; else echo "BLOCKED: $d/cgroup.procs"; fi',
  'done',
  'echo "cgroup after: $(cat /proc/self/cgroup)"',
  'ls -a /sys/fs/cgroup | tr "\\n" " " | sed "s/^/sys-fs-cgroup: /"; echo',
].join('\n');
const JAILS = [
  ['attack', ['-c', '0', '--pids', '5', '--memory', '64M', '--', ATTACK, '8']],
  ['direct', ['-c', '0', '--pids', '5', '--', '/bin/busybox', 'sh', '-c', DIRECT]],
  ['control', ['-c', '0', '--pids', '20', '--', ATTACK, '8']],
];
const runlist = [];
for (const [name, argv] of JAILS) {
  const out = path.join(WORK, `${name}.jail`);
  run(process.execPath, [CLI, 'pack-jail', '-o', out, ...argv], { cwd: '/' });
  add(`${name}.jail`, out, 0o644);
  runlist.push(`${name} ${EXEC} /${name}.jail`);
}
img.put('runlist', runlist.join('\n') + '\n');

const initrd = path.join(WORK, 'initrd.cpio.gz');
fs.writeFileSync(initrd, zlib.gzipSync(img.archive(['dev', 'proc', 'sys', 'tmp']), { level: 1 }));
const prepared = Date.now();

// TCG by default (a 7 s boot): under nested virtualisation /dev/kvm may exist and still fail
// (qemu asserts on an MSR, or the kernel hangs); TSJAIL_CGROUP_V2_KVM=1 asks for KVM.
const KVM = process.env.TSJAIL_CGROUP_V2_KVM === '1';
const ACCEL = KVM ? ['-enable-kvm'] : ['-accel', 'tcg', '-cpu', 'max'];
console.log(`test:cgroup-v2: booting Debian 12 amd64 (cgroup_no_v1=all) in qemu-system-x86_64 (${KVM ? 'KVM' : 'TCG'}), initramfs ${(fs.statSync(initrd).size / 1048576).toFixed(1)} MiB`);
const qemu = vm.boot('qemu-system-x86_64', [...ACCEL, '-smp', '1', '-m', '512', '-nographic', '-no-reboot',
  '-kernel', KERNEL, '-initrd', initrd, '-append', 'console=ttyS0 quiet panic=-1 cgroup_no_v1=all'], BOOT_TIMEOUT_S);
const { consoleText } = qemu;
const booted = Date.now();

const m = vm.machineLine(/^TSJAIL-VM machine (\S+) release (\S+) uptime (\S+)$/m, 'x86_64', qemu);
console.log(`test:cgroup-v2: guest kernel ${m[2]} (${m[1]}), /init after ${m[3]} s of guest uptime`);
const mounts = [...consoleText.matchAll(/^TSJAIL-VM mount \S+ (\S+) (\S+) /gm)].map((x) => [x[1], x[2]]);
const v1 = mounts.filter(([, t]) => t === 'cgroup');
const v2 = mounts.filter(([, t]) => t === 'cgroup2');
const ctl = (/^TSJAIL-VM subtree_control (.*)$/m.exec(consoleText) || [])[1] || '';
check('pure cgroup v2 (cgroup2 at /sys/fs/cgroup, no v1 hierarchy, pids and memory enabled)',
  v1.length === 0 && v2.length === 1 && v2[0][0] === '/sys/fs/cgroup' && /\bpids\b/.test(ctl) && /\bmemory\b/.test(ctl),
  `cgroup2 at ${v2.map(([p]) => p).join(' ') || 'nowhere'}, v1 mounts ${v1.length}, subtree_control "${ctl}"`);

const sections = sectionsOf(consoleText);
const left = (name) => [...consoleText.matchAll(new RegExp(`^TSJAIL-LEFT ${name} (\\S+)$`, 'gm'))].map((x) => x[1]);
const show = (s) => `\n    ${s.out.trim().split('\n').join('\n    ')}`;
const started = (out) => {
  const all = /^ESCAPED: started all (\d+) children$/m.exec(out);
  if (all) return Number(all[1]);
  const some = /^BLOCKED: started (\d+) of \d+ children/m.exec(out);
  return some ? Number(some[1]) : undefined;
};

let s = sections.get('attack');
if (!s) check('attack', false, 'no output from the VM');
else {
  const n = started(s.out);
  const problems = [];
  if (/ESCAPED:/.test(s.out)) problems.push('the attack says ESCAPED');
  if (s.status !== 10) problems.push(`exit ${s.status}, not 10 (the attack's BLOCKED)`);
  if (n === undefined || n >= 8) problems.push(`forks: ${n}`);
  check(`attack (cgroup-escape 8 under -c 0 --pids 5 --memory 64M): ${problems.length ? 'ESCAPED or broken' : `BLOCKED, ${n} of 8 forks`}`,
    problems.length === 0, `exit ${s.status}, ${s.time}${show(s)}`);
}
s = sections.get('direct');
if (!s) check('direct', false, 'no output from the VM');
else {
  const problems = [];
  if (/ESCAPED:/.test(s.out)) problems.push('a write into cgroup.procs succeeded');
  if (!/^BLOCKED: \/sys\/fs\/cgroup\/cgroup.procs$/m.test(s.out)) problems.push('no refused write of /sys/fs/cgroup/cgroup.procs');
  check('direct (a root shell without capabilities writes its pid into every cgroup.procs it can see)', problems.length === 0,
    `${problems.join('; ')}${problems.length ? ', ' : ''}exit ${s.status}${show(s)}`);
}
s = sections.get('control');
if (!s) check('control', false, 'no output from the VM');
else {
  const n = started(s.out);
  check('control (the same program under --pids 20: all 8 forks start)', n === 8 && !/ESCAPED: moved/.test(s.out),
    `exit ${s.status}, ${s.time}${show(s)}`);
}
const leftover = JAILS.flatMap(([name]) => left(name).filter((d) => d.startsWith('tsjail')).map((d) => `${name}: ${d}`));
check('no tsjail cgroup left at /sys/fs/cgroup after the runs', leftover.length === 0, leftover.join(', '));

const failed = vm.failed();
console.log(`test:cgroup-v2: ${vm.results.length - failed}/${vm.results.length} checks passed; prepare ${((prepared - t0) / 1000).toFixed(1)} s, VM ${((booted - prepared) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
