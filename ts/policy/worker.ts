// tsjail/policy/worker: the policy API in a module worker, so a page keeps compiling off its
// main thread. Each request runs the library's own function (worker-protocol.ts lists them);
// the first should be initPolicy({ wasm }), as this bundle inlines no core.

import { initPolicy } from './core';
import { compilePolicy, compilePolicyOrThrow } from './compile';
import { analyzePolicy } from './analyze';
import { lintPolicy } from './lint';
import { formatPolicy } from './format';
import { simulate, simulatePolicy } from './simulate';
import { diffPolicies, verifyPolicy } from './verify';
import { disassemble } from './disasm';
import { exportOciProfile } from './oci-export';
import { importOciProfile } from './oci-import';
import { explainViolation } from './explain';
import { arches, archInfo, syscallNames, constants } from './tables';
import { POLICY_WORKER_METHODS, PolicyWorkerApi, PolicyWorkerErrorData, PolicyWorkerRequest, PolicyWorkerResponse } from './worker-protocol';

const api: PolicyWorkerApi = {
  initPolicy, compilePolicy, compilePolicyOrThrow, analyzePolicy, lintPolicy, formatPolicy, simulate, simulatePolicy, diffPolicies, verifyPolicy,
  disassemble, exportOciProfile, importOciProfile, explainViolation, arches, archInfo, syscallNames, constants,
};

function errorData(e: unknown): PolicyWorkerErrorData {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const diagnostics = (e as { diagnostics?: unknown }).diagnostics;
  return { name: e.name, message: e.message, ...(Array.isArray(diagnostics) ? { diagnostics } : {}) };
}

/** Answer one request: the method's result, or what it threw. */
export async function handleRequest(req: PolicyWorkerRequest): Promise<PolicyWorkerResponse> {
  const id = req?.id;
  try {
    if (!POLICY_WORKER_METHODS.includes(req.method)) throw new TypeError(`tsjail worker: unknown method "${String(req.method)}"`);
    if (!Array.isArray(req.params)) throw new TypeError(`tsjail worker: ${req.method}: params must be an array`);
    const fn = api[req.method] as (...a: unknown[]) => unknown;
    return { id, ok: true, result: await fn(...req.params) };
  } catch (e) {
    return { id, ok: false, error: errorData(e) };
  }
}

// The worker global, typed as far as this file uses it (the DOM lib has no worker types).
interface WorkerScope {
  addEventListener(type: 'message', listener: (ev: { data: PolicyWorkerRequest }) => void): void;
  postMessage(message: PolicyWorkerResponse): void;
}
declare const self: WorkerScope;

// Only inside a worker: tests import this module in Node, which has no worker global.
const scope = (globalThis as { WorkerGlobalScope?: abstract new () => unknown }).WorkerGlobalScope;
if (scope !== undefined && self instanceof scope) {
  self.addEventListener('message', (ev) => {
    void handleRequest(ev.data).then((r) => self.postMessage(r));
  });
}
