// Loads the policy core once, lazily. The .wasm is inlined by esbuild's binary loader in the
// bundles (and by scripts/jest-transform.js in tests), so this works in Node and browsers.
import { instantiate } from '../../build/wasm/core.js';
import wasmBytes from '../../build/wasm/core.wasm';

export type Core = Awaited<ReturnType<typeof instantiate>>;

let corePromise: Promise<Core> | undefined;

/** The core's exports, compiled and instantiated on first use. */
export function loadCore(): Promise<Core> {
  corePromise ??= WebAssembly.compile(wasmBytes as Uint8Array).then((m) => instantiate(m, {}));
  return corePromise;
}
