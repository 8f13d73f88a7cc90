#!/usr/bin/env node
'use strict';
// Bundle the TypeScript layer with esbuild. The policy core's .wasm is inlined (binary
// loader), so one file works in Node CJS, Node ESM and browsers. Always pass --target:
// without it esbuild emits Uint8Array.fromBase64, which Node 20 lacks.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const has = (p) => fs.existsSync(path.join(root, p));

const common = { bundle: true, loader: { '.wasm': 'binary' }, logLevel: 'warning', absWorkingDir: root };
// tsjail/policy/web and tsjail/policy/worker load the core from a separate .wasm file
// (initPolicy): ts/policy/core-bytes.ts, which inlines it, is swapped for core-bytes-none.ts.
const separateWasm = {
  name: 'separate-wasm',
  setup(build) {
    build.onResolve({ filter: /^\.\/core-bytes$/ }, () => ({ path: path.join(root, 'ts/policy/core-bytes-none.ts') }));
  },
};
const web = { ...common, platform: 'browser', target: 'es2020', format: 'esm', minify: true, plugins: [separateWasm] };
const builds = [];
if (has('ts/policy/index.ts')) {
  builds.push(
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: 'dist/policy.cjs' },
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'node', target: 'node20', format: 'esm', outfile: 'dist/policy.mjs' },
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'browser', target: 'es2020', format: 'esm', minify: true, outfile: 'dist/policy.browser.mjs' },
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'browser', target: 'es2020', format: 'iife', globalName: 'tsjailPolicy', minify: true, outfile: 'dist/policy.browser.js' },
    { ...web, entryPoints: ['ts/policy/index.ts'], outfile: 'dist/policy.web.mjs' },
    { ...web, entryPoints: ['ts/policy/worker.ts'], outfile: 'dist/policy.worker.mjs' },
    { ...web, entryPoints: ['ts/policy/worker-client.ts'], outfile: 'dist/policy.client.mjs' },
  );
}
if (has('ts/index.ts')) {
  builds.push(
    { ...common, entryPoints: ['ts/index.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: 'dist/index.cjs' },
    { ...common, entryPoints: ['ts/index.ts'], platform: 'node', target: 'node20', format: 'esm', outfile: 'dist/index.mjs' },
  );
}
if (has('ts/cli/main.ts')) {
  builds.push({ ...common, entryPoints: ['ts/cli/main.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: 'dist/cli.cjs' });
}
// Outputs are written to a temporary name and renamed, so a test (or the CLI) running while
// another build is under way never loads a half-written bundle.
async function buildAtomically(options) {
  const result = await esbuild.build({ ...options, write: false });
  for (const f of result.outputFiles) writeAtomically(f.path, f.contents);
}

function writeAtomically(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

// Type declarations for package.json's "types" (dist/types/index.d.ts, dist/types/policy/index.d.ts).
// esbuild does not emit them; the TypeScript compiler (a devDependency) does. Skipped with a
// note when it is not installed (e.g. a production-only install that reuses prebuilt dist/).
function emitDeclarations() {
  let ts;
  try {
    ts = require('typescript');
  } catch {
    console.warn('build-ts: typescript is not installed; dist/types not written');
    return;
  }
  const entries = ['ts/policy/index.ts', 'ts/policy/worker-client.ts', 'ts/index.ts'].filter(has).map((e) => path.join(root, e));
  if (entries.length === 0) return;
  const options = {
    declaration: true, emitDeclarationOnly: true, outDir: path.join(root, 'dist', 'types'), rootDir: path.join(root, 'ts'),
    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true, skipLibCheck: true, resolveJsonModule: true, types: ['node'], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  };
  const program = ts.createProgram([...entries, path.join(root, 'ts', 'wasm.d.ts')], options);
  const result = program.emit(undefined, (file, text) => writeAtomically(file, text), undefined, true);
  const errors = ts.getPreEmitDiagnostics(program).concat(result.diagnostics).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    // The declarations are still written; `npm run typecheck` (part of npm test) fails on these,
    // while the bundles, which do not depend on them, stay usable.
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    console.warn(`build-ts: type errors while writing dist/types:\n${ts.formatDiagnostics(errors, host)}`);
  }
}

Promise.all(builds.map(buildAtomically))
  .then(() => { if (!process.argv.includes('--no-types')) emitDeclarations(); })
  .catch((e) => { console.error(e.message); process.exit(1); });
