// No module of ts/ reaches itself through its imports: modules that need each other's parts
// share a third module instead (docs/cli.md, "Layout"). The graph is every relative
// import/export/require/import() found by TypeScript's parser (test/helpers/import-graph.ts);
// a failure prints each cycle as the files that close it.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findCycles, importGraph, moduleReferences } from './helpers/import-graph';

const TS_DIR = path.resolve(__dirname, '..', 'ts');

describe('import cycles in ts/', () => {
  const { graph, unresolved } = importGraph(TS_DIR);

  test('the graph sees the whole tree: every module, and every relative reference resolved', () => {
    expect(graph.get('cli/main.ts')).toEqual(expect.arrayContaining(['cli/program.ts', 'cli/errors.ts']));
    expect(graph.size).toBeGreaterThan(30);
    expect(unresolved).toEqual([]);
  });

  test('there are none', () => {
    const cycles = findCycles(graph).map((c) => c.map((f) => `ts/${f}`).join(' -> '));
    expect(cycles).toEqual([]);
  });
});

describe('the cycle finder', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-cycles-'));
    const write = (f: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    };
    // a -> b -> (dynamic import) c -> (require) a; d -> e (type only) -> d; f alone; g -> g.
    write('a.ts', "import { b } from './b';\nimport * as fs from 'fs';\nexport const a = b + fs.constants.F_OK;\n");
    write('b.ts', "export const b = 1;\nexport async function later() { return import('./sub/c'); }\n");
    write('sub/c.ts', "// import './ignored' in a comment is no reference\nconst a = require('../a');\nexport { a };\n");
    write('sub/index.ts', "export * from './c';\n");
    write('d.ts', "import type { E } from './e';\nexport type D = E[];\n");
    write('e.ts', "export type { D as E } from './d';\n");
    write('f.ts', "import { x } from './sub';\nexport const f = x;\n");
    write('g.ts', "import x = require('./g');\nexport = x;\n");
    write('h.ts', "import { nothing } from './missing';\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('finds static, dynamic, require, re-export and type-only references, not comments', () => {
    expect(moduleReferences('c.ts', fs.readFileSync(path.join(dir, 'sub/c.ts'), 'utf8'))).toEqual(['../a']);
    const { graph, unresolved } = importGraph(dir);
    expect(graph.get('b.ts')).toEqual(['sub/c.ts']);
    expect(graph.get('f.ts')).toEqual(['sub/index.ts']);
    expect(unresolved).toEqual(["h.ts: './missing'"]);
  });

  test('reports each cycle once, as the path that closes it', () => {
    const cycles = findCycles(importGraph(dir).graph);
    expect(cycles).toEqual(expect.arrayContaining([
      ['a.ts', 'b.ts', 'sub/c.ts', 'a.ts'],
      ['d.ts', 'e.ts', 'd.ts'],
      ['g.ts', 'g.ts'],
    ]));
    expect(cycles).toHaveLength(3);
  });
});
