// tsjail/policy: the browser-safe policy API over the WASM core. Nothing here (or below)
// imports Node modules; @include files come from a caller-given map or resolver.

export { compilePolicy, compilePolicyOrThrow } from './compile';
export type { CompileOptions, CompileResult } from './compile';
export { simulate, seccompData } from './simulate';
export type { SimulateOptions, SimulateResult, ActionName } from './simulate';
export { disassemble, decodeProgram } from './disasm';
export type { SockFilter } from './disasm';
export { arches, syscallNumber, syscallName, syscallNames, constantValue, closestName } from './tables';
export type { ArchName } from './tables';
export { PolicyError, InvalidProgramError, HostCode, formatDiagnostics } from './diagnostics';
export type { Diagnostic, RelatedLocation, Severity } from './diagnostics';
export { MAX_POLICY_FILES } from './includes';
export type { FileSource, FileResolver } from './includes';
export { CoreError } from './core';
