// "What happens if" arguments as the user types them: numbers as in C (0x241, 0755, -100) or
// constant names of the arch or-ed together (O_WRONLY|O_CREAT). The arch's constant table is
// the core's (constantValue). To be replaced by simulate's own constant-name arguments when
// tsjail/policy accepts them.

import { constantValue } from '../policy/index';

/** A bad argument, with the text to show. */
export class ArgumentError extends Error {}

const NUMBER = /^-?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i;

/** One argument's value in 64 bits (negative numbers as two's complement). */
export async function parseArgument(arch: string, text: string, index: number): Promise<bigint> {
  const t = text.trim();
  if (t === '') return 0n;
  let value = 0n;
  for (const part of t.split('|').map((p) => p.trim())) {
    if (NUMBER.test(part)) {
      const neg = part.startsWith('-');
      const digits = neg ? part.slice(1) : part;
      const v = /^0[0-7]+$/.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
      if (v >= 1n << 64n) throw new ArgumentError(`arg${index}: ${part} does not fit in 64 bits`);
      value |= BigInt.asUintN(64, neg ? -v : v);
      continue;
    }
    const c = /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? await constantValue(arch, part) : undefined;
    if (c === undefined) throw new ArgumentError(`arg${index}: "${part}" is neither a number nor a constant on ${arch}`);
    value |= c;
  }
  return value;
}
