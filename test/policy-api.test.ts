// ts/policy (the browser-safe API) and ts/policy-node (files from disk, include maps).

import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import {
  CoreError, HostCode, InvalidProgramError, MAX_POLICY_FILES, PolicyError, archInfo, arches, compilePolicy, compilePolicyOrThrow,
  constantValue, decodeProgram, disassemble, formatDiagnostics, initPolicy, simulate, syscallName, syscallNumber, toCHeader,
} from '../ts/policy/index';
import { loadCore, withCore } from '../ts/policy/core';
import { compilePolicyFile, fileResolver, mapIncludePath, parseIncludeMap } from '../ts/policy-node/index';

const CODE_COULD_NOT_INCLUDE = 2007;
const CODE_INCLUDE_CYCLE = 2009;
const CODE_INCLUDE_TOO_DEEP = 2008;
const CODE_NONEXISTENT_SYSCALL = 2001;

async function verdict(program: Uint8Array, syscall: string, args: Array<bigint | number> = [], arch = 'x86_64') {
  const r = await simulate(program, { arch, syscall, args });
  return r.action === 'errno' ? `errno ${r.data}` : r.action;
}

describe('compilePolicy', () => {
  test('compiles to sock_filter bytes that the simulator runs', async () => {
    const r = await compilePolicy('read: 1\nwrite: arg0 == 1\n', { arch: 'x86_64', path: 'p.policy' });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.arch).toBe('x86_64');
    expect(r.program.length).toBe(r.insns * 8);
    expect(decodeProgram(r.program)).toHaveLength(r.insns);
    expect(r.files).toEqual(['p.policy']);
    expect(await verdict(r.program, 'read')).toBe('allow');
    expect(await verdict(r.program, 'write', [1])).toBe('allow');
    expect(await verdict(r.program, 'write', [2])).toBe('kill-process');
    expect(await verdict(r.program, 'openat')).toBe('kill-process');
  });

  test('errors are values with positions; compilePolicyOrThrow throws them as a PolicyError', async () => {
    const text = 'read: 1\nreed: 1\nwrite: 1\n';
    const r = await compilePolicy(text, { arch: 'x86_64', path: 'bad.policy' });
    expect(r.ok).toBe(false);
    expect(r.program.length).toBe(0);
    const d = r.diagnostics.find((x) => x.code === CODE_NONEXISTENT_SYSCALL)!;
    expect(d).toMatchObject({ severity: 'error', file: 'bad.policy', line: 2, column: 1 });
    expect(d.formatted.split('\n')).toEqual([expect.stringMatching(/^bad\.policy:2:1: error: /), 'reed: 1', '^^^^']);
    await expect(compilePolicyOrThrow(text, { arch: 'x86_64', path: 'bad.policy' })).rejects.toThrow(PolicyError);
    const e = (await compilePolicyOrThrow(text, { arch: 'x86_64', path: 'bad.policy' }).catch((x: unknown) => x)) as PolicyError;
    expect(e.errors.map((x) => x.code)).toContain(CODE_NONEXISTENT_SYSCALL);
    expect(e.message).toMatch(/^bad\.policy:2:1: error: /);
    expect(formatDiagnostics(e.diagnostics)).toContain('reed: 1');
  });

  test('an unknown arch is a diagnostic, not a throw', async () => {
    const r = await compilePolicy('read: 1\n', { arch: 'vax' });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0].message).toMatch(/vax/);
  });

  test('options reach the core: returnOnMatch, defaultAction, killAction', async () => {
    const text = 'ioctl: arg1 == 5; return EPERM\n';
    const runtime = await compilePolicyOrThrow(text, { arch: 'x86_64' });
    expect(await verdict(runtime.program, 'ioctl', [0, 5])).toBe('allow');
    expect(await verdict(runtime.program, 'ioctl', [0, 6])).toBe('errno 1');
    const onMatch = await compilePolicyOrThrow(text, { arch: 'x86_64', returnOnMatch: true });
    expect(await verdict(onMatch.program, 'ioctl', [0, 5])).toBe('errno 1');
    const logged = await compilePolicyOrThrow('read: 1\n', { arch: 'x86_64', defaultAction: 'log' });
    expect(await verdict(logged.program, 'write')).toBe('log');
    const thread = await compilePolicyOrThrow('read: 1\n', { arch: 'x86_64', killAction: 'kill-thread' });
    expect(await verdict(thread.program, 'write')).toBe('kill-thread');
  });

  test('verify: the core proves the program against the policy and reports it', async () => {
    const r = await compilePolicyOrThrow('read: 1\nwrite: arg0 == 1 || arg0 == 2\n', { arch: 'x86_64', verify: true });
    expect(r.verify).toMatchObject({ status: 'proven' });
    expect(r.verify!.paths).toBeGreaterThan(0);
    expect((await compilePolicyOrThrow('read: 1\n', { arch: 'x86_64' })).verify).toBeUndefined();
  });

  test('text with NUL bytes is refused before it reaches the core', async () => {
    const r = await compilePolicy('read: 1\0', { arch: 'x86_64', path: 'nul.policy' });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: HostCode.ReadFailed, file: 'nul.policy' });
  });
});

