// A launcher killed with SIGKILL cannot remove its jail's cgroup: its jail dies with it
// (PDEATHSIG), and an empty tsjail-PID-N directory stays behind. The next launcher's first
// jail with a cgroup sweeps such directories whose launcher no longer exists
// (native/parent/cgroup.c, sweep_stale). The kernel is the oracle: real launchers, a real kill.

import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const TSJAIL = path.join(__dirname, '..', 'bin', 'tsjail');
const PIDS = '/sys/fs/cgroup/pids';
const root = process.getuid?.() === 0;
const usable = root && fs.existsSync(path.join(PIDS, 'cgroup.procs'));

function cgroupsOf(pid: number): string[] {
  return fs.readdirSync(PIDS).filter((n) => n.startsWith(`tsjail-${pid}-`));
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return what();
}

const t = usable ? test : test.skip;

t('a killed launcher leaves an empty cgroup, and the next launch removes it (needs root and a v1 pids hierarchy at ' + PIDS + ')', async () => {
  const launcher = spawn(process.execPath, [TSJAIL, 'run', '--pids', '5', '--', '/bin/sleep', '30'], { stdio: 'ignore' });
  const pid = launcher.pid!;
  try {
    expect(await until(() => cgroupsOf(pid).length === 1 && fs.readFileSync(path.join(PIDS, cgroupsOf(pid)[0], 'cgroup.procs'), 'utf8').trim() !== '', 10_000)).toBe(true);
    const dir = path.join(PIDS, cgroupsOf(pid)[0]);
    const exited = new Promise((r) => launcher.once('exit', r));
    launcher.kill('SIGKILL');
    // Reaped: a zombie still answers kill(pid, 0), and a launcher that exists keeps its cgroups.
    await exited;
    // The jail dies with its launcher; the directory stays, empty.
    expect(await until(() => fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() === '', 10_000)).toBe(true);
    expect(fs.existsSync(dir)).toBe(true);
    const next = spawnSync(process.execPath, [TSJAIL, 'run', '--pids', '5', '--', '/bin/true'], { encoding: 'utf8' });
    expect(next.stderr).toBe('');
    expect(next.status).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
  } finally {
    launcher.kill('SIGKILL');
  }
}, 30_000);
