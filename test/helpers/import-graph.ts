// The module graph of a TypeScript tree, and its cycles. Edges are every relative module
// reference TypeScript's own parser finds: `import`/`export ... from` (type-only ones too: a
// type cycle is still a knot, and one `import type` dropped makes it a runtime cycle),
// `import x = require()`, `require()` and `import()` with a literal path. Bare package names
// are not followed: only the tree's own modules can form a cycle we can break.

import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** File (relative to the root given to importGraph) -> the files of the tree it references. */
export type ImportGraph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The literal module paths `file` references, in source order. */
export function moduleReferences(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const refs: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      refs.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)) {
      refs.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0]) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      refs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/** The file a relative reference names, as Node and TypeScript resolve it, or undefined. */
function resolveRelative(from: string, ref: string): string | undefined {
  const base = path.resolve(path.dirname(from), ref);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Every .ts file under `root` with its references into the tree. A relative reference that
 * points into the tree but names no file is returned in `unresolved`: the graph would miss it.
 */
export function importGraph(root: string): { graph: ImportGraph; unresolved: string[] } {
  const graph: ImportGraph = new Map();
  const unresolved: string[] = [];
  const inTree = (p: string) => !path.relative(root, p).startsWith('..');
  for (const file of sourceFiles(root).sort()) {
    const targets: string[] = [];
    for (const ref of moduleReferences(file, fs.readFileSync(file, 'utf8'))) {
      if (!ref.startsWith('./') && !ref.startsWith('../')) continue;
      const target = resolveRelative(file, ref);
      if (target === undefined) {
        if (inTree(path.resolve(path.dirname(file), ref))) unresolved.push(`${path.relative(root, file)}: '${ref}'`);
      } else if (inTree(target) && target.endsWith('.ts')) {
        targets.push(path.relative(root, target));
      }
    }
    graph.set(path.relative(root, file), [...new Set(targets)]);
  }
  return { graph, unresolved };
}

/**
 * One cycle per strongly connected component that has one (Tarjan's algorithm), each as the
 * path of files that closes it: ['a.ts', 'b.ts', 'a.ts'].
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);

  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = [...members].sort()[0];
    if (members.size === 1 && !(graph.get(start) ?? []).includes(start)) continue;
    // A shortest way back to `start` inside the component (breadth first), so the printed
    // cycle is the knot itself, not a tour of the component.
    const cameFrom = new Map<string, string>();
    const queue = [start];
    let closing: string | undefined;
    while (queue.length > 0 && closing === undefined) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (w === start) {
          closing = v;
          break;
        }
        if (members.has(w) && !cameFrom.has(w)) {
          cameFrom.set(w, v);
          queue.push(w);
        }
      }
    }
    const cycle = [start];
    for (let v = closing!; v !== start; v = cameFrom.get(v)!) cycle.splice(1, 0, v);
    cycle.push(start);
    cycles.push(cycle);
  }
  return cycles;
}
