// Runs native/test/jailfs-driver (built by CMake into build/native/Release) for the
// filesystem and resource tests, as root or as uid 65534 through setpriv.
import { spawnSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
export const DRIVER = path.join(ROOT, 'build', 'native', 'Release', 'jailfs-driver');
export const NOBODY = 65534;
export const isRoot = process.getuid?.() === 0;

export interface Who {
  name: string;
  /** Run through setpriv as this uid (undefined: as ourselves). */
  uid?: number;
  /** Needs --userns to get mount privileges. */
  userns: boolean;
}

/** The identities each behaviour is checked under. */
export const WHO: Who[] = [
  { name: 'root', userns: false },
  { name: 'uid 65534 in a user namespace', uid: NOBODY, userns: true },
];

export interface DriverResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function requireDriver(): void {
  if (!fs.existsSync(DRIVER)) {
    throw new Error(`${DRIVER} is missing: run \`node scripts/build-native.js\` (target jailfs-driver)`);
  }
}

function command(who: Who | undefined, args: string[]): [string, string[]] {
  const full = who?.userns ? ['--userns', ...args] : args;
  if (who?.uid !== undefined) {
    return ['setpriv', [`--reuid=${who.uid}`, `--regid=${who.uid}`, '--clear-groups', DRIVER, ...full]];
  }
  return [DRIVER, full];
}

/** Run the driver to completion. */
export function runDriver(who: Who | undefined, args: string[], timeoutMs = 30000): DriverResult {
  const [cmd, argv] = command(who, args);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Run a shell script in the jail described by args. */
export function runSh(who: Who | undefined, args: string[], script: string, timeoutMs = 30000): DriverResult {
  return runDriver(who, [...args, '--', '/bin/sh', '-c', script], timeoutMs);
}

/** Start the driver and resolve once stdout contains `marker`, with a way to wait for the end. */
export function startDriver(who: Who | undefined, args: string[]) {
  const [cmd, argv] = command(who, args);
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<DriverResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stdout: () => stdout };
}

/** A fresh directory that uid 65534 can enter too; removed by the returned function. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** "step=<name> errno=<n> index=<i>" parsed from the driver's failure line, or null. */
export function failure(r: DriverResult): { step: string; errno: number; index: number } | null {
  const m = /jailfs-driver: step=(\S+) errno=(\d+) index=(-?\d+)/.exec(r.stderr);
  return m ? { step: m[1], errno: Number(m[2]), index: Number(m[3]) } : null;
}

/** A tmpfs root with the host's programs and libraries bound read-only. */
export function minimalRoot(root: string): string[] {
  const args = ['--root', root, '--tmpfs', '/,size=16m,mode=0755'];
  for (const dir of ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/etc']) {
    if (fs.existsSync(dir)) args.push('--bind', `${dir},${dir}`);
  }
  return args;
}
