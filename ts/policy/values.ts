// Argument values as people write them: numbers, bigints, numeric strings, and named constants
// joined by `|` (`O_RDONLY|O_CLOEXEC`), resolved on one arch as a policy's own values are. The
// one resolver behind simulate's args and the CLI's --args.

import { suggestNames, tables } from './tables';

/** An argument as the API takes it: a bigint, a safe integer, or text (`0x10`, `-1`, `AF_INET`, `O_RDONLY|O_CLOEXEC`). */
export type ArgValue = bigint | number | string;

export type ResolvedValue =
  | { ok: true; value: bigint }
  /** `message` names the value (`args[1]`) and, for an unknown name, the nearest known constant. */
  | { ok: false; message: string; suggestion?: string };

/**
 * An integer as written in policies and C: decimal, 0x hex, 0o or leading-0 octal, 0b binary,
 * optionally negative (two's complement in 64 bits). undefined if it is not one, or does not fit.
 */
export function parseInteger(text: string): bigint | undefined {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text.trim());
  if (!m) return undefined;
  const body = /^0[0-7]+$/.test(m[2]) ? '0o' + m[2].slice(1) : m[2];
  const v = BigInt(body);
  const signed = m[1] === '-' ? -v : v;
  if (signed < -(1n << 63n) || signed >= 1n << 64n) return undefined;
  return BigInt.asUintN(64, signed);
}

/**
 * Resolve `value` on `arch` to a u64 (negative numbers as two's complement). `what` names it
 * in messages (`args[1]`, `--args a1`). Never throws for a bad value; RangeError for an unknown arch.
 */
export async function resolveArgValue(arch: string, value: ArgValue, what: string): Promise<ResolvedValue> {
  if (typeof value === 'bigint' || typeof value === 'number') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      return { ok: false, message: `${what} must be an integer (a bigint, a safe integer number or a constant name), not ${String(value)}` };
    }
    const b = BigInt(value);
    if (b < -(1n << 63n) || b >= 1n << 64n) return { ok: false, message: `${what} does not fit in 64 bits: ${b}` };
    return { ok: true, value: BigInt.asUintN(64, b) };
  }
  if (typeof value !== 'string') return { ok: false, message: `${what} must be a bigint, a number or a string, not ${typeof value}` };
  const t = await tables(arch);
  if (!t) throw new RangeError(`unknown architecture "${arch}"`);
  let v = 0n;
  for (const part of value.split('|').map((s) => s.trim())) {
    const n = parseInteger(part);
    if (n !== undefined) {
      v |= n;
      continue;
    }
    if (/^-?(0[xX][0-9a-fA-F]+|[1-9][0-9]*)$/.test(part)) {
      return { ok: false, message: `${what}: ${part} does not fit in 64 bits (an argument is a u64, or a negative s64)` };
    }
    const c = /^[A-Za-z_]\w*$/.test(part) ? t.constants.get(part) : undefined;
    if (c === undefined) {
      const [hint] = /^[A-Za-z_]\w*$/.test(part) ? await suggestNames(part, t.constants.keys()) : [];
      return {
        ok: false,
        message: `${what}: "${part}" is neither a number nor a constant known on ${t.name}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        ...(hint ? { suggestion: hint } : {}),
      };
    }
    v |= BigInt.asUintN(64, c);
  }
  return { ok: true, value: v };
}
