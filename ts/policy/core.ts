// Loads the policy core once, lazily: from the bytes inlined in the bundle (core-bytes.ts), or
// from what initPolicy was given (a URL, a Response, bytes or a compiled module), which is how
// the tsjail/policy/web and tsjail/policy/worker bundles, with nothing inlined, get it.
import { instantiate } from '../../build/wasm/core.js';
import { inlinedCore } from './core-bytes';
import { CoreError } from './diagnostics';

export type Core = Awaited<ReturnType<typeof instantiate>>;

/**
 * Where the core's .wasm comes from: a URL (fetched, and compiled while it streams in), a
 * Response (or a promise of one, as `fetch` returns), its bytes, or an already compiled module.
 */
export type CoreSource = string | URL | Response | PromiseLike<Response> | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

export interface InitOptions {
  wasm: CoreSource;
}

let modulePromise: Promise<WebAssembly.Module> | undefined;
let corePromise: Promise<Core> | undefined;

async function compileResponse(response: Response): Promise<WebAssembly.Module> {
  if (!response.ok) throw new Error(`tsjail: cannot load the policy core from ${response.url || 'the response'}: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      // Compiles while the bytes arrive; needs the server to send Content-Type: application/wasm.
      return await WebAssembly.compileStreaming(response.clone());
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      // Another Content-Type (TypeError): compile the whole body instead, as the bytes are the same.
    }
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

async function compileSource(source: CoreSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer) return WebAssembly.compile(source);
  if (ArrayBuffer.isView(source)) return WebAssembly.compile(new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice());
  if (typeof source === 'string' || source instanceof URL) return compileResponse(await fetch(source));
  if (typeof (source as PromiseLike<Response>).then === 'function') return compileResponse(await source);
  if (typeof Response === 'function' && source instanceof Response) return compileResponse(source);
  throw new TypeError('initPolicy: options.wasm must be a URL, a Response, the .wasm bytes or a WebAssembly.Module');
}

/**
 * Load the policy core from `options.wasm` (required by tsjail/policy/web and the worker, which
 * inline nothing; elsewhere it replaces the inlined core). Resolves once the core runs; rejects
 * when it cannot be fetched or compiled, leaving the core used before (if any) in use.
 */
export async function initPolicy(options: InitOptions): Promise<void> {
  if (!options || options.wasm === undefined || options.wasm === null) throw new TypeError('initPolicy: options.wasm is required');
  const before = { modulePromise, corePromise };
  const compiled = compileSource(options.wasm);
  modulePromise = compiled;
  corePromise = undefined;
  try {
    await loadCore();
  } catch (e) {
    // The core in use before (if any) stays in use.
    if (modulePromise === compiled) ({ modulePromise, corePromise } = before);
    throw e;
  }
}

/** The core's exports, compiled and instantiated on first use. */
export function loadCore(): Promise<Core> {
  if (!modulePromise) {
    if (!inlinedCore) {
      return Promise.reject(new Error('tsjail: the policy core is not loaded: call initPolicy({ wasm }) first (this bundle does not inline it)'));
    }
    modulePromise = WebAssembly.compile(inlinedCore as Uint8Array<ArrayBuffer>);
  }
  corePromise ??= modulePromise.then((m) => instantiate(m, { env: {} }));
  return corePromise;
}

/**
 * Call the core. A trap can leave the AssemblyScript runtime mid-allocation, so the instance
 * is dropped and the next call gets a fresh one (the compiled module is kept).
 */
export async function withCore<T>(fn: (core: Core) => T): Promise<T> {
  const core = await loadCore();
  try {
    return fn(core);
  } catch (e) {
    corePromise = undefined;
    throw new CoreError(`policy core failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
