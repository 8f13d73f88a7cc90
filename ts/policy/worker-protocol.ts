// The messages between a page and tsjail/policy/worker: requests carry an id, a method of
// tsjail/policy and its arguments; each reply carries the same id and the method's result, or
// the error it threw. Everything crosses by structured clone (bigints, Uint8Arrays and Maps do;
// functions do not, so `files` is an object or a Map, never a resolver function).
// Type-only imports: the client bundle holds none of the API's code.

import type { initPolicy } from './core';
import type { compilePolicy, compilePolicyOrThrow } from './compile';
import type { analyzePolicy } from './analyze';
import type { lintPolicy } from './lint';
import type { formatPolicy } from './format';
import type { simulate, simulatePolicy } from './simulate';
import type { diffPolicies, verifyPolicy } from './verify';
import type { disassemble } from './disasm';
import type { exportOciProfile } from './oci-export';
import type { importOciProfile } from './oci-import';
import type { explainViolation } from './explain';
import type { arches, archInfo, syscallNames, constants } from './tables';
import type { Diagnostic } from './diagnostics';

/** The tsjail/policy functions a worker runs, by name: each the same function as the library's. */
export interface PolicyWorkerApi {
  initPolicy: typeof initPolicy;
  compilePolicy: typeof compilePolicy;
  compilePolicyOrThrow: typeof compilePolicyOrThrow;
  analyzePolicy: typeof analyzePolicy;
  lintPolicy: typeof lintPolicy;
  formatPolicy: typeof formatPolicy;
  simulate: typeof simulate;
  simulatePolicy: typeof simulatePolicy;
  diffPolicies: typeof diffPolicies;
  verifyPolicy: typeof verifyPolicy;
  disassemble: typeof disassemble;
  exportOciProfile: typeof exportOciProfile;
  importOciProfile: typeof importOciProfile;
  explainViolation: typeof explainViolation;
  arches: typeof arches;
  archInfo: typeof archInfo;
  syscallNames: typeof syscallNames;
  constants: typeof constants;
}

export type PolicyWorkerMethod = keyof PolicyWorkerApi;

/** Every method, in a fixed order (the client builds its methods from this list). */
export const POLICY_WORKER_METHODS: readonly PolicyWorkerMethod[] = [
  'initPolicy', 'compilePolicy', 'compilePolicyOrThrow', 'analyzePolicy', 'lintPolicy', 'formatPolicy', 'simulate', 'simulatePolicy', 'diffPolicies',
  'verifyPolicy', 'disassemble', 'exportOciProfile', 'importOciProfile', 'explainViolation', 'arches', 'archInfo', 'syscallNames',
  'constants',
];

export interface PolicyWorkerRequest<M extends PolicyWorkerMethod = PolicyWorkerMethod> {
  id: number;
  method: M;
  params: Parameters<PolicyWorkerApi[M]>;
}

/** An error thrown in the worker: its class name, message and, for a PolicyError, the core's located diagnostics. */
export interface PolicyWorkerErrorData {
  name: string;
  message: string;
  diagnostics?: Diagnostic[];
}

export type PolicyWorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: PolicyWorkerErrorData };
