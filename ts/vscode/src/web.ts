// The web entry (VS Code for the Web): the same language server in a web worker
// (dist/web/server.js, the bundle of ts/lsp/browser.ts), as VS Code's lsp-web-extension-sample does it.

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/browser';
import { clientOptions, wire } from './commands';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const worker = new Worker(vscode.Uri.joinPath(context.extensionUri, 'dist', 'web', 'server.js').toString(true));
  client = new LanguageClient('tsjail', 'tsjail', worker, clientOptions());
  wire(context, client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
