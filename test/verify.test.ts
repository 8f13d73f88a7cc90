// The symbolic verifier (wasm/assembly/verify): proofs on every corpus policy, and a
// mutation suite in which every broken program is caught with a counterexample that the
// simulator and the kernel both confirm.
import { InvalidProgramError, compilePolicy, simulate, seccompData, verifyPolicy } from '../ts/policy';
import { loadCore } from '../ts/policy/core';
import { corpusMissing, corpusPolicies, corpusResolver, corpusRows, corpusTest, mainPath, readCorpus } from './helpers/corpus';
import { fileSet, verifyCore } from './helpers/core-json';
import { oracleUnavailable, runOracle, expectedFromSimulator, outcomeKey } from './helpers/oracle';
import { Insn, assemble, readInsns } from './helpers/bpf';

const SUPPORTED = new Set(['x86_64', 'aarch64', 'arm', 'i386', 'riscv64']);

describe('verify: corpus', () => {
  const policies = !corpusMissing ? corpusPolicies().filter((p) => SUPPORTED.has(p.arch)) : [];
  const byFile = new Map((!corpusMissing ? corpusRows() : []).map((p) => [p.file, p]));
  corpusTest('every compiled corpus policy is proven equal to its program (all arches)', async () => {
    let proven = 0;
    const failures: string[] = [];
    for (const p of policies) {
      const r = await compilePolicy(readCorpus(p.file), { arch: p.arch, path: mainPath(p), files: corpusResolver(p, byFile), verify: true });
      if (r.ok) { proven++; continue; }
      // Policies that do not compile are the front end's business (corpus-compile test); a
      // verification failure is ours.
      const v = r.diagnostics.find((d) => d.code === 5001);
      if (v) failures.push(`${p.file} (${p.arch}): ${v.message}`);
    }
    expect(failures).toEqual([]);
    expect(proven).toBeGreaterThan(600);
  });
});

// ---- mutation suite ----

const isCondJump = (c: number) => (c & 7) === 5 && (c & 0xf0) !== 0;
const isRet = (c: number) => (c & 7) === 6;
const isLoad = (c: number) => c === 0x20;

interface Mutant { kind: string; at: number; program: Insn[] }

/** Deliberately broken variants: flipped jump, wrong constant, dropped high-word check, swapped action. */
function mutants(prog: Insn[]): Mutant[] {
  const out: Mutant[] = [];
  const rets = [...new Set(prog.filter((x) => isRet(x.code)).map((x) => x.k >>> 0))];
  prog.forEach((x, i) => {
    const copy = () => prog.map((y) => ({ ...y }));
    if (isCondJump(x.code) && x.jt !== x.jf) {
      const m = copy(); [m[i].jt, m[i].jf] = [m[i].jf, m[i].jt]; out.push({ kind: 'flipped jump', at: i, program: m });
      const c = copy(); c[i].k = (c[i].k + 1) >>> 0; out.push({ kind: 'wrong constant', at: i, program: c });
      // A comparison right after loading an argument's high word: make it always pass.
      if (i > 0 && isLoad(prog[i - 1].code) && prog[i - 1].k >= 16 && prog[i - 1].k % 8 === 4) {
        const d = copy(); d[i].jf = d[i].jt; out.push({ kind: 'dropped high-word check', at: i, program: d });
      }
    }
    if (isRet(x.code) && rets.length > 1) {
      const s = copy(); s[i].k = rets.find((k) => k !== (x.k >>> 0))!; out.push({ kind: 'swapped action', at: i, program: s });
    }
  });
  return out;
}

/** Inputs around every constant the program compares with (the simulator's evidence set). */
function probeInputs(prog: Insn[]): Array<{ nr: number; args: bigint[] }> {
  const consts = new Set<number>([0, 1, 0xffffffff]);
  for (const x of prog) if (isCondJump(x.code)) for (const d of [-1, 0, 1]) consts.add((x.k + d) >>> 0);
  const nrs = [...consts].filter((c) => c < 1000 || (c & 0x40000000) !== 0);
  const out: Array<{ nr: number; args: bigint[] }> = [];
  for (const nr of nrs) {
    out.push({ nr, args: [0n, 0n, 0n, 0n, 0n, 0n] });
    for (let a = 0; a < 3; a++) {
      for (const c of consts) {
        for (const v of [BigInt(c), BigInt(c) << 32n, BigInt(c) | (1n << 32n)]) {
          const args = [0n, 0n, 0n, 0n, 0n, 0n];
          args[a] = v;
          out.push({ nr, args });
        }
      }
    }
  }
  return out;
}

