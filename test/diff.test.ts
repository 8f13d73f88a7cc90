// Semantic diff: crafted pairs with known differences (each found, nothing extra), equal
// policies written differently (no difference), and one-edit pairs made from corpus policies.
// Every reported region is replayed through both compiled programs by its example call, and
// a probe set checks that no differing call is missing.
import { compilePolicy, diffPolicies, simulate, ArgValues, DiffResult, PolicyDifference } from '../ts/policy';
import { corpusMissing, corpusPolicies, corpusTest, mainPath, readCorpus } from './helpers/corpus';

const ARCH = 'x86_64';

async function outcome(program: Uint8Array, nr: number, args: bigint[], arch = ARCH): Promise<string> {
  const s = await simulate(program, { arch, nr, args });
  return s.action === 'errno' ? `errno ${s.data}` : s.action === 'trap' || s.action === 'trace' ? (s.data ? `${s.action} ${s.data}` : s.action) : s.action;
}

/** Checks both directions of "exactly": every region is real, no probed difference is unreported. */
async function checkExact(oldText: string, newText: string, diffs: PolicyDifference[], probeArgs: bigint[], files?: (p: string) => string | undefined, path = 'p.policy') {
  const a = await compilePolicy(oldText, { arch: ARCH, path, files });
  const b = await compilePolicy(newText, { arch: ARCH, path, files });
  expect(a.ok && b.ok).toBe(true);
  for (const d of diffs) {
    const args = d.example.args.map((x) => BigInt(x));
    expect({ d: d.condition, old: await outcome(a.program, d.example.nr, args) }).toEqual({ d: d.condition, old: d.old });
    expect({ d: d.condition, new: await outcome(b.program, d.example.nr, args) }).toEqual({ d: d.condition, new: d.new });
  }
  const reported = new Set(diffs.map((d) => `${d.example.nr}:${d.old}->${d.new}`));
  for (let nr = 0; nr < 460; nr++) {
    for (let argi = 0; argi < 4; argi++) {
      for (const v of probeArgs) {
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[argi] = v;
        const o = await outcome(a.program, nr, args);
        const n = await outcome(b.program, nr, args);
        if (o !== n) expect(reported.has(`${nr}:${o}->${n}`) || `${nr} ${o}->${n} unreported`).toBe(true);
      }
    }
  }
}

describe('diff: crafted pairs', () => {
  const base = [
    'read: allow',
    'write: arg0 == 1 || arg0 == 2',
    'ioctl: arg1 == TCGETS || arg1 == FIONREAD',
    'openat: arg2 & O_CREAT; return EACCES',
    'mmap: arg2 in ~PROT_EXEC',
    'close: return EPERM',
  ].join('\n') + '\n';

  test('equal meaning written differently: reordered, reformatted, redundant', async () => {
    const same = [
      '# the same policy, reordered and restated',
      'mmap:    arg2 in ~PROT_EXEC',
      '{close}: return EPERM',
      'ioctl: arg1 == FIONREAD || arg1 == TCGETS || arg1 == TCGETS',
      'openat: arg2 & O_CREAT; return EACCES',
      'write: arg0 == 2 || arg0 == 1 || arg0 == 1 && arg1 == 7',
      'read: 1',
    ].join('\n') + '\n';
    const r = await diffPolicies(base, same, { arch: ARCH });
    expect(r.ok).toBe(true);
    expect(r.complete).toBe(true);
    expect(r.differences).toEqual([]);
  });

  const cases: Array<[string, string, Array<[string, string, string]>]> = [
    ['a rule removed', base.replace('close: return EPERM\n', ''), [['close', 'errno 1', 'kill-process']]],
    ['a constant changed', base.replace('arg0 == 2', 'arg0 == 3'), [['write', 'allow', 'kill-process'], ['write', 'kill-process', 'allow']]],
    ['an action changed', base.replace('return EPERM', 'return EACCES'), [['close', 'errno 1', 'errno 13']]],
    ['a syscall added', base + 'getpid: allow\n', [['getpid', 'kill-process', 'allow']]],
    ['a flag test widened', base.replace('arg2 in ~PROT_EXEC', 'allow'), [['mmap', 'kill-process', 'allow']]],
    ['an ioctl added', base.replace('arg1 == TCGETS ||', 'arg1 == TCGETS || arg1 == TIOCGWINSZ ||'), [['ioctl', 'kill-process', 'allow']]],
  ];
  test.each(cases)('%s', async (_name, changed, expected) => {
    const r = await diffPolicies(base, changed, { arch: ARCH });
    expect(r.ok).toBe(true);
    const got = [...new Set(r.differences.map((d) => `${d.syscall}|${d.old}|${d.new}`))].sort();
    expect(got).toEqual(expected.map((e) => e.join('|')).sort());
    await checkExact(base, changed, r.differences, [0n, 1n, 2n, 3n, 0x40n, 0x5401n, 0x5413n, 0x541bn, 4n, 6n, 1n << 32n]);
    await checkRegions(base, changed, r);
  });

  test('a 64-bit constant change is one whole-argument value', async () => {
    const r = await diffPolicies('lseek: arg1 == 0x100000000\n', 'lseek: arg1 == 0x200000000\n', { arch: ARCH });
    expect(r.differences.map((d) => `${d.condition}: ${d.old} -> ${d.new}`).sort()).toEqual([
      'arg1 == 0x100000000: allow -> kill-process',
      'arg1 == 0x200000000: kill-process -> allow',
    ]);
  });
});

