// The `tsjail` command: one module per subcommand registers itself here.

import { Command } from 'commander';
import { registerCompile } from './compile';
import { registerDisasm } from './disasm';
import { registerSimulate } from './simulate';
import { registerVerify } from './verify';
import { registerDiff } from './diff';
import { registerFmt } from './fmt';
import { registerLint } from './lint';
import { registerRun } from './run';
import { registerPackJail } from './pack-jail';
import { registerLearn } from './learn';
import { registerExecPath } from './exec-path';
import { registerExplain } from './explain';
import { registerLsp } from './lsp';
import { registerConvert } from './convert';
import { registerPlayground } from './playground';
import pkg from '../../package.json';

export function createProgram(): Command {
  const program = new Command();
  program
    .name('tsjail')
    .description('Sandbox Linux processes; compile, inspect and simulate minijail seccomp policies.')
    .version(pkg.version, '-V, --version')
    // Usage errors come back as CommanderError (exit 2 in main) instead of process.exit(1).
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tsjail: ${str.replace(/^error: /, '')}`) })
    .showHelpAfterError("Try 'tsjail --help' or 'tsjail COMMAND --help'.")
    .helpCommand(false);
  registerCompile(program);
  registerDisasm(program);
  registerSimulate(program);
  registerVerify(program);
  registerDiff(program);
  registerLint(program);
  registerFmt(program);
  registerRun(program);
  registerPackJail(program);
  registerLearn(program);
  registerExecPath(program);
  registerExplain(program);
  registerLsp(program);
  registerConvert(program);
  registerPlayground(program);
  return program;
}
