// tsjail lsp --stdio: the language server for seccomp policies (ts/lsp), speaking LSP on
// stdin/stdout to an editor (the VS Code extension starts it this way). It runs until the
// client sends exit or closes the pipe.

import { Command } from 'commander';
import { UsageError } from './errors';

export function registerLsp(program: Command): void {
  program
    .command('lsp')
    .description('run the language server for .policy files (diagnostics, completion, hover, formatting...)')
    .option('--stdio', 'speak LSP over stdin and stdout (the only transport)')
    .action(async (opts: { stdio?: boolean }) => {
      if (!opts.stdio) throw new UsageError('lsp: give --stdio (the language server speaks LSP over stdin and stdout)');
      const { runStdioServer } = await import('../lsp/node');
      runStdioServer();
      // The connection keeps the process alive and ends it on the client's exit notification.
      await new Promise<never>(() => undefined);
    });
}