function inValues(v: ArgValues, x: bigint): boolean {
  return x >= v.min && x <= v.max && (x & v.mask) === v.bits && !v.not.includes(x) && v.anyOf.every((m) => (x & m) !== 0n);
}

/** Whether a call (nr, args) lies in the region of a difference, read from its per-argument sets alone. */
function inRegion(d: PolicyDifference, nr: number, args: bigint[]): boolean {
  if (d.scope !== 'syscall' || d.nr !== nr) return false;
  return d.args.every((a) => (a.values ? inValues(a.values, args[a.arg])
    : inValues(a.words!.high, args[a.arg] >> 32n) && inValues(a.words!.low, args[a.arg] & 0xffffffffn)));
}

/** Values of one argument set near its edges: members (inside) and non-members (outside). */
function edgeValues(v: ArgValues, max: bigint): { inside: bigint[]; outside: bigint[] } {
  const near = [v.min, v.max, v.min + 1n, v.max - 1n, (v.min + v.max) / 2n, v.min - 1n, v.max + 1n, ...v.not, ...v.not.map((x) => x + 1n)];
  for (const m of [v.mask, ...v.anyOf]) for (let bit = 1n; bit <= max; bit <<= 1n) if (m & bit) near.push(v.min ^ bit, v.min | bit, v.min & ~bit);
  const fit = near.map((x) => (x & ~v.mask) | v.bits).map((x) => v.anyOf.reduce((y, m) => ((y & m) !== 0n ? y : y | (m & -m)), x));
  const all = [...new Set([...near, ...fit])].filter((x) => x >= 0n && x <= max);
  return { inside: all.filter((x) => inValues(v, x)), outside: all.filter((x) => !inValues(v, x)) };
}

/**
 * The simulator is the oracle for every region: calls inside it (each constrained argument at
 * its edges, the others at the example's values) get the region's two outcomes; calls just
 * outside it either get the same outcome from both policies or lie in another listed region.
 */
