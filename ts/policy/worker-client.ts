// tsjail/policy/client: the main-thread side of tsjail/policy/worker. Each method posts one
// request and returns a promise of the worker's answer, so a page calls the same functions as
// tsjail/policy, with the same arguments and results, without running the core itself.

import type { CoreSource } from './core';
import type { Diagnostic } from './diagnostics';
import { POLICY_WORKER_METHODS, PolicyWorkerApi, PolicyWorkerMethod, PolicyWorkerRequest, PolicyWorkerResponse } from './worker-protocol';

export type { PolicyWorkerApi, PolicyWorkerMethod, PolicyWorkerRequest, PolicyWorkerResponse, PolicyWorkerErrorData } from './worker-protocol';
export { POLICY_WORKER_METHODS } from './worker-protocol';

/** The worker's methods as promises (every tsjail/policy function it runs is already async). */
export type PolicyClient = {
  [M in Exclude<PolicyWorkerMethod, 'initPolicy'>]: (...params: Parameters<PolicyWorkerApi[M]>) => Promise<Awaited<ReturnType<PolicyWorkerApi[M]>>>;
} & {
  /** Resolves once the worker's core runs (rejects when it could not be loaded). */
  ready: Promise<void>;
  /** Stop the worker; pending calls reject. */
  terminate(): void;
};

/** What a call rejects with when the worker's function threw: its class name, message and diagnostics. */
export class PolicyWorkerError extends Error {
  /** The located diagnostics of a PolicyError, as the core reports them; [] for other errors. */
  readonly diagnostics: Diagnostic[];
  constructor(name: string, message: string, diagnostics: Diagnostic[] = []) {
    super(message);
    this.name = name;
    this.diagnostics = diagnostics;
  }
}

/** The part of a Worker the client uses (a Worker, or a MessagePort-like stand-in in tests). */
export interface WorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (ev: ErrorEvent) => void): void;
  terminate?(): void;
}

export interface ConnectOptions {
  /**
   * The core's .wasm (package export `tsjail/policy.wasm`): a URL, resolved against the page
   * (the worker would resolve it against its own script), or bytes, or a compiled module.
   */
  wasm: Exclude<CoreSource, Response | PromiseLike<Response>>;
}

/** Drive a worker started from tsjail/policy/worker: `new Worker(url, { type: 'module' })`. */
export function connectPolicyWorker(worker: WorkerLike, options: ConnectOptions): PolicyClient {
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.addEventListener('message', (ev: MessageEvent) => {
    const r = ev.data as PolicyWorkerResponse;
    const p = pending.get(r?.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok) p.resolve(r.result);
    else p.reject(new PolicyWorkerError(r.error.name, r.error.message, r.error.diagnostics));
  });
  // A worker that fails to load (wrong URL, a CSP refusal) reports it here, not per request.
  worker.addEventListener('error', (ev: ErrorEvent) => failAll(new Error(`tsjail worker failed: ${ev.message || 'could not start'}`)));

  function call(method: PolicyWorkerMethod, params: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const req: PolicyWorkerRequest = { id, method, params } as PolicyWorkerRequest;
      pending.set(id, { resolve, reject });
      try {
        worker.postMessage(req);
      } catch (e) {
        // Not cloneable (a `files` resolver function, say): this call fails, the worker is fine.
        pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  let wasm = options.wasm;
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (typeof wasm === 'string' || wasm instanceof URL) wasm = new URL(String(wasm), base).href;
  const client = {
    ready: call('initPolicy', [{ wasm }]) as Promise<void>,
    terminate() {
      worker.terminate?.();
      failAll(new Error('tsjail worker terminated'));
    },
  } as PolicyClient;
  for (const m of POLICY_WORKER_METHODS) {
    if (m === 'initPolicy') continue;
    (client as unknown as Record<string, unknown>)[m] = (...params: unknown[]) => call(m, params);
  }
  return client;
}
