// The page's client of the policy workers (ts/web/policy-client.ts), over a stand-in Worker that
// answers each request when the test says so: answers go to their own request, errors reject,
// and `latest` runs only the newest of the requests that waited behind a running one.

import { PolicyClient } from '../ts/web/policy-client';

interface Sent { id: number; method: string; params: unknown }

class FakeWorker {
  static last: FakeWorker;
  sent: Sent[] = [];
  /** The core messages (the compiled module, or null), apart from the requests. */
  cores: unknown[] = [];
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  constructor(readonly url: string) { FakeWorker.last = this; }
  postMessage(m: Sent | { core: unknown }): void {
    if ('core' in m) this.cores.push(m.core);
    else this.sent.push(m);
  }
  answer(id: number, result: unknown): void { this.onmessage!({ data: { id, result } }); }
  fail(id: number, error: string): void { this.onmessage!({ data: { id, error } }); }
}

const flush = () => new Promise((r) => setImmediate(r));

beforeAll(() => { (globalThis as unknown as { Worker: unknown }).Worker = FakeWorker; });
afterAll(() => { delete (globalThis as unknown as { Worker?: unknown }).Worker; });

const ws = (text: string) => ({ files: [['a.policy', text]] as Array<[string, string]>, main: 'a.policy', arch: 'x86_64' });

test('answers reach their own request, in any order; errors reject with the worker\'s message', async () => {
  const client = new PolicyClient('worker.js');
  const w = FakeWorker.last;
  expect(w.url).toBe('worker.js');
  const a = client.call('check', ws('a'));
  const b = client.call('check', ws('b'));
  const c = client.call('hover', { ...ws('c'), offset: 0 });
  expect(w.sent.map((m) => m.method)).toEqual(['check', 'check', 'hover']);
  w.answer(w.sent[1].id, ['B']);
  w.answer(w.sent[0].id, ['A']);
  w.fail(w.sent[2].id, 'no such file');
  await expect(a).resolves.toEqual(['A']);
  await expect(b).resolves.toEqual(['B']);
  await expect(c).rejects.toThrow('no such file');
});

test('latest: while one runs, only the newest waiting request is sent; the ones it replaced reject', async () => {
  const client = new PolicyClient('worker.js');
  const w = FakeWorker.last;
  const first = client.latest('lint', ws('1'));
  const second = client.latest('lint', ws('2'));
  const third = client.latest('lint', ws('3'));
  expect(w.sent.map((m) => (m.params as { files: string[][] }).files[0][1])).toEqual(['1']);
  await expect(second).rejects.toThrow('superseded');
  w.answer(w.sent[0].id, ['one']);
  await expect(first).resolves.toEqual(['one']);
  await flush();
  expect(w.sent.map((m) => (m.params as { files: string[][] }).files[0][1])).toEqual(['1', '3']);
  w.answer(w.sent[1].id, ['three']);
  await expect(third).resolves.toEqual(['three']);
  // Idle again: the next one is sent at once.
  const fourth = client.latest('lint', ws('4'));
  expect(w.sent).toHaveLength(3);
  w.answer(w.sent[2].id, []);
  await expect(fourth).resolves.toEqual([]);
});

test('every worker is sent the core once; null when the page cannot load it (here: no core.wasm to fetch)', async () => {
  const clients = [new PolicyClient('worker.js'), new PolicyClient('worker.js')];
  const w = FakeWorker.last;
  expect(clients).toHaveLength(2);
  for (let i = 0; i < 5 && w.cores.length === 0; i++) await flush();
  expect(w.cores).toEqual([null]);
});
