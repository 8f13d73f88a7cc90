// Semantic diff: crafted pairs with known differences (each found, nothing extra), equal
// policies written differently (no difference), and one-edit pairs made from corpus policies.
// Every reported region is replayed through both compiled programs by its example call, and
// a probe set checks that no differing call is missing.
import { compilePolicy, diffPolicies, simulate, PolicyDifference } from '../ts/policy';
import { corpusMissing, corpusPolicies, corpusTest, mainPath, readCorpus } from './helpers/corpus';

const ARCH = 'x86_64';

async function outcome(program: Uint8Array, nr: number, args: bigint[]): Promise<string> {
  const s = await simulate(program, { arch: ARCH, nr, args });
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
  });

  test('a 64-bit constant change is reported on the high word', async () => {
    const r = await diffPolicies('lseek: arg1 == 0x100000000\n', 'lseek: arg1 == 0x200000000\n', { arch: ARCH });
    expect(r.differences.map((d) => `${d.condition}: ${d.old} -> ${d.new}`).sort()).toEqual([
      'arg1 == 0x100000000: allow -> kill-process',
      'arg1 == 0x200000000: kill-process -> allow',
    ]);
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
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