async function checkRegions(oldText: string, newText: string, r: DiffResult, arch = ARCH, bits = 64): Promise<number> {
  const a = await compilePolicy(oldText, { arch });
  const b = await compilePolicy(newText, { arch });
  expect(a.ok && b.ok).toBe(true);
  const max = bits === 32 ? 0xffffffffn : (1n << 64n) - 1n;
  let probes = 0;
  for (const d of r.differences) {
    if (d.scope !== 'syscall') continue;
    const example = d.example.args.map((x) => BigInt(x));
    expect({ c: d.condition, inside: inRegion(d, d.nr!, example) }).toEqual({ c: d.condition, inside: true });
    for (const c of d.args) {
      expect(c.values).not.toBeNull();
      const { inside, outside } = edgeValues(c.values!, max);
      expect(inside.length).toBeGreaterThan(0);
      for (const x of inside) {
        const args = example.slice();
        args[c.arg] = x;
        const got = { c: d.condition, x, old: await outcome(a.program, d.nr!, args, arch), new: await outcome(b.program, d.nr!, args, arch) };
        expect(got).toEqual({ c: d.condition, x, old: d.old, new: d.new });
        probes++;
      }
      for (const x of outside) {
        const args = example.slice();
        args[c.arg] = x;
        const o = await outcome(a.program, d.nr!, args, arch), n = await outcome(b.program, d.nr!, args, arch);
        const other = r.differences.find((e) => inRegion(e, d.nr!, args));
        if (o === n) expect({ c: d.condition, x, listed: other?.condition }).toEqual({ c: d.condition, x, listed: undefined });
        else expect({ c: d.condition, x, o, n, listed: other ? [other.old, other.new] : 'no region lists it' }).toEqual({ c: d.condition, x, o, n, listed: [o, n] });
        probes++;
      }
    }
  }
  return probes;
}

describe('diff: regions per whole argument, with constant names', () => {
  const old = [
    'read: arg0 != 5',
    'write: arg0 == 1',
    'openat: arg2 == O_RDONLY',
    'ioctl: arg1 == TCGETS',
    'socket: arg0 == AF_UNIX',
    'mmap: arg2 in ~PROT_EXEC',
    'lseek: arg1 < 0x100000005',
    'fcntl: arg1 == F_GETFL',
  ].join('\n') + '\n';
  const widened = [
    'read: allow',
    'write: arg0 >= 1',
    'openat: arg2 == O_RDONLY || arg2 == O_RDONLY|O_CLOEXEC',
    'ioctl: arg1 == TCGETS || arg1 == FIONREAD',
    'socket: arg0 == AF_UNIX || arg0 == AF_INET',
    'mmap: allow',
    'lseek: allow',
    'fcntl: arg1 == F_GETFL || arg1 == F_SETFD && arg2 == FD_CLOEXEC',
  ].join('\n') + '\n';

  test('a policy against a widened copy: each change one region, named, that simulate agrees with', async () => {
    const r = await diffPolicies(old, widened, { arch: ARCH });
    expect(r.ok && r.complete).toBe(true);
    expect(r.arch).toBe('x86_64');
    expect(r.differences.map((d) => `${d.arch} ${d.syscall}: ${d.condition}: ${d.old} -> ${d.new}`)).toEqual([
      'x86_64 read: arg0 == 5: kill-process -> allow',
      'x86_64 write: arg0 >= 2: kill-process -> allow',
      'x86_64 lseek: arg1 >= 0x100000005: kill-process -> allow',
      'x86_64 mmap: arg2 & PROT_EXEC: kill-process -> allow',
      'x86_64 ioctl: arg1 == FIONREAD: kill-process -> allow',
      'x86_64 socket: arg0 == AF_INET: kill-process -> allow',
      'x86_64 fcntl: arg1 == F_SETFD && arg2 == FD_CLOEXEC: kill-process -> allow',
      'x86_64 openat: arg2 == O_RDONLY|O_CLOEXEC: kill-process -> allow',
    ]);
    const write = r.differences.find((d) => d.syscall === 'write')!;
    expect(write.args).toEqual([{ arg: 0, text: 'arg0 >= 2', values: { min: 2n, max: (1n << 64n) - 1n, mask: 0n, bits: 0n, not: [], anyOf: [] } }]);
    expect(await checkRegions(old, widened, r)).toBeGreaterThan(50);
    // The other direction: the same regions with the outcomes swapped.
    const back = await diffPolicies(widened, old, { arch: ARCH });
    expect(back.differences.map((d) => `${d.condition}: ${d.old} -> ${d.new}`)).toEqual(r.differences.map((d) => `${d.condition}: ${d.new} -> ${d.old}`));
    await checkRegions(widened, old, back);
  });

  test('a 32-bit arch: arguments are 32-bit values', async () => {
    const r = await diffPolicies('write: arg0 == 1\nopenat: arg2 & O_CREAT; return EACCES\n', 'write: arg0 >= 1\nopenat: allow\n', { arch: 'i386' });
    expect(r.arch).toBe('i386');
    expect(r.differences.map((d) => `${d.syscall}: ${d.condition}: ${d.old} -> ${d.new}`)).toEqual([
      'write: arg0 >= 2: kill-process -> allow',
      'openat: (arg2 & O_CREAT) == 0: errno 13 -> allow',
    ]);
    expect(r.differences[0].args[0].values?.max).toBe(0xffffffffn);
    await checkRegions('write: arg0 == 1\nopenat: arg2 & O_CREAT; return EACCES\n', 'write: arg0 >= 1\nopenat: allow\n', r, 'i386', 32);
  });
});

