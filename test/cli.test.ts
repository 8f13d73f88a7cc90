// The `tsjail` binary as users run it: `node bin/tsjail ...` on the freshly built bundle.
// compile/disasm/simulate, exit codes (0 ok, 1 policy errors, 2 usage), the .bpf format,
// --json, include maps with crosvm's corpus policies, and errors without stack traces.

import { spawnSync, execFileSync } from 'child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { compilePolicyOrThrow, decodeProgram, simulate } from '../ts/policy/index';
import { fileResolver, parseIncludeMap } from '../ts/policy-node/index';
import { describeFsError, strerror } from '../ts/node/system-errors';
import * as packageEntry from '../ts/index';
import { ExitStatus, PolicyFailure, UsageError, reportError } from '../ts/cli/errors';
import { expectedFromSimulator, oracleUnavailable, outcomeKey, runOracle } from './helpers/oracle';
import { RET, assemble, readInsns, ret, stmt } from './helpers/bpf';
import { CORPUS, corpusDescribe, corpusMissing, corpusRows } from './helpers/corpus';

const root = path.resolve(__dirname, '..');
const EXAMPLE = path.join(root, 'policies', 'example.policy');
const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)|^\s+at .+:\d+:\d+$/m;

interface Run { status: number | null; stdout: string; stderr: string; out: Buffer }

function tsjail(args: string[], input?: string | Buffer): Run {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), ...args], { cwd: root, input, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), out: r.stdout };
}

let dir: string;

