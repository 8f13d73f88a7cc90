// Programs run through the core's simulator (the kernel's classic-BPF semantics, instructions
// counted), wrapped as metric Runners. A recording runner keeps every verdict so a second
// program can be checked call by call against the first on exactly the same inputs.
import { Core } from '../ts/policy/core';
import { AUDIT_ARCH_X86_64, Runner, seccompDataBytes } from './metric';

interface SimJson { ok: boolean; ret: number; action: string; insns: number; error?: string }

function simulateOne(core: Core, program: Uint8Array, nr: number, args: bigint[]): SimJson {
  const r = JSON.parse(core.simulate(program, seccompDataBytes(AUDIT_ARCH_X86_64, nr, args))) as SimJson;
  if (!r.ok) throw new Error(`simulator rejected the program: ${r.error ?? 'unknown error'}`);
  return r;
}

/** Runs `program` and records each call's 32-bit return value, in call order. */
export function recordingRunner(core: Core, program: Uint8Array): { run: Runner; rets: number[] } {
  const rets: number[] = [];
  const run: Runner = (nr, args) => {
    const r = simulateOne(core, program, nr, args);
    rets.push(r.ret >>> 0);
    return { action: r.action, insns: r.insns };
  };
  return { run, rets };
}

export interface Disagreement { nr: number; args: bigint[]; expected: number; got: number }

/**
 * Runs `program` and compares each call's return value with `expected` (a recording of the same
 * call sequence on another program). Only the first disagreement is kept; `count` has them all.
 */
export function comparingRunner(core: Core, program: Uint8Array, expected: number[]): { run: Runner; check: { count: number; first?: Disagreement } } {
  let i = 0;
  const check: { count: number; first?: Disagreement } = { count: 0 };
  const run: Runner = (nr, args) => {
    const r = simulateOne(core, program, nr, args);
    const want = expected[i++];
    if ((r.ret >>> 0) !== want) {
      check.count++;
      check.first ??= { nr, args: args.slice(), expected: want, got: r.ret >>> 0 };
    }
    return { action: r.action, insns: r.insns };
  };
  return { run, check };
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
