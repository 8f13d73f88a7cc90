// wasm/exports.txt is the core's export surface with a reason for each entry (docs/architecture.md):
// the built module must export exactly what it lists, and every entry must say why.

import { readFileSync } from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');

interface Listed { name: string; kind: string; reason: string; line: number }

function listed(): Listed[] {
  return readFileSync(path.join(root, 'wasm', 'exports.txt'), 'utf8').split('\n').flatMap((text, i) => {
    const t = text.trim();
    if (t === '' || t.startsWith('#')) return [];
    const m = /^(\S+)\s+(\S+)\s*(.*)$/.exec(t);
    return m ? [{ name: m[1], kind: m[2], reason: m[3].trim(), line: i + 1 }] : [{ name: t, kind: '', reason: '', line: i + 1 }];
  });
}

function built(): Array<{ name: string; kind: string }> {
  const bytes = readFileSync(path.join(root, 'build', 'wasm', 'core.wasm'));
  return WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => ({ name: e.name, kind: e.kind }));
}

describe('wasm/exports.txt', () => {
  test('every entry has a kind and a reason, and no name is listed twice', () => {
    const l = listed();
    expect(l.length).toBeGreaterThan(5);
    for (const e of l) {
      expect({ line: e.line, name: e.name, kind: ['function', 'memory', 'global', 'table'].includes(e.kind), reason: e.reason.length >= 10 })
        .toEqual({ line: e.line, name: e.name, kind: true, reason: true });
    }
    expect(new Set(l.map((e) => e.name)).size).toBe(l.length);
  });

  test('the built core.wasm exports exactly the listed names, with the listed kinds', () => {
    const want = listed().map((e) => `${e.name} ${e.kind}`).sort();
    const have = built().map((e) => `${e.name} ${e.kind}`).sort();
    const missingFromList = have.filter((x) => !want.includes(x));
    const goneFromModule = want.filter((x) => !have.includes(x));
    expect({ missingFromList, goneFromModule }).toEqual({ missingFromList: [], goneFromModule: [] });
  });

  test('every exported function of wasm/assembly/index.ts is listed', () => {
    const src = readFileSync(path.join(root, 'wasm', 'assembly', 'index.ts'), 'utf8');
    const names = [...src.matchAll(/^export function (\w+)/gm)].map((m) => m[1]);
    const l = new Set(listed().map((e) => e.name));
    expect(names.filter((n) => !l.has(n))).toEqual([]);
  });
});
