// The policy worker: every call into tsjail/policy runs here, off the page's main thread, so
// typing stays responsive while a large policy compiles. One request at a time, answered in order.
// The ops take a workspace whose include lookup is a function (by path, else by file name) and
// answer with view-shaped data, so they run here rather than through tsjail/policy/worker's
// protocol, which carries only structured-clonable arguments to single library calls.

import { initPolicy } from '../policy/index';
import { build } from './program-ops';
import { check, complete, hover, lint } from './edit-ops';
import { diff } from './diff-ops';
import { exportFile } from './export-ops';
import type { CoreMessage, Method, Methods, Request, Response } from './protocol';
import { whatIf } from './whatif-ops';

type Handlers = { [M in Method]: (params: Methods[M][0]) => Promise<Methods[M][1]> };

const handlers: Handlers = { check, lint, complete, hover, build, whatIf, diff, export: exportFile };

// The worker global as this module needs it (the DOM lib has no worker types).
declare const self: {
  location: { href: string };
  onmessage: ((e: { data: Request | CoreMessage }) => void) | null;
  postMessage(m: Response, transfer?: unknown[]): void;
};

// The core is its own file beside this script (core.wasm), not a base64 copy inside it. The
// page compiles it once and sends every worker the module (policy-client.ts); requests that
// come before it wait. Sent null (the page could not compile it), the worker fetches the file
// itself, and a failure there is what every request reports.
let provideCore: (core: WebAssembly.Module | null) => void = () => undefined;
const coreReady = new Promise<WebAssembly.Module | null>((resolve) => (provideCore = resolve))
  .then((core) => initPolicy({ wasm: core ?? new URL('core.wasm', self.location.href) }));
// A failure is reported by every request (below); this only keeps it from being "unhandled".
coreReady.catch(() => undefined);

let queue = Promise.resolve();
self.onmessage = (e) => {
  if ('core' in e.data) {
    provideCore(e.data.core);
    return;
  }
  const { id, method, params } = e.data;
  queue = queue.then(async () => {
    try {
      await coreReady;
      const handler = handlers[method] as (p: unknown) => Promise<unknown>;
      if (!handler) throw new Error(`unknown method ${String(method)}`);
      self.postMessage({ id, result: await handler(params) });
    } catch (err) {
      self.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
};