beforeAll(() => {
  // The CLI runs from dist/: bundle the current sources (and the current core.wasm) first.
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'inherit' });
  dir = mkdtempSync(path.join(tmpdir(), 'tsjail-cli-'));
  writeFileSync(path.join(dir, 'small.policy'), '# small\nread: 1\nwrite: arg0 == 1 || arg0 == 2\nclose: 1\nioctl: arg1 == TCGETS; return ENOTTY\nexit_group: 1\n');
  writeFileSync(path.join(dir, 'bad.policy'), 'read: 1\nreed: 1\nwrite: arg0 == NOT_A_CONSTANT\n');
  // small.bpf, shared by the tests that read a .bpf file (the raw test checks this very output).
  const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '-o', path.join(dir, 'small.bpf')]);
  if (r.status !== 0) throw new Error(`tsjail compile small.policy failed: ${r.stderr}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('help and usage errors (exit 2)', () => {
  test.each([[[]], [['compile']], [['disasm']], [['simulate']]])('--help %j', (sub) => {
    const r = tsjail([...sub, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: tsjail${sub.length ? ' ' + sub[0] : ''}`);
    if (sub.length) expect(r.stdout).toContain('--include-map');
    else for (const c of ['compile', 'disasm', 'simulate']) expect(r.stdout).toContain(c);
  });

  test('--version', () => {
    const r = tsjail(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  });

  test.each([
    [[], /Usage: tsjail/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['compile'], /missing required argument 'policy'/],
    [['compile', 'x.policy', '--bogus'], /unknown option '--bogus'/],
    [['compile', 'x.policy', '--format', 'elf'], /Allowed choices are raw, c, json/],
    [['compile', 'x.policy', '--arch', 'x86_46'], /unknown architecture "x86_46" \(did you mean "x86_64"\?\)/],
    [['compile', 'x.policy', '--include-map', 'novalue'], /--include-map: .*VIRTUAL=REAL/],
    [['compile', 'x.policy', '--format', 'c', '--name', '1bad'], /not a C identifier/],
    [['simulate', 'x.policy'], /required option '-s, --syscall/],
    [['simulate', 'SMALL', '--arch', 'x86_64', '--syscall', 'raed'], /unknown syscall "raed" on x86_64 \(did you mean "read"\?\)/],
    [['simulate', 'SMALL', '--arch', 'x86_64', '--syscall', 'read', '--args', '1,2,3,4,5,6,7'], /at most 6 arguments/],
    [['simulate', 'SMALL', '--arch', 'x86_64', '--syscall', 'read', '--args', '1,NOPE'], /"NOPE" is neither a number nor a constant/],
    [['simulate', 'SMALL', '--arch', 'x86_64', '--syscall', 'read', '--args', '1,99999999999999999999999'], /--args a1: 99999999999999999999999 does not fit in 64 bits/],
    [['simulate', 'SMALL', '--arch', 'x86_64', '--syscall', 'read', '--args', '0x10000000000000000'], /--args a0: 0x10000000000000000 does not fit in 64 bits/],
    [['simulate', 'SMALL', '--arch', 'x86_64', '--syscall', 'read', '--ip', '-99999999999999999999'], /--ip: -99999999999999999999 does not fit in 64 bits/],
    [['simulate', 'SMALL', '--arch', 'x86_64', '--syscall', 'read', '--args', '09'], /"09" is neither a number nor a constant/],
  ])('%j', (args, message) => {
    const r = tsjail(args.map((a) => (a === 'SMALL' ? path.join(dir, 'small.policy') : a)));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe('compile', () => {
  test('raw: the kernel\'s struct sock_filter array, identical to the API\'s program', async () => {
    const out = path.join(dir, 'raw-test.bpf');
    const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.length % 8).toBe(0);
    const api = await compilePolicyOrThrow(readFileSync(path.join(dir, 'small.policy'), 'utf8'), { arch: 'x86_64' });
    expect(Buffer.from(api.program).equals(bytes)).toBe(true);
    // First instruction: BPF_LD|BPF_W|BPF_ABS of seccomp_data.arch (offset 4); the last is a RET.
    const insns = decodeProgram(new Uint8Array(bytes));
    expect(insns[0]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 });
    expect(insns[insns.length - 1].code & 0x07).toBe(0x06);
    // The same bytes on stdout when it is not a terminal.
    const piped = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64']);
    expect(piped.status).toBe(0);
    expect(piped.out.equals(bytes)).toBe(true);
  });

  test('policy text from stdin (-)', () => {
    const r = tsjail(['compile', '-', '--arch', 'x86_64', '--format', 'json'], 'read: 1\n');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, arch: 'x86_64', files: ['<stdin>'] });
  });

  test('--verify: the JSON carries the verifier\'s proof', () => {
    const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '--format', 'json', '--verify']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).verify).toMatchObject({ status: 'proven' });
  });

  test('arch aliases the core knows are accepted and reported canonically', () => {
    const r = tsjail(['compile', '-', '--arch', 'amd64', '--format', 'json'], 'read: 1\n');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).arch).toBe('x86_64');
  });

  test('json: arch, insns, program hex, decoded filter, diagnostics', () => {
    const raw = readFileSync(path.join(dir, 'small.bpf'));
    const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '--format', 'json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, arch: 'x86_64', insns: raw.length / 8, program: raw.toString('hex'), diagnostics: [] });
    // struct sock_filter read by the test's helper, not by decodeProgram (which the CLI itself uses).
    expect(j.filter).toEqual(readInsns(new Uint8Array(raw)));
  });

  test('c: a header gcc accepts, with the same instructions', () => {
    const raw = readFileSync(path.join(dir, 'small.bpf'));
    const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '--format', 'c', '--name', 'small_filter']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('static const struct sock_filter small_filter[] = {');
    expect(r.stdout).toContain(`.len = ${raw.length / 8},`);
    const rows = r.stdout.split('\n').filter((l) => /^\t\{ 0x/.test(l));
    expect(rows).toHaveLength(raw.length / 8);
  });

  // gcc is a build requirement (README "Install"); without it only the text checks above run.
  const haveGcc = spawnSync('gcc', ['--version']).status === 0;
  (haveGcc ? test : test.skip)(`c: gcc compiles the header and its array is the .bpf file${haveGcc ? '' : ' [skipped: no gcc]'}`, () => {
    const raw = readFileSync(path.join(dir, 'small.bpf'));
    const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '--format', 'c', '--name', 'small_filter']);
    expect(r.status).toBe(0);
    const header = path.join(dir, 'small_filter.h');
    writeFileSync(header, r.stdout);
    const main = path.join(dir, 'main.c');
    writeFileSync(main, '#include <stdio.h>\n#include "small_filter.h"\nint main(void){fwrite(small_filter,sizeof(small_filter),1,stdout);return small_filter_prog.len==sizeof(small_filter)/8?0:1;}\n');
    const exe = path.join(dir, 'main');
    execFileSync('gcc', ['-Wall', '-Werror', '-o', exe, main], { cwd: dir });
    const dumped = execFileSync(exe);
    expect(dumped.equals(raw)).toBe(true);
  });

  test('policy errors: exit 1, every diagnostic as file:line:col, source line and caret, no stack', () => {
    const bad = path.join(dir, 'bad.policy');
    const r = tsjail(['compile', bad, '--arch', 'x86_64', '-o', path.join(dir, 'never.bpf')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(existsSync(path.join(dir, 'never.bpf'))).toBe(false);
    expect(r.stderr).toContain(`${bad}:2:1: error: nonexistent syscall "reed"`);
    expect(r.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:16: error: .*NOT_A_CONSTANT.*\\nwrite: arg0 == NOT_A_CONSTANT\\n {15}\\^{14}\\n`));
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  test('json still reports diagnostics on stdout when the policy has errors (exit 1)', () => {
    const r = tsjail(['compile', path.join(dir, 'bad.policy'), '--arch', 'x86_64', '--format', 'json']);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.diagnostics.map((d: { line: number }) => d.line)).toEqual(expect.arrayContaining([2, 3]));
  });

  test('unreadable input and output: exit 1 with one line', () => {
    const r = tsjail(['compile', path.join(dir, 'absent.policy'), '--arch', 'x86_64']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsjail: cannot read ${path.join(dir, 'absent.policy')}: no such file or directory\n`);
    const w = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '-o', path.join(dir, 'no', 'such', 'dir.bpf')]);
    expect(w.status).toBe(1);
    expect(w.stderr).toMatch(/^tsjail: cannot write .*dir\.bpf: no such file or directory\n$/);
  });
});

