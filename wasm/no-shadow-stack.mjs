// asc transform (wasm/asconfig.json "transform"): no shadow stack for the arena runtime.
//
// asc treats any custom runtime like its incremental GC and turns on the shadow stack, which
// spills every managed local and argument to a stack in linear memory (and checks for overflow)
// so the collector can find roots. wasm/assembly/rt/arena.ts has no collector, so that work is
// pure overhead: about a fifth of compile's time. This runs after parsing, before
// compilation, and switches it off the way --runtime stub does (stackSize 0).
import { Transform } from 'assemblyscript/transform';

export default class NoShadowStack extends Transform {
  afterParse() {
    const program = this.program;
    if (!program || !program.options || !program.module || !('useShadowStack' in program.module)) {
      throw new Error('no-shadow-stack: asc internals changed (program.options.stackSize, module.useShadowStack)');
    }
    program.options.stackSize = 0;
    program.module.useShadowStack = false;
  }
}
