// core-bytes.ts for the bundles that load the core from a separate .wasm file (initPolicy).
export const inlinedCore: Uint8Array | undefined = undefined;
