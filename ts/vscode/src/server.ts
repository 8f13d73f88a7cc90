// The desktop extension's server process: the language server over stdio (ts/lsp/node.ts).

import { runStdioServer } from '../../lsp/node';

runStdioServer();
