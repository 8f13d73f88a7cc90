#!/usr/bin/env node
'use strict';
// Generates the per-architecture tables of the policy core:
//   wasm/assembly/tables/{x86_64,aarch64,arm,i386,riscv64}.ts  (SYSCALLS + CONSTANTS)
//   wasm/assembly/tables/common.ts                             (constants equal on every arch)
//
//   npm run gen:tables                  write the files
//   node scripts/gen-tables.js --check  regenerate in memory, compare with the committed files
//                                       (exit 1 and name the files that differ)
//   options: --kernel DIR   Linux 6.18 tree with the syscall tables (default ../shared/kernel/6.18,
//                           or $TSJAIL_KERNEL_DIR)
//
// Sources, and why each one:
// - Syscall numbers: the Linux 6.18.2 tables (*.tbl) in the kernel tree, taking the ABI rows each
//   arch builds with (ARCHES below). The ARM private calls (__ARM_NR_*, named ARM_x as minijail
//   does) and header-only aliases (arm's sync_file_range2) come from the 6.18 arm uapi unistd.h.
//   Every __NR_* macro of Debian's per-arch <asm/unistd.h> (Linux 6.1) must agree with the table;
//   for aarch64/riscv64 the 6.18 asm-generic/unistd.h is checked as well.
// - Constants: every all-caps object-like macro reachable from HEADERS (minijail's gen_constants
//   set plus a few), evaluated per arch by clang targeting that arch over Debian's cross headers,
//   so sizeof-based ioctl numbers and arch-specific flag values are the arch's own. Values are
//   cast to unsigned long long, then cut to the arch word (minijail casts to unsigned long).
// - Constants newer than Debian's 6.1 headers: scripts/data/constants-extra.tsv, each row citing
//   the 6.18 header line it was read from (checked here).
//
// Developer-only tools (not needed to build or test; the output is committed):
//   apt-get install clang-14 \
//     linux-libc-dev-amd64-cross libc6-dev-amd64-cross \
//     linux-libc-dev-arm64-cross libc6-dev-arm64-cross \
//     linux-libc-dev-armhf-cross libc6-dev-armhf-cross \
//     linux-libc-dev-i386-cross libc6-dev-i386-cross \
//     linux-libc-dev-riscv64-cross libc6-dev-riscv64-cross
// x86_64 also uses the *-amd64-cross packages (not the host's /usr/include) so that all five
// arches see the same header release and a host security update cannot change the output.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { staleFiles } = require('./generated-check');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'wasm', 'assembly', 'tables');
const EXTRA_TSV = path.join(ROOT, 'scripts', 'data', 'constants-extra.tsv');
const KERNEL_VERSION = '6.18.2';
const KERNEL_LABEL = `linux-${KERNEL_VERSION}`;

// minijail's gen_constants-inl.h set (errno, fcntl, fd, fs, loop, mman, net, prctl, sched,
// serial, sockios, termios, signal, resource, socket, stat, and audit via its arch.h), plus
// linux/random.h (GRND_*), and seccomp/capability/landlock for the jail-related arguments.
const HEADERS = [
  'errno.h', 'fcntl.h', 'linux/audit.h', 'linux/capability.h', 'linux/fd.h', 'linux/fs.h',
  'linux/landlock.h', 'linux/loop.h', 'linux/mman.h', 'linux/net.h', 'linux/prctl.h',
  'linux/random.h', 'linux/sched.h', 'linux/seccomp.h', 'linux/serial.h', 'linux/sockios.h',
  'linux/termios.h', 'signal.h', 'stddef.h', 'sys/mman.h', 'sys/resource.h', 'sys/socket.h',
  'sys/stat.h', 'sys/types.h',
];
const X86_HEADERS = ['asm/prctl.h']; // ARCH_SET_FS & co., as minijail includes it on x86 only.

// _GNU_SOURCE makes glibc define the Linux-specific names (O_PATH, O_LARGEFILE, F_SETPIPE_SZ,
// MAP_HUGETLB...). _FILE_OFFSET_BITS stays at glibc's default, so on 32-bit arches F_GETLK is the
// plain 5, not F_GETLK64, as in minijail's own table.
const PRELUDE = '#define _GNU_SOURCE 1\n';

