#!/usr/bin/env node
'use strict';
// `npm run fuzz`: the fuzz tests with many more cases. TSJAIL_FUZZ_CASES / TSJAIL_FUZZ_SEED
// override the defaults (e.g. a failing seed from a CI log).
const { spawnSync } = require('child_process');
const path = require('path');
const env = { ...process.env };
env.TSJAIL_FUZZ_CASES ??= '20000';
env.TSJAIL_FUZZ_SEED ??= String(Date.now() % 1e9);
console.log(`fuzz: ${env.TSJAIL_FUZZ_CASES} cases per generator, seed ${env.TSJAIL_FUZZ_SEED}`);
const jest = path.join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
const r = spawnSync(process.execPath, [jest, 'test/fuzz.test.ts', '--testTimeout=0'], { stdio: 'inherit', env, cwd: path.join(__dirname, '..') });
process.exit(r.status ?? 1);