const POLICY = [
  'read: allow',
  'write: arg0 == 1 || arg0 == 2',
  'openat: arg2 & O_CREAT; return EACCES',
  'mmap: arg2 in ~PROT_EXEC',
  'ioctl: arg1 == TCGETS || arg1 == FIONREAD || arg1 == 0x100000001',
  'lseek: arg1 > 0x100000000 && arg2 <= 2',
  'close: return EPERM',
  'getpid: trap',
  'exit_group: allow',
].join('\n') + '\n';

describe('verify: mutation suite', () => {
  const skipKernel = oracleUnavailable();

  test('every deliberately broken program is caught, and each counterexample is confirmed', async () => {
    const set = fileSet('mut.policy', POLICY);
    const good = await compilePolicy(POLICY, { arch: 'x86_64', path: 'mut.policy' });
    expect(good.ok).toBe(true);
    const orig = readInsns(good.program);
    const base = await verifyCore(set, 'x86_64', good.program);
    expect(base.verify?.status).toBe('proven');

    const all = mutants(orig);
    expect(all.length).toBeGreaterThan(20);
    const kinds = new Set<string>();
    let broken = 0;
    const kernelChecks: Array<{ program: Uint8Array; nr: number; args: bigint[]; expect: { kind: string; data: number }; label: string }> = [];
    // The simulator's evidence set, built once: seccomp_data bytes and the correct program's result.
    const core = await loadCore();
    // A deterministic stride keeps it to ~2000 probes; verify's own counterexamples are checked separately.
    const allProbes = probeInputs(orig);
    const stride = Math.max(1, Math.floor(allProbes.length / 2000));
    const probes = allProbes.filter((_, i) => i % stride === 0).map((inp) => seccompData(inp.nr, 0xc000003e, 0n, inp.args));
    const expected = probes.map((d) => JSON.parse(core.simulate(good.program, d)).ret);
    for (const m of all) {
      const bytes = assemble(m.program);
      // Is it really broken? The simulator looks for a differing input among the probes.
      const differs = probes.some((d, i) => JSON.parse(core.simulate(bytes, d)).ret !== expected[i]);
      const v = (await verifyCore(set, 'x86_64', bytes)).verify!;
      const label = `${m.kind} at ${m.at}`;
      if (differs) {
        broken++;
        kinds.add(m.kind);
        expect({ label, status: v.status }).toEqual({ label, status: 'mismatch' });
      }
      if (v.status === 'mismatch') {
        // The counterexample is real: the mutant and the correct program disagree on it.
        const ce = v.counterexample!;
        const args = ce.args.map((s) => BigInt(s));
        const data = seccompData(ce.nr, ce.arch, BigInt(ce.ip), args);
        const sm = JSON.parse(core.simulate(bytes, data));
        const sg = JSON.parse(core.simulate(good.program, data));
        expect({ label, ret: sm.ret >>> 0 }).toEqual({ label, ret: ce.programRet >>> 0 });
        expect({ label, ret: sg.ret >>> 0 }).toEqual({ label, ret: ce.policyRet >>> 0 });
        if (ce.arch === 0xc000003e) kernelChecks.push({ program: bytes, nr: ce.nr, args, expect: expectedFromSimulator(sm), label });
      } else {
        expect({ label, status: v.status }).toEqual({ label, status: 'proven' });
      }
    }
    expect(broken).toBeGreaterThan(10);
    expect([...kinds].sort()).toEqual(['dropped high-word check', 'flipped jump', 'swapped action', 'wrong constant']);

    // The kernel confirms each counterexample on the broken program.
    if (skipKernel) { console.warn(`kernel confirmation skipped: ${skipKernel}`); return; }
    for (const k of kernelChecks) {
      const [res] = runOracle(k.program, [{ nr: k.nr, args: k.args }]);
      expect({ label: k.label, got: outcomeKey(res) }).toEqual({ label: k.label, got: outcomeKey(k.expect as any) });
    }
  });

  test('a foreign compiler\'s view: programs for another policy are rejected with the rule involved', async () => {
    const a = await compilePolicy('read: allow\nwrite: arg0 == 1\n', { arch: 'x86_64', path: 'a.policy' });
    const v = (await verifyCore(fileSet('b.policy', 'read: allow\nwrite: arg0 == 2\n'), 'x86_64', a.program)).verify!;
    expect(v.status).toBe('mismatch');
    expect(v.counterexample!.syscall).toBe('write');
    expect(['0x1', '0x2']).toContain(v.counterexample!.args[0]);
  });

  test('a program that is not whole instructions is refused, never replaced by tsjail\'s own', async () => {
    // The core reads an empty program as "compile the policy yourself": an empty file must not be "proven".
    for (const program of [new Uint8Array(0), new Uint8Array(12)]) {
      await expect(verifyPolicy('read: allow\n', { arch: 'x86_64', path: 'p.policy', program })).rejects.toThrow(InvalidProgramError);
    }
  });

  test('32-bit arches compare only the low word, and the proof knows it', async () => {
    for (const arch of ['i386', 'arm']) {
      const text = 'read: arg0 == 0xffffffff || arg1 > 5\nwrite: arg2 in 0x3\n';
      const r = await compilePolicy(text, { arch, path: 'p.policy', verify: true });
      expect(r.diagnostics.map((d) => d.formatted)).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });
});

// ---- no cliffs: masked conditions and joins ----

/** Calls to `nrs` around every constant `prog` compares with, each of the six arguments varied alone (both words). */
function sampleCalls(prog: Insn[], nrs: number[], max: number): Array<{ nr: number; args: bigint[] }> {
  const consts = new Set<number>([0, 1, 0xffffffff]);
  for (const x of prog) if (isCondJump(x.code)) for (const d of [-1, 0, 1]) consts.add((x.k + d) >>> 0);
  const all: Array<{ nr: number; args: bigint[] }> = [];
  for (const nr of nrs) {
    all.push({ nr, args: Array(6).fill(0n) }, { nr, args: Array(6).fill((1n << 64n) - 1n) });
    for (let a = 0; a < 6; a++) {
      for (const c of consts) {
        for (const v of [BigInt(c), BigInt(c) << 32n, BigInt(c) | (1n << 32n)]) {
          const args = Array(6).fill(0n);
          args[a] = v;
          all.push({ nr, args });
        }
      }
    }
  }
  const stride = Math.max(1, Math.floor(all.length / max));
  return all.filter((_, i) => i % stride === 0);
}

describe('verify: no budget cliff', () => {
  const skipKernel = oracleUnavailable();
  // Masked conditions on several words used to multiply the paths (one part per bit of every
  // mask test that held) until the budget ran out on this correct program.
  const TWO_RULES = [
    'read: {arg1 <= 0x4; return 38, arg2 > 3; kill-thread}',
    'fsconfig: {arg3 in 0x2e4c || arg2 <= 1 && arg4 in 0x300000003 || arg1 in 5; kill-process, arg5 in 0xcebc; allow}',
  ].join('\n') + '\n';
  const MASKED = [
    'fsconfig: {arg0 & 0xf0f0 && arg1 & 0xff00ff || arg2 in 0xfff && arg3 & 0x30003 || arg4 & 0xff0000000000; kill-process, arg5 & 0xcebc && arg1 in 0xffff0000ffff; allow, arg2 & 0x101 || arg3 & 0x10001 || arg0 & 0x1010; return 1}',
    'ioctl: {arg1 & 0x1 && arg2 & 0x2 && arg3 & 0x4 && arg4 & 0x8 && arg5 & 0x10; allow, arg0 & 0xffffffffffff || arg1 & 0xf0f0f0f0f0; return 2}',
    'read: {arg1 <= 0x4; return 38, arg2 > 3; kill-thread}',
  ].join('\n') + '\n';

  for (const [name, text] of [['the two-rule fsconfig policy', TWO_RULES], ['mask tests on every argument', MASKED]] as const) {
    test(`${name}: proven, compile --verify accepts it, and the kernel agrees on sampled calls`, async () => {
      const v = await verifyPolicy(text, { arch: 'x86_64', path: 'p.policy' });
      expect({ status: v.status, reason: v.reason }).toEqual({ status: 'proven', reason: undefined });
      const r = await compilePolicy(text, { arch: 'x86_64', path: 'p.policy', verify: true });
      expect(r.diagnostics.map((d) => d.formatted)).toEqual([]);
      expect(r.ok).toBe(true);
      if (skipKernel) { console.warn(`kernel check skipped: ${skipKernel}`); return; }
      const core = await loadCore();
      const nrs = [0, 16, 431]; // read, ioctl, fsconfig
      const calls = sampleCalls(readInsns(r.program), nrs, 400);
      expect(calls.length).toBeGreaterThan(100);
      const results = runOracle(r.program, calls);
      calls.forEach((c, i) => {
        const sim = JSON.parse(core.simulate(r.program, seccompData(c.nr, 0xc000003e, 0n, c.args)));
        const label = `nr ${c.nr} args ${c.args.map((a) => a.toString(16)).join(',')}`;
        expect({ label, got: outcomeKey(results[i]) }).toEqual({ label, got: outcomeKey(expectedFromSimulator(sim)) });
      });
    });
  }
});
