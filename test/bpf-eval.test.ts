// The supervisor's classic-BPF interpreter (native/parent/bpf_eval.c, through the addon's
// evaluateFilter) against the policy core's simulator, which test/kernel-agrees.test.ts ties
// to the kernel: the same x86_64 corpus policies (a slice), every syscall number with zero
// arguments and with argument values around the constants the program compares with, x32
// numbers and foreign arches; then mutated programs, where both must agree on whether the
// kernel would take the program at all and, when it would, on every verdict. The supervisor
// uses the interpreter to answer a later execve with the policy's own verdict.
import { corpusMissing, corpusRequest, corpusRows } from './helpers/corpus';
import { seccompDataBytes, insn, assemble } from './helpers/bpf';
import { loadCore, Core } from '../ts/policy/core';
import { loadAddon } from '../ts/jail/native';
import * as fs from 'fs';
import * as path from 'path';
import { NO_ADDON, describeUnless } from './fixtures/jail/helpers';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_BIT = 0x40000000;
const SLICE_STEP = 10;

const skip = NO_ADDON[0] ? NO_ADDON[1] : corpusMissing;
const d = skip ? describe.skip : describe;
if (skip) test.skip(`the BPF interpreter agrees with the simulator [skipped: ${skip}]`, () => undefined);

/** What the simulator says: the verdict, or null when the kernel would refuse the program. */
function simulated(core: Core, program: Uint8Array, data: Uint8Array): number | null {
  const r = JSON.parse(core.simulate(program, data)) as { ok: boolean; ret: number };
  return r.ok ? r.ret >>> 0 : null;
}

/** What the interpreter says, in the same terms. */
function evaluated(program: Uint8Array, data: Uint8Array): number | null {
  try {
    return loadAddon().evaluateFilter(program, data) >>> 0;
  } catch (e) {
    if ((e as Error).name !== 'TypeError') throw e;
    return null;
  }
}

/** Every constant a jump compares with (the interesting argument values). */
function jumpConstants(program: Uint8Array): number[] {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const out = new Set<number>();
  for (let i = 0; i < program.length; i += 8) {
    if ((view.getUint16(i, true) & 0x07) === 0x05) out.add(view.getUint32(i + 4, true));
  }
  return [...out];
}

