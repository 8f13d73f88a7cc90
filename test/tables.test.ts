// The generated per-arch tables, read back through the built core (syscallTable/constantTable).
// Values are checked against the kernel's own tables and headers: spot values, a full re-read of
// each syscall table, the cited extras, byte-identical regeneration, and every name the policy
// corpus uses.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as os from 'os';
import { loadCore } from '../ts/policy/core';
import { CORPUS, corpusDescribe } from './helpers/corpus';

type Arch = 'x86_64' | 'aarch64' | 'arm' | 'i386' | 'riscv64';
const ARCHES: Arch[] = ['x86_64', 'aarch64', 'arm', 'i386', 'riscv64'];
const BITS: Record<Arch, number> = { x86_64: 64, aarch64: 64, arm: 32, i386: 32, riscv64: 64 };

const ROOT = path.resolve(__dirname, '..');
const KERNEL = process.env.TSJAIL_KERNEL_DIR ?? path.resolve(ROOT, '../shared/kernel/6.18');
const haveKernel = fs.existsSync(path.join(KERNEL, 'scripts', 'syscall.tbl'));

interface Tables { sys: Record<string, number>; con: Record<string, string> }
const cache = new Map<string, Tables>();
async function tables(arch: string): Promise<Tables> {
  let t = cache.get(arch);
  if (!t) {
    const core = await loadCore();
    t = { sys: JSON.parse(core.syscallTable(arch)), con: JSON.parse(core.constantTable(arch)) };
    cache.set(arch, t);
  }
  return t;
}

describe('table shape', () => {
  test.each(ARCHES)('%s has syscalls and constants in its word size', async (arch) => {
    const t = await tables(arch);
    expect(Object.keys(t.sys).length).toBeGreaterThan(300);
    expect(Object.keys(t.con).length).toBeGreaterThan(2000);
    const limit = 1n << BigInt(BITS[arch]);
    for (const [name, v] of Object.entries(t.con)) {
      if (BigInt(v) >= limit) throw new Error(`${arch}: ${name} = ${v} does not fit ${BITS[arch]} bits`);
    }
    // Negative C values are two's complement of the arch word (minijail's unsigned long cast).
    expect(t.con.AT_FDCWD).toBe(BITS[arch] === 64 ? '0xffffffffffffff9c' : '0xffffff9c');
  });

  test('an unknown arch has no table', async () => {
    const core = await loadCore();
    expect(core.syscallTable('mips')).toBe('');
    expect(core.constantTable('mips')).toBe('');
  });
});