describe('include collection', () => {
  test('files from a map, paths resolved against the including file', async () => {
    const files = {
      'dir/sub/a.policy': 'write: 1\n@include ./../b.policy\n',
      'dir/b.policy': 'close: 1\n',
      'dir/unused.policy': 'openat: 1\n',
    };
    const r = await compilePolicyOrThrow('read: 1\n@include ./sub/a.policy\n', { arch: 'x86_64', path: 'dir/main.policy', files });
    expect(r.files).toEqual(['dir/main.policy', 'dir/sub/a.policy', 'dir/b.policy']);
    for (const s of ['read', 'write', 'close']) expect(await verdict(r.program, s)).toBe('allow');
    expect(await verdict(r.program, 'openat')).toBe('kill-process');
  });

  test('a Map works as well as a record', async () => {
    const files = new Map([['/etc/x.policy', 'close: 1\n']]);
    const r = await compilePolicyOrThrow('@include /etc/x.policy\n', { arch: 'x86_64', path: '/m.policy', files });
    expect(await verdict(r.program, 'close')).toBe('allow');
  });

  test('an async resolver is asked once per path, even for diamonds and cycles', async () => {
    const texts: Record<string, string> = {
      '/p/a.policy': '@include /p/c.policy\nwrite: 1\n',
      '/p/b.policy': '@include /p/c.policy\nclose: 1\n',
      // Included twice (through a and b): a conditional rule may repeat, an unconditional one may not.
      '/p/c.policy': 'read: arg0 == 0\n',
    };
    const asked: string[] = [];
    const files = async (p: string) => {
      asked.push(p);
      return texts[p];
    };
    const r = await compilePolicy('@include /p/a.policy\n@include /p/b.policy\n', { arch: 'x86_64', path: '/p/main.policy', files });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(asked.sort()).toEqual(['/p/a.policy', '/p/b.policy', '/p/c.policy']);

    asked.length = 0;
    texts['/p/c.policy'] = '@include /p/a.policy\nread: 1\n';
    const cyc = await compilePolicy('@include /p/a.policy\n', { arch: 'x86_64', path: '/p/main.policy', files });
    expect(cyc.ok).toBe(false);
    expect(asked.sort()).toEqual(['/p/a.policy', '/p/c.policy']);
    const d = cyc.diagnostics.find((x) => x.code === CODE_INCLUDE_CYCLE);
    expect(d).toBeDefined();
    expect(d!.file).toBe('/p/c.policy');
    expect(d!.line).toBe(1);
  });

  test('a chain deeper than the core\'s limit is an error at an @include line; fetching stops soon after', async () => {
    const asked: string[] = [];
    // /d/1 includes /d/2 includes /d/3 ... without end.
    const files = (p: string) => {
      asked.push(p);
      const n = Number(/\/d\/(\d+)\.policy$/.exec(p)![1]);
      return `# level ${n}\n@include /d/${n + 1}.policy\n`;
    };
    const r = await compilePolicy('read: 1\n@include /d/1.policy\n', { arch: 'x86_64', path: '/main.policy', files });
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === CODE_INCLUDE_TOO_DEEP)!;
    expect(d).toBeDefined();
    expect(d.line).toBe(2);
    expect(d.file).toMatch(/^\/d\/\d+\.policy$/);
    expect(asked.length).toBeLessThanOrEqual(16);
  });

  test('a missing include is an error at the @include line of the including file', async () => {
    const files = { 'lib/a.policy': 'read: 1\n\n  @include ./gone.policy\n' };
    const r = await compilePolicy('write: 1\n@include ./lib/a.policy\n', { arch: 'x86_64', path: 'main.policy', files });
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === CODE_COULD_NOT_INCLUDE)!;
    expect(d).toMatchObject({ file: 'lib/a.policy', line: 3, severity: 'error' });
    expect(d.formatted).toMatch(/^lib\/a\.policy:3:\d+: error: .*gone\.policy/);
  });

  test('a throwing resolver becomes a diagnostic naming the path', async () => {
    const files = () => {
      throw new Error('network down');
    };
    const r = await compilePolicy('@include /x.policy\nread: 1\n', { arch: 'x86_64', path: '/m.policy', files });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ code: HostCode.ReadFailed, file: '/x.policy', message: expect.stringContaining('network down') }));
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ code: CODE_COULD_NOT_INCLUDE, file: '/m.policy', line: 1 }));
  });

  test('collection stops at the file-count bound', async () => {
    const n = MAX_POLICY_FILES + 20;
    const main = Array.from({ length: n }, (_, i) => `@include /f/${i}.policy`).join('\n') + '\n';
    let asked = 0;
    const files = (p: string) => {
      asked++;
      return `# ${p}\n`;
    };
    const r = await compilePolicy(main, { arch: 'x86_64', path: '/main.policy', files });
    expect(asked).toBe(MAX_POLICY_FILES - 1);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.some((d) => d.code === HostCode.TooManyFiles)).toBe(true);
  });
});