// A small deterministic PRNG: the same cases every run (a failure is reproducible).
function prng(seed: number) {
  return (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
}

d('the BPF interpreter agrees with the simulator', () => {
  let core: Core;
  let maxNr = 0;
  const rows = skip ? [] : corpusRows();
  const byFile = new Map(rows.map((r) => [r.file, r]));
  const policies = rows.filter((r) => r.arch === 'x86_64' && r.file.endsWith('.policy')).map((r) => r.file).sort()
    .filter((_, i) => i % SLICE_STEP === 0);
  const programs: Uint8Array[] = [];

  beforeAll(async () => {
    core = await loadCore();
    const table = core.syscallTable('x86_64');
    maxNr = Math.max(...Object.values(JSON.parse(table!) as Record<string, number>));
    for (const file of policies) {
      const res = JSON.parse(core.compile(corpusRequest(core, byFile.get(file)!, byFile), 'x86_64', 0, ''));
      if (res.ok) programs.push(new Uint8Array(Buffer.from(res.program, 'hex')));
    }
  });

  test('the slice compiled', () => {
    expect(programs.length).toBeGreaterThan(policies.length / 2);
  });

  test('corpus programs: every syscall number, argument values around their constants, x32, other arches', () => {
    const rand = prng(0xb9f);
    let checked = 0;
    const mismatches: string[] = [];
    const check = (program: Uint8Array, p: number, data: Uint8Array, label: string) => {
      const want = simulated(core, program, data);
      const got = evaluated(program, data);
      checked++;
      if (want !== got && mismatches.length < 20) mismatches.push(`program ${p} ${label}: simulator ${want}, interpreter ${got}`);
    };
    programs.forEach((program, p) => {
      const consts = jumpConstants(program);
      const near = (c: number) => BigInt.asUintN(64, BigInt(c) + BigInt(rand(3) - 1));
      for (let nr = 0; nr <= maxNr + 1; nr++) {
        check(program, p, seccompDataBytes(nr, AUDIT_ARCH_X86_64), `nr ${nr}`);
        for (let k = 0; k < 3 && consts.length; k++) {
          const args = Array.from({ length: 6 }, () => (rand(2) ? near(consts[rand(consts.length)]) : BigInt(rand(1 << 30))));
          if (rand(4) === 0) args[rand(6)] |= BigInt(consts[rand(consts.length)]) << 32n;
          check(program, p, seccompDataBytes(nr, AUDIT_ARCH_X86_64, args), `nr ${nr} args ${args.join(',')}`);
        }
      }
      for (const n of [0, 1, 59, 231, 512, 520, 547]) check(program, p, seccompDataBytes((X32_BIT | n) >>> 0, AUDIT_ARCH_X86_64), `x32 ${n}`);
      for (const n of [3, 4, 11, 20, 252]) check(program, p, seccompDataBytes(n, AUDIT_ARCH_I386), `i386 ${n}`);
      check(program, p, seccompDataBytes(59, 0x12345678), 'an unknown arch');
    });
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(programs.length * maxNr);
  });

  test('mutated programs: the same programs refused, the same verdicts for the rest', () => {
    const rand = prng(0x5eed);
    let refused = 0;
    let accepted = 0;
    const mismatches: string[] = [];
    for (const [p, program] of programs.entries()) {
      for (let m = 0; m < 60; m++) {
        const bad = program.slice();
        for (let k = 0; k <= rand(3); k++) {
          const at = rand(bad.length / 8) * 8;
          const field = rand(4);
          if (field === 0) bad[at] = rand(256); // opcode low byte: class, size, mode, op
          else if (field === 1) bad[at + 2 + rand(2)] = rand(256); // jt or jf
          else if (field === 2) new DataView(bad.buffer).setUint32(at + 4, rand(2) ? rand(80) : rand(0x7fffffff), true); // k
          else bad[at + 1] = rand(2); // opcode high byte
        }
        for (const data of [seccompDataBytes(rand(maxNr), AUDIT_ARCH_X86_64, [BigInt(rand(100))]), seccompDataBytes(59, AUDIT_ARCH_X86_64)]) {
          const want = simulated(core, bad, data);
          const got = evaluated(bad, data);
          if (want === null) refused++;
          else accepted++;
          if (want !== got && mismatches.length < 20) mismatches.push(`program ${p} mutant ${m}: simulator ${want}, interpreter ${got}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // Both kinds happened, so each side of the comparison was exercised.
    expect(refused).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(100);
  });

});

// Needs only the core and the addon (no corpus).
describeUnless(NO_ADDON, [!fs.existsSync(path.join(__dirname, '../build/wasm/core.wasm')), 'build/wasm/core.wasm is not built'])('the BPF interpreter on hand-made programs', () => {
  let core: Core;
  beforeAll(async () => {
    core = await loadCore();
  });

  test('corner cases: arithmetic, scratch memory, division by a zero X, RET A, LEN loads, and what the kernel refuses', () => {
    const LD_W_ABS = 0x20, LD_IMM = 0x00, LDX_IMM = 0x01, ST = 0x02, STX = 0x03, LD_MEM = 0x60, LDX_MEM = 0x61;
    const ALU_DIV_X = 0x3c, ALU_ADD_K = 0x04, ALU_LSH_X = 0x6c, ALU_NEG = 0x84, TAX = 0x07, TXA = 0x87;
    const RET_A = 0x16, RET_K = 0x06, JA = 0x05, JSET_K = 0x45, LD_LEN = 0x80, LDX_LEN = 0x81;
    const cases: [string, ReturnType<typeof insn>[]][] = [
      ['division by a zero X returns 0', [insn(LD_IMM, 7), insn(LDX_IMM, 0), insn(ALU_DIV_X, 0), insn(RET_K, 0x7fff0000)]],
      ['shift by X is masked to 5 bits', [insn(LD_IMM, 1), insn(LDX_IMM, 33), insn(ALU_LSH_X, 0), insn(RET_A, 0)]],
      ['negation, TAX/TXA, scratch memory', [insn(LD_W_ABS, 0), insn(ALU_NEG, 0), insn(ST, 3), insn(LDX_MEM, 3), insn(TXA, 0),
        insn(ALU_ADD_K, 1), insn(TAX, 0), insn(STX, 4), insn(LD_MEM, 4), insn(RET_A, 0)]],
      ['LEN loads are sizeof(seccomp_data)', [insn(LD_LEN, 0), insn(LDX_LEN, 0), insn(ALU_ADD_K, 0), insn(RET_A, 0)]],
      ['JA and JSET', [insn(LD_W_ABS, 16), insn(JSET_K, 2, 1, 0), insn(JA, 1), insn(RET_K, 0x50001), insn(RET_K, 0x50002)]],
      ['refused: memory read before it is written', [insn(LD_MEM, 0), insn(RET_A, 0)]],
      ['refused: a load outside seccomp_data', [insn(LD_W_ABS, 64), insn(RET_A, 0)]],
      ['refused: an unaligned load', [insn(LD_W_ABS, 2), insn(RET_A, 0)]],
      ['refused: division by constant zero', [insn(LD_IMM, 1), insn(0x34, 0), insn(RET_A, 0)]],
      ['refused: the last instruction is not a return', [insn(LD_IMM, 1)]],
      ['refused: a jump out of the program', [insn(JA, 5), insn(RET_K, 0)]],
      ['refused: an opcode seccomp does not allow (LD B ABS)', [insn(0x30, 0), insn(RET_A, 0)]],
    ];
    for (const [label, insns] of cases) {
      const program = assemble(insns);
      for (const data of [seccompDataBytes(5, AUDIT_ARCH_X86_64, [2n]), seccompDataBytes(0, AUDIT_ARCH_X86_64, [0n])]) {
        const want = simulated(core, program, data);
        expect([label, evaluated(program, data)]).toEqual([label, want]);
        if (label.startsWith('refused')) expect(want).toBeNull();
        else expect(want).not.toBeNull();
      }
    }
  });
});
