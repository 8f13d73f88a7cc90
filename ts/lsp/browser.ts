// The language server in a web worker (VS Code for the Web): the worker's messages are the
// transport, and every file the editor has not opened is asked of the client (tsjail/readFile).

import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import { startServer } from './server';

// The worker global as the transport needs it (the DOM lib has no worker types).
declare const self: ConstructorParameters<typeof BrowserMessageReader>[0];

const connection = createConnection(new BrowserMessageReader(self), new BrowserMessageWriter(self));
startServer(connection);
