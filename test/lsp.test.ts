// `tsjail lsp --stdio` driven over JSON-RPC (vscode-jsonrpc) as an editor drives it: initialize
// with a workspace and an include map, open a policy, get its diagnostics, change it, ask for
// completion, hover, definition, symbols, semantic tokens, formatting and code actions, and the
// extension's requests (compile, simulate, disassemble); then shutdown and exit.

import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';

const root = path.resolve(__dirname, '..');
const NEEDED = 'exit_group: 1\nrt_sigreturn: 1\nrestart_syscall: 1\n';

interface Position { line: number; character: number }
interface Range { start: Position; end: Position }
interface LspDiagnostic { range: Range; message: string; code: number; severity: number; data?: unknown }
interface Published { uri: string; version?: number; diagnostics: LspDiagnostic[] }

let dir: string;
let child: ChildProcess;
let rpc: MessageConnection;
let stderr = '';
const published: Published[] = [];
let waiters: Array<() => void> = [];

const uri = (rel: string) => pathToFileURL(path.join(dir, rel)).toString();

/** The next diagnostics published for `u` at `version` (or already published). */
function diagnosticsFor(u: string, version: number): Promise<LspDiagnostic[]> {
  return new Promise((resolve) => {
    const check = () => {
      const hit = published.find((p) => p.uri === u && p.version === version);
      if (hit) resolve(hit.diagnostics);
      return !!hit;
    };
    const wait = () => { if (!check()) waiters.push(wait); };
    wait();
  });
}

function open(rel: string, text: string, version = 1) {
  return rpc.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(rel), languageId: 'seccomp-policy', version, text } });
}

/** The position of the first `needle` in `text`, plus `delta` characters. */
function pos(text: string, needle: string, delta = 0): Position {
  const off = text.indexOf(needle) + delta;
  const before = text.slice(0, off).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'inherit' });
  dir = mkdtempSync(path.join(tmpdir(), 'tsjail-lsp-'));
  mkdirSync(path.join(dir, 'seccomp', 'aarch64'), { recursive: true });
  mkdirSync(path.join(dir, 'inc'));
  writeFileSync(path.join(dir, 'inc', 'common.policy'), NEEDED);
  child = spawn(process.execPath, [path.join(root, 'bin', 'tsjail'), 'lsp', '--stdio'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  rpc.onNotification('textDocument/publishDiagnostics', (p: Published) => {
    published.push(p);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  rpc.onNotification('window/logMessage', (p: { message: string }) => { stderr += `log: ${p.message}\n`; });
  rpc.listen();
  const init = await rpc.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).toString(),
    workspaceFolders: [{ uri: pathToFileURL(dir).toString(), name: 'ws' }],
    capabilities: {},
    initializationOptions: { includeMap: { '/usr/share/policy/crosvm/': 'inc/' } },
  }) as { capabilities: Record<string, unknown> };
  expect(Object.keys(init.capabilities)).toEqual(expect.arrayContaining([
    'completionProvider', 'hoverProvider', 'definitionProvider', 'documentSymbolProvider', 'documentFormattingProvider',
    'codeActionProvider', 'semanticTokensProvider',
  ]));
  await rpc.sendNotification('initialized', {});
});

afterAll(async () => {
  if (rpc) {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await rpc.sendRequest('shutdown');
    await rpc.sendNotification('exit');
    expect(await exited).toBe(0);
    rpc.dispose();
  }
  expect(stderr).toBe('');
  rmSync(dir, { recursive: true, force: true });
});

const MAIN = 'seccomp/aarch64/dev.policy';
const TEXT = `@include /usr/share/policy/crosvm/common.policy\nreed: allow\nmmap:arg2 in ~PROT_EXEC\n`;

