// The language server in a web worker, as VS Code for the Web runs it: the extension's bundle of
// ts/lsp/browser.ts (dist/web/server.js in the extension) in headless Chromium, driven with LSP messages
// over postMessage. The page plays the editor: it answers the server's tsjail/readFile requests
// from a file map (a worker cannot read files), so an @include through the include map resolves.

import { execFileSync } from 'child_process';
import * as path from 'path';
import { ChromiumSession, chromiumMissing, startChromium } from './helpers/chromium';

const root = path.resolve(__dirname, '..');

// The editor's side, evaluated in the page: a minimal JSON-RPC client over the worker.
const SCENARIO = `async () => {
  const worker = new Worker('/server.js');
  let next = 1;
  const waiting = new Map();
  const published = [];
  const readRequests = [];
  const FILES = { 'file:///ws/inc/common.policy': 'exit_group: 1\\nrt_sigreturn: 1\\nrestart_syscall: 1\\n' };
  let onPublish = () => undefined;
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.id !== undefined && m.method === undefined) { waiting.get(m.id)(m); waiting.delete(m.id); return; }
    if (m.method === 'textDocument/publishDiagnostics') { published.push(m.params); onPublish(); return; }
    if (m.id !== undefined) {
      let result = null;
      if (m.method === 'tsjail/readFile') { readRequests.push(m.params.uri); result = FILES[m.params.uri] ?? null; }
      worker.postMessage({ jsonrpc: '2.0', id: m.id, result });
    }
  };
  const request = (method, params) => new Promise((resolve) => {
    const id = next++;
    waiting.set(id, (m) => resolve(m.error ? { error: m.error.message } : m.result));
    worker.postMessage({ jsonrpc: '2.0', id, method, params });
  });
  const notify = (method, params) => worker.postMessage({ jsonrpc: '2.0', method, params });
  const diagnostics = (version) => new Promise((resolve) => {
    const check = () => { const p = published.find((x) => x.version === version); if (p) resolve(p.diagnostics); };
    onPublish = check;
    check();
  });
  const uri = 'file:///ws/seccomp/arm64/a.policy';
  const text = '@include /usr/share/policy/crosvm/common.policy\\nreed: allow\\nmmap: arg2 in ~PROT_EXEC\\n';
  const init = await request('initialize', { processId: null, rootUri: 'file:///ws', capabilities: {},
    initializationOptions: { includeMap: { '/usr/share/policy/crosvm/': 'inc/' } } });
  notify('initialized', {});
  notify('textDocument/didOpen', { textDocument: { uri, languageId: 'seccomp-policy', version: 1, text } });
  const first = await diagnostics(1);
  const hover = await request('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 1 } });
  const completion = await request('textDocument/completion', { textDocument: { uri }, position: { line: 2, character: 15 } });
  const definition = await request('textDocument/definition', { textDocument: { uri }, position: { line: 0, character: 12 } });
  notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: text.replace('reed', 'read') }] });
  const second = await diagnostics(2);
  await request('shutdown', null);
  worker.terminate();
  return {
    name: init.serverInfo.name,
    first: first.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character]),
    second,
    hover: hover.contents.value,
    completion: completion.map((c) => c.label),
    definition: definition && definition.uri,
    readRequests,
  };
}`;

(chromiumMissing ? describe.skip : describe)(`language server in a web worker${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
  let session: ChromiumSession;
  let base: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let context: any;

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-vscode.js')], { cwd: root, stdio: 'inherit' });
    session = await startChromium({ '/server.js': ['text/javascript', path.join(root, 'ts', 'vscode', 'dist', 'web', 'server.js')] });
    ({ base, context } = session);
  }, 60000);

  afterAll(async () => {
    await session?.close();
  });

  test('initialize, diagnostics on open and change, hover, completion, definition; includes asked of the editor', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e: Error) => errors.push(e.message));
    page.on('console', (m: { type(): string; text(): string }) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${base}/`);
    const r = await page.evaluate(`(${SCENARIO})()`);
    await page.close();
    expect(errors).toEqual([]);
    expect(r.name).toBe('tsjail');
    expect(r.first).toEqual([[2001, 1, 0, 4]]);
    expect(r.second).toEqual([]);
    expect(r.hover).toMatch(/\*\*aarch64\*\*: 222\b/);
    expect(r.hover).toContain('_arch aarch64 (from the path)_');
    expect(r.completion).toEqual(expect.arrayContaining(['PROT_EXEC', 'PROT_READ']));
    expect(r.definition).toBe('file:///ws/inc/common.policy');
    expect(r.readRequests).toContain('file:///ws/inc/common.policy');
  }, 60000);
});
