// What the launch adds so a program cannot turn files, mounts or cgroups against the host
// (native/parent/fs_harden.c, the pid file's rename, the init's blanked argv; docs/runtime.md,
// "Threat model"), checked through `tsjail run` on the real kernel. The attacks themselves are
// in test/hostile.test.ts; these tests pin the mechanisms and their messages.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const BIN = path.join(__dirname, '..', 'bin', 'tsjail');
const isRoot = process.getuid?.() === 0;
const hasV1Pids = fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs');
const t = isRoot ? test : test.skip;

function tsjail(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'run', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-contain-fs-'));
  fs.chmodSync(dir, 0o755);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe(`the launch's own defences${isRoot ? '' : ' [skipped: needs root to plant links of another uid and make namespaces]'}`, () => {
  t('the pid file replaces a symlink at its name with a regular file holding the pid', () => {
    const target = path.join(dir, 'precious');
    fs.writeFileSync(target, 'keep\n');
    const link = path.join(dir, 'job.pid');
    fs.symlinkSync(target, link);
    const r = tsjail(['-f', link, '--', '/bin/true']);
    expect(r.status).toBe(0);
    expect(fs.lstatSync(link).isFile()).toBe(true);
    expect(fs.readFileSync(link, 'utf8')).toMatch(/^\d+\n$/);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep\n');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.job.pid'))).toEqual([]);
  });

  t("a bind source through another user's symlink is refused, naming the link and its owner", () => {
    const data = fs.mkdtempSync(path.join(dir, 'data-'));
    fs.mkdirSync(path.join(data, 'real'));
    fs.symlinkSync(path.join(data, 'real'), path.join(data, 'link'));
    fs.lchownSync(path.join(data, 'link'), 65534, 65534);
    const r = tsjail(['-v', '-b', `${path.join(data, 'link')},/mnt`, '--', '/bin/true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^tsjail: jail setup failed at mounts: .*\(ELOOP\).*mount #0: bind source .*\/link: link is a symlink of uid 65534, not followed/m);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  t("a bind source through root's own symlink is followed", () => {
    const data = fs.mkdtempSync(path.join(dir, 'data-'));
    fs.mkdirSync(path.join(data, 'real'));
    fs.writeFileSync(path.join(data, 'real', 'marker'), 'here\n');
    fs.symlinkSync(path.join(data, 'real'), path.join(data, 'link'));
    const r = tsjail(['-v', '-b', `${path.join(data, 'link')},/mnt`, '--', '/bin/cat', '/mnt/marker']);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: 'here\n' });
  });

  (isRoot && hasV1Pids ? test : test.skip)('a jail with limits sees no cgroup hierarchy to write to, and its own cgroup as /', () => {
    const r = tsjail(['--pids', '16', '--', '/bin/sh', '-c',
      'ls -A /sys/fs/cgroup/pids | wc -l; grep pids /proc/self/cgroup; echo $$ > /sys/fs/cgroup/pids/cgroup.procs && echo moved']);
    expect(r.stdout).toMatch(/^0\n\d+:pids:\/\n$/);
    expect(r.stderr).toMatch(/Read-only file system|No such file/);
    expect(r.stdout).not.toMatch(/moved/);
  });

  t('root of a user namespace with a mount namespace has no CAP_SYS_ADMIN in its bounding set', () => {
    const r = tsjail(['-U', '-v', '--', '/bin/sh', '-c', 'grep CapBnd /proc/self/status']);
    expect(r.status).toBe(0);
    const bnd = BigInt(`0x${r.stdout.split(/\s+/)[1]}`);
    expect(bnd & (1n << 21n)).toBe(0n); // CAP_SYS_ADMIN
    expect(bnd & (1n << 0n)).toBe(1n); // CAP_CHOWN stays
  });

  t("the init's /proc/1/cmdline is tsjail-init and its environment is blank", () => {
    const r = tsjail(['-p', '--', '/bin/sh', '-c', 'tr "\\0" "\\n" < /proc/1/cmdline | head -1; tr -d "\\0" < /proc/1/environ | wc -c']);
    expect(r.stdout).toBe('tsjail-init\n0\n');
  });

  t('CAP_DAC_READ_SEARCH with a new root is refused in one line', () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    const r = tsjail(['-v', '-P', root, '-b', '/', '-c', 'cap_dac_read_search=eip', '--', '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tsjail: run: .*CAP_DAC_READ_SEARCH with a new root: open_by_handle_at reaches files outside the root$/m);
  });
});
