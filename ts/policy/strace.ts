// `strace -f` logs as minijail's policy generator reads them: one call per line, optionally
// after `[pid N]` or a bare pid, `name(args...) = result`; unfinished/resumed pairs, signal
// (`---`) and exit (`+++`) lines carry no new call. Pure text: browser-safe. The calls become
// ObservedCall records for writeLearnedPolicy, the key argument of ioctl/fcntl/prctl/socket/
// clone/mmap/mprotect resolved through the arch's constants.

import type { ObservedCall } from './learn';
import { tables } from './tables';

export class StraceLogError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'StraceLogError';
  }
}

const CALL = /^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?:\d+(?:\.\d+)?\s+)?([a-z_][a-z0-9_]*)\((.*)$/;
const SKIP = /^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?:\d+(?:\.\d+)?\s+)?(?:---|\+\+\+|<\.\.\. [a-z_0-9]+ resumed>|strace: )/;
const KEY: Record<string, number> = { ioctl: 1, fcntl: 1, prctl: 0, socket: 0, clone: 0, mmap: 2, mprotect: 2 };

/** Top-level comma split of an argument list (brackets, braces and strings kept whole). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      cur += c;
      if (c === '\\') cur += s[++i] ?? '';
      else if (c === '"') quote = false;
      continue;
    }
    if (c === '"') quote = true;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A numeric argument: a number, a named constant, or an OR of them; undefined when not one. */
function valueOf(text: string, constants: Map<string, bigint>): bigint | undefined {
  const t = text.replace(/^flags=/, '').replace(/^child_stack=[^,]*$/, '');
  let v = 0n;
  for (const part of t.split('|')) {
    const p = part.trim();
    if (/^-?\d+$/.test(p)) v |= BigInt.asUintN(64, BigInt(p));
    else if (/^0x[0-9a-f]+$/i.test(p)) v |= BigInt(p);
    else if (constants.has(p)) v |= constants.get(p)!;
    else return undefined;
  }
  return v;
}

/**
 * Parse an `strace -f` log into observed calls for `arch`. Throws StraceLogError naming the
 * line for a line that is none of strace's forms, or a syscall the arch does not have.
 */
export async function parseStraceLog(text: string, file: string, arch: string): Promise<ObservedCall[]> {
  const t = await tables(arch);
  if (!t) throw new RangeError(`parseStraceLog: unknown architecture "${arch}"`);
  const seen = new Map<string, ObservedCall>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    if (line === '' || SKIP.test(line)) continue;
    const m = CALL.exec(line);
    if (!m) throw new StraceLogError(file, i + 1, `not a line of \`strace -f\`: ${line.slice(0, 60)}`);
    const name = m[1];
    const nr = t.syscalls.get(name);
    if (nr === undefined) throw new StraceLogError(file, i + 1, `${name} is not a syscall on ${t.name}`);
    // `name(args <unfinished ...>` or `name(args) = result`.
    const rest = m[2];
    const end = rest.includes('<unfinished ...>') ? rest.indexOf('<unfinished ...>') : rest.lastIndexOf(')');
    if (end < 0) throw new StraceLogError(file, i + 1, `${name}: the argument list does not end`);
    const args = splitArgs(rest.slice(0, end));
    const key = KEY[name];
    const callArgs: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
    if (key !== undefined && args[key] !== undefined) {
      const v = valueOf(args[key], t.constants);
      if (v !== undefined) callArgs[key] = v;
    }
    const id = `${nr}:${key !== undefined ? callArgs[key] : ''}`;
    const e = seen.get(id);
    if (e) e.count++;
    else seen.set(id, { nr, arch: t.name, args: callArgs, count: 1 });
  }
  return [...seen.values()];
}
