// Which arch a policy file is for: a modeline comment, else the file's path, else the editor's
// setting, else x86_64. Names go through the core (archInfo), so its aliases (amd64, arm64,
// x86...) count.

import { archInfo } from '../policy/index';

export type ArchSource = 'modeline' | 'path' | 'setting' | 'default';

export interface FileArch {
  /** Canonical name. */
  arch: string;
  source: ArchSource;
}

/** `# tsjail: arch=aarch64` in a comment of the first 10 lines. */
const MODELINE = /^\s*#.*\btsjail:\s*arch\s*=\s*([A-Za-z0-9_-]+)/;

async function canonical(name: string): Promise<string | undefined> {
  return (await archInfo(name))?.name;
}

/**
 * The arch of the file at `path` with text `text`. A modeline naming an arch the core does not
 * know is ignored (the next rule decides), as is a setting that names none.
 */
export async function fileArch(path: string, text: string, setting: string | undefined): Promise<FileArch> {
  const head = text.split('\n', 10);
  for (const line of head) {
    const m = MODELINE.exec(line);
    if (m) {
      const a = await canonical(m[1]);
      if (a) return { arch: a, source: 'modeline' };
    }
  }
  // seccomp/x86_64/x.policy, x-amd64.policy, arm64/x.policy: directory names and the file name's
  // `-`/`.`-separated words, the nearest first (underscores stay: x86_64 is one word).
  const parts = path.split('/').filter((p) => p !== '');
  const words = parts.length > 0 ? [...parts[parts.length - 1].split(/[-.]/).reverse(), ...parts.slice(0, -1).reverse()] : [];
  for (const w of words) {
    if (!/^[a-z][a-z0-9_]*$/.test(w) || w === 'policy') continue;
    const a = await canonical(w);
    if (a) return { arch: a, source: 'path' };
  }
  if (setting) {
    const a = await canonical(setting);
    if (a) return { arch: a, source: 'setting' };
  }
  return { arch: 'x86_64', source: 'default' };
}
