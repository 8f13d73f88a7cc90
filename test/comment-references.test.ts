// Comments and docs point only at what a reader of the repository can open. Every comment of
// every tracked source file (test/helpers/source-comments.ts), and every tracked Markdown page:
// - names no working note kept outside the repository, and no issue by number;
// - names only Markdown files that are in the repository;
// and, in comments and pages alike, a path rooted at one of the repository's top-level
// directories (ts/, docs/, native/, ...) names a tracked file or directory, or a build product
// of one (`seccomp-oracle` for seccomp-oracle.c, an import path without its extension).
// Upstream files are cited by their project's name instead (minijail's tools/parser.py, Linux's
// kernel/seccomp.c); the few whose path starts like one of ours are listed in UPSTREAM_PATHS.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { sourceComments } from './helpers/source-comments';

const REPO = path.resolve(__dirname, '..');

const OUTSIDE_NOTES = /\b(?:STYLE|DESIGN|TOOLCHAIN)\.md\b|minijail-notes|shared\/docs\b/;
const ISSUE = /\bissues? #?\d+/i;
const MARKDOWN = /(?<![\w./@-])[\w./-]*[\w-]+\.md\b/g;
const TOP_DIRS = ['ts', 'wasm', 'native', 'scripts', 'test', 'bench', 'docs', 'policies', 'bin'];
const REPO_PATH = new RegExp(`(?<![\\w./@$-])(?:\\.\\.?/)*(?:${TOP_DIRS.join('|')})/(?:[\\w./*-]|\\{[\\w.,-]*\\})*`, 'g');

/** Paths that look rooted in the repository but are another project's, where they are cited. */
const UPSTREAM_PATHS: Record<string, string[]> = {
  'test/tables.test.ts': ['scripts/syscall.tbl'], // the Linux tree's generic syscall table
  'docs/tables.md': [
    'scripts/syscall.tbl', // the Linux tree's generic syscall table
    'test/invalid_syscall_name.policy', 'test/invalid_arg_filter.policy', // minijail's negative tests
  ],
};

interface Tracked {
  files: Set<string>;
  dirs: Set<string>;
}

function trackedOf(files: string[]): Tracked {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return { files: new Set(files), dirs };
}

/** `a/{b,c}.h` -> ['a/b.h', 'a/c.h'] (every brace group, left to right). */
function expandBraces(p: string): string[] {
  const m = /\{([^{}]*)\}/.exec(p);
  if (!m) return [p];
  return m[1].split(',').flatMap((alt) => expandBraces(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length)));
}

function markdownExists(citing: string, cited: string, t: Tracked): boolean {
  const fromFile = path.posix.normalize(path.posix.join(path.posix.dirname(citing), cited));
  const bare = cited.replace(/^(\.\.?\/)+/, '');
  if (cited.includes('../shared/')) return false;
  if (t.files.has(fromFile) || t.files.has(bare)) return true;
  return [...t.files].some((f) => f.endsWith(`/${bare}`));
}

function repoPathExists(p: string, t: Tracked): boolean {
  if (t.files.has(p) || t.dirs.has(p)) return true;
  return [...t.files].some((f) => f.startsWith(`${p}.`));
}

/** What is wrong with the references in one text of `file` (a comment, or a whole page). */
export function staleReferences(file: string, text: string, t: Tracked, { repoPaths }: { repoPaths: boolean }): string[] {
  const found: string[] = [];
  const outside = OUTSIDE_NOTES.exec(text);
  if (outside) found.push(`cites "${outside[0]}", which is not in the repository`);
  const issue = ISSUE.exec(text);
  if (issue) found.push(`cites "${issue[0]}": issues are not in the repository`);
  for (const m of text.matchAll(MARKDOWN)) {
    // (A note outside the repository is reported once, above.)
    if (!OUTSIDE_NOTES.test(m[0]) && !markdownExists(file, m[0], t)) found.push(`names ${m[0]}, which is not in the repository`);
  }
  if (repoPaths) {
    for (const m of text.matchAll(REPO_PATH)) {
      const p = m[0].replace(/^(\.\.?\/)+/, '').replace(/[./]+$/, '');
      // Globs name no one file; Markdown names were checked above.
      if (p.includes('*') || p.endsWith('.md') || UPSTREAM_PATHS[file]?.includes(p)) continue;
      const missing = expandBraces(p).filter((q) => !repoPathExists(q, t));
      if (missing.length > 0) found.push(`names ${missing.join(', ')}, which is not in the repository`);
    }
  }
  return found;
}

