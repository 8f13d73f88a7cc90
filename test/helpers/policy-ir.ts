// The meaning of analyzePolicy's typed IR (ts/policy/analyze.ts), as wasm/assembly/ir.ts
// evalIR defines it, for tests that compare it with what the compiled program does.
import type { PolicyIR } from '../../ts/policy/analyze';
import { atomHolds } from './ir-meaning';

/** The x32 syscall bit: such numbers take the bad-arch action on x86_64. */
const X32_BIT = 0x40000000;

/** The SECCOMP_RET_* value the IR gives one call. */
export function evalPolicyIR(ir: PolicyIR, auditArch: number, nr: number, args: readonly bigint[]): number {
  if (auditArch >>> 0 !== ir.auditArch >>> 0) return ir.badArchAction.ret;
  if (ir.arch === 'x86_64' && (nr & X32_BIT) !== 0) return ir.badArchAction.ret;
  const sc = ir.syscalls.find((s) => s.nr >>> 0 === nr >>> 0);
  if (!sc) return ir.defaultAction.ret;
  for (const rule of sc.rules) {
    if (rule.clauses.length === 0) return rule.action.ret;
    if (rule.clauses.some((c) => c.every((a) => atomHolds(a.op, a.value, args[a.arg] ?? 0n, ir.bits)))) return rule.action.ret;
  }
  return ir.defaultAction.ret;
}

/**
 * Inputs that tell one syscall's rules apart: all-zero arguments, and for each comparison its
 * argument at the value, one either side, the mask's bits and their complement, alone and with
 * the previous case's arguments kept (so conjunctions get satisfied).
 */
export function argumentCases(ir: PolicyIR, nr: number): bigint[][] {
  const sc = ir.syscalls.find((s) => s.nr === nr);
  const out: bigint[][] = [[0n, 0n, 0n, 0n, 0n, 0n]];
  if (!sc) return out;
  const word = ir.bits === 32 ? 0xffffffffn : (1n << 64n) - 1n;
  for (const rule of sc.rules) {
    for (const clause of rule.clauses) {
      const together = [0n, 0n, 0n, 0n, 0n, 0n];
      for (const c of clause) {
        const near = [c.value, c.value - 1n, c.value + 1n, c.mask ?? 0n, ~(c.mask ?? 0n)].map((v) => BigInt.asUintN(64, v) & word);
        for (const v of near) {
          const alone = [0n, 0n, 0n, 0n, 0n, 0n];
          alone[c.arg] = v;
          out.push(alone);
        }
        together[c.arg] = c.op === '&' ? (c.mask ?? c.value) : c.op === 'in' ? 0n : c.op === '>' ? (c.value + 1n) & word : c.op === '<' ? 0n : c.op === '!=' ? (c.value + 1n) & word : c.value;
        out.push([...together]);
      }
    }
  }
  return out;
}
