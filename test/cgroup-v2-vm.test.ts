// `npm run test:cgroup-v2` inside `npm test`: scripts/cgroup-v2-vm.js boots Debian 12's amd64
// kernel with cgroup_no_v1=all in qemu-system-x86_64 and runs jail files written by
// `tsjail pack-jail` through tsjail-exec there (docs/runtime.md, "npm run test:cgroup-v2"): the hostile
// suite's cgroup-escape program (root without capabilities, --pids 5) must be refused and stay
// under the limit, a shell writing its pid into every cgroup.procs it can see must be refused,
// and the control (--pids 20) must start all its children.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { testUnless } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const KERNEL = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/linux';
const has = (cmd: string, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

// README "Install" lists these packages.
const vmTest = testUnless(
  [process.platform !== 'linux' || process.arch !== 'x64', 'the cgroup v2 VM check runs on x86_64 Linux'],
  [!has('qemu-system-x86_64'), 'no qemu-system-x86_64 (apt-get install qemu-system-x86)'],
  [!fs.existsSync(KERNEL), 'no Debian amd64 kernel (apt-get install debian-installer-12-netboot-amd64)'],
  [!fs.existsSync('/bin/busybox'), 'no /bin/busybox (apt-get install busybox-static)'],
  [process.env.TSJAIL_CGROUP_V2_KVM === '1' && !fs.existsSync('/dev/kvm'), 'TSJAIL_CGROUP_V2_KVM=1 but no /dev/kvm'],
  [!fs.existsSync(path.join(REPO, 'dist', 'cli.cjs')), 'tsjail is not built (npm run build)'],
);

vmTest('a jail cannot leave its cgroup on a pure cgroup v2 kernel (qemu-system-x86_64)', () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'cgroup-v2-vm.js')], {
    cwd: REPO, encoding: 'utf8', timeout: 240_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  console.log(out.split('\n').filter((l) => /^(ok|FAIL) |^test:cgroup-v2: /.test(l)).join('\n'));
  if (r.status !== 0) throw new Error(`test:cgroup-v2 exited ${r.status ?? r.signal}:\n${out.slice(-6000)}`);
  expect(out).toMatch(/^test:cgroup-v2: guest kernel \S+ \(x86_64\)/m);
  expect(out).toMatch(/^ok {4}pure cgroup v2 /m);
  expect(out).toMatch(/^ok {4}attack \(cgroup-escape 8 under -c 0 --pids 5 --memory 64M\): BLOCKED, [0-7] of 8 forks/m);
  expect(out).toMatch(/^ok {4}direct /m);
  expect(out).toMatch(/^ok {4}control /m);
  expect(out).not.toMatch(/^FAIL /m);
  const m = /^test:cgroup-v2: (\d+)\/(\d+) checks passed/m.exec(out);
  expect(m).not.toBeNull();
  expect(m![1]).toBe(m![2]);
}, 300_000);
