// The dispatch's built-in syscall-frequency prior (wasm/assembly/tables/prior.ts): generated
// from committed recordings by scripts/gen-syscall-prior.js, recorded from programs other than
// the ones the bench's weighted cost is measured with, and naming real syscalls.

import { readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { syscallNumber } from '../ts/policy';
import { ROOT, inScratchCopy, runCheck as runGenerator } from './helpers/generated-check';

const DATA = path.join(ROOT, 'scripts/data/syscall-prior');
const TABLE = 'wasm/assembly/tables/prior.ts';

const runCheck = (root: string) => runGenerator(root, 'scripts/gen-syscall-prior.js');

/** The command each recording's header names (`# name: strace -c -f COMMAND...`), first word. */
function commands(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.tsv'))) {
    const m = /^# [^:]+: strace -c -f (\S+)/.exec(readFileSync(path.join(dir, f), 'utf8'));
    expect(m).not.toBeNull();
    out.set(f.replace(/\.tsv$/, ''), m![1]);
  }
  return out;
}

describe('scripts/gen-syscall-prior.js', () => {
  test('--check reproduces the committed table byte for byte', () => {
    const r = runCheck(ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('--check fails and names the table when a recording changed', () => {
    const files = ['scripts/gen-syscall-prior.js', 'scripts/generated-check.js', TABLE,
      ...readdirSync(DATA).map((f) => path.join('scripts/data/syscall-prior', f))];
    inScratchCopy(files, (dir) => {
      expect(runCheck(dir).status).toBe(0);
      const perl = path.join(dir, 'scripts/data/syscall-prior/perl.tsv');
      writeFileSync(perl, readFileSync(perl, 'utf8').replace(/^read\t\d+$/m, 'read\t99999'));
      const r = runCheck(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${TABLE} (line`);
    });
  });
});

describe('the prior', () => {
  test('is recorded from other programs than the bench weighs by', () => {
    const prior = commands(DATA);
    const bench = commands(path.join(ROOT, 'bench/data/syscall-counts'));
    expect(prior.size).toBeGreaterThanOrEqual(5);
    for (const name of prior.keys()) expect(bench.has(name)).toBe(false);
    for (const cmd of prior.values()) expect([...bench.values()]).not.toContain(cmd);
  });

  test('names x86_64 syscalls, or the same calls under their 32-bit names', async () => {
    const rows = readFileSync(path.join(ROOT, TABLE), 'utf8').split('\n').filter((l) => /^[a-z_0-9]+ \d+$/.test(l));
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows) {
      const name = row.split(' ')[0];
      const known = (await syscallNumber('x86_64', name)) !== undefined || (await syscallNumber('i386', name)) !== undefined;
      expect([name, known]).toEqual([name, true]);
    }
  });
});
