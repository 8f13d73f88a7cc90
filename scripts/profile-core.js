#!/usr/bin/env node
'use strict';
// Bundle bench/compile-profile.ts (core build comparison and output dumps) and run it; see there.
const esbuild = require('esbuild');
const path = require('path');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'build/bench/compile-profile.cjs');

async function main() {
  await esbuild.build({
    entryPoints: [path.join(root, 'bench/compile-profile.ts')],
    bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    loader: { '.wasm': 'binary' }, outfile, logLevel: 'warning', absWorkingDir: root,
  });
  process.exitCode = await require(outfile).main(process.argv.slice(2));
}

main().catch((e) => {
  console.error(`profile-core: ${e && e.stack ? e.stack : String(e)}`);
  process.exit(1);
});
