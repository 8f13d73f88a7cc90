// What the tests of the generators with --check (scripts/generated-check.js) share: run one
// against a checkout, and build a scratch checkout holding only the files a run needs, so that
// a test can edit one of them and see --check notice.

import { spawnSync, SpawnSyncReturns } from 'child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');

/** `node <root>/<script> --check`. */
export function runCheck(root: string, script: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(root, script), '--check'], { encoding: 'utf8' });
}

/** Copy `files` (paths relative to the repository) into a fresh directory, run fn there, remove it. */
export function inScratchCopy(files: string[], fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsjail-gen-'));
  try {
    for (const rel of files) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      copyFileSync(path.join(ROOT, rel), path.join(dir, rel));
    }
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