describe('syscall numbers', () => {
  // From the Linux 6.18 tables: syscall_64.tbl, syscall_32.tbl, scripts/syscall.tbl,
  // arch/arm/tools/syscall.tbl and arch/arm/include/uapi/asm/unistd.h (__ARM_NR_BASE 0x0f0000).
  const spots: [Arch, string, number][] = [
    ['x86_64', 'read', 0], ['x86_64', 'openat', 257], ['x86_64', 'arch_prctl', 158], ['x86_64', 'clone3', 435],
    ['i386', 'socketcall', 102], ['i386', 'mmap2', 192], ['i386', '_llseek', 140], ['i386', 'openat', 295],
    ['aarch64', 'openat', 56], ['aarch64', 'renameat', 38], ['aarch64', 'getrlimit', 163], ['aarch64', 'memfd_secret', 447],
    ['riscv64', 'riscv_flush_icache', 259], ['riscv64', 'riscv_hwprobe', 258], ['riscv64', 'openat', 56],
    ['arm', 'ARM_set_tls', 0xf0005], ['arm', 'ARM_cacheflush', 0xf0002], ['arm', 'arm_sync_file_range', 341],
    ['arm', 'sync_file_range2', 341], ['arm', 'openat', 322], ['arm', 'send', 289],
  ];
  test.each(spots)('%s %s = %d', async (arch, name, nr) => {
    expect((await tables(arch)).sys[name]).toBe(nr);
  });

  test.each([
    ['x86_64', 'mmap2'], ['x86_64', 'socketcall'], ['aarch64', 'open'], ['aarch64', 'fstatat64'],
    ['riscv64', 'renameat'], ['i386', 'newfstatat'], ['arm', 'arch_prctl'],
  ])('%s has no %s', async (arch, name) => {
    expect((await tables(arch)).sys[name]).toBeUndefined();
  });

  test('x86_64 leaves out the x32 ABI', async () => {
    const nrs = Object.values((await tables('x86_64')).sys);
    expect(nrs.filter((n) => n >= 512 && n <= 547)).toEqual([]);
  });

  // An independent re-read of the kernel table for each arch's ABI rows: the core's table must be
  // exactly those rows, plus only the names listed here.
  const abis: Record<Arch, [string, string[], string[]]> = {
    x86_64: ['arch/x86/entry/syscalls/syscall_64.tbl', ['common', '64'], []],
    i386: ['arch/x86/entry/syscalls/syscall_32.tbl', ['i386'], []],
    aarch64: ['scripts/syscall.tbl', ['common', '64', 'renameat', 'rlimit', 'memfd_secret'], []],
    riscv64: ['scripts/syscall.tbl', ['common', '64', 'riscv', 'rlimit', 'memfd_secret'], []],
    arm: ['arch/arm/tools/syscall.tbl', ['common', 'eabi'],
      // ARM private calls (not in the table) and the header alias of arm_sync_file_range.
      ['ARM_breakpoint', 'ARM_cacheflush', 'ARM_usr26', 'ARM_usr32', 'ARM_set_tls', 'ARM_get_tls', 'sync_file_range2']],
  };
  (haveKernel ? test.each(ARCHES) : test.skip.each(ARCHES))(
    `%s equals its kernel table rows${haveKernel ? '' : ' (skipped: no Linux 6.18 tree at ' + KERNEL + ')'}`,
    async (arch) => {
      const [file, want, extra] = abis[arch];
      const expected: Record<string, number> = {};
      for (const line of fs.readFileSync(path.join(KERNEL, file), 'utf8').split('\n')) {
        const f = line.replace(/#.*/, '').trim().split(/\s+/);
        if (f.length >= 3 && want.includes(f[1])) expected[f[2]] = Number(f[0]);
      }
      const got = { ...(await tables(arch)).sys };
      for (const name of extra) delete got[name];
      expect(got).toEqual(expected);
    });
});

describe('constant values per arch', () => {
  // From Debian's per-arch Linux 6.1 headers and the Linux 6.18 headers. The O_* flags differ
  // between the arm family and x86/riscv; sizeof-based ioctl numbers differ between 32 and 64 bits.
  const rows: [string, Record<Arch, string | undefined>][] = [
    ['O_DIRECTORY', { x86_64: '0x10000', aarch64: '0x4000', arm: '0x4000', i386: '0x10000', riscv64: '0x10000' }],
    ['O_NOFOLLOW', { x86_64: '0x20000', aarch64: '0x8000', arm: '0x8000', i386: '0x20000', riscv64: '0x20000' }],
    ['O_DIRECT', { x86_64: '0x4000', aarch64: '0x10000', arm: '0x10000', i386: '0x4000', riscv64: '0x4000' }],
    // The kernel's bit on every arch (glibc says 0 on 64-bit arches; see scripts/gen-tables.js).
    ['O_LARGEFILE', { x86_64: '0x8000', aarch64: '0x20000', arm: '0x20000', i386: '0x8000', riscv64: '0x8000' }],
    ['FS_IOC_GETFLAGS', { x86_64: '0x80086601', aarch64: '0x80086601', arm: '0x80046601', i386: '0x80046601', riscv64: '0x80086601' }],
    ['BLKGETSIZE64', { x86_64: '0x80081272', aarch64: '0x80081272', arm: '0x80041272', i386: '0x80041272', riscv64: '0x80081272' }],
    ['F_GETLK64', { x86_64: '0x5', aarch64: '0x5', arm: '0xc', i386: '0xc', riscv64: '0x5' }],
    ['RLIM_INFINITY', { x86_64: '0xffffffffffffffff', aarch64: '0xffffffffffffffff', arm: '0xffffffff', i386: '0xffffffff', riscv64: '0xffffffffffffffff' }],
    // 0x100000000ULL cut to a 32-bit word is 0, as minijail's (unsigned long) cast makes it.
    ['CLONE_CLEAR_SIGHAND', { x86_64: '0x100000000', aarch64: '0x100000000', arm: '0x0', i386: '0x0', riscv64: '0x100000000' }],
    ['ARCH_SET_FS', { x86_64: '0x1002', aarch64: undefined, arm: undefined, i386: '0x1002', riscv64: undefined }],
    ['MAP_32BIT', { x86_64: '0x40', aarch64: undefined, arm: undefined, i386: '0x40', riscv64: undefined }],
    ['PROT_BTI', { x86_64: undefined, aarch64: '0x10', arm: undefined, i386: undefined, riscv64: undefined }],
  ];
  test.each(rows)('%s', async (name, want) => {
    for (const arch of ARCHES) expect([arch, (await tables(arch)).con[name]]).toEqual([arch, want[arch]]);
  });

  // The same on these five arches (they differ only on alpha, mips, parisc, powerpc and sparc).
  const same: [string, string][] = [
    ['TCGETS', '0x5401'], ['TCSETS', '0x5402'], ['TCSETSW', '0x5403'], ['TCSETSF', '0x5404'],
    ['FIONREAD', '0x541b'], ['TIOCGWINSZ', '0x5413'], ['FIOCLEX', '0x5451'], ['TCGETS2', '0x802c542a'],
    ['SO_REUSEPORT', '0xf'], ['SO_RCVLOWAT', '0x12'], ['SO_PASSCRED', '0x10'], ['SOL_SOCKET', '0x1'],
    ['MAP_ANONYMOUS', '0x20'], ['MAP_HUGETLB', '0x40000'], ['EAGAIN', '0xb'], ['SIGSYS', '0x1f'],
    ['PR_SET_VMA', '0x53564d41'], ['PR_SET_VMA_ANON_NAME', '0x0'], ['PR_PAC_RESET_KEYS', '0x36'],
    ['GRND_RANDOM', '0x2'], ['LOOP_SET_FD', '0x4c00'], ['SIOCGIFINDEX', '0x8933'], ['AF_VSOCK', '0x28'],
    // Newer than Debian's headers: scripts/data/constants-extra.tsv.
    ['MADV_GUARD_INSTALL', '0x66'], ['MADV_GUARD_REMOVE', '0x67'], ['PR_GET_AUXV', '0x41555856'],
    ['PR_RISCV_SET_ICACHE_FLUSH_CTX', '0x47'], ['F_SEAL_EXEC', '0x20'],
  ];
  test.each(same)('%s = %s on every arch', async (name, value) => {
    for (const arch of ARCHES) expect([arch, (await tables(arch)).con[name]]).toEqual([arch, value]);
  });

  // Node was compiled against the host's own x86_64 glibc and Linux headers: an independent source.
  (process.arch === 'x64' ? test : test.skip)(
    `x86_64 errno, signal and open-flag values agree with this Node's os/fs constants${process.arch === 'x64' ? '' : ' (skipped: host is not x86_64)'}`,
    async () => {
      const c = (await tables('x86_64')).con;
      const host: Record<string, number> = { ...os.constants.errno, ...os.constants.signals, ...fs.constants };
      const compared: string[] = [];
      for (const [name, v] of Object.entries(host)) {
        if (/^(UV_|COPYFILE_|EXTENSIONLESS_)/.test(name)) continue; // libuv's and Node's own
        expect([name, c[name]]).toEqual([name, '0x' + BigInt.asUintN(64, BigInt(v)).toString(16)]);
        compared.push(name);
      }
      expect(compared).toEqual(expect.arrayContaining(['EPERM', 'ENOSYS', 'SIGSYS', 'O_DIRECTORY', 'O_NOFOLLOW', 'O_DIRECT']));
      expect(compared.length).toBeGreaterThan(100);
    });

  test('minijail\'s MINIJAIL_ARCH_NR/BITS are the AUDIT_ARCH value and word size', async () => {
    const audit: Record<Arch, string> = { x86_64: '0xc000003e', aarch64: '0xc00000b7', arm: '0x40000028', i386: '0x40000003', riscv64: '0xc00000f3' };
    for (const arch of ARCHES) {
      const c = (await tables(arch)).con;
      expect([arch, c.MINIJAIL_ARCH_NR, c.MINIJAIL_ARCH_BITS]).toEqual([arch, audit[arch], '0x' + BITS[arch].toString(16)]);
    }
  });

  test('every row of constants-extra.tsv is in its arches\' tables', async () => {
    const tsv = fs.readFileSync(path.join(ROOT, 'scripts/data/constants-extra.tsv'), 'utf8');
    const rows = tsv.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThan(10);
    for (const [name, value, arches] of rows) {
      for (const arch of ARCHES) {
        if (arches !== 'all' && !arches.split(',').includes(arch)) continue;
        const want = '0x' + BigInt.asUintN(BITS[arch], BigInt(value)).toString(16);
        expect([arch, name, (await tables(arch)).con[name]]).toEqual([arch, name, want]);
      }
    }
  });
});

describe('regeneration', () => {
  const TRIPLES = ['x86_64-linux-gnu', 'aarch64-linux-gnu', 'arm-linux-gnueabihf', 'i686-linux-gnu', 'riscv64-linux-gnu'];
  function missingTools(): string | null {
    if (!haveKernel) return `no Linux 6.18 tree at ${KERNEL}`;
    const clang = ['clang', 'clang-19', 'clang-18', 'clang-17', 'clang-16', 'clang-15', 'clang-14']
      .some((c) => spawnSync(c, ['--version']).status === 0);
    if (!clang) return 'clang is not installed (apt-get install clang-14)';
    const noHeaders = TRIPLES.filter((t) => !fs.existsSync(`/usr/${t}/include/asm/unistd.h`));
    if (noHeaders.length) return `Debian cross headers missing for ${noHeaders.join(', ')} (see docs/tables.md)`;
    return null;
  }
  const why = missingTools();
  (why ? test.skip : test)(`gen-tables --check reproduces the committed files byte for byte${why ? ` (skipped: ${why})` : ''}`, () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-tables.js'), '--check', '--kernel', KERNEL], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Corpus coverage: every syscall name (before ':') and every constant in an argument expression or
// `return X` of each corpus policy resolves in the table of the policy's arch.

/** What does not resolve, and why. Keys are "file|arch"; values the names, sorted. */
const EXPECTED_UNRESOLVED: Record<string, { names: string[]; why: string; resolvesOn?: Arch }> = {
  'ArthurSonzogni__chromiumos-platform2/minijail__test__invalid_syscall_name.policy|x86_64':
    { names: ['syscall notasyscall'], why: 'minijail negative test: unknown syscall name' },
  'google__minijail/test__invalid_syscall_name.policy|x86_64':
    { names: ['syscall notasyscall'], why: 'minijail negative test: unknown syscall name' },
  'ArthurSonzogni__chromiumos-platform2/minijail__test__invalid_arg_filter.policy|x86_64':
    { names: ['constant argnn'], why: 'minijail negative test: malformed argument (argnn)' },
  'google__minijail/test__invalid_arg_filter.policy|x86_64':
    { names: ['constant argnn'], why: 'minijail negative test: malformed argument (argnn)' },
  'ArthurSonzogni__chromiumos-platform2/diagnostics__init__wilco_dtc_supportd-seccomp-arm.policy|arm':
    { names: ['constant ARCH_SET_FS', 'syscall arch_prctl'], why: 'x86-only call in an arm policy (MANIFEST notes)' },
  'ArthurSonzogni__chromiumos-platform2/attestation__server__attestationd-seccomp-x86.policy|i386':
    { names: ['syscall pwrite'], why: 'no Linux arch has a syscall named pwrite (it is pwrite64)' },
  'ArthurSonzogni__chromiumos-platform2/authpolicy__seccomp_filters__net_ads_join-seccomp.policy|x86_64':
    { names: ['syscall pwrite'], why: 'no Linux arch has a syscall named pwrite (it is pwrite64)' },
  'ArthurSonzogni__chromiumos-platform2/camera__common__arc-camera-algo.policy|x86_64': {
    names: ['syscall fcntl64', 'syscall fstat64', 'syscall getegid32', 'syscall geteuid32', 'syscall getgid32',
      'syscall getuid32', 'syscall mmap2', 'syscall send', 'syscall stat64'],
    why: 'arch "unknown" in MANIFEST; mixes x86_64 (mmap) and 32-bit arm names, later split into -amd64/-arm files',
  },
  'ArthurSonzogni__chromiumos-platform2/webserver__webservd__usr__share__filters__webservd-seccomp.policy|x86_64': {
    names: ['syscall ARM_set_tls', 'syscall _llseek', 'syscall _newselect', 'syscall clock_getres_time64',
      'syscall clock_gettime64', 'syscall fcntl64', 'syscall fstat64', 'syscall fstatat64', 'syscall getegid32',
      'syscall geteuid32', 'syscall getgid32', 'syscall getresgid32', 'syscall getresuid32', 'syscall getuid32',
      'syscall lstat64', 'syscall mmap2', 'syscall recv', 'syscall send', 'syscall setgroups32',
      'syscall setresgid32', 'syscall setresuid32', 'syscall stat64', 'syscall ugetrlimit'],
    why: 'arch "unknown" in MANIFEST, but an arm policy', resolvesOn: 'arm',
  },
  'ArthurSonzogni__chromiumos-platform2/sirenia__seccomp__common.policy|x86_64':
    { names: ['syscall mmap2'], why: 'arch "unknown" in MANIFEST, but 32-bit (arm) names', resolvesOn: 'arm' },
};
// Android x86 policies that list newfstatat, which i386 lacks (its call is fstatat64, also listed).
for (const f of [
  'media__codec2__hal__services__seccomp_policy__android.hardware.media.c2-default-x86.policy',
  'media__codec2__hal__services__seccomp_policy__android.hardware.media.c2-default-x86_64.policy',
  'media__codec2__hidl__services__seccomp_policy__android.hardware.media.c2@1.1-default-x86.policy',
  'services__mediacodec__seccomp_policy__mediacodec-x86.policy',
  'services__mediacodec__seccomp_policy__mediacodec-x86_64.policy',
  'services__mediacodec__seccomp_policy__mediaswcodec-x86.policy',
  'services__mediacodec__seccomp_policy__mediaswcodec-x86_64.policy',
]) {
  EXPECTED_UNRESOLVED[`LineageOS__android_frameworks_av/${f}|i386`] =
    { names: ['syscall newfstatat'], why: 'i386 has no newfstatat (fstatat64 is also listed)' };
}
/** Corpus arches tsjail does not target. */
const UNSUPPORTED_ARCHES = new Set(['mips']);

interface CorpusFile { file: string; arch: string }

function corpusFiles(): CorpusFile[] {
  const rows = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1)
    .filter((l) => l.trim()).map((l) => l.split('\t'));
  return rows.filter((r) => r[0].endsWith('.policy')).map((r) => {
    let arch = r[4] === 'unknown' ? 'x86_64' : r[4];
    // Android files named for a 64-bit arch whose notes list 32-bit names are 32-bit policies.
    if (/names not in crosvm's (x86_64|aarch64) syscall table: .*\b(mmap2|getuid32)\b/.test(r[13] ?? '')) {
      arch = arch === 'x86_64' ? 'i386' : 'arm';
    }
    return { file: r[0], arch };
  });
}

const KEYWORDS = new Set(['return', 'allow', 'kill', 'trap', 'trace', 'log', 'user', 'notify', 'process', 'thread', 'in']);

/** "syscall NAME" and "constant NAME" for every name the policy text uses. */
function namesUsed(text: string): Set<string> {
  const out = new Set<string>();
  for (let line of text.replace(/\\\n/g, ' ').split('\n')) {
    line = line.replace(/#.*/, '').trim();
    if (!line || line.startsWith('@')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const lhs = line.slice(0, colon).replace(/\[[^\]]*\]/g, '');
    for (const m of lhs.matchAll(/[A-Za-z_][\w@-]*/g)) out.add(`syscall ${m[0].replace(/@.*/, '')}`);
    for (const m of line.slice(colon + 1).matchAll(/0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*/g)) {
      const t = m[0];
      if (/^\d/.test(t) || /^arg\d+$/.test(t) || KEYWORDS.has(t)) continue;
      out.add(`constant ${t}`);
    }
  }
  return out;
}

function unresolved(names: Set<string>, t: Tables): string[] {
  return [...names].filter((n) => {
    const [kind, name] = n.split(' ');
    return kind === 'syscall' ? t.sys[name] === undefined : t.con[name] === undefined;
  }).sort();
}

corpusDescribe('corpus coverage', () => {
  test('every name in every corpus policy resolves for its arch, except the listed ones', async () => {
    const got: Record<string, string[]> = {};
    const skipped: string[] = [];
    for (const { file, arch } of corpusFiles()) {
      if (UNSUPPORTED_ARCHES.has(arch)) { skipped.push(file); continue; }
      const missing = unresolved(namesUsed(fs.readFileSync(path.join(CORPUS, file), 'utf8')), await tables(arch));
      if (missing.length) got[`${file}|${arch}`] = missing;
    }
    const want: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(EXPECTED_UNRESOLVED)) want[k] = [...v.names].sort();
    expect(got).toEqual(want);
    expect(skipped.length).toBe(4); // the mips policies
  });

  test('the arch-less 32-bit policies resolve completely on arm', async () => {
    for (const [key, e] of Object.entries(EXPECTED_UNRESOLVED)) {
      if (!e.resolvesOn) continue;
      const file = key.split('|')[0];
      const names = namesUsed(fs.readFileSync(path.join(CORPUS, file), 'utf8'));
      expect([file, unresolved(names, await tables(e.resolvesOn))]).toEqual([file, []]);
    }
  });
});
