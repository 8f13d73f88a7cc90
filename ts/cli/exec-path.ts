// `tsjail exec-path`: the absolute path of the built tsjail-exec (next to the addon), for unit
// files and scripts: ExecStart=$(tsjail exec-path) /etc/myservice.jail

import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import { nativeDir } from '../jail/native';
import { PolicyFailure } from './errors';

export function execPath(): string {
  let dir: string;
  try {
    dir = nativeDir();
  } catch (e) {
    throw new PolicyFailure(`exec-path: ${(e as Error).message.replace(/^tsjail: /, '').split('\n')[0]}`);
  }
  const p = path.resolve(dir, 'tsjail-exec');
  if (!fs.existsSync(p)) throw new PolicyFailure(`exec-path: ${p} is not built (npm run build:native)`);
  return p;
}

export function registerExecPath(program: Command): void {
  program
    .command('exec-path')
    .description('print the absolute path of tsjail-exec, the native launcher of jail files')
    .action(() => {
      process.stdout.write(`${execPath()}\n`);
    });
}
