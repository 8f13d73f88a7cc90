'use strict';
// Post-optimization of the release core.wasm, applied by build-wasm.js: one more binaryen
// inlining pass with larger limits than asc's.
//
// asc runs binaryen with "always inline" up to 12 and "flexible inline" up to 70 (size units),
// and binaryen treats a function with a call as not lightweight, so small helpers with an error
// path (every checked Array/TypedArray accessor has a `throw`, string comparisons, map lookups)
// stay out-of-line calls in the hot loops of the parser, resolver and codegen (the allocator's
// __new among them). CPU µs per x86_64 corpus policy (min of rounds), core.wasm size: asc alone
// 133 vs 40/120 102 (289 -> 362 KB); later, on a faster core in one run: 40/120 87.5, 80/200
// 85.7 (383 KB), 120/300 81.4 (434 KB), 200/500 77.8 (898 KB). 120/300 is the last step that
// pays for its size.
// Same semantics: every corpus output is byte-identical (scripts/profile-core.js dump).
// binaryen is the package asc itself compiles with (same version, pinned in package.json).
const fs = require('fs');

const ALWAYS_INLINE_MAX = 120;
const FLEXIBLE_INLINE_MAX = 300;
const ONE_CALLER_INLINE_MAX = 500;

async function inlineMore(file) {
  const { default: binaryen } = await import('binaryen');
  const module = binaryen.readBinary(fs.readFileSync(file));
  try {
    // asc's default feature set (it emits no target_features section to read them from).
    const F = binaryen.Features;
    module.setFeatures(F.MutableGlobals | F.SignExt | F.NontrappingFPToInt | F.BulkMemory | F.BulkMemoryOpt);
    binaryen.setOptimizeLevel(4);
    binaryen.setShrinkLevel(0);
    binaryen.setAlwaysInlineMaxSize(ALWAYS_INLINE_MAX);
    binaryen.setFlexibleInlineMaxSize(FLEXIBLE_INLINE_MAX);
    binaryen.setOneCallerInlineMaxSize(ONE_CALLER_INLINE_MAX);
    binaryen.setAllowInliningFunctionsWithLoops(true);
    module.runPasses(['inlining-optimizing']);
    module.optimize();
    if (!module.validate()) throw new Error(`${file}: binaryen produced an invalid module`);
    fs.writeFileSync(file, module.emitBinary());
  } finally {
    module.dispose();
  }
}

module.exports = { inlineMore };
