#!/usr/bin/env node
'use strict';
// The full kernel-vs-simulator sweep: every x86_64 corpus policy x every
// syscall number x all x32 numbers x argument values around every compared constant, each
// loaded in real children by build/native/Release/seccomp-oracle. `npm test` runs a slice of
// the same test (test/kernel-agrees.test.ts); this runs all of it.
// Usage: npm run sweep [-- --step N]   (N > 1 takes every N-th policy)
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
let step = '1';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--step' && args[i + 1]) step = args[++i];
  else if (args[i] === '--help' || args[i] === '-h') {
    console.log('usage: node scripts/kernel-sweep.js [--step N]');
    process.exit(0);
  } else {
    console.error(`kernel-sweep: unknown argument ${args[i]}`);
    process.exit(2);
  }
}
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const r = spawnSync(process.execPath, [jest, '--testTimeout=600000', 'test/kernel-agrees.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TSJAIL_KERNEL_SWEEP: 'full', TSJAIL_KERNEL_SWEEP_STEP: step },
});
process.exit(r.status ?? 1);
