// The IR's meaning of one argument comparison (wasm/assembly/ir.ts atomHolds), in BigInt:
// the reference the front-end and codegen tests evaluate policies with.

const M64 = (1n << 64n) - 1n;

/** Does `arg OP value` hold? Arguments are unsigned 64-bit words, or 32-bit on 32-bit arches. */
export function atomHolds(op: string, value: bigint, arg: bigint, bits: number): boolean {
  const wmask = bits === 32 ? 0xffffffffn : M64;
  const x = arg & wmask;
  const v = value & wmask;
  switch (op) {
    case '==': return x === v;
    case '!=': return x !== v;
    case '<': return x < v;
    case '<=': return x <= v;
    case '>': return x > v;
    case '>=': return x >= v;
    case '&': return (x & v) !== 0n;
    case 'in': return (x & (~v & wmask)) === 0n;
  }
  throw new Error('unknown op ' + op);
}