test('diagnostics as the file opens and as it changes, includes read through the include map', async () => {
  await open(MAIN, TEXT);
  const first = await diagnosticsFor(uri(MAIN), 1);
  expect(first.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character])).toEqual([[2001, 1, 0, 4]]);
  expect(first[0].message).toContain('reed');
  await rpc.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri(MAIN), version: 2 },
    contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } }, text: 'read' }],
  });
  expect(await diagnosticsFor(uri(MAIN), 2)).toEqual([]);
  // Back to the typo for the tests below.
  await rpc.sendNotification('textDocument/didChange', { textDocument: { uri: uri(MAIN), version: 3 }, contentChanges: [{ text: TEXT }] });
  expect((await diagnosticsFor(uri(MAIN), 3)).length).toBe(1);
});

test('lint findings follow once typing pauses (errors are published at once)', async () => {
  const text = `read: 1\nptrace: 1\nopenat: arg2 == 0\nopenat: 1\n${NEEDED}`;
  await open('seccomp/aarch64/lint.policy', text);
  const ds = await diagnosticsFor(uri('seccomp/aarch64/lint.policy'), 1);
  expect(ds.length).toBeGreaterThan(0);
  expect(ds.every((d) => d.code >= 6001 && d.code <= 6013 && d.severity === 2)).toBe(true);
  expect(ds.some((d) => d.range.start.line === 1)).toBe(true);
});

test('a missing include is reported on its @include line; every range covers a character', async () => {
  const text = `@include /usr/share/policy/crosvm/nope.policy\nread: arg0 == 1 &&\n${NEEDED}`;
  await open('seccomp/aarch64/bad.policy', text);
  const ds = await diagnosticsFor(uri('seccomp/aarch64/bad.policy'), 1);
  expect(ds.length).toBeGreaterThanOrEqual(2);
  expect(ds.some((d) => d.range.start.line === 0 && /nope\.policy/.test(d.message))).toBe(true);
  for (const d of ds) expect(d.range.end.line > d.range.start.line || d.range.end.character > d.range.start.character).toBe(true);
});

test('completion: syscall names of the path\'s arch (aarch64 has no open), constants that fit', async () => {
  const items = await rpc.sendRequest('textDocument/completion', { textDocument: { uri: uri(MAIN) }, position: pos(TEXT, 'reed', 2) }) as Array<{ label: string; textEdit: { range: Range } }>;
  const labels = items.map((i) => i.label);
  expect(labels).toContain('openat');
  expect(labels).not.toContain('open');
  expect(items.find((i) => i.label === 'read')!.textEdit.range).toEqual({ start: { line: 1, character: 0 }, end: { line: 1, character: 4 } });
  const prot = await rpc.sendRequest('textDocument/completion', { textDocument: { uri: uri(MAIN) }, position: pos(TEXT, '~', 1) }) as Array<{ label: string }>;
  expect(prot.map((i) => i.label)).toEqual(expect.arrayContaining(['PROT_EXEC', 'PROT_READ', 'PROT_WRITE']));
});

test('hover: the syscall\'s number on the file\'s arch, and where the arch came from', async () => {
  const h = await rpc.sendRequest('textDocument/hover', { textDocument: { uri: uri(MAIN) }, position: pos(TEXT, 'mmap', 1) }) as { contents: { value: string }; range: Range };
  expect(h.contents.value).toMatch(/\*\*aarch64\*\*: 222\b/);
  expect(h.contents.value).toContain('_arch aarch64 (from the path)_');
  expect(h.range).toEqual({ start: { line: 2, character: 0 }, end: { line: 2, character: 4 } });
  // A modeline wins over the path.
  const text = `# tsjail: arch=x86_64\nmmap: allow\n${NEEDED}`;
  await open('seccomp/aarch64/mode.policy', text);
  const m = await rpc.sendRequest('textDocument/hover', { textDocument: { uri: uri('seccomp/aarch64/mode.policy') }, position: pos(text, 'mmap') }) as { contents: { value: string } };
  expect(m.contents.value).toMatch(/\*\*x86_64\*\*: 9\b/);
  expect(m.contents.value).toContain('_arch x86_64 (from the modeline)_');
});