// Kernel-only headers (no libc), for the names below and for names an extra row refers to that
// glibc's headers hide (F_LINUX_SPECIFIC_BASE is only in asm-generic/fcntl.h).
const UAPI_ONLY = ['linux/fcntl.h', 'linux/mman.h', 'linux/mount.h', 'linux/prctl.h', 'linux/sched.h',
  'linux/seccomp.h', 'linux/landlock.h'];

// Names whose table value is the kernel's, not glibc's. glibc defines O_LARGEFILE as 0 on 64-bit
// arches (it never passes the flag there); the kernel's bit (0x8000 on x86_64, 0x20000 on aarch64)
// is what a filter sees if any caller sets it, and what bionic and the raw syscall users pass.
const KERNEL_VALUES = ['O_LARGEFILE'];

const ARCHES = [
  {
    name: 'x86_64', triple: 'x86_64-linux-gnu', bits: 64, debian: 'amd64', x86: true,
    table: 'arch/x86/entry/syscalls/syscall_64.tbl', abis: ['common', '64'],
    why: 'the x32 ABI, common+x32 and 512-547, is left out',
  },
  {
    name: 'aarch64', triple: 'aarch64-linux-gnu', bits: 64, debian: 'arm64',
    table: 'scripts/syscall.tbl', abis: ['common', '64', 'renameat', 'rlimit', 'memfd_secret'],
    why: 'ABIs from arch/arm64/kernel/Makefile.syscalls',
    generic: ['__ARCH_WANT_RENAMEAT', '__ARCH_WANT_NEW_STAT', '__ARCH_WANT_SET_GET_RLIMIT',
      '__ARCH_WANT_MEMFD_SECRET'],
  },
  {
    name: 'arm', triple: 'arm-linux-gnueabihf', bits: 32, debian: 'armhf',
    table: 'arch/arm/tools/syscall.tbl', abis: ['common', 'eabi'],
    why: 'EABI', armPrivate: true,
  },
  {
    name: 'i386', triple: 'i686-linux-gnu', bits: 32, debian: 'i386', x86: true,
    table: 'arch/x86/entry/syscalls/syscall_32.tbl', abis: ['i386'],
    why: 'every row',
  },
  {
    name: 'riscv64', triple: 'riscv64-linux-gnu', bits: 64, debian: 'riscv64',
    table: 'scripts/syscall.tbl', abis: ['common', '64', 'riscv', 'rlimit', 'memfd_secret'],
    why: 'ABIs from arch/riscv/kernel/Makefile.syscalls',
    generic: ['__ARCH_WANT_NEW_STAT', '__ARCH_WANT_SET_GET_RLIMIT', '__ARCH_WANT_MEMFD_SECRET'],
  },
];

// __NR_* macros in headers that are counters or bases, not syscalls.
const NOT_SYSCALLS = new Set(['syscalls', 'arch_specific_syscall']);

