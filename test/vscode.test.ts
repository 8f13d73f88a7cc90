// The VS Code extension (ts/vscode/): its TextMate grammar tokenizes every corpus policy with
// vscode-textmate + vscode-oniguruma (the engine VS Code uses) and agrees with the language
// service on where syscall names, comments and directives are; its manifest contributes the
// language, grammar, settings and commands; it packages to a .vsix offline with vsce 3.9 that holds
// the server (with the core's wasm inside), the web worker server and the grammar, and its
// engines.vscode matches @types/vscode.

import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { inflateRawSync } from 'zlib';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, IGrammar, Registry, parseRawGrammar } from 'vscode-textmate';
import { PolicyDocument } from '../ts/policy/index';
import { corpusDescribe, corpusPolicies, readCorpus } from './helpers/corpus';

const root = path.resolve(__dirname, '..');
const ext = path.join(root, 'ts', 'vscode');
const manifest = JSON.parse(readFileSync(path.join(ext, 'package.json'), 'utf8'));
const GRAMMAR = path.join(ext, 'syntaxes', 'seccomp-policy.tmLanguage.json');

let grammar: IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope: string) => (scope === 'source.seccomp-policy' ? parseRawGrammar(readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
  });
  grammar = (await registry.loadGrammar('source.seccomp-policy'))!;
});

/** Each token of `text` as [line, startColumn, text, innermost scope]. */
function tokenize(text: string): Array<[number, number, string, string]> {
  const out: Array<[number, number, string, string]> = [];
  let stack = INITIAL;
  text.split('\n').forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) out.push([i, t.startIndex, line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]]);
    stack = r.ruleStack;
  });
  return out;
}

const scopeOf = (toks: ReturnType<typeof tokenize>, text: string) => toks.filter((t) => t[2] === text).map((t) => t[3]);

describe('grammar', () => {
  test('the parts of a rule, a directive and a comment', () => {
    const toks = tokenize('@include /usr/share/policy/a.policy # why\nmmap: arg2 in ~PROT_EXEC || arg0 == 0x10\nopenat: return EPERM\nread[arch=x86_64]: kill-process\n');
    expect(scopeOf(toks, '@include')).toEqual(['keyword.control.directive.seccomp-policy']);
    expect(scopeOf(toks, '/usr/share/policy/a.policy')).toEqual(['string.unquoted.path.seccomp-policy']);
    expect(scopeOf(toks, '# why')).toEqual(['comment.line.number-sign.seccomp-policy']);
    expect(scopeOf(toks, 'mmap')).toEqual(['entity.name.function.syscall.seccomp-policy']);
    expect(scopeOf(toks, 'arg2')).toEqual(['variable.parameter.argument.seccomp-policy']);
    expect(scopeOf(toks, 'PROT_EXEC')).toEqual(['constant.other.seccomp-policy']);
    expect(scopeOf(toks, '0x10')).toEqual(['constant.numeric.seccomp-policy']);
    expect(scopeOf(toks, 'return')).toEqual(['keyword.control.return.seccomp-policy']);
    expect(scopeOf(toks, 'kill-process')).toEqual(['keyword.other.action.seccomp-policy']);
    expect(scopeOf(toks, 'read')).toEqual(['entity.name.function.syscall.seccomp-policy']);
  });
});

corpusDescribe('grammar over the corpus', () => {
  test('every policy tokenizes; syscall names, comments and directives where the language service finds them', async () => {
    let rules = 0;
    for (const p of corpusPolicies()) {
      const text = readCorpus(p.file);
      const toks = tokenize(text);
      const at = new Map(toks.map((t) => [`${t[0]}:${t[1]}`, t]));
      const lineStarts = [0];
      for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
      const where = (off: number) => {
        let l = 0;
        while (l + 1 < lineStarts.length && lineStarts[l + 1] <= off) l++;
        return `${l}:${off - lineStarts[l]}`;
      };
      const doc = new PolicyDocument(text, { arch: 'x86_64' });
      for (const s of await doc.outline()) {
        if (s.kind !== 'rule') continue;
        const t = at.get(where(s.nameStart));
        if (!t || t[3] !== 'entity.name.function.syscall.seccomp-policy') throw new Error(`${p.file} ${where(s.nameStart)}: ${s.name} is ${t ? t[3] : 'not a token'}`);
        rules++;
      }
      for (const t of (await doc.tokens()).filter((x) => x.kind === 'comment' || x.kind === 'directive')) {
        const g = at.get(where(t.start));
        const want = t.kind === 'comment' ? 'comment.line.number-sign.seccomp-policy' : 'keyword.control.directive.seccomp-policy';
        if (!g || g[3] !== want) throw new Error(`${p.file} ${where(t.start)}: ${text.slice(t.start, t.end)} is ${g ? g[3] : 'not a token'}`);
      }
    }
    expect(rules).toBeGreaterThan(1000);
  });
});

/** The entries of a zip archive: name -> contents (stored or deflated). */
function unzip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const data = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(data, data + size);
    out.set(name, method === 8 ? inflateRawSync(raw) : raw);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe('extension package', () => {
  test('the manifest contributes the language, grammar, configuration, settings and commands', () => {
    expect(manifest.contributes.languages[0]).toMatchObject({ id: 'seccomp-policy', extensions: ['.policy'], configuration: './language-configuration.json' });
    expect(manifest.contributes.grammars[0]).toMatchObject({ language: 'seccomp-policy', scopeName: 'source.seccomp-policy' });
    expect(Object.keys(manifest.contributes.configuration.properties)).toEqual(['tsjail.arch', 'tsjail.includeMap']);
    expect(manifest.contributes.commands.map((c: { command: string }) => c.command)).toEqual(['tsjail.compile', 'tsjail.simulate', 'tsjail.disassemble']);
    const lc = JSON.parse(readFileSync(path.join(ext, 'language-configuration.json'), 'utf8'));
    expect(lc.comments).toEqual({ lineComment: '#' });
  });

  test('engines.vscode matches @types/vscode (vsce refuses newer types) and vscode-languageclient 11 (needs ^1.91.0)', () => {
    const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const types = rootPkg.devDependencies['@types/vscode'];
    expect(manifest.engines.vscode).toBe(`^${types}`);
    expect(JSON.parse(readFileSync(path.join(root, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8')).version).toBe(types);
    expect(types).toBe('1.91.0');
  });

  test('packages offline to a .vsix holding both servers, the core\'s wasm and the grammar', () => {
    const vsix = execFileSync(process.execPath, [path.join(root, 'scripts', 'build-vscode.js'), '--package'], { cwd: root, encoding: 'utf8' }).trim();
    const files = unzip(readFileSync(vsix));
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/web/extension.js',
      'extension/dist/web/server.js', 'extension/syntaxes/seccomp-policy.tmLanguage.json', 'extension/language-configuration.json']) {
      expect(files.has(f)).toBe(true);
    }
    expect([...files.keys()].some((f) => f.includes('/src/') || f.includes('node_modules'))).toBe(false);
    // esbuild's binary loader inlines the core as base64: the very bytes of build/wasm/core.wasm.
    const wasm = readFileSync(path.join(root, 'build', 'wasm', 'core.wasm')).toString('base64');
    expect(files.get('extension/dist/server.js')!.toString('utf8')).toContain(wasm);
    expect(files.get('extension/dist/web/server.js')!.toString('utf8')).toContain(wasm);
    expect(JSON.parse(files.get('extension/package.json')!.toString('utf8')).engines.vscode).toBe(manifest.engines.vscode);
  });
});