test('definition of an @include path: the mapped workspace file', async () => {
  const loc = await rpc.sendRequest('textDocument/definition', { textDocument: { uri: uri(MAIN) }, position: pos(TEXT, 'crosvm/common', 3) }) as { uri: string };
  expect(loc.uri).toBe(uri('inc/common.policy'));
  expect(await rpc.sendRequest('textDocument/definition', { textDocument: { uri: uri(MAIN) }, position: pos(TEXT, 'mmap') })).toBeNull();
});

test('document symbols, semantic tokens, formatting, code actions', async () => {
  const symbols = await rpc.sendRequest('textDocument/documentSymbol', { textDocument: { uri: uri(MAIN) } }) as Array<{ name: string }>;
  expect(symbols.map((s) => s.name)).toEqual(['/usr/share/policy/crosvm/common.policy', 'reed', 'mmap']);
  const tokens = await rpc.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri: uri(MAIN) } }) as { data: number[] };
  // Line 2 `mmap:arg2 in ~PROT_EXEC`: mmap (function 0) at 2:0, 4 long.
  const rows = [];
  for (let i = 0, line = 0, ch = 0; i < tokens.data.length; i += 5) {
    line += tokens.data[i];
    ch = tokens.data[i] === 0 ? ch + tokens.data[i + 1] : tokens.data[i + 1];
    rows.push([line, ch, tokens.data[i + 2], tokens.data[i + 3]]);
  }
  expect(rows).toContainEqual([2, 0, 4, 0]);
  expect(rows).toContainEqual([2, 5, 4, 1]);
  const edits = await rpc.sendRequest('textDocument/formatting', { textDocument: { uri: uri(MAIN) }, options: { tabSize: 2, insertSpaces: true } }) as Array<{ newText: string }>;
  expect(edits[0].newText).toContain('mmap: arg2 in ~PROT_EXEC');
  const diags = published.filter((p) => p.uri === uri(MAIN) && p.version === 3)[0].diagnostics;
  const actions = await rpc.sendRequest('textDocument/codeAction', {
    textDocument: { uri: uri(MAIN) }, range: diags[0].range, context: { diagnostics: diags },
  }) as Array<{ title: string; edit: { changes: Record<string, Array<{ newText: string; range: Range }>> } }>;
  expect(actions[0].title).toContain('read');
  expect(actions[0].edit.changes[uri(MAIN)][0]).toEqual({ newText: 'read', range: diags[0].range });
});

test('the extension\'s requests: compile, simulate naming the rule, disassemble; errors as values', async () => {
  const text = `read: allow\nopenat: return EACCES\n${NEEDED}`;
  await open('x86_64/run.policy', text);
  const c = await rpc.sendRequest('tsjail/compile', { uri: uri('x86_64/run.policy') }) as { ok: boolean; arch: string; insns: number; base64: string };
  expect([c.ok, c.arch]).toEqual([true, 'x86_64']);
  expect(Buffer.from(c.base64, 'base64').length).toBe(c.insns * 8);
  const s = await rpc.sendRequest('tsjail/simulate', { uri: uri('x86_64/run.policy'), syscall: 'openat', args: ['0'] }) as { action: string; data: number; where: string };
  expect([s.action, s.data, s.where]).toEqual(['errno', 13, `${path.join(dir, 'x86_64/run.policy')}:2`]);
  const bad = await rpc.sendRequest('tsjail/simulate', { uri: uri('x86_64/run.policy'), syscall: 'opneat' }) as { ok: boolean; error: string };
  expect(bad).toEqual({ ok: false, error: expect.stringContaining('did you mean "openat"') });
  const d = await rpc.sendRequest('tsjail/disassemble', { uri: uri('x86_64/run.policy') }) as { ok: boolean; text: string };
  expect(d.text).toMatch(/ALLOW/i);
});

test('without --stdio: one line and a usage status', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), 'lsp'], { cwd: root });
  expect(r.status).toBe(2);
  expect(r.stderr.toString().split('\n')[0]).toBe('tsjail: lsp: give --stdio (the language server speaks LSP over stdin and stdout)');
});
