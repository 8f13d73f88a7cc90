// The libseccomp peer: a policy's IR (the core's analyze) translated into libseccomp rules,
// compiled by bench/peers/libseccomp-gen.c (libseccomp 2.5.x, SCMP_FLTATR_CTL_OPTIMIZE 1 or 2).
// The translation is exact or refused: anything libseccomp's rule model cannot say as written
// (two comparisons of one argument in a clause) is reported instead of approximated.
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import type { IRComparison, PolicyIR } from '../ts/policy/analyze';
import { ROOT } from './paths';

type IRAtom = IRComparison;

/** One libseccomp comparison: (arg OP value), or for meq (arg & mask) == value. */
interface Cmp { arg: number; op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'meq'; value: bigint; mask: bigint }

const M64 = (1n << 64n) - 1n;
const SIMPLE_OPS: Record<string, Cmp['op']> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

/** An atom as alternatives of single comparisons (their OR); [] = never true. */
function atomAlternatives(a: IRAtom): Cmp[] | string {
  const v = a.value & M64;
  const simple = SIMPLE_OPS[a.op];
  if (simple) return [{ arg: a.arg, op: simple, value: v, mask: 0n }];
  if (a.op === 'in') return [{ arg: a.arg, op: 'meq', value: 0n, mask: ~v & M64 }];
  if (a.op === '&') {
    // (arg & v) != 0 is the OR over v's bits of (arg & bit) == bit.
    const out: Cmp[] = [];
    for (let b = 0n; b < 64n; b++) if ((v >> b) & 1n) out.push({ arg: a.arg, op: 'meq', value: 1n << b, mask: 1n << b });
    return out;
  }
  return `operator ${a.op} has no libseccomp comparison`;
}

export interface Translation {
  /** The rules file for libseccomp-gen, or undefined when the policy cannot be said exactly. */
  rules?: string;
  /** Why not, when rules is undefined. */
  reason?: string;
  ruleCount: number;
}

const hex = (v: bigint | number) => BigInt(v).toString(16);

/**
 * Rules per syscall in IR order. Rules whose action is the default are left out (libseccomp
 * refuses them); rules after an unconditional one are dead under first-match and dropped.
 * libseccomp has no rule order, so overlapping rules with different actions may come out
 * differently: callers check the result (behaviour on every metric call, and the verifier).
 */
export function translate(ir: PolicyIR): Translation {
  const def = ir.defaultAction.ret >>> 0;
  const lines = [`default ${hex(def)}`, `badarch ${hex(ir.badArchAction.ret >>> 0)}`];
  let ruleCount = 0;
  for (const sc of ir.syscalls) {
    for (const rule of sc.rules) {
      const ret = rule.action.ret >>> 0;
      const unconditional = rule.clauses.length === 0;
      if (ret !== def) {
        if (unconditional) {
          lines.push(`rule ${hex(sc.nr)} ${hex(ret)} 0`);
          ruleCount++;
        } else {
          for (const clause of rule.clauses) {
            let products: Cmp[][] = [[]];
            for (const atom of clause) {
              const alts = atomAlternatives(atom);
              if (typeof alts === 'string') return { reason: `${sc.name}: ${alts}`, ruleCount: 0 };
              const next: Cmp[][] = [];
              for (const p of products) for (const c of alts) next.push([...p, c]);
              products = next;
              if (products.length > 4096) return { reason: `${sc.name}: a clause expands to more than 4096 libseccomp rules`, ruleCount: 0 };
            }
            for (const p of products) {
              const args = new Set(p.map((c) => c.arg));
              if (args.size !== p.length) {
                return { reason: `${sc.name} (line ${rule.span.line}): two comparisons of one argument in a clause (libseccomp allows one per argument per rule)`, ruleCount: 0 };
              }
              lines.push(`rule ${hex(sc.nr)} ${hex(ret)} ${p.length}` + p.map((c) => ` ${c.arg} ${c.op} ${hex(c.value)} ${hex(c.mask)}`).join(''));
              ruleCount++;
            }
          }
        }
      }
      if (unconditional) break;
    }
  }
  return { rules: lines.join('\n') + '\n', ruleCount };
}

/** Builds bench/peers/libseccomp-gen.c when the binary is missing or older than its source. */
export function buildGenerator(outDir: string): string {
  const src = path.join(ROOT, 'bench/peers/libseccomp-gen.c');
  const bin = path.join(outDir, 'libseccomp-gen');
  mkdirSync(outDir, { recursive: true });
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, src, '-lseccomp'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return bin;
}

/** libseccomp's version as the installed library reports it (seccomp_version()). */
export function libseccompVersion(): string {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libseccomp-dev'], { encoding: 'utf8' });
    return out.trim();
  } catch {
    return 'unknown';
  }
}

export interface GenResult { program?: Uint8Array; error?: string }

/** Compile a rules file with libseccomp at the given optimisation level (1 = linear, 2 = binary tree). */
export function generate(bin: string, rules: string, optimize: 1 | 2, outFile: string): GenResult {
  const r = spawnSync(bin, [String(optimize), outFile], { input: rules, encoding: 'utf8' });
  if (r.status !== 0) return { error: `libseccomp-gen exit ${r.status}: ${(r.stderr || '').trim()}` };
  return { program: new Uint8Array(readFileSync(outFile)) };
}
