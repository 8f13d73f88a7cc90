// tsjail's Node entry: the jail API, plus the policy toolchain (also available browser-safe as
// `tsjail/policy`).
export * from './policy/index';
export { Jail } from './jail/jail';
export type { UserOptions, SpawnArgs, RunResult } from './jail/jail';
export { spawnJail, startJail, describeViolation, releaseIdleCgroups } from './jail/spawn';
export type { JailProcess, JailExit, JailViolation, SpawnOptions, StdioOption, ExitReason } from './jail/spawn';
export { JailError, errnoName } from './jail/errors';
export { STEPS } from './jail/steps';
export type { JailStep } from './jail/steps';
export { validateSpec, SpecError } from './jail/validate';
export { findProgram, ProgramLookupError, DEFAULT_PATH } from './jail/program';
export type { ProgramHost, ProgramProblem } from './jail/program';
export type * from './jail/spec';
export * from './policy-node/index';
// It was exported through policy-node before it moved to ts/node; callers keep finding it here.
export { describeFsError } from './node/system-errors';
