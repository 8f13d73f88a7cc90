'use strict';
// Post-optimization of the release core.wasm, applied by build-wasm.js: one more binaryen
// inlining pass with larger limits than asc's.
//
// asc runs binaryen with "always inline" up to 12 and "flexible inline" up to 70 (size units),
// and binaryen treats a function with a call as not lightweight, so small helpers with an error
// path (every checked Array/TypedArray accessor has a `throw`, string comparisons, map lookups)
// stay out-of-line calls in the hot loops of the parser, resolver and codegen. Raising the limits
// to 40/120 and re-optimizing cut `compile` by about a quarter (133 -> 102 µs CPU per x86_64
// corpus policy) for 25% more code (289 -> 362 KB); 80/200 gained 2% more for another 25 KB.
// Same semantics: every corpus output is byte-identical (scripts/profile-core.js dump).
// binaryen is the package asc itself compiles with (same version, pinned in package.json).
const fs = require('fs');

const ALWAYS_INLINE_MAX = 40;
const FLEXIBLE_INLINE_MAX = 120;

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
    binaryen.setOneCallerInlineMaxSize(200);
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
