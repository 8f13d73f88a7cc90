// The policy files as written, for the lint rules that are about text (an [arch=...] typo, the
// ambiguous `EXPR; return N`) and for the fixes of the others (which statement a rule of the IR
// came from). The files are parsed again here with a scratch sink: their errors were already
// reported by the front end.

import { SourceSet, Span } from '../span';
import { Diagnostics } from '../diagnostics';
import { FileAst, Stmt, StmtKind, PathStmt, RuleStmt, FilterNode } from '../ast';
import { parseFile } from '../parser';
import { normalizePath } from '../paths';

export class PolicySource {
  /** The policy files reached from the main one through @include, main first (no frequency files). */
  files: FileAst[] = [];
  constructor(public sources: SourceSet) {
    this.visit(0, new Array<i32>());
  }

  private visit(file: i32, seen: i32[]): void {
    if (seen.includes(file) || file < 0 || file >= this.sources.paths.length) return;
    seen.push(file);
    const ast = parseFile(file, this.sources.paths[file], this.sources.texts[file], new Diagnostics());
    this.files.push(ast);
    for (let i = 0; i < ast.stmts.length; i++) {
      const s = ast.stmts[i];
      if (s.kind == StmtKind.Include) this.visit(this.findFile((<PathStmt>s).resolved), seen);
    }
  }

  /** As the resolver finds an include's file: the exact path, else the normalised one. */
  private findFile(resolved: string): i32 {
    const exact = this.sources.indexOf(resolved);
    if (exact >= 0) return exact;
    for (let i = 0; i < this.sources.paths.length; i++) if (normalizePath(this.sources.paths[i]) == resolved) return i;
    return -1;
  }

  /** Every rule statement, file by file. */
  ruleStmts(): RuleStmt[] {
    const out = new Array<RuleStmt>();
    for (let f = 0; f < this.files.length; f++) {
      const stmts = this.files[f].stmts;
      for (let i = 0; i < stmts.length; i++) if (stmts[i].kind == StmtKind.Rule) out.push(<RuleStmt>stmts[i]);
    }
    return out;
  }

  /** Some file has @denylist (then `EXPR; return N` always means "errno N when EXPR holds"). */
  get denylist(): bool {
    for (let f = 0; f < this.files.length; f++) {
      const stmts = this.files[f].stmts;
      for (let i = 0; i < stmts.length; i++) if (stmts[i].kind == StmtKind.Denylist) return true;
    }
    return false;
  }

  /** The rule statement of `file` whose text contains `offset`, or null. */
  stmtAt(file: i32, offset: i32): RuleStmt | null {
    for (let f = 0; f < this.files.length; f++) {
      if (this.files[f].file != file) continue;
      const stmts = this.files[f].stmts;
      for (let i = 0; i < stmts.length; i++) {
        const s: Stmt = stmts[i];
        if (s.kind == StmtKind.Rule && s.start <= offset && offset < s.end) return <RuleStmt>s;
      }
    }
    return null;
  }

  /** The filter of `stmt` whose text contains `offset`, or null. */
  filterAt(stmt: RuleStmt, offset: i32): FilterNode | null {
    for (let i = 0; i < stmt.filterCount; i++) {
      const f = stmt.filter(i);
      if (f.start <= offset && offset < f.end) return f;
    }
    return null;
  }

  /** A statement that names one syscall with one filter: the only kind a fix may rewrite or delete whole. */
  simple(stmt: RuleStmt): bool {
    return stmt.descriptorCount == 1 && stmt.filterCount == 1 && !stmt.braced;
  }

  /** The whole lines of a statement, newline included (deleting it leaves no blank line). */
  stmtLines(stmt: RuleStmt): Span {
    const text = this.sources.texts[stmt.file];
    let start = stmt.start;
    while (start > 0 && text.charCodeAt(start - 1) != 10) start--;
    let end = stmt.end;
    while (end < text.length && text.charCodeAt(end) != 10) end++;
    if (end < text.length) end++;
    return new Span(stmt.file, start, end);
  }

  text(file: i32, start: i32, end: i32): string {
    return this.sources.texts[file].substring(start, end);
  }

  /** `file:line:col` of an offset, for messages. */
  where(file: i32, offset: i32): string {
    return this.sources.paths[file] + ':' + this.sources.line(file, offset).toString() + ':' + this.sources.column(file, offset).toString();
  }
}
