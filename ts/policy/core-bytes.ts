// The policy core's bytes, inlined by esbuild's binary loader (and by scripts/jest-transform.js
// in tests). The bundles of tsjail/policy/web and tsjail/policy/worker replace this module with
// core-bytes-none.ts (scripts/build-ts.js): they load the core from a separate .wasm file.
import wasmBytes from '../../build/wasm/core.wasm';

export const inlinedCore: Uint8Array | undefined = wasmBytes;
