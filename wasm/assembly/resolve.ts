// STUB (replaced by the front end): text -> AST -> IR.
import { SourceSet } from './span';
import { Diagnostics, Code } from './diagnostics';
import { CompileOptions } from './options';
import { Arch } from './tables/index';
import { PolicyIR } from './ir';

export function scanIncludePaths(path: string, text: string): string[] { return []; }

export function buildIR(sources: SourceSet, arch: Arch, opts: CompileOptions, diags: Diagnostics): PolicyIR | null {
  diags.error(Code.InternalError, null, ['parser not implemented']);
  return null;
}