describe('diff: one-edit pairs from corpus policies', () => {
  const all = !corpusMissing ? corpusPolicies().filter((p) => p.arch === 'x86_64' && p.includes.length === 0) : [];
  // A deterministic handful with argument filters, so all three kinds of edit apply.
  const picked = all.filter((p) => /arg\d\s*==\s*\w+/.test(readCorpus(p.file))).filter((_, i) => i % 15 === 0).slice(0, 6);

  function edits(text: string): Array<[string, string, string]> {
    const lines = text.split('\n');
    const out: Array<[string, string, string]> = [];
    const plain = lines.findIndex((l) => /^\s*[a-z_0-9]+\s*:\s*(1|allow)\s*(#.*)?$/.test(l));
    if (plain >= 0) {
      const name = lines[plain].split(':')[0].trim();
      out.push(['rule removed', lines.filter((_, i) => i !== plain).join('\n'), name]);
      out.push(['action changed', lines.map((l, i) => (i === plain ? `${name}: return EPERM` : l)).join('\n'), name]);
    }
    const argLine = lines.findIndex((l) => /^\s*[a-z_0-9]+\s*:.*arg\d\s*==\s*(0x[0-9a-fA-F]+|\d+)/.test(l));
    if (argLine >= 0) {
      const name = lines[argLine].split(':')[0].trim();
      const changed = lines[argLine].replace(/(arg\d\s*==\s*)(0x[0-9a-fA-F]+|\d+)/, (_m, p, v) => `${p}${BigInt(v) + 1n}`);
      out.push(['constant changed', lines.map((l, i) => (i === argLine ? changed : l)).join('\n'), name]);
    }
    return out;
  }

  corpusTest('each edit is found, on its syscall, and nothing else', async () => {
    let checked = 0;
    for (const p of picked) {
      const text = readCorpus(p.file);
      // Policies that do not compile are the corpus-compile test's subject, not this one's.
      if (!(await compilePolicy(text, { arch: ARCH, path: mainPath(p) })).ok) continue;
      for (const [kind, changed, name] of edits(text)) {
        const r = await diffPolicies(text, changed, { arch: ARCH, path: mainPath(p) });
        expect({ p: p.file, kind, ok: r.ok }).toEqual({ p: p.file, kind, ok: true });
        const syscalls = new Set(r.differences.map((d) => d.syscall));
        // The constant edit can be absorbed by a neighbouring rule (v+1 already allowed): then no difference.
        if (kind !== 'constant changed') expect({ p: p.file, kind, syscalls: [...syscalls] }).toEqual({ p: p.file, kind, syscalls: [name] });
        else expect([...syscalls].every((s) => s === name)).toBe(true);
        await checkExact(text, changed, r.differences, [0n, 1n, 3n, 0x5401n], undefined, mainPath(p));
        await checkRegions(text, changed, r);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
