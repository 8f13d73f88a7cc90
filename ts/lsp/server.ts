// The language server for seccomp policies, over any vscode-languageserver connection: node.ts
// gives it stdio (`tsjail lsp --stdio`), browser.ts a web worker's messages. Everything it knows
// comes from tsjail/policy's language service (PolicyDocument); this module turns offsets into
// LSP positions, finds the files policies include and the arch of each file.

import {
  CodeAction, CodeActionKind, CompletionItem, CompletionItemKind, Connection, Diagnostic as LspDiagnostic, DiagnosticSeverity,
  DocumentSymbol, InitializeResult, Location, MarkupKind, SemanticTokensBuilder, SymbolKind, TextDocumentSyncKind, TextDocuments, TextEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Diagnostic, PolicyDocument, PolicySymbol, Suggestion, TokenKind, decodeProgram, disassemble } from '../policy/index';
import { FileArch, fileArch } from './arch';
import { dirname, includeTarget, pathUri, resolvePath, settingsIncludeMap, uriPath } from './uris';

/** What the server asks of where it runs. */
export interface ServerHost {
  /** A file the editor has not opened: its text, or undefined when it does not exist. */
  readFile(uri: string): Promise<string | undefined>;
}

/** The settings under `tsjail` (also accepted as initializationOptions). */
export interface ServerSettings {
  /** The arch of files whose modeline and path name none. */
  arch?: string;
  /** Install path (a prefix ends in `/`) -> workspace path (relative to the first workspace folder). */
  includeMap?: Record<string, string>;
}

/** The custom request the client answers with a file's text (or null): the web worker cannot read files itself. */
export const READ_FILE_REQUEST = 'tsjail/readFile';

/** Semantic token types, in legend order. */
const TOKEN_TYPES = ['function', 'parameter', 'enumMember', 'number', 'operator', 'keyword', 'macro', 'string', 'comment'];
const TOKEN_TYPE: Partial<Record<TokenKind, number>> = {
  syscall: 0, argument: 1, constant: 2, number: 3, operator: 4, action: 5, keyword: 5, directive: 6, path: 7, comment: 8,
};

const COMPLETION_KIND: Record<string, CompletionItemKind> = {
  syscall: CompletionItemKind.Function, directive: CompletionItemKind.Keyword, argument: CompletionItemKind.Variable,
  operator: CompletionItemKind.Operator, constant: CompletionItemKind.Constant, errno: CompletionItemKind.Constant,
  action: CompletionItemKind.EnumMember, keyword: CompletionItemKind.Keyword,
};

const SYMBOL_KIND: Record<string, SymbolKind> = {
  rule: SymbolKind.Function, include: SymbolKind.File, frequency: SymbolKind.File, default: SymbolKind.Constant, denylist: SymbolKind.Constant, directive: SymbolKind.Constant,
};

const ARCH_SOURCE: Record<FileArch['source'], string> = {
  modeline: 'from the modeline', path: 'from the path', setting: 'from the tsjail.arch setting', default: 'the default',
};

interface Analysed {
  version: number;
  doc: PolicyDocument;
  arch: FileArch;
}

