// The page's one door to tsjail/policy: a promise per request, answered by the policy worker
// (worker.ts). The rest of the page never imports tsjail/policy, so moving to another worker
// or API changes this module only.

import type { Method, Methods, Response } from './protocol';

export class PolicyClient {
  private worker: Worker;
  private next = 1;
  private waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(url: string) {
    this.worker = new Worker(url);
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

  call<M extends Method>(method: M, params: Methods[M][0]): Promise<Methods[M][1]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, params });
    });
  }
}
