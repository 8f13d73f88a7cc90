#!/usr/bin/env node
'use strict';
// `npm run bench [-- PART...]`: bundle the TypeScript bench modules (bench/main.ts) with esbuild,
// as scripts/build-ts.js does for the library, then run them in this process.
// Parts: filters compile verify scale analyze service spawn exec mediation multiarch throughput web (default: all); `--jails N`
// sizes the throughput part (default 2,000 jails per variant). Results go to bench/results/.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'build/bench/bench.cjs');

async function main() {
  if (!fs.existsSync(path.join(root, 'build/wasm/core.wasm'))) {
    console.error('bench: build/wasm/core.wasm is missing; run `npm run build:wasm` first');
    process.exit(1);
  }
  await esbuild.build({
    entryPoints: [path.join(root, 'bench/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    loader: { '.wasm': 'binary' },
    // The addon is loaded at run time from build/native/Release, never bundled.
    external: ['*.node'],
    outfile,
    logLevel: 'warning',
    absWorkingDir: root,
  });
  const code = await require(outfile).main(process.argv.slice(2));
  process.exitCode = code;
}

main().catch((e) => {
  console.error(`bench: ${e && e.message ? e.message : String(e)}`);
  process.exit(1);
});
