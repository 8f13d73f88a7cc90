// `npm run test:arm64` inside `npm test`: scripts/arm64-vm.js boots Debian 12's arm64 kernel in
// qemu-system-aarch64 and runs the arm64 prebuilt binaries there (docs/runtime.md, "aarch64"):
// the seccomp oracle over aarch64 vectors (one corpus policy here, two in `npm run test:arm64`,
// plus the built-in policy with 64-bit argument tests), a jail with user, pid, mount, net and
// uts namespaces, the preload library on a dynamic arm64 program, and tsjail.node from
// prebuilds/linux-arm64 under an arm64 Node (the Jail API). The script itself checks
// that the guest kernel said aarch64; here its exit status and summary must say every check held.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { testUnless } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const KERNEL = '/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64/linux';
const has = (cmd: string, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

// README "Install" lists these packages.
const vmTest = testUnless(
  [process.platform !== 'linux', 'the arm64 VM check runs on Linux'],
  [!has('qemu-system-aarch64'), 'no qemu-system-aarch64 (apt-get install qemu-system-arm)'],
  [!fs.existsSync(KERNEL), 'no Debian arm64 kernel (apt-get install debian-installer-12-netboot-arm64)'],
  [!has('aarch64-linux-gnu-gcc'), 'no aarch64 cross compiler (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu)'],
  [!fs.existsSync(path.join(REPO, 'dist', 'cli.cjs')), 'tsjail is not built (npm run build)'],
);

vmTest('the arm64 build on an arm64 kernel (qemu-system-aarch64): oracle, namespaced jail, preload path', () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'arm64-vm.js')], {
    cwd: REPO, encoding: 'utf8', timeout: 540_000,
    env: { ...process.env, TSJAIL_ARM64_POLICIES: process.env.TSJAIL_ARM64_POLICIES ?? '1' },
  });
  const out = `${r.stdout}\n${r.stderr}`;
  const summary = out.split('\n').filter((l) => /^(ok|FAIL) |^test:arm64: /.test(l)).join('\n');
  console.log(summary);
  if (r.status !== 0) throw new Error(`test:arm64 exited ${r.status ?? r.signal}:\n${out.slice(-6000)}`);
  expect(out).toMatch(/^test:arm64: guest kernel \S+ \(aarch64\)/m);
  const m = /^test:arm64: (\d+)\/(\d+) checks passed \((\d+) oracle cases\)/m.exec(out);
  expect(m).not.toBeNull();
  expect(m![1]).toBe(m![2]);
  expect(Number(m![2])).toBeGreaterThanOrEqual(4);
  expect(Number(m![3])).toBeGreaterThan(500);
  expect(out).not.toMatch(/^FAIL /m);
}, 600_000);
