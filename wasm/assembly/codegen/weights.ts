// Dispatch weights: how often the search tree (search.ts) should expect each listed syscall.
//
// With @frequency data the weights are its counts (times the class factor below). Without it,
// a uniform weight alone places the calls by class only, and real programs pay for it: their
// hot calls (read, openat, close, newfstatat, mmap...) sit as deep as calls they never make. So
// the weight mixes two distributions over the policy's listed calls, each scaled to the same
// total: the class-weighted uniform one (most of the mass: it is what the uniform allowed mean
// measures) and a built-in prior, the syscall shares of recorded real programs
// (tables/prior.ts, made by scripts/gen-syscall-prior.js). docs/codegen.md ("Dispatch") has
// the measurements behind each constant.

import { Arch } from '../tables/index';
import { LineScanner } from '../tables/nametable';
import { SYSCALL_PRIOR } from '../tables/prior';

export const CLASS_ALLOW: i32 = 0;
/** Calls with argument rules: their code loads and tests arguments after the dispatch. */
export const CLASS_CONDITIONAL: i32 = 1;
/** Listed calls that always fail (errno, trap, kill...). */
export const CLASS_REJECT: i32 = 2;

/** Share of the weight that is uniform over the listed calls (the rest follows the prior). */
export const UNIFORM_SHARE: f64 = 0.9;
/**
 * Uniform part, calls with argument rules: hot in practice (mmap, mprotect, ioctl, futex,
 * fcntl) and their paths are already the longest.
 */
export const CONDITIONAL_WEIGHT: f64 = 4.0;
/** Uniform part, listed rejections: rarely worth a shallow place. */
export const REJECT_WEIGHT: f64 = 0.5;
/**
 * Prior part, calls with argument rules: the recorded programs made these calls with the
 * arguments the rules are about, and the rules' cases weigh on the conditional mean.
 */
export const PRIOR_CONDITIONAL: f64 = 4.0;
/** Prior part, listed rejections. */
export const PRIOR_REJECT: f64 = 0.5;

/** Arch name -> (nr -> prior share per million); each built on first use and kept. */
const priorByArch = new Map<string, Map<i32, f64>>();

function priorShares(arch: Arch): Map<i32, f64> {
  if (priorByArch.has(arch.name)) return priorByArch.get(arch.name);
  const m = new Map<i32, f64>();
  const table = arch.syscalls;
  const lines = new LineScanner(SYSCALL_PRIOR);
  while (lines.next()) {
    const at = table.indexOf(lines.name);
    if (at < 0) continue; // a name this arch does not have
    const nr = table.values[at];
    if (!m.has(nr)) m.set(nr, <f64>lines.value);
  }
  priorByArch.set(arch.name, m);
  // Outlives the call that first asked (wasm/assembly/rt/arena.ts).
  arenaKeep();
  return m;
}

function classFactor(cls: i32): f64 {
  return cls == CLASS_CONDITIONAL ? CONDITIONAL_WEIGHT : cls == CLASS_REJECT ? REJECT_WEIGHT : 1.0;
}

function priorFactor(cls: i32): f64 {
  return cls == CLASS_CONDITIONAL ? PRIOR_CONDITIONAL : cls == CLASS_REJECT ? PRIOR_REJECT : 1.0;
}

/**
 * Weights of the listed syscalls `nrs` (classes `classes`, @frequency counts `freq`, 1 where
 * none is given). `hasFrequency`: @frequency gave at least one of them a count other than 1;
 * then the counts decide alone, as the author measured them.
 */
export function dispatchWeights(arch: Arch, nrs: i32[], classes: i32[], freq: f64[], hasFrequency: bool): f64[] {
  const n = nrs.length;
  const out = new Array<f64>(n);
  let classSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    out[i] = freq[i] * classFactor(classes[i]);
    classSum += out[i];
  }
  if (hasFrequency) return out;
  const prior = priorShares(arch);
  const p = new Array<f64>(n);
  let priorSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    p[i] = (prior.has(nrs[i]) ? prior.get(nrs[i]) : 0.0) * priorFactor(classes[i]);
    priorSum += p[i];
  }
  if (priorSum <= 0) return out; // none of the listed calls was recorded: uniform alone
  // The same total as the uniform weights, so the gap weight (dispatch.ts) keeps its meaning.
  const scale = (1.0 - UNIFORM_SHARE) * classSum / priorSum;
  for (let i = 0; i < n; i++) out[i] = UNIFORM_SHARE * out[i] + scale * p[i];
  return out;
}