/** Serve seccomp policies on `connection` until it closes. */
export function startServer(connection: Connection, host: Partial<ServerHost> = {}): void {
  const documents = new TextDocuments(TextDocument);
  let settings: ServerSettings = {};
  let folder: string | undefined;
  const cache = new Map<string, Analysed>();

  const readFile = async (uri: string): Promise<string | undefined> => {
    const open = documents.get(uri);
    if (open) return open.getText();
    if (host.readFile) return host.readFile(uri);
    const text = await connection.sendRequest<string | null>(READ_FILE_REQUEST, { uri });
    return typeof text === 'string' ? text : undefined;
  };

  async function analysed(uri: string): Promise<Analysed | undefined> {
    const td = documents.get(uri);
    if (!td) return undefined;
    const hit = cache.get(uri);
    if (hit && hit.version === td.version) return hit;
    const path = uriPath(uri);
    const text = td.getText();
    const arch = await fileArch(path, text, settings.arch);
    const map = settingsIncludeMap(settings.includeMap, folder);
    const doc = new PolicyDocument(text, {
      arch: arch.arch,
      path,
      files: (included: string) => readFile(pathUri(includeTarget(map, included), uri)),
    });
    const a = { version: td.version, doc, arch };
    cache.set(uri, a);
    return a;
  }

  function toLsp(td: TextDocument, d: Diagnostic, symbols: readonly PolicySymbol[]): LspDiagnostic {
    const path = uriPath(td.uri);
    let start = 0;
    let end = 0;
    let message = d.message;
    if (d.file === path && d.start !== undefined && d.end !== undefined) {
      start = d.start;
      end = d.end;
    } else {
      // In an included file (or about the request): shown on the @include that brought it in, else the first line.
      const inc = symbols.find((s) => (s.kind === 'include' || s.kind === 'frequency') && d.file !== undefined && resolvePath(dirname(path), s.name) === d.file);
      if (inc) {
        start = inc.start;
        end = inc.end;
      } else {
        end = Math.max(td.getText().indexOf('\n'), 0);
      }
      if (d.file && d.line !== undefined) message = `${d.file}:${d.line}:${d.column}: ${d.message}`;
    }
    // Never an empty range: an editor would draw nothing.
    if (end <= start) end = Math.min(start + 1, td.getText().length);
    if (end <= start && start > 0) start = end - 1;
    return {
      range: { start: td.positionAt(start), end: td.positionAt(end) },
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.code,
      source: 'tsjail',
      message,
      ...(d.suggestions && d.file === path ? { data: { suggestions: d.suggestions } } : {}),
    };
  }

  // Diagnostics in two steps: the front end's errors at once (milliseconds), then, once typing
  // pauses, the full lint (its findings about meaning take far longer on a large policy).
  const LINT_DELAY_MS = 250;
  const lintTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const hadErrors = new Map<string, boolean>();
  const current = (td: TextDocument) => documents.get(td.uri)?.version === td.version;
  async function publish(td: TextDocument, diagnostics: readonly Diagnostic[]): Promise<void> {
    const symbols = await (await analysed(td.uri))?.doc.outline();
    if (!symbols || !current(td)) return;
    await connection.sendDiagnostics({ uri: td.uri, version: td.version, diagnostics: diagnostics.map((d) => toLsp(td, d, symbols)) });
  }
  async function validate(td: TextDocument): Promise<void> {
    const a = await analysed(td.uri);
    if (!a) return;
    const check = await a.doc.check();
    if (!current(td)) return;
    const old = lintTimers.get(td.uri);
    if (old) clearTimeout(old);
    // Errors appear and go at once; lint warnings stay until the next lint replaces them, so
    // they do not flicker while typing.
    const errors = !check.ok;
    const had = hadErrors.get(td.uri);
    hadErrors.set(td.uri, errors);
    if (errors || had) await publish(td, check.diagnostics);
    lintTimers.set(td.uri, setTimeout(() => {
      lintTimers.delete(td.uri);
      if (!current(td)) return;
      void a.doc.lint().then((lint) => publish(td, lint.diagnostics)).catch(report);
    }, LINT_DELAY_MS));
  }
  const revalidateAll = () => {
    cache.clear();
    for (const td of documents.all()) void validate(td).catch(report);
  };
  const report = (e: unknown) => connection.console.error(`tsjail: ${e instanceof Error ? e.stack : String(e)}`);

  connection.onInitialize((params): InitializeResult => {
    const opts = params.initializationOptions as ServerSettings | undefined;
    if (opts && typeof opts === 'object') settings = { ...opts };
    const f = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
    folder = f ? uriPath(f) : undefined;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [' ', ':', '@', '|', '&', '(', ','] },
        hoverProvider: true,
        definitionProvider: true,
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        semanticTokensProvider: { legend: { tokenTypes: TOKEN_TYPES, tokenModifiers: [] }, full: true },
      },
      serverInfo: { name: 'tsjail' },
    };
  });

  connection.onDidChangeConfiguration((change) => {
    const s = (change.settings as { tsjail?: ServerSettings } | undefined)?.tsjail;
    if (s && typeof s === 'object') settings = { ...s };
    revalidateAll();
  });

  // Fired on open too.
  documents.onDidChangeContent((e) => void validate(e.document).catch(report));
  documents.onDidClose((e) => {
    cache.delete(e.document.uri);
    const t = lintTimers.get(e.document.uri);
    if (t) clearTimeout(t);
    lintTimers.delete(e.document.uri);
    hadErrors.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onCompletion(async (p): Promise<CompletionItem[]> => {
    const a = await analysed(p.textDocument.uri);
    const td = documents.get(p.textDocument.uri);
    if (!a || !td) return [];
    const items = await a.doc.completions(td.offsetAt(p.position));
    return items.map((c) => ({
      label: c.label,
      kind: COMPLETION_KIND[c.kind],
      ...(c.detail !== undefined ? { detail: c.detail } : {}),
      textEdit: { range: { start: td.positionAt(c.start), end: td.positionAt(c.end) }, newText: c.label },
    }));
  });

  connection.onHover(async (p) => {
    const a = await analysed(p.textDocument.uri);
    const td = documents.get(p.textDocument.uri);
    if (!a || !td) return null;
    const h = await a.doc.hover(td.offsetAt(p.position));
    if (!h) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: `${h.markdown}\n\n_arch ${a.arch.arch} (${ARCH_SOURCE[a.arch.source]})_` },
      range: { start: td.positionAt(h.start), end: td.positionAt(h.end) },
    };
  });

  connection.onDefinition(async (p): Promise<Location | null> => {
    const a = await analysed(p.textDocument.uri);
    const td = documents.get(p.textDocument.uri);
    if (!a || !td) return null;
    const s = await a.doc.statementAt(td.offsetAt(p.position));
    if (!s || (s.kind !== 'include' && s.kind !== 'frequency') || s.nameStart === s.start) return null;
    const included = resolvePath(dirname(uriPath(td.uri)), s.name);
    const target = pathUri(includeTarget(settingsIncludeMap(settings.includeMap, folder), included), td.uri);
    if ((await readFile(target).catch(() => undefined)) === undefined) return null;
    return { uri: target, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  });

  connection.onDocumentSymbol(async (p): Promise<DocumentSymbol[]> => {
    const a = await analysed(p.textDocument.uri);
    const td = documents.get(p.textDocument.uri);
    if (!a || !td) return [];
    const text = td.getText();
    return (await a.doc.outline()).map((s) => ({
      name: s.name || s.kind,
      detail: s.kind === 'rule' ? text.slice(s.nameEnd, s.end).replace(/^\s*:\s*/, '').replace(/\s+/g, ' ').slice(0, 80) : s.kind,
      kind: SYMBOL_KIND[s.kind],
      range: { start: td.positionAt(s.start), end: td.positionAt(s.end) },
      selectionRange: { start: td.positionAt(s.nameStart), end: td.positionAt(s.nameEnd) },
    }));
  });

  connection.onDocumentFormatting(async (p): Promise<TextEdit[]> => {
    const a = await analysed(p.textDocument.uri);
    const td = documents.get(p.textDocument.uri);
    if (!a || !td) return [];
    const r = await a.doc.format();
    if (!r.ok || !r.changed) return [];
    return [{ range: { start: td.positionAt(0), end: td.positionAt(td.getText().length) }, newText: r.text }];
  });

  connection.onCodeAction((p): CodeAction[] => {
    const td = documents.get(p.textDocument.uri);
    if (!td) return [];
    const out: CodeAction[] = [];
    for (const d of p.context.diagnostics) {
      const fixes = (d.data as { suggestions?: Suggestion[] } | undefined)?.suggestions ?? [];
      for (const fix of fixes) {
        out.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          edit: { changes: { [td.uri]: fix.edits.map((e) => ({ range: { start: td.positionAt(e.start), end: td.positionAt(e.end) }, newText: e.newText })) } },
        });
      }
    }
    return out;
  });

  connection.languages.semanticTokens.on(async (p) => {
    const a = await analysed(p.textDocument.uri);
    const td = documents.get(p.textDocument.uri);
    const b = new SemanticTokensBuilder();
    if (!a || !td) return b.build();
    for (const t of await a.doc.tokens()) {
      const type = TOKEN_TYPE[t.kind];
      if (type === undefined || t.end <= t.start) continue;
      const pos = td.positionAt(t.start);
      b.push(pos.line, pos.character, t.end - t.start, type, 0);
    }
    return b.build();
  });

  // The extension's commands: compile (the .bpf bytes), simulate a call, the disassembly.
  connection.onRequest('tsjail/compile', async (p: { uri: string }) => {
    const a = await analysed(p.uri);
    if (!a) return { ok: false, error: 'the document is not open' };
    const r = await a.doc.compile();
    if (!r.ok) return { ok: false, arch: a.arch.arch, error: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ') };
    let bin = '';
    for (const byte of r.program) bin += String.fromCharCode(byte);
    return { ok: true, arch: r.arch, insns: r.insns, base64: btoa(bin) };
  });
  connection.onRequest('tsjail/disassemble', async (p: { uri: string }) => {
    const a = await analysed(p.uri);
    if (!a) return { ok: false, error: 'the document is not open' };
    const r = await a.doc.compile();
    if (!r.ok) return { ok: false, error: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ') };
    return { ok: true, arch: r.arch, insns: decodeProgram(r.program).length, text: await disassemble(r.program, r.arch) };
  });
  connection.onRequest('tsjail/simulate', async (p: { uri: string; syscall: string; args?: string[] }) => {
    const a = await analysed(p.uri);
    if (!a) return { ok: false, error: 'the document is not open' };
    try {
      const args = (p.args ?? []).map((x) => BigInt(x));
      const r = await a.doc.simulate({ syscall: p.syscall, args });
      if (!r.ok) return { ok: false, error: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ') || 'the policy does not compile' };
      return { ok: true, arch: r.arch, action: r.action, data: r.data, insns: r.insns, where: r.where };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  });

  documents.listen(connection);
  connection.listen();
}