function fail(msg) {
  process.stderr.write(`gen-tables: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { check: false, kernel: process.env.TSJAIL_KERNEL_DIR || path.resolve(ROOT, '..', 'shared', 'kernel', '6.18') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') opts.check = true;
    else if (argv[i] === '--kernel') opts.kernel = path.resolve(argv[++i] || '');
    else fail(`unknown argument ${argv[i]} (usage: gen-tables.js [--check] [--kernel DIR])`);
  }
  return opts;
}

// ---------------------------------------------------------------- tools and package versions

function findClang() {
  const names = process.env.CLANG ? [process.env.CLANG] : ['clang', 'clang-19', 'clang-18', 'clang-17', 'clang-16', 'clang-15', 'clang-14'];
  for (const n of names) {
    const r = spawnSync(n, ['-print-resource-dir'], { encoding: 'utf8' });
    if (r.status === 0) return { bin: n, resource: r.stdout.trim() };
  }
  return fail('clang not found (apt-get install clang-14, or set CLANG=...); see the header of this script');
}

function debianPackages(arch) {
  const names = [`linux-libc-dev-${arch.debian}-cross`, `libc6-dev-${arch.debian}-cross`];
  return names.map((n) => {
    const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', n], { encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout.trim()) fail(`Debian package ${n} is not installed (apt-get install ${n})`);
    return `${n} ${r.stdout.trim()}`;
  });
}

function includeDir(arch) {
  const dir = `/usr/${arch.triple}/include`;
  if (!fs.existsSync(path.join(dir, 'asm', 'unistd.h'))) fail(`${dir} has no asm/unistd.h (install the ${arch.debian}-cross headers)`);
  return dir;
}

// ---------------------------------------------------------------- clang evaluation

function clangArgs(clang, arch) {
  return [`--target=${arch.triple}`, '-nostdinc', '-isystem', includeDir(arch), '-isystem', path.join(clang.resource, 'include')];
}

function runClang(clang, args, input) {
  return spawnSync(clang.bin, args, { input, encoding: 'utf8', maxBuffer: 256 << 20 });
}

/** Macro definitions visible after `source`: name -> body (object-like macros only). */
function macros(clang, arch, source) {
  const r = runClang(clang, [...clangArgs(clang, arch), '-dM', '-E', '-x', 'c', '-'], source);
  if (r.status !== 0) fail(`clang -dM failed for ${arch.name}:\n${r.stderr}`);
  const out = new Map();
  for (const line of r.stdout.split('\n')) {
    const m = /^#define ([A-Za-z_][A-Za-z0-9_]*)(?: (.*))?$/.exec(line);
    if (m) out.set(m[1], m[2] || '');
  }
  return out;
}

/**
 * Evaluates each name as an integer constant expression for this arch. Names that do not compile
 * (function calls, undeclared struct types, empty macros) are dropped one clang run at a time;
 * names whose type is not integral (pointers such as SIG_DFL, strings, floats) are dropped after.
 * Returns name -> BigInt cut to the arch word.
 */
function evaluate(clang, arch, source, names) {
  let todo = [...names];
  const baseLines = source.split('\n').length;
  for (let round = 0; round < 50; round++) {
    let c = source + '\n';
    for (const n of todo) c += `const unsigned long long v_${n} = (unsigned long long)(${n}); const int k_${n} = __builtin_classify_type(${n});\n`;
    const r = runClang(clang, [...clangArgs(clang, arch), '-w', '-ferror-limit=0', '-S', '-emit-llvm', '-o', '-', '-x', 'c', '-'], c);
    if (r.status === 0) return readGlobals(r.stdout, arch.bits);
    const bad = new Set();
    for (const m of r.stderr.matchAll(/^<stdin>:(\d+):\d+: error:/gm)) {
      const idx = Number(m[1]) - baseLines - 1;
      if (idx < 0 || idx >= todo.length) fail(`clang error outside the candidate lines for ${arch.name}:\n${r.stderr.slice(0, 4000)}`);
      bad.add(todo[idx]);
    }
    if (bad.size === 0) fail(`clang failed for ${arch.name} without a located error:\n${r.stderr.slice(0, 4000)}`);
    todo = todo.filter((n) => !bad.has(n));
  }
  return fail(`clang evaluation for ${arch.name} did not converge`);
}

// __builtin_classify_type: 1 integer, 2 char, 3 enumeral, 4 boolean (5 pointer, 8 real, ...).
const INTEGRAL_CLASSES = new Set([1, 2, 3, 4]);

function readGlobals(ir, bits) {
  const vals = new Map();
  const kinds = new Map();
  for (const m of ir.matchAll(/^@([vk])_(\w+) = [^\n]*?constant i(?:64|32) (-?\d+)/gm)) {
    if (m[1] === 'v') vals.set(m[2], BigInt.asUintN(bits, BigInt(m[3])));
    else kinds.set(m[2], Number(m[3]));
  }
  const out = new Map();
  for (const [n, v] of vals) if (INTEGRAL_CLASSES.has(kinds.get(n))) out.set(n, v);
  return out;
}

// ---------------------------------------------------------------- syscalls

function readTable(kernel, rel, abis) {
  const text = fs.readFileSync(path.join(kernel, rel), 'utf8');
  const rows = [];
  for (const line of text.split('\n')) {
    const t = line.replace(/#.*/, '').trim();
    if (!t) continue;
    const [nr, abi, name] = t.split(/\s+/);
    if (!/^\d+$/.test(nr) || !name) fail(`${rel}: cannot parse row "${line}"`);
    if (abis.includes(abi)) rows.push({ name, nr: Number(nr) });
  }
  return rows;
}

/** ARM private calls and __NR_ aliases from the 6.18 arm uapi unistd.h (EABI: base 0). */
function readArmUnistd(kernel) {
  const rel = 'arch/arm/include/uapi/asm/unistd.h';
  const text = fs.readFileSync(path.join(kernel, rel), 'utf8');
  const baseDef = /#define __ARM_NR_BASE\s+\(__NR_SYSCALL_BASE\s*\+\s*(0x[0-9a-fA-F]+)\)/.exec(text);
  if (!baseDef) fail(`${rel}: __ARM_NR_BASE not found`);
  const base = Number(baseDef[1]);
  const privates = [];
  for (const m of text.matchAll(/^#define __ARM_NR_([a-z0-9_]+)\s+\(__ARM_NR_BASE\s*\+\s*(\d+)\)/gm)) {
    privates.push({ name: `ARM_${m[1]}`, nr: base + Number(m[2]) });
  }
  const aliases = [];
  for (const m of text.matchAll(/^#define __NR_([a-z0-9_]+)\s+__NR_([a-z0-9_]+)\s*$/gm)) aliases.push({ alias: m[1], target: m[2] });
  return { rel, privates, aliases };
}

/** name -> number of every __NR_x / __ARM_NR_x macro (minijail's naming) in a unistd header. */
function unistdNumbers(clang, arch, source) {
  const defs = macros(clang, arch, source);
  const cands = [];
  for (const n of defs.keys()) if (/^__(ARM_)?NR_[a-z0-9_]+$/.test(n)) cands.push(n);
  const vals = evaluate(clang, arch, source, cands);
  const out = new Map();
  for (const [n, v] of vals) {
    const m = /^__(ARM_)?NR_(.*)$/.exec(n);
    const name = (m[1] ? 'ARM_' : '') + m[2];
    if (!NOT_SYSCALLS.has(name)) out.set(name, Number(v));
  }
  return out;
}

function buildSyscalls(clang, kernel, arch, notes) {
  const rows = readTable(kernel, arch.table, arch.abis);
  const sources = [`${KERNEL_LABEL}/${arch.table} (ABIs ${arch.abis.join(', ')}; ${arch.why})`];
  const byName = new Map();
  for (const r of rows) {
    if (byName.has(r.name)) fail(`${arch.table}: ${r.name} appears twice for ${arch.name}`);
    byName.set(r.name, r.nr);
  }
  const aliases = [];
  if (arch.armPrivate) {
    const u = readArmUnistd(kernel);
    sources.push(`${KERNEL_LABEL}/${u.rel} (ARM private calls __ARM_NR_x as ARM_x, EABI base 0; __NR_ aliases)`);
    for (const p of u.privates) {
      byName.set(p.name, p.nr);
      rows.push(p);
    }
    for (const a of u.aliases) {
      if (!byName.has(a.target)) fail(`${u.rel}: alias ${a.alias} -> ${a.target}, which is not in the table`);
      aliases.push({ name: a.alias, nr: byName.get(a.target), target: a.target });
    }
  }

  // Cross-check 1: Debian's (Linux 6.1) <asm/unistd.h> for the same target. Each of its names
  // must be in the 6.18 table with the same number; a name the table spells differently is what
  // minijail (which reads __NR_* macros) accepts, so it becomes an alias.
  const deb = unistdNumbers(clang, arch, '#include <asm/unistd.h>\n');
  const have = new Map([...byName, ...aliases.map((a) => [a.name, a.nr])]);
  for (const [name, nr] of deb) {
    if (have.get(name) === nr) continue;
    if (have.has(name)) fail(`${arch.name}: ${name} is ${have.get(name)} in the 6.18 table but ${nr} in Debian's <asm/unistd.h>`);
    const target = rows.find((r) => r.nr === nr);
    if (!target) fail(`${arch.name}: Debian's <asm/unistd.h> has ${name} = ${nr}, which the 6.18 table lacks`);
    aliases.push({ name, nr, target: target.name });
    have.set(name, nr);
    notes.push(`${arch.name}: alias ${name} = ${target.name} (${nr}) found only in Debian's <asm/unistd.h>`);
  }
  sources.push(`Debian <asm/unistd.h> (Linux 6.1): every ${arch.armPrivate ? '__NR_*/__ARM_NR_*' : '__NR_*'} name agrees with the table`);

  // Cross-check 2 (generic-table arches): the 6.18 asm-generic/unistd.h with this arch's wants.
  if (arch.generic) {
    const rel = 'include/uapi/asm-generic/unistd.h';
    const src = arch.generic.map((w) => `#define ${w} 1\n`).join('') + `#include "${path.join(kernel, rel)}"\n`;
    const gen = unistdNumbers(clang, arch, src);
    for (const [name, nr] of gen) {
      if (have.get(name) !== nr) fail(`${arch.name}: ${rel} has ${name} = ${nr}, table has ${have.get(name)}`);
    }
    for (const r of rows) {
      if (!gen.has(r.name) && !(arch.name === 'riscv64' && r.name.startsWith('riscv_'))) {
        fail(`${arch.name}: ${r.name} (${r.nr}) is in ${arch.table} but not in ${rel}`);
      }
    }
    sources.push(`cross-checked with ${KERNEL_LABEL}/${rel} (${arch.generic.join(' ')})`);
  }

  const list = rows.map((r) => ({ name: r.name, nr: r.nr, alias: false }))
    .concat(aliases.map((a) => ({ name: a.name, nr: a.nr, alias: true, target: a.target })));
  // By number; the table's own name first so Arch.syscallName(nr) returns it.
  list.sort((a, b) => a.nr - b.nr || (a.alias - b.alias) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { list, sources, aliases };
}

// ---------------------------------------------------------------- constants

function buildConstants(clang, arch) {
  const headers = (arch.x86 ? X86_HEADERS : []).concat(HEADERS);
  const source = PRELUDE + headers.map((h) => `#include <${h}>\n`).join('');
  const defs = macros(clang, arch, source);
  const cands = [];
  for (const name of defs.keys()) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    if (name.startsWith('SIGRT')) continue; // glibc function calls; minijail drops them too.
    cands.push(name);
  }
  cands.sort();
  const values = evaluate(clang, arch, source, cands);
  const kernel = evaluate(clang, arch, UAPI_ONLY.map((h) => `#include <${h}>\n`).join(''), KERNEL_VALUES);
  for (const n of KERNEL_VALUES) {
    if (!kernel.has(n)) fail(`${arch.name}: ${n} is missing from the kernel headers`);
    values.set(n, kernel.get(n));
  }
  return { values, headers };
}