describe('malformed inputs: one line, a non-zero status, no stack', () => {
  const bin = () => {
    // A text line, then bytes 0x08, 0x9f, ... without NUL (so not taken for a .bpf file by content).
    const b = Buffer.concat([Buffer.from('read: 1\n'), Buffer.from(Array.from({ length: 300 }, (_, i) => 1 + ((i * 151 + 7) % 255)))]);
    const f = path.join(dir, 'binary.policy');
    writeFileSync(f, b);
    return f;
  };

  test.each([['compile'], ['disasm'], ['simulate'], ['verify']])('%s: a binary file as the policy is refused, not echoed', (sub) => {
    const f = bin();
    const r = tsjail([sub, f, '--arch', 'x86_64', ...(sub === 'simulate' ? ['--syscall', 'read'] : []), ...(sub === 'compile' ? ['-o', path.join(dir, 'x.bpf')] : [])]);
    expect(r.stderr).toBe(`tsjail: ${f}:2:1: not a policy: binary data (byte 0x08 at offset 8)\n`);
    expect(r.status).toBe(1);
  });

  test.each([
    ['a NUL byte', Buffer.from('read: 1\nwrite: 1\0\nexit: 1\n'), '2:9: not a policy: binary data (byte 0x00 at offset 16)'],
    ['invalid UTF-8 in a comment', Buffer.from('read: 1\n# caf\xe9\nwrite: 1\n', 'latin1'), '2:6: not a policy: invalid UTF-8 (byte 0xe9 at offset 13)'],
    ['an overlong UTF-8 form', Buffer.from('read: 1 # \xc0\xaf\n', 'latin1'), '1:11: not a policy: invalid UTF-8 (byte 0xc0 at offset 10)'],
    ['a truncated UTF-8 sequence after a valid one', Buffer.concat([Buffer.from('# é\nread: 1 # '), Buffer.from([0xe2, 0x82, 0x0a])]), '2:11: not a policy: invalid UTF-8 (byte 0xe2 at offset 15)'],
  ])('a policy file holding %s: one located line (compile 1, run -S 2)', (_what, bytes, where) => {
    const f = path.join(dir, 'located.policy');
    writeFileSync(f, bytes);
    const c = tsjail(['compile', f, '--arch', 'x86_64', '-o', path.join(dir, 'located.bpf')]);
    expect([c.status, c.stderr]).toEqual([1, `tsjail: ${f}:${where}\n`]);
    const r = tsjail(['run', '-S', f, '--', '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`tsjail: run: -S ${f}:${where}`);
  });

  test('diff and run -S refuse a binary policy too', () => {
    const f = bin();
    const d = tsjail(['diff', path.join(dir, 'small.policy'), f, '--arch', 'x86_64']);
    expect([d.status, d.stderr]).toEqual([1, `tsjail: ${f}:2:1: not a policy: binary data (byte 0x08 at offset 8)\n`]);
    const r = tsjail(['run', '-S', f, '--', '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^tsjail: run: -S ${f}:2:1: not a policy: binary data \\(byte 0x08 at offset 8\\)\n`));
  });

  test('an empty .bpf file is no program: disasm, simulate and verify --program say so (exit 1)', () => {
    const empty = path.join(dir, 'empty.bpf');
    writeFileSync(empty, '');
    for (const args of [['disasm', empty], ['simulate', empty, '--syscall', 'read'], ['verify', path.join(dir, 'small.policy'), '--program', empty]]) {
      const r = tsjail([...args, '--arch', 'x86_64']);
      expect({ args, status: r.status, stderr: r.stderr, stdout: r.stdout })
        .toEqual({ args, status: 1, stderr: `tsjail: ${empty}: not a seccomp program: the file is empty\n`, stdout: '' });
    }
  });

  test('--default-action with nothing in it is a usage error, not ignored', () => {
    const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '--default-action', '', '-o', path.join(dir, 'x.bpf')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tsjail: --default-action: empty; give an action/);
  });

  test.each([['verify'], ['diff']])('%s has no --verify (it would be ignored)', (sub) => {
    const r = tsjail([sub, path.join(dir, 'small.policy'), ...(sub === 'diff' ? [path.join(dir, 'small.policy')] : []), '--arch', 'x86_64', '--verify']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--verify'/);
    expect(tsjail([sub, '--help']).stdout).not.toContain('--verify');
  });

  // A full disk behind stdout used to be an unhandled 'error' event: a Node stack and exit 1.
  test.each([
    [['compile', 'SMALL', '--arch', 'x86_64', '--format', 'json']],
    [['verify', 'SMALL', '--arch', 'x86_64']],
    [['diff', 'SMALL', 'SMALL', '--arch', 'x86_64']],
    [['run', '--help']],
  ])('stdout on a full disk (/dev/full): %j says so in one line, exit 1', (args) => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), ...args.map((a) => (a === 'SMALL' ? path.join(dir, 'small.policy') : a))],
        { cwd: root, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: 'tsjail: cannot write to stdout: no space left on device (ENOSPC)\n' });
    } finally {
      closeSync(full);
    }
  });

  test('stdin (-) that is a directory is not an empty policy', () => {
    // Node reads a directory on fd 0 as no bytes: an empty, deny-everything policy, exit 0.
    const fd = openSync('/', 'r');
    try {
      const r = spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), 'compile', '-', '--arch', 'x86_64', '-o', path.join(dir, 'x.bpf')],
        { cwd: root, stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: 'tsjail: cannot read <stdin>: is a directory\n' });
    } finally {
      closeSync(fd);
    }
  });

  test('-o on a full disk: the file named, the errno in words', () => {
    const r = tsjail(['compile', path.join(dir, 'small.policy'), '--arch', 'x86_64', '-o', '/dev/full']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: 'tsjail: cannot write /dev/full: no space left on device (ENOSPC)\n' });
  });

  test.each([
    [['compile', 'DIR', '--arch', 'x86_64'], /^tsjail: cannot read .*: is a directory\n$/],
    [['verify', 'SMALL', '--program', 'DIR', '--arch', 'x86_64'], /^tsjail: cannot read .*: is a directory\n$/],
    [['diff', 'SMALL', 'DIR', '--arch', 'x86_64'], /^tsjail: cannot read .*: is a directory\n$/],
    [['compile', 'SMALL', '--arch', 'x86_64', '-o', 'DIR'], /^tsjail: cannot write .*: is a directory\n$/],
    [['run', '--seccomp-bpf-binary', 'DIR', '--', '/bin/true'], /^tsjail: run: --seccomp-bpf-binary .*: cannot read: is a directory\n/],
    [['run', '-S', 'DIR', '--', '/bin/true'], /^tsjail: run: -S .*: cannot read: is a directory\n/],
  ])('a directory where a file belongs: %j', (args, message) => {
    const r = tsjail(args.map((a) => (a === 'DIR' ? dir : a === 'SMALL' ? path.join(dir, 'small.policy') : a)));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe('disasm and simulate on .bpf files and policies', () => {
  test('disasm: the .bpf file and its policy give the same listing; content detection without .bpf', () => {
    const fromPolicy = tsjail(['disasm', path.join(dir, 'small.policy'), '--arch', 'x86_64']);
    const fromBpf = tsjail(['disasm', path.join(dir, 'small.bpf'), '--arch', 'x86_64']);
    expect(fromPolicy.status).toBe(0);
    expect(fromBpf.status).toBe(0);
    expect(fromBpf.stdout).toBe(fromPolicy.stdout);
    expect(fromBpf.stdout).toMatch(/ALLOW/);
    const noExt = path.join(dir, 'program-without-extension');
    copyFileSync(path.join(dir, 'small.bpf'), noExt);
    expect(tsjail(['disasm', noExt, '--arch', 'x86_64']).stdout).toBe(fromPolicy.stdout);
  });

  test('disasm lists bytes that are no valid program but warns that the kernel would refuse them', () => {
    // An unknown opcode (0xffff) then RET ALLOW: decodable, not loadable.
    const bad = path.join(dir, 'bad-opcode.bpf');
    writeFileSync(bad, assemble([stmt(0xffff, 0), ret(RET.ALLOW)]));
    const r = tsjail(['disasm', bad, '--arch', 'x86_64']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\?\?\?/);
    expect(r.stderr).toMatch(/^tsjail: warning: not a valid seccomp program: instruction 0: .*kernel would refuse/m);
    // A valid program gets no warning.
    const ok = tsjail(['disasm', path.join(dir, 'small.bpf'), '--arch', 'x86_64']);
    expect(ok.stderr).toBe('');
  });

  test('a .bpf file that is not whole instructions: exit 1', () => {
    const odd = path.join(dir, 'odd.bpf');
    writeFileSync(odd, Buffer.alloc(13));
    for (const sub of ['disasm', 'simulate']) {
      const r = tsjail([sub, odd, '--arch', 'x86_64', ...(sub === 'simulate' ? ['--syscall', 'read'] : [])]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^tsjail: .*odd\.bpf: not a seccomp program: 13 bytes/);
    }
  });

  const cases: Array<[string, string | undefined, object]> = [
    ['read', undefined, { action: 'allow', data: 0 }],
    ['write', '1', { action: 'allow', data: 0 }],
    ['write', '3', { action: 'kill-process', data: 0 }],
    ['ioctl', '0,TCGETS', { action: 'allow', data: 0 }],
    ['ioctl', '0,FIONREAD', { action: 'errno', data: 25 }],
    ['16', '0,0x5401', { action: 'allow', data: 0 }],
    ['openat', '-100,0,0', { action: 'kill-process', data: 0 }],
  ];

  test.each(cases)('simulate --syscall %s --args %s: exact --json shape, .bpf = policy = API', async (syscall, args, expected) => {
    const argv = ['--arch', 'x86_64', '--syscall', syscall, ...(args !== undefined ? ['--args', args] : []), '--json'];
    const a = tsjail(['simulate', path.join(dir, 'small.policy'), ...argv]);
    const b = tsjail(['simulate', path.join(dir, 'small.bpf'), ...argv]);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/^\{"action":"(allow|errno|kill-process|kill-thread|trap|trace|log|user-notify)","data":\d+,"insns":\d+\}\n$/);
    expect(b.stdout).toBe(a.stdout);
    const j = JSON.parse(a.stdout);
    expect(Object.keys(j)).toEqual(['action', 'data', 'insns']);
    expect(j).toMatchObject(expected);
    const api = await simulate(new Uint8Array(readFileSync(path.join(dir, 'small.bpf'))), {
      arch: 'x86_64', syscall: /^\d+$/.test(syscall) ? Number(syscall) : syscall,
      args: (args ?? '').split(',').filter((x) => x !== '').map((x) => ({ TCGETS: 0x5401n, FIONREAD: 0x541bn } as Record<string, bigint>)[x] ?? BigInt(x)),
    });
    expect(j).toEqual({ action: api.action, data: api.data, insns: api.insns });
  });

  test('simulate text mode is one readable line', () => {
    const r = tsjail(['simulate', path.join(dir, 'small.policy'), '--arch', 'x86_64', '--syscall', 'ioctl', '--args', '0,FIONREAD']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^x86_64 ioctl\(0, 0x541b\): errno 25 \(ENOTTY\) after \d+ instructions\n$/);
  });

  // The policy is written for x86_64, so only an x86_64 host can show the default.
  (process.arch === 'x64' ? test : test.skip)(`--arch defaults to the host arch${process.arch === 'x64' ? '' : ' [skipped: not an x86_64 host]'}`, () => {
    const r = tsjail(['simulate', path.join(dir, 'small.policy'), '--syscall', 'read', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).action).toBe('allow');
  });
});

describe('the shipped example policy (README quick start)', () => {
  test('compiles and behaves as its comments say', () => {
    const out = path.join(dir, 'example.bpf');
    expect(tsjail(['compile', EXAMPLE, '--arch', 'x86_64', '-o', out]).status).toBe(0);
    const sim = (syscall: string, args?: string) =>
      JSON.parse(tsjail(['simulate', out, '--arch', 'x86_64', '--syscall', syscall, ...(args ? ['--args', args] : []), '--json']).stdout);
    expect(sim('write', '1')).toMatchObject({ action: 'allow' });
    expect(sim('write', '5')).toMatchObject({ action: 'kill-process' });
    expect(sim('openat', '-100,0,O_RDONLY|O_CLOEXEC')).toMatchObject({ action: 'allow' });
    expect(sim('openat', '-100,0,O_RDWR')).toMatchObject({ action: 'errno', data: 13 });
    expect(sim('mmap', '0,4096,PROT_READ|PROT_EXEC')).toMatchObject({ action: 'allow' });
    expect(sim('mmap', '0,4096,PROT_WRITE|PROT_EXEC')).toMatchObject({ action: 'kill-process' });
    expect(sim('execve')).toMatchObject({ action: 'allow' });
    expect(sim('socket')).toMatchObject({ action: 'kill-process' });
  });
});

// The kernel is the oracle: the .bpf file `tsjail compile` writes is loaded by real children
// (test/helpers/oracle.ts), and each call gets exactly what `tsjail simulate --json` says.
(oracleUnavailable() ? describe.skip : describe)(`the kernel runs the .bpf file as simulate predicts${oracleUnavailable() ? ` (skipped: ${oracleUnavailable()})` : ''}`, () => {
  test('example.policy', () => {
    const out = path.join(dir, 'example-kernel.bpf');
    expect(tsjail(['compile', EXAMPLE, '--arch', 'x86_64', '-o', out]).status).toBe(0);
    const calls: Array<[string, number, bigint[]]> = [
      ['read', 0, [99n]], ['write', 1, [1n]], ['write', 1, [99n]], ['openat', 257, [99n, 0n, 0n]], ['openat', 257, [99n, 0n, 2n]],
      ['close', 3, [99n]], ['socket', 41, [99n]], ['mmap', 9, [0n, 0n, 6n]], ['getpid', 39, []],
    ];
    const sims = calls.map(([name, , args]) => JSON.parse(tsjail(['simulate', out, '--arch', 'x86_64', '--syscall', name,
      ...(args.length ? ['--args', args.join(',')] : []), '--json']).stdout));
    const kernel = runOracle(new Uint8Array(readFileSync(out)), calls.map(([, nr, args]) => ({ nr, args })));
    expect(kernel.map(outcomeKey)).toEqual(sims.map((s) => outcomeKey(expectedFromSimulator(s))));
    expect(sims.map((s) => s.action)).toEqual(['allow', 'allow', 'kill-process', 'allow', 'errno', 'allow', 'kill-process', 'kill-process', 'kill-process']);
  });
});

// crosvm's device policies include the installed /usr/share/policy/crosvm/common_device.policy
// (which names ./common_device.frequency). The corpus keeps those files flattened as
// google__crosvm/jail__seccomp__<arch>__<name>; an include map per file puts them back.
corpusDescribe('--include-map with crosvm corpus policies', () => {
  const rows = corpusMissing ? [] : corpusRows()
    .filter((p) => p.includes.some(([written]) => written === '/usr/share/policy/crosvm/common_device.policy'));
  const sample = ['x86_64', 'aarch64'].flatMap((arch) => rows.filter((p) => p.manifestArch === arch).slice(0, arch === 'x86_64' ? 4 : 2))
    .concat(rows.filter((p) => p.file.endsWith('x86_64__block_device_vhost_user.policy')));

  function mapFor(arch: string): string[] {
    const prefix = `jail__seccomp__${arch}__`;
    return readdirSync(path.join(CORPUS, 'google__crosvm')).filter((f) => f.startsWith(prefix))
      .map((f) => `/usr/share/policy/crosvm/${f.slice(prefix.length)}=${path.join(CORPUS, 'google__crosvm', f)}`);
  }

  test('the sample covers several policies and the map agrees with MANIFEST include_targets', () => {
    expect(sample.length).toBeGreaterThanOrEqual(6);
    for (const p of sample) {
      const map = parseIncludeMap(mapFor(p.manifestArch));
      expect(p.includes.length).toBeGreaterThan(0);
      for (const [written, target] of p.includes) {
        expect(map.find((e) => e.virtual === written)?.real).toBe(path.join(CORPUS, target));
      }
    }
  });

  // (describe.skip still collects, and test.each refuses an empty table.)
  if (sample.length > 0) test.each(sample.map((p) => [p.file, p.manifestArch]))('%s (%s)', async (file, arch) => {
    const policy = path.join(CORPUS, file);
    const maps = mapFor(arch).flatMap((m) => ['--include-map', m]);
    const r = tsjail(['compile', policy, '--arch', arch, '--format', 'json', ...maps]);
    expect(r.stderr.split('\n').filter((l) => / error: /.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.files).toContain('/usr/share/policy/crosvm/common_device.policy');
    // common_device.policy allows close; the compiled program must too.
    const close = tsjail(['simulate', policy, '--arch', arch, '--syscall', 'close', '--json', ...maps]);
    expect(JSON.parse(close.stdout).action).toBe('allow');
    // The API with the same map gives the same program.
    const api = await compilePolicyOrThrow(readFileSync(policy, 'utf8'), { arch, path: policy, files: fileResolver(parseIncludeMap(mapFor(arch))) });
    expect(Buffer.from(api.program).toString('hex')).toBe(j.program);
    // Without the map: exit 1, located at the @include line.
    const missing = tsjail(['compile', policy, '--arch', arch, '-o', path.join(dir, 'x.bpf')]);
    expect(missing.status).toBe(1);
    const line = readFileSync(policy, 'utf8').split('\n').findIndex((l) => l.startsWith('@include /usr/share/policy/crosvm/common_device.policy')) + 1;
    expect(missing.stderr).toContain(`${policy}:${line}:10: error: could not @include /usr/share/policy/crosvm/common_device.policy`);
    expect(missing.stderr).not.toMatch(STACK_LINE);
  });
});

describe('ts/cli/errors: one line, the right status', () => {
  function report(e: unknown): [number, string] {
    let text = '';
    const status = reportError(e, { write: (s: string) => { text += s; } });
    return [status, text];
  }

  test('internal errors are one line with status 70, never a stack', () => {
    const e = new TypeError('boom\n    at somewhere (x.js:1:2)');
    const [status, text] = report(e);
    expect(status).toBe(70);
    expect(text).toBe('tsjail: internal error: boom\n');
    expect(report('a string')).toEqual([70, 'tsjail: internal error: a string\n']);
  });

  test('usage, policy failure, exit status', () => {
    expect(report(new UsageError('bad flag'))[0]).toBe(2);
    expect(report(new PolicyFailure('cannot read x'))).toEqual([1, 'tsjail: cannot read x\n']);
    expect(report(new ExitStatus(42))).toEqual([42, '']);
  });
});

describe('ts/node/system-errors: errors in words', () => {
  const fsError = (code: string, errno: number): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: something, open 'x'`), { code, errno });

  test('describeFsError: the common codes in words, any other errno as strerror text and name', () => {
    expect(describeFsError(fsError('ENOENT', -2))).toBe('no such file or directory');
    expect(describeFsError(fsError('EISDIR', -21))).toBe('is a directory');
    expect(describeFsError(fsError('ENOSPC', -28))).toBe('no space left on device (ENOSPC)');
    // Not a system error at all: its own message.
    expect(describeFsError(new Error('odd'))).toBe('odd');
  });

  test('the package entry still exports describeFsError (it did from policy-node before)', () => {
    expect(packageEntry.describeFsError).toBe(describeFsError);
    expect(packageEntry.fileResolver).toBe(fileResolver);
  });

  test('strerror takes either sign and names unknown numbers', () => {
    expect(strerror(1)).toBe('operation not permitted');
    expect(strerror(-1)).toBe('operation not permitted');
    expect(strerror(99999)).toBe('error 99999');
  });
});
