// The shipped example policy does what the README says: /bin/cat runs under it (through the
// preload path, with the policy's own errno rules), and what it does not allow is stopped.
import { execFileSync, spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..');
const POLICY = path.join(REPO, 'policies', 'example.policy');

function run(args: string[], input?: string) {
  return spawnSync(process.execPath, [path.join(REPO, 'bin', 'tsjail'), 'run', '-n', '-S', POLICY, '--', ...args],
    { input, encoding: 'utf8', timeout: 60000 });
}

beforeAll(() => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build-ts.js'), '--no-types'], { cwd: REPO, stdio: 'pipe' });
});

describe('policies/example.policy', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsjail-example-'));
  chmodSync(dir, 0o755);
  const file = path.join(dir, 'hello.txt');
  writeFileSync(file, 'hello from a jailed cat\n');

  test('cat prints a file (to a pipe: copy_file_range gets ENOSYS and cat falls back)', () => {
    const r = run(['/bin/cat', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from a jailed cat\n');
    expect(r.status).toBe(0);
  });

  test('cat copies stdin', () => {
    const r = run(['/bin/cat'], 'piped\n');
    expect(r.stdout).toBe('piped\n');
    expect(r.status).toBe(0);
  });

  test('a program needing more than cat is stopped and the syscall is named', () => {
    // sleep's main calls clock_nanosleep, which the policy does not list.
    const r = run(['/bin/sleep', '0.01']);
    expect(r.status).toBe(159);
    expect(r.stderr).toMatch(/seccomp violation: clock_nanosleep \(230\)/);
  });

  test('a denied call before main (a library constructor) fails the jail and names the number', () => {
    // ls links libselinux, whose constructor calls statfs (137) before main; fail closed.
    const r = run(['/bin/ls', dir]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/preload.*syscall statfs \(137\), denied by the policy, was made before the preload library took over/);
    expect(r.stdout).toBe('');
  });
});