/** A tiny evaluator for the right-hand sides of simple uapi defines (numbers, << | + ~ - ()). */
function evalDefine(expr, known) {
  const src = expr.replace(/\/\*.*?\*\//g, '').trim();
  let i = 0;
  const peek = () => { while (src[i] === ' ' || src[i] === '\t') i++; return src[i]; };
  function atom() {
    const c = peek();
    if (c === '(') { i++; const v = or(); if (peek() !== ')') throw new Error(`bad expression ${expr}`); i++; return v; }
    if (c === '~') { i++; return ~atom(); }
    if (c === '-') { i++; return -atom(); }
    const m = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|^[A-Za-z_]\w*/.exec(src.slice(i));
    if (!m) throw new Error(`bad expression ${expr}`);
    i += m[0].length;
    if (m[1]) return BigInt(m[1].startsWith('0') && !/^0[xX]/.test(m[1]) && m[1].length > 1 ? '0o' + m[1].slice(1) : m[1]);
    if (!known.has(m[0])) throw new Error(`unknown name ${m[0]} in ${expr}`);
    return known.get(m[0]);
  }
  function shift() { let v = atom(); while (peek() === '<' && src[i + 1] === '<') { i += 2; v <<= atom(); } return v; }
  function add() { let v = shift(); while (peek() === '+') { i++; v += shift(); } return v; }
  function or() { let v = add(); while (peek() === '|') { i++; v |= add(); } return v; }
  const v = or();
  if (peek() !== undefined) throw new Error(`trailing text in ${expr}`);
  return v;
}

/**
 * Rows of constants-extra.tsv. Each row's cited 6.18 header line must define the name; its value
 * is checked per arch in checkExtra (a define may refer to a name from the arch's own headers,
 * such as F_LINUX_SPECIFIC_BASE in asm-generic/fcntl.h).
 */
function readExtras(kernel) {
  const rows = [];
  const headers = new Map();
  const text = fs.readFileSync(EXTRA_TSV, 'utf8');
  text.split('\n').forEach((line, n) => {
    if (!line.trim() || line.startsWith('#')) return;
    const where = `${path.relative(ROOT, EXTRA_TSV)}:${n + 1}`;
    const cols = line.split('\t');
    if (cols.length !== 4) fail(`${where}: want 4 tab-separated columns`);
    const [name, value, arches, source] = cols;
    const m = /^(include\/\S+):(\d+)$/.exec(source);
    if (!m) fail(`${where}: source must be include/<header>:<line> in the 6.18 tree`);
    if (!/^(-?\d+|0x[0-9a-f]+)$/.test(value)) fail(`${where}: value must be decimal or 0x-hex`);
    const file = path.join(kernel, m[1]);
    if (!headers.has(file)) headers.set(file, fs.readFileSync(file, 'utf8').split('\n'));
    const lines = headers.get(file);
    const cited = lines[Number(m[2]) - 1] || '';
    const d = new RegExp(`^#\\s*define\\s+${name}\\s+(.+?)\\s*(?:/\\*.*)?$`).exec(cited);
    if (!d) fail(`${where}: ${m[1]} line ${m[2]} does not define ${name}: "${cited}"`);
    rows.push({ name, value: BigInt(value), rhs: d[1], lines, where, source,
      arches: arches === 'all' ? null : arches.split(',') });
  });
  return rows;
}

/** Values of the names the extra rows mention that the arch's constant set lacks. */
function uapiHelpers(clang, arch, extras, archValues) {
  const wanted = new Set();
  for (const e of extras) for (const m of e.rhs.matchAll(/[A-Z][A-Z0-9_]*/g)) if (!archValues.has(m[0])) wanted.add(m[0]);
  if (wanted.size === 0) return new Map();
  const source = UAPI_ONLY.map((h) => `#include <${h}>\n`).join('');
  return evaluate(clang, arch, source, [...wanted].sort());
}

/** The extra row's value for this arch, from its header line; fails if the TSV disagrees. */
function checkExtra(e, archValues, helpers, bits) {
  const known = new Map([...helpers, ...archValues]);
  for (const l of e.lines) {
    const d = /^#\s*define\s+([A-Z][A-Z0-9_]*)\s+(.+?)\s*(?:\/\*.*)?$/.exec(l);
    if (d && !known.has(d[1])) { try { known.set(d[1], evalDefine(d[2], known)); } catch { /* not a plain number */ } }
  }
  let v;
  try { v = evalDefine(e.rhs, known); } catch (err) { fail(`${e.where}: ${err.message}`); }
  if (BigInt.asUintN(bits, v) !== BigInt.asUintN(bits, e.value)) fail(`${e.where}: ${e.name} is ${e.value} here but ${v} in ${e.source}`);
  return BigInt.asUintN(bits, v);
}

// ---------------------------------------------------------------- output

const hex = (v) => '0x' + v.toString(16);

function header(lines) {
  return lines.map((l) => (l ? `// ${l}` : '//')).join('\n') + '\n';
}

function renderArch(arch, sc, consts, common, pkgs, extrasUsed) {
  const own = [...consts.values.keys()].filter((n) => !common.has(n)).sort();
  const head = [
    `Generated by scripts/gen-tables.js (npm run gen:tables) for ${arch.name}. Do not edit.`,
    `Linux ${KERNEL_VERSION}, ${arch.bits}-bit argument words. Syscalls from:`,
    ...sc.sources.map((s) => `  ${s}`),
    ...(sc.aliases.length ? ['Aliases (names minijail also accepts): ' + sc.aliases.map((a) => `${a.name} = ${a.target}`).join(', ')] : []),
    `Constants: every all-caps integer macro of these headers, evaluated by clang --target=${arch.triple}`,
    `over Debian's cross headers (${pkgs.join(', ')}), cast to unsigned long:`,
    ...wrap(consts.headers.map((h) => `<${h}>`), 90).map((l) => `  ${l}`),
    `  with _GNU_SOURCE; SIGRT* and non-integer macros left out; ${KERNEL_VALUES.join(', ')} from the kernel headers alone.`,
    `Newer than those headers: scripts/data/constants-extra.tsv (${extrasUsed.length} here, values read from`,
    `${KERNEL_LABEL}/include).`,
    `CONSTANTS = the shared values of common.ts followed by the ${own.length} that are ${arch.name}'s own.`,
  ];
  const sys = sc.list.map((s) => `${s.name} ${s.nr}`).join('\n');
  const con = own.map((n) => `${n} ${hex(consts.values.get(n))}`).join('\n');
  return header(head) + '\n' +
    `import { COMMON_CONSTANTS } from './common';\n\n` +
    `/** Lines "name number", by number; the table's own name before any alias. */\n` +
    `export const SYSCALLS: string = \`\n${sys}\n\`;\n\n` +
    `/** Lines "NAME 0xhex" in this arch's word size: the shared set plus this arch's own values. */\n` +
    `export const CONSTANTS: string = COMMON_CONSTANTS + \`\n${con}\n\`;\n`;
}

function renderCommon(common, perArch) {
  const names = [...common.keys()].sort();
  const head = [
    'Generated by scripts/gen-tables.js (npm run gen:tables). Do not edit.',
    `Linux ${KERNEL_VERSION}. Constants whose name and value are the same on ${perArch.map((p) => p.arch.name).join(', ')},`,
    'stored once; each arch file prepends them to its own CONSTANTS. Evaluated per arch by clang over',
    ...wrap(HEADERS.map((h) => `<${h}>`), 90).map((l) => `  ${l}`),
    '  (and <asm/prctl.h> on x86) with _GNU_SOURCE, from Debian\'s cross headers:',
    ...perArch.map((p) => `  ${p.arch.name}: ${p.pkgs.join(', ')}`),
    `plus scripts/data/constants-extra.tsv (values read from ${KERNEL_LABEL}/include).`,
  ];
  return header(head) + '\n' +
    `/** Lines "NAME 0xhex", by name. */\n` +
    `export const COMMON_CONSTANTS: string = \`\n${names.map((n) => `${n} ${hex(common.get(n))}`).join('\n')}\n\`;\n`;
}

function wrap(words, width) {
  const out = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) { out.push(cur); cur = w; } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(cur);
  return out;
}

