// tsjail/policy: the browser-safe policy API over the WASM core. Nothing here (or below)
// imports Node modules; @include files come from a caller-given map or resolver.

export { initPolicy } from './core';
export type { CoreSource, InitOptions } from './core';
export { compilePolicy, compilePolicyOrThrow } from './compile';
export type { ArchSlice, CompileOptions, CompileResult, VerifyReport } from './compile';
export { analyzePolicy } from './analyze';
export type {
  AnalyzeOptions, PolicyAnalysis, PolicyIR, IRSyscall, IRRule, IRComparison, IRAction, ComparisonOp,
} from './analyze';
export type { PolicyOptions, PolicyFiles } from './request';
export { formatPolicy } from './format';
export { lintPolicy } from './lint';
export type { LintResult } from './lint';
export type { FormatResult } from './format';
export { simulate, simulatePolicy, seccompData } from './simulate';
export { resolveArgValue, parseInteger } from './values';
export type { ArgValue, ResolvedValue } from './values';
export type { SimulateOptions, SimulateResult, SimulatePolicyOptions, SimulatePolicyResult, SimulatedCall } from './simulate';
export { disassemble, decodeProgram } from './disasm';
export { toCHeader } from './c-header';
export type { SockFilter } from './disasm';
export { arches, archInfo, syscallNumber, syscallName, syscallNames, constantValue, constants, suggestNames } from './tables';
export type { ArchName, ArchInfo } from './tables';
export { PolicyError, InvalidProgramError, CoreError, HostCode, DiagnosticCode, formatDiagnostics } from './diagnostics';
export type { Diagnostic, RelatedLocation, Severity, SourceRange, Suggestion, TextEdit } from './diagnostics';
export { ACTION_NAMES } from './abi';
export type { ActionName } from './abi';
export { MAX_POLICY_FILES } from './includes';
export type { FileSource, FileResolver } from './includes';
export { verifyPolicy, diffPolicies } from './verify';
export type { ArchVerifyReport, VerifyResult, VerifyOptions, Counterexample, DiffResult, PolicyDifference } from './verify';
export type { ArgCondition, ArgValues } from './diff-regions';
export { describeDiff, differenceCondition, differenceSubject } from './diff-text';
export { PolicyDocument, policyTokens, tokenIndexAt, policyOutline, symbolAt, syscallArguments, ACTION_WORDS, DIRECTIVE_NAMES } from './service/index';
export type {
  ServiceSimulation, PolicyToken, TokenKind, PolicySymbol, PolicySymbolKind, PolicyCompletion, CompletionKind, PolicyHover, SyscallArgument,
} from './service/index';
export { exportOciProfile, irToOci, profileJson, SCMP_ARCH } from './oci-export';
export type { OciProfile, OciRule, OciArg, OciOp, OciExportOptions, OciExportResult, OciExportProblem } from './oci-export';
export { parseJson, writeJson, JsonSyntaxError } from './oci-json';
export type { JsonValue } from './oci-json';
export { importOciProfile } from './oci-import';
export type { OciImportOptions, OciImportResult, OciImportError } from './oci-import';
export { explainViolation, decodeSyscallArgs, formatViolation } from './explain';
export type { ViolationFacts, ViolationReport } from './explain';
export { writeLearnedPolicy } from './learn';
export type { ObservedCall, LearnedPolicy, LearnOptions } from './learn';
export { parseStraceLog, StraceLogError } from './strace';
