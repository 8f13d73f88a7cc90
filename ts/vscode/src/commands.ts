// What the extension adds around the language server, the same on the desktop and the web: the
// files the server asks for (tsjail/readFile, through VS Code's file system, so virtual
// workspaces work), the settings it starts with, and the commands (compile to .bpf, simulate a
// call, show the disassembly), each one request to the server.

import * as vscode from 'vscode';
import type { BaseLanguageClient, LanguageClientOptions } from 'vscode-languageclient';

const LANGUAGE = 'seccomp-policy';

/** The client options both entry points share. */
export function clientOptions(): LanguageClientOptions {
  const cfg = vscode.workspace.getConfiguration('tsjail');
  return {
    documentSelector: [{ language: LANGUAGE }],
    synchronize: { configurationSection: 'tsjail' },
    initializationOptions: { arch: cfg.get<string>('arch') || undefined, includeMap: cfg.get<Record<string, string>>('includeMap') ?? {} },
  };
}

function policyEditor(): vscode.TextEditor | undefined {
  const e = vscode.window.activeTextEditor;
  if (!e || e.document.languageId !== LANGUAGE) {
    void vscode.window.showErrorMessage('tsjail: open a .policy file first');
    return undefined;
  }
  return e;
}

/** Register the server's file reader and the commands; call once the client is created. */
export function wire(context: vscode.ExtensionContext, client: BaseLanguageClient): void {
  client.onRequest('tsjail/readFile', async (p: { uri: string }) => {
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.parse(p.uri)));
    } catch {
      return null;
    }
  });

  context.subscriptions.push(
    vscode.commands.registerCommand('tsjail.compile', async () => {
      const e = policyEditor();
      if (!e) return;
      const r = await client.sendRequest<{ ok: boolean; error?: string; arch?: string; insns?: number; base64?: string }>('tsjail/compile', { uri: e.document.uri.toString() });
      if (!r.ok || !r.base64) return void vscode.window.showErrorMessage(`tsjail: the policy does not compile: ${r.error}`);
      const name = e.document.uri.path.replace(/^.*\//, '').replace(/\.policy$/, '') + '.bpf';
      const target = vscode.Uri.joinPath(e.document.uri, '..', name);
      const bytes = Uint8Array.from(atob(r.base64), (c) => c.charCodeAt(0));
      await vscode.workspace.fs.writeFile(target, bytes);
      void vscode.window.showInformationMessage(`tsjail: wrote ${name} (${r.insns} instructions, ${r.arch})`);
    }),
    vscode.commands.registerCommand('tsjail.simulate', async () => {
      const e = policyEditor();
      if (!e) return;
      const input = await vscode.window.showInputBox({ prompt: 'A call: syscall name and up to 6 arguments', placeHolder: 'openat 0 0 0x241' });
      if (!input) return;
      const [syscall, ...args] = input.trim().split(/\s+/);
      const r = await client.sendRequest<{ ok: boolean; error?: string; action?: string; data?: number; insns?: number; where?: string }>(
        'tsjail/simulate', { uri: e.document.uri.toString(), syscall, args });
      if (!r.ok) return void vscode.window.showErrorMessage(`tsjail: ${r.error}`);
      const verdict = r.action === 'errno' || r.action === 'trace' || r.action === 'trap' ? `${r.action} ${r.data}` : r.action;
      void vscode.window.showInformationMessage(`tsjail: ${syscall} → ${verdict} (${r.where ? `decided by ${r.where}` : 'the default action'}; ${r.insns} instructions)`);
    }),
    vscode.commands.registerCommand('tsjail.disassemble', async () => {
      const e = policyEditor();
      if (!e) return;
      const r = await client.sendRequest<{ ok: boolean; error?: string; text?: string }>('tsjail/disassemble', { uri: e.document.uri.toString() });
      if (!r.ok) return void vscode.window.showErrorMessage(`tsjail: the policy does not compile: ${r.error}`);
      const doc = await vscode.workspace.openTextDocument({ content: r.text, language: 'plaintext' });
      await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    }),
  );
}