describe('include maps and files from disk (ts/policy-node)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsjail-policy-api-'));
    mkdirSync(path.join(dir, 'real', 'nested'), { recursive: true });
    writeFileSync(path.join(dir, 'real', 'common.policy'), 'close: 1\n@include ./nested/more.policy\n');
    writeFileSync(path.join(dir, 'real', 'nested', 'more.policy'), 'exit_group: 1\n');
    writeFileSync(path.join(dir, 'real', 'exact.policy'), 'getpid: 1\n');
    writeFileSync(path.join(dir, 'main.policy'),
      'read: 1\n@include /usr/share/policy/demo/common.policy\n@include /opt/exact.policy\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('parseIncludeMap and mapIncludePath: exact entries, prefixes, longest prefix', () => {
    const map = parseIncludeMap(['/a/=/r1', '/a/b/=/r2/', '/a/b/x.policy=/exact.policy']);
    expect(mapIncludePath(map, '/a/b/x.policy')).toBe('/exact.policy');
    expect(mapIncludePath(map, '/a/b/y.policy')).toBe('/r2/y.policy');
    expect(mapIncludePath(map, '/a/z.policy')).toBe('/r1/z.policy');
    expect(mapIncludePath(map, '/other.policy')).toBe('/other.policy');
    expect(() => parseIncludeMap(['nothing'])).toThrow(/VIRTUAL=REAL/);
    expect(() => parseIncludeMap(['=x'])).toThrow(TypeError);
    expect(() => parseIncludeMap(['x='])).toThrow(TypeError);
  });

  test('compilePolicyFile reads includes through the map (nested relative includes stay virtual)', async () => {
    const includeMap = parseIncludeMap([`/usr/share/policy/demo/=${dir}/real/`, `/opt/exact.policy=${dir}/real/exact.policy`]);
    const r = await compilePolicyFile(path.join(dir, 'main.policy'), { arch: 'x86_64', includeMap });
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual([
      path.join(dir, 'main.policy'), '/usr/share/policy/demo/common.policy', '/opt/exact.policy',
      '/usr/share/policy/demo/nested/more.policy',
    ]);
    for (const s of ['read', 'close', 'exit_group', 'getpid']) expect(await verdict(r.program, s)).toBe('allow');
  });

  test('without the map the installed paths are missing, reported at the @include lines', async () => {
    const r = await compilePolicyFile(path.join(dir, 'main.policy'), { arch: 'x86_64' });
    expect(r.ok).toBe(false);
    const lines = r.diagnostics.filter((d) => d.code === CODE_COULD_NOT_INCLUDE).map((d) => d.line);
    expect(lines).toEqual([2, 3]);
  });

  test('a mapped file that does not exist names the real path', async () => {
    const includeMap = parseIncludeMap([`/usr/share/policy/demo/common.policy=${dir}/nope.policy`, `/opt/exact.policy=${dir}/real/exact.policy`]);
    const r = await compilePolicyFile(path.join(dir, 'main.policy'), { arch: 'x86_64', includeMap });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({
      code: HostCode.ReadFailed, message: expect.stringContaining(`${dir}/nope.policy (mapped from /usr/share/policy/demo/common.policy)`),
    }));
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ code: CODE_COULD_NOT_INCLUDE, line: 2 }));
  });

  test('fileResolver: absent -> undefined, a directory -> an error', async () => {
    const resolve = fileResolver();
    expect(await resolve(path.join(dir, 'absent.policy'))).toBeUndefined();
    await expect(Promise.resolve(resolve(path.join(dir, 'real')))).rejects.toThrow(/is a directory/);
    expect(await resolve(path.join(dir, 'real', 'exact.policy'))).toBe('getpid: 1\n');
  });
});

