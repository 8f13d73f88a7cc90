// io_uring and seccomp: a policy that allows io_uring_setup/enter/register lets the program open,
// read, connect and mkdir through io_uring's kernel workers, which seccomp never sees. The
// check that finds such policies (ts/jail/io-uring.ts) follows every path of the compiled
// program; `tsjail run` refuses such a policy without --allow-io-uring and warns with it,
// `tsjail compile` warns, and validateSpec refuses it for API callers unless told otherwise.
// The hostile suite (test/hostile.test.ts §6) runs the real attack.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compilePolicy } from '../ts/policy/index';
import { callMayRun, ioUringCallsAllowed } from '../ts/jail/io-uring';
import { validateSpec, SpecError } from '../ts/jail/validate';
import type { JailSpec } from '../ts/jail/spec';

const BIN = path.join(__dirname, '..', 'bin', 'tsjail');
const BASE = 'write: 1\nexit_group: 1\n';

async function bpf(text: string): Promise<Uint8Array> {
  const r = await compilePolicy(text, { arch: 'x86_64' });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.program;
}

describe('which programs let io_uring through', () => {
  test.each([
    ['allowed outright', 'io_uring_setup: 1\n', ['io_uring_setup']],
    ['allowed for one argument value only', 'io_uring_enter: arg1 == 8\n', ['io_uring_enter']],
    ['allowed with a log verdict', 'io_uring_register: log\n', ['io_uring_register']],
    ['denied with an errno', 'io_uring_setup: return 1\n', []],
    ['not mentioned (default kill)', '', []],
  ])('%s', async (_what, rule, expected) => {
    expect(ioUringCallsAllowed(await bpf(`${rule}${BASE}`), 'x64')).toEqual(expected);
  });

  test('a denylist policy (default allow) lets every io_uring call through', async () => {
    expect(ioUringCallsAllowed(await bpf('@denylist\nmkdir: return 1\n'), 'x64')).toEqual(['io_uring_setup', 'io_uring_enter', 'io_uring_register']);
  });

  test('the syscalls the policy allows are found, those it kills are not', async () => {
    const p = await bpf(BASE);
    expect(callMayRun(p, 1, 'x64')).toBe(true); // write
    expect(callMayRun(p, 2, 'x64')).toBe(false); // open
  });
});

describe('refusal and warnings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-uring-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const policy = path.join(dir, 'uring.policy');
  fs.writeFileSync(policy, `io_uring_setup: 1\nio_uring_enter: 1\n${BASE}`);
  const tsjail = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

  test('tsjail run refuses the policy, naming io_uring and the flag, and runs nothing', () => {
    const marker = path.join(dir, 'ran');
    const r = tsjail('run', '-S', policy, '--', '/bin/sh', '-c', `touch ${marker}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tsjail: run: -S .*allows io_uring_setup, io_uring_enter: io_uring operations .*pass --allow-io-uring to run it anyway$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('tsjail run --allow-io-uring runs it with one warning line', () => {
    const r = tsjail('run', '--allow-io-uring', '-S', policy, '--', '/bin/true');
    expect(r.stderr).toMatch(/^tsjail: warning: the seccomp policy allows io_uring_setup, io_uring_enter: .*\(--allow-io-uring\)$/m);
    expect(r.stderr.split('\n').filter((l) => /io_uring/.test(l))).toHaveLength(1);
  });

  test('tsjail compile warns and still writes the program', () => {
    const out = path.join(dir, 'uring.bpf');
    const r = tsjail('compile', policy, '-o', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^tsjail: warning: the seccomp policy allows io_uring_setup, io_uring_enter: /);
    expect(fs.statSync(out).size).toBeGreaterThan(0);
  });

  test('validateSpec refuses it unless seccomp.allowIoUring is set', async () => {
    const spec = (allowIoUring?: boolean): JailSpec => ({
      path: '/bin/true', argv: ['/bin/true'], env: [], namespaces: {}, user: {}, noNewPrivs: false, filesystem: { mounts: [] },
      rlimits: [], preserveFds: [], seccomp: { bpf: new Uint8Array(8), ...(allowIoUring ? { allowIoUring } : {}) },
    });
    const b = await bpf(`io_uring_setup: 1\n${BASE}`);
    const s1 = spec();
    s1.seccomp!.bpf = b;
    expect(() => validateSpec(s1)).toThrow(SpecError);
    expect(() => validateSpec(s1)).toThrow(/seccomp\.bpf.*io_uring_setup.*seccomp\.allowIoUring/);
    const s2 = spec(true);
    s2.seccomp!.bpf = b;
    expect(() => validateSpec(s2)).not.toThrow(/io_uring/);
  });
});

test('a program of 4000 jumps on an argument is answered without walking every path', () => {
  // 2^4000 paths, each ending in allow; the check sees each (pc, A, X) once.
  const ins = (code: number, k: number, jt = 0, jf = 0) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(code, 0); b.writeUInt8(jt, 2); b.writeUInt8(jf, 3); b.writeUInt32LE(k >>> 0, 4);
    return b;
  };
  const parts = [ins(0x20, 16)]; // A = arg0 (low half): unknown
  for (let i = 0; i < 4000; i++) parts.push(ins(0x45, 1, 0, 0)); // jset 1, both ways to the next
  parts.push(ins(0x06, 0x80000000)); // kill
  const prog = new Uint8Array(Buffer.concat(parts));
  expect(callMayRun(prog, 425, 'x64')).toBe(false);
  const allowAtEnd = new Uint8Array(Buffer.concat([...parts.slice(0, -1), ins(0x06, 0x7fff0000)]));
  expect(callMayRun(allowAtEnd, 425, 'x64')).toBe(true);
});
