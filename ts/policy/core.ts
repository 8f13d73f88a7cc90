// Loads the policy core once, lazily. The .wasm is inlined by esbuild's binary loader in the
// bundles (and by scripts/jest-transform.js in tests), so this works in Node and browsers.
import { instantiate } from '../../build/wasm/core.js';
import wasmBytes from '../../build/wasm/core.wasm';
import { CoreError } from './diagnostics';

export type Core = Awaited<ReturnType<typeof instantiate>>;

let modulePromise: Promise<WebAssembly.Module> | undefined;
let corePromise: Promise<Core> | undefined;

/** The core's exports, compiled and instantiated on first use. */
export function loadCore(): Promise<Core> {
  modulePromise ??= WebAssembly.compile(wasmBytes as Uint8Array<ArrayBuffer>);
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