/** What the Markdown pages are checked for: the same as comments, repository paths included. */
const PAGE_CHECK = { repoPaths: true };

function gitFiles(): string[] | undefined {
  try {
    return execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter((f) => f !== '');
  } catch {
    return undefined;
  }
}

const files = gitFiles();
const suite = files ? describe : describe.skip;

suite(`comments and docs point only inside the repository${files ? '' : ' (skipped: not a git checkout, no file list)'}`, () => {
  const tracked = trackedOf(files ?? []);

  test('every comment of every tracked source file', () => {
    const problems: string[] = [];
    let comments = 0;
    for (const file of files!) {
      if (file.endsWith('.md') || !fs.existsSync(path.join(REPO, file))) continue;
      for (const c of sourceComments(file, fs.readFileSync(path.join(REPO, file), 'utf8'))) {
        comments++;
        for (const p of staleReferences(file, c.text, tracked, { repoPaths: true })) problems.push(`${file}:${c.line}: ${p}`);
      }
    }
    expect(comments).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
  });

  test('every tracked Markdown page', () => {
    const problems: string[] = [];
    for (const file of files!.filter((f) => f.endsWith('.md'))) {
      fs.readFileSync(path.join(REPO, file), 'utf8').split('\n').forEach((line, i) => {
        for (const p of staleReferences(file, line, tracked, PAGE_CHECK)) problems.push(`${file}:${i + 1}: ${p}`);
      });
    }
    expect(problems).toEqual([]);
  });
});

describe('the reference checker', () => {
  const t = trackedOf(['docs/cli.md', 'README.md', 'ts/cli/run.ts', 'native/tools/seccomp-oracle.c', 'native/jail/mounts.h']);
  const check = (text: string, file = 'ts/cli/x.ts') => staleReferences(file, text, t, { repoPaths: true });

  test('accepts what is there', () => {
    expect(check('// see docs/cli.md, README.md, ts/cli/run.ts and native/tools/seccomp-oracle (built)')).toEqual([]);
    expect(check('// native/jail/{mounts}.h, ts/cli/** and ts/cli/')).toEqual([]);
    expect(check('<!-- cli.md -->', 'docs/other.md')).toEqual([]);
  });

  test('flags notes outside the repository, issues, missing pages and paths', () => {
    expect(check('// as DESIGN.md §3 says')).toEqual(['cites "DESIGN.md", which is not in the repository']);
    expect(check('// minijail-notes §1.11')).toEqual(['cites "minijail-notes", which is not in the repository']);
    expect(check('// ../shared/bench/README.md')).toEqual(['names ../shared/bench/README.md, which is not in the repository']);
    expect(check('// (issue 5)')).toEqual(['cites "issue 5": issues are not in the repository']);
    expect(check('// docs/toolchain.md')).toEqual(['names docs/toolchain.md, which is not in the repository']);
    expect(check('// ts/cli/gone.ts and native/jail/{mounts,gone}.h')).toEqual([
      'names ts/cli/gone.ts, which is not in the repository',
      'names native/jail/gone.h, which is not in the repository',
    ]);
  });

  test('checks repository paths in Markdown pages too, except the upstream ones listed for that page', () => {
    const page = (line: string, file = 'docs/cli.md') => staleReferences(file, line, t, PAGE_CHECK);
    expect(page('The reader is `native/jail/mounts.h`; see `ts/cli/run.ts`.')).toEqual([]);
    expect(page('The reader is `native/exec/jailfile.c`.')).toEqual(['names native/exec/jailfile.c, which is not in the repository']);
    expect(page('| aarch64 | `scripts/syscall.tbl` |')).toEqual(['names scripts/syscall.tbl, which is not in the repository']);
    expect(page('| aarch64 | `scripts/syscall.tbl` |', 'docs/tables.md')).toEqual([]);
  });
});
