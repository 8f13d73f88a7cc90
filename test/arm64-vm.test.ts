// `npm run test:arm64` inside `npm test`: scripts/arm64-vm.js boots Debian 12's arm64 kernel in
// qemu-system-aarch64 and runs the arm64 prebuilt binaries there (docs/runtime.md, "aarch64"):
// the seccomp oracle over aarch64 vectors (one corpus policy here, two in `npm run test:arm64`,
// plus the built-in policy with 64-bit argument tests), a jail with user, pid, mount, net and
// uts namespaces, the preload library on a dynamic arm64 program, tsjail.node from
// prebuilds/linux-arm64 under an arm64 Node (the Jail API), and the hostile suite's attacks
// (test/fixtures/hostile/attacks.ts; npm test's slice, test/arm64-vm/hostile-plan.ts). The VM
// runs once (beforeAll); then one test per check, so a failure names the attack. The script
// itself checks that the guest kernel said aarch64.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describeUnless } from './fixtures/jail/helpers';
import { DEFAULT_LAUNCHERS, containmentPlan, vmPlan } from './arm64-vm/hostile-plan';

const REPO = path.resolve(__dirname, '..');
const KERNEL = '/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64/linux';
const has = (cmd: string, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

// README "Install" lists these packages.
const describeVm = describeUnless(
  [process.platform !== 'linux', 'the arm64 VM check runs on Linux'],
  [!has('qemu-system-aarch64'), 'no qemu-system-aarch64 (apt-get install qemu-system-arm)'],
  [!fs.existsSync(KERNEL), 'no Debian arm64 kernel (apt-get install debian-installer-12-netboot-arm64)'],
  [!has('aarch64-linux-gnu-gcc'), 'no aarch64 cross compiler (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu)'],
  [!fs.existsSync(path.join(REPO, 'dist', 'cli.cjs')), 'tsjail is not built (npm run build)'],
);

/**
 * The script's line for the check `label` (labels may hold ": " themselves): ok, FAIL (with the
 * detail, which may run over several lines, up to the next check line), skip (ok undefined).
 */
function checkLine(out: string, label: string): { ok?: boolean; detail: string } | undefined {
  const esc = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^(ok {2}|FAIL|skip)  ${esc}(?:: ([\\s\\S]*?))?(?=\\n(?:ok {2}|FAIL|skip)  |\\ntest:arm64: |$(?![\\s\\S]))`, 'm').exec(out);
  if (!m) return undefined;
  return { ok: m[1] === 'skip' ? undefined : m[1] !== 'FAIL', detail: m[2] ?? '' };
}

/** The labels of the check lines that start with `prefix`, with their verdicts. */
function checksStarting(out: string, prefix: string): Array<[string, boolean]> {
  return [...out.matchAll(/^(ok {2}|FAIL)  (.*)$/gm)].filter((m) => m[2].startsWith(prefix)).map((m) => [m[2], m[1] !== 'FAIL']);
}

describeVm('the arm64 build on an arm64 kernel (qemu-system-aarch64)', () => {
  let out = '';
  let status: number | null = null;
  beforeAll(() => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'arm64-vm.js')], {
      cwd: REPO, encoding: 'utf8', timeout: 540_000,
      // The VM's own limit (420 s; a run takes 120-300 s) below this one: a stuck guest is then
      // stopped by the script, which keeps its console (build/arm64-vm/console.log) and names the
      // runs that never reported, instead of being orphaned here with nothing to show.
      env: { ...process.env, TSJAIL_ARM64_POLICIES: process.env.TSJAIL_ARM64_POLICIES ?? '1', TSJAIL_ARM64_TIMEOUT: process.env.TSJAIL_ARM64_TIMEOUT ?? '420' },
    });
    out = `${r.stdout}\n${r.stderr}`;
    status = r.status;
    console.log(out.split('\n').filter((l) => /^(ok|FAIL|skip) |^test:arm64: /.test(l)).join('\n'));
  }, 600_000);

  test('it booted an aarch64 kernel and reports every check: oracle, namespaced jail, preload path, addon', () => {
    expect(out).toMatch(/^test:arm64: guest kernel \S+ \(aarch64\)/m);
    const m = /^test:arm64: (\d+)\/(\d+) checks passed \((\d+) oracle cases/m.exec(out);
    if (!m) throw new Error(`no summary; test:arm64 exited ${status}:\n${out.slice(-6000)}`);
    expect(Number(m[3])).toBeGreaterThan(500);
    for (const prefix of ['oracle ', 'jail ns ', 'jail landlock ', 'jail preload ', 'addon ']) {
      const found = checksStarting(out, prefix);
      expect({ prefix, found: found.length > 0, failed: found.filter(([, ok]) => !ok).map(([l]) => l) }).toEqual({ prefix, found: true, failed: [] });
    }
  });

  // One test per run of the hostile suite the VM makes (the same plan the script checks against).
  const runs = vmPlan(DEFAULT_LAUNCHERS, false);
  test.each(runs.map((r) => [r.name, r.skip]))('hostile (arm64 VM): %s', (name, skip) => {
    const c = checkLine(out, `hostile ${name}`);
    if (skip) {
      // Planned: an x86_64-only program or a tool the VM lacks; the VM must have said so.
      expect({ reported: !!c, ok: c?.ok }).toEqual({ reported: true, ok: undefined });
      return;
    }
    if (!c) throw new Error(`no line for this run in the VM's report (test:arm64 exited ${status})`);
    if (!c.ok) throw new Error(c.detail);
  });

  // One test per run of the containment suite (the plan's slice: each check once per identity).
  const checks = containmentPlan(false);
  test.each(checks.map((r) => [r.name, r.skip]))('containment (arm64 VM): %s', (name, skip) => {
    const c = checkLine(out, name);
    if (skip) {
      expect({ reported: !!c, ok: c?.ok }).toEqual({ reported: true, ok: undefined });
      return;
    }
    if (!c) throw new Error(`no line for this run in the VM's report (test:arm64 exited ${status})`);
    if (!c.ok) throw new Error(c.detail);
  });

  test('it exits 0', () => {
    expect(status).toBe(0);
  });
});