describe('simulate, disassemble, tables', () => {
  test('arches and syscall names', async () => {
    expect(await arches()).toEqual(expect.arrayContaining(['x86_64', 'aarch64', 'arm', 'i386', 'riscv64']));
    expect(await syscallNumber('x86_64', 'read')).toBe(0);
    expect(await syscallNumber('aarch64', 'read')).toBe(63);
    expect(await syscallName('x86_64', 257)).toBe('openat');
    expect(await syscallNumber('x86_64', 'nosuchcall')).toBeUndefined();
    await expect(syscallNumber('vax', 'read')).rejects.toThrow(RangeError);
    expect(await archInfo('x86_64')).toEqual({ name: 'x86_64', auditArch: 0xc000003e, bits: 64 });
    expect(await archInfo('i386')).toMatchObject({ auditArch: 0x40000003, bits: 32 });
    expect(await constantValue('x86_64', 'O_RDONLY')).toBe(0n);
  });

  test('syscall by name or number; arguments as bigint, number, negative', async () => {
    const { program } = await compilePolicyOrThrow('read: arg0 == -1 || arg1 == 0x100000000\n', { arch: 'x86_64' });
    expect(await simulate(program, { arch: 'x86_64', nr: 0, args: [-1] })).toMatchObject({ action: 'allow', data: 0, ret: 0x7fff0000 });
    expect((await simulate(program, { arch: 'x86_64', syscall: 'read', args: [0xffffffffffffffffn] })).action).toBe('allow');
    expect((await simulate(program, { arch: 'x86_64', syscall: 0, args: [0, 2 ** 32] })).action).toBe('allow');
    expect((await simulate(program, { arch: 'x86_64', syscall: 'read', args: [0xffffffff] })).action).toBe('kill-process');
    const r = await simulate(program, { arch: 'x86_64', syscall: 'read' });
    expect(r.insns).toBeGreaterThan(0);
    await expect(simulate(program, { arch: 'x86_64', syscall: 'raed' })).rejects.toThrow(/did you mean "read"/);
    await expect(simulate(program, { arch: 'x86_64', syscall: 'read', args: [1.5] })).rejects.toThrow(TypeError);
    await expect(simulate(program, { arch: 'x86_64', syscall: 'read', args: [0, 0, 0, 0, 0, 0, 0] })).rejects.toThrow(RangeError);
  });

  test('on a 32-bit arch the high words of arguments are 0, as the kernel fills them', async () => {
    const { program } = await compilePolicyOrThrow('read: arg0 == 0xffffffff\n', { arch: 'i386' });
    expect((await simulate(program, { arch: 'i386', syscall: 'read', args: [-1] })).action).toBe('allow');
  });

  test('a program for another arch gets the kill action for the foreign arch', async () => {
    const { program } = await compilePolicyOrThrow('read: 1\n', { arch: 'x86_64' });
    expect((await simulate(program, { arch: 'aarch64', syscall: 'read' })).action).toBe('kill-process');
  });

  test('disassemble lists the program; bad bytes are an InvalidProgramError', async () => {
    const { program } = await compilePolicyOrThrow('read: 1\n', { arch: 'x86_64' });
    const listing = await disassemble(program, 'x86_64');
    expect(listing).toMatch(/ALLOW/);
    await expect(disassemble(new Uint8Array(7), 'x86_64')).rejects.toThrow(InvalidProgramError);
    expect(() => decodeProgram(new Uint8Array(9))).toThrow(InvalidProgramError);
  });

  test('toCHeader: one row per instruction, in the order and with the fields of the bytes', () => {
    // RET ALLOW, and a JEQ with jt 1, jf 0 and k 0xc000003e: fields in little-endian sock_filter layout.
    const program = new Uint8Array([0x15, 0, 1, 0, 0x3e, 0, 0, 0xc0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);
    expect(toCHeader(program, 'x86_64', 'a*/b.policy', 'my_filter')).toBe([
      '/* Generated by `tsjail compile` from a* /b.policy for x86_64: 2 instructions. */',
      '#ifndef MY_FILTER_H', '#define MY_FILTER_H', '', '#include <linux/filter.h>', '',
      'static const struct sock_filter my_filter[] = {',
      '\t{ 0x15, 1, 0, 0xc000003e },', '\t{ 0x06, 0, 0, 0x7fff0000 },', '};', '',
      'static const struct sock_fprog my_filter_prog = {', '\t.len = 2,', '\t.filter = (struct sock_filter *)my_filter,', '};', '',
      '#endif /* MY_FILTER_H */', '',
    ].join('\n'));
  });
});

describe('core failures', () => {
  test('a failing core call is a CoreError and the next call gets a fresh instance', async () => {
    const before = await loadCore();
    await expect(withCore(() => {
      throw new Error('unreachable executed');
    })).rejects.toThrow(new CoreError('policy core failed: unreachable executed'));
    const after = await loadCore();
    expect(after).not.toBe(before);
    expect((await compilePolicy('read: 1\n', { arch: 'x86_64' })).ok).toBe(true);
  });
});

describe('browser safety', () => {
  const root = path.resolve(__dirname, '..');
  const NODE_ONLY = /\bfrom\s+['"](node:|fs|path|os|child_process|crypto|url|util|stream|buffer|module|worker_threads)(\/[^'"]*)?['"]|\brequire\s*\(|\bprocess\.|\bBuffer\b|\b__dirname\b/;

  function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
  }

  test('nothing under ts/policy imports Node modules or uses Node globals', () => {
    const files = walk(path.join(root, 'ts', 'policy'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const src = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      const m = NODE_ONLY.exec(src);
      expect({ file: path.relative(root, f), nodeOnly: m ? m[0] : null }).toEqual({ file: path.relative(root, f), nodeOnly: null });
      for (const imp of src.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)) {
        // Only the package's own modules and the core's generated bindings.
        expect(imp[1]).toMatch(/^\.\.?\//);
      }
    }
  });

  test('the esbuild browser build of ts/policy pulls in no Node module', async () => {
    const r = await esbuild.build({
      entryPoints: [path.join(root, 'ts', 'policy', 'index.ts')], bundle: true, write: false, metafile: true,
      platform: 'browser', format: 'esm', target: 'es2020', loader: { '.wasm': 'binary' }, logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile!.inputs);
    expect(inputs.filter((i) => i.includes('node_modules') || i.startsWith('node:'))).toEqual([]);
    expect(inputs.some((i) => i.endsWith('core.wasm'))).toBe(true);
  });
});

describe('initPolicy where the core is inlined (the single-file entries)', () => {
  test('a given core replaces it; a bad one rejects and the core in use stays', async () => {
    const expected = (await compilePolicy('read: allow\n', { arch: 'x86_64' })).program;
    await expect(initPolicy({} as never)).rejects.toThrow(new TypeError('initPolicy: options.wasm is required'));
    await expect(initPolicy({ wasm: {} as never })).rejects.toThrow(/must be a URL, a Response, the .wasm bytes or a WebAssembly.Module/);
    await expect(initPolicy({ wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9]) })).rejects.toThrow(WebAssembly.CompileError);
    expect((await compilePolicy('read: allow\n', { arch: 'x86_64' })).program).toEqual(expected);
    await initPolicy({ wasm: readFileSync(path.resolve(__dirname, '../build/wasm/core.wasm')) });
    expect((await compilePolicy('read: allow\n', { arch: 'x86_64' })).program).toEqual(expected);
  });
});
