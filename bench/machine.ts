// What the numbers were measured on: CPU, cores, kernel, Node, and the peers' versions.
import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './paths';

export interface MachineInfo {
  cpu: string;
  cores: number;
  kernel: string;
  os: string;
  node: string;
  tsjail: string;
  commit: string;
  versions: Record<string, string>;
}

function firstLine(cmd: string, args: string[]): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.trim().split('\n')[0];
  } catch (e) {
    return 'not available';
  }
}

function debVersion(pkg: string): string {
  return firstLine('dpkg-query', ['-W', '-f=${Version}', pkg]);
}

export function machineInfo(): MachineInfo {
  let osName: string = os.platform();
  if (existsSync('/etc/os-release')) {
    const m = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) osName = m[1];
  }
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    kernel: os.release(),
    os: osName,
    node: process.version,
    tsjail: pkg.version,
    commit: firstLine('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    versions: {
      libseccomp: debVersion('libseccomp-dev'),
      bubblewrap: debVersion('bubblewrap'),
      firejail: debVersion('firejail'),
      'util-linux': debVersion('util-linux'),
      hyperfine: debVersion('hyperfine'),
      assemblyscript: JSON.parse(readFileSync(path.join(ROOT, 'node_modules/assemblyscript/package.json'), 'utf8')).version,
    },
  };
}
