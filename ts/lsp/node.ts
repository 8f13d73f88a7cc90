// The language server on Node (`tsjail lsp --stdio`): stdio transport, files the editor has not
// opened read from disk (file: URIs; other schemes are asked of the client).

import { readFile } from 'fs/promises';
import { fileURLToPath } from 'url';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

/** Serve on stdin/stdout until the client exits. */
export function runStdioServer(): void {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  startServer(connection, {
    async readFile(uri: string) {
      if (!uri.startsWith('file:')) return connection.sendRequest<string | null>('tsjail/readFile', { uri }).then((t) => t ?? undefined);
      try {
        return await readFile(fileURLToPath(uri), 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
        throw e;
      }
    },
  });
}