// ---------------------------------------------------------------- main

function generate(opts) {
  if (!fs.existsSync(path.join(opts.kernel, 'scripts', 'syscall.tbl'))) fail(`no Linux 6.18 tree at ${opts.kernel} (use --kernel DIR)`);
  const clang = findClang();
  const extras = readExtras(opts.kernel);
  const notes = [];
  const perArch = ARCHES.map((arch) => {
    const pkgs = debianPackages(arch);
    const sc = buildSyscalls(clang, opts.kernel, arch, notes);
    const consts = buildConstants(clang, arch);
    const extrasUsed = [];
    const helpers = uapiHelpers(clang, arch, extras, consts.values);
    for (const e of extras) {
      if (e.arches && !e.arches.includes(arch.name)) continue;
      const v = checkExtra(e, consts.values, helpers, arch.bits);
      const old = consts.values.get(e.name);
      if (old !== undefined && old !== v) fail(`${arch.name}: ${e.name} is ${hex(old)} in Debian's headers but ${hex(v)} in ${e.source}`);
      if (old === undefined) { consts.values.set(e.name, v); extrasUsed.push(e.name); }
    }
    return { arch, pkgs, sc, consts, extrasUsed };
  });
  const common = new Map();
  const [first, ...rest] = perArch;
  for (const [n, v] of first.consts.values) if (rest.every((p) => p.consts.values.get(n) === v)) common.set(n, v);
  const files = new Map();
  files.set(path.join(OUT_DIR, 'common.ts'), renderCommon(common, perArch));
  for (const p of perArch) files.set(path.join(OUT_DIR, `${p.arch.name}.ts`), renderArch(p.arch, p.sc, p.consts, common, p.pkgs, p.extrasUsed));
  return { files, notes, perArch, common };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { files, notes, perArch, common } = generate(opts);
  if (opts.check) {
    const stale = staleFiles(files, ROOT);
    if (stale.length) fail(`generated tables differ from the committed files (run npm run gen:tables):\n  ${stale.join('\n  ')}`);
    process.stdout.write(`gen-tables: ${files.size} files up to date\n`);
    return;
  }
  for (const [file, text] of files) fs.writeFileSync(file, text);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  for (const p of perArch) {
    process.stdout.write(`${p.arch.name}: ${p.sc.list.length} syscalls, ${p.consts.values.size} constants ` +
      `(${p.consts.values.size - common.size} own, ${p.extrasUsed.length} from constants-extra.tsv)\n`);
  }
  process.stdout.write(`common: ${common.size} constants\n`);
}

if (require.main === module) main();
module.exports = { generate, parseArgs, ARCHES, HEADERS };
