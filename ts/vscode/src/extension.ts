// The desktop entry: the language server runs as a Node process (dist/server.js, the bundle of
// `tsjail lsp --stdio`'s server) over stdio.

import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import { clientOptions, wire } from './commands';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  client = new LanguageClient('tsjail', 'tsjail', {
    run: { module, transport: TransportKind.stdio },
    debug: { module, transport: TransportKind.stdio },
  }, clientOptions());
  wire(context, client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
