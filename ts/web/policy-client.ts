// The page's one door to tsjail/policy: a promise per request, answered by the policy worker
// (worker.ts). The rest of the page never imports tsjail/policy, so moving to another worker
// or API changes this module only.

import type { Method, Methods, Response } from './protocol';

let sharedCore: Promise<WebAssembly.Module | null> | undefined;

/**
 * The policy core, downloaded and compiled once for all the page's workers (a compiled module
 * can be posted to a worker), instead of once per worker. null if that failed: each worker then
 * loads core.wasm itself and reports its own error with every request.
 */
function compiledCore(): Promise<WebAssembly.Module | null> {
  sharedCore ??= fetch('core.wasm').then(async (response) => {
    if (!response.ok) return null;
    try {
      return await WebAssembly.compileStreaming(response.clone());
    } catch {
      return WebAssembly.compile(await response.arrayBuffer());
    }
  }).catch(() => null);
  return sharedCore;
}

export class PolicyClient {
  private worker: Worker;
  private next = 1;
  private waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  constructor(url: string) {
    this.worker = new Worker(url);
    // Requests go at once; the worker holds them until the core arrives (worker.ts).
    void compiledCore().then((core) => this.worker.postMessage({ core }));
    this.worker.onmessage = (e: MessageEvent<Response>) => {
      const w = this.waiting.get(e.data.id);
      if (!w) return;
      this.waiting.delete(e.data.id);
      if ('error' in e.data) w.reject(new Error(e.data.error));
      else w.resolve(e.data.result);
    };
    this.worker.onerror = (e) => {
      const err = new Error(`the policy worker failed: ${e.message}`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
  }

  private busy = false;
  private queued?: { run(): void; drop(): void };

  /**
   * Like call, but while one such call runs only the newest waits behind it: the ones it replaces
   * are rejected unrun. For work that is stale once the text changes (lint on a large policy
   * takes a second or more: one per pause in typing would pile up).
   */
  latest<M extends Method>(method: M, params: Methods[M][0]): Promise<Methods[M][1]> {
    return new Promise((resolve, reject) => {
      const run = () => {
        this.busy = true;
        this.call(method, params).then(resolve, reject).finally(() => {
          this.busy = false;
          const next = this.queued;
          this.queued = undefined;
          next?.run();
        });
      };
      if (!this.busy) return run();
      this.queued?.drop();
      this.queued = { run, drop: () => reject(new Error('superseded by a newer request')) };
    });
  }

  call<M extends Method>(method: M, params: Methods[M][0]): Promise<Methods[M][1]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, params });
    });
  }
}
