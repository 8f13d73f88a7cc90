// Per-arch names from the core's generated tables, parsed once per arch and cached.

import { withCore } from './core';

/** Canonical arch names; the core also accepts the aliases minijail and Debian use. */
export type ArchName = 'x86_64' | 'aarch64' | 'arm' | 'i386' | 'riscv64';

export interface ArchTables {
  /** The canonical name (aliases resolve to it). */
  name: string;
  syscalls: Map<string, number>;
  /** Number -> first name in the table. */
  names: Map<number, string>;
  constants: Map<string, bigint>;
  /** AUDIT_ARCH_* as seen in seccomp_data.arch. */
  auditArch: number;
  /** Argument word size. */
  bits: 32 | 64;
}

const cache = new Map<string, Promise<ArchTables | undefined>>();
let archList: Promise<string[]> | undefined;

/** Supported architectures (canonical names). */
export function arches(): Promise<string[]> {
  if (!archList) {
    const p = withCore((c) => c.archNames().split('\n').filter((n) => n !== ''));
    // A failed load is not cached: the core is re-instantiated after a trap.
    archList = p.catch((e) => {
      archList = undefined;
      throw e;
    });
  }
  return archList;
}

async function build(arch: string): Promise<ArchTables | undefined> {
  const [sys, consts] = await withCore((c) => [c.syscallTable(arch), c.constantTable(arch)]);
  if (sys === '' || consts === '') return undefined;
  const syscalls = new Map<string, number>(Object.entries(JSON.parse(sys) as Record<string, number>));
  const names = new Map<number, string>();
  for (const [n, nr] of syscalls) if (!names.has(nr)) names.set(nr, n);
  const constants = new Map<string, bigint>();
  for (const [n, v] of Object.entries(JSON.parse(consts) as Record<string, string>)) constants.set(n, BigInt(v));
  // The core adds minijail's MINIJAIL_ARCH_NR/BITS to every table: the same facts seccomp_data needs.
  const auditArch = Number(constants.get('MINIJAIL_ARCH_NR') ?? 0n);
  const bits = constants.get('MINIJAIL_ARCH_BITS') === 32n ? 32 : 64;
  const all = await arches();
  const name = all.includes(arch) ? arch : (await canonicalName(all, auditArch, bits)) ?? arch;
  return { name, syscalls, names, constants, auditArch, bits };
}

async function canonicalName(all: string[], auditArch: number, bits: number): Promise<string | undefined> {
  for (const a of all) {
    const t = await tables(a);
    if (t && t.auditArch === auditArch && t.bits === bits) return a;
  }
  return undefined;
}

/** An arch's tables, or undefined when the core does not know the arch. */
export function tables(arch: string): Promise<ArchTables | undefined> {
  let t = cache.get(arch);
  if (!t) {
    t = build(arch).catch((e) => {
      cache.delete(arch);
      throw e;
    });
    cache.set(arch, t);
  }
  return t;
}

export interface ArchInfo {
  /** Canonical name. */
  name: string;
  /** AUDIT_ARCH_* value. */
  auditArch: number;
  bits: 32 | 64;
}

/** An arch's canonical name, audit value and word size; undefined when the core does not know it. */
export async function archInfo(arch: string): Promise<ArchInfo | undefined> {
  const t = await tables(arch);
  return t && { name: t.name, auditArch: t.auditArch, bits: t.bits };
}

async function required(arch: string): Promise<ArchTables> {
  const t = await tables(arch);
  if (!t) throw new RangeError(`unknown architecture "${arch}" (expected one of ${(await arches()).join(', ')})`);
  return t;
}

/** A syscall's number on an arch, or undefined when the arch has no such syscall. */
export async function syscallNumber(arch: string, name: string): Promise<number | undefined> {
  return (await required(arch)).syscalls.get(name);
}

/** The name of a syscall number on an arch, or undefined. */
export async function syscallName(arch: string, nr: number): Promise<string | undefined> {
  return (await required(arch)).names.get(nr);
}

/** Every syscall name of an arch, sorted by number. */
export async function syscallNames(arch: string): Promise<string[]> {
  return [...(await required(arch)).syscalls.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([n]) => n);
}

/** A named constant's value on an arch (what a policy's `O_RDONLY` means there), or undefined. */
export async function constantValue(arch: string, name: string): Promise<bigint | undefined> {
  return (await required(arch)).constants.get(name);
}

/** Every named constant of an arch (a copy): name -> value in that arch's word size. */
export async function constants(arch: string): Promise<Map<string, bigint>> {
  return new Map((await required(arch)).constants);
}

/**
 * The names of `candidates` close enough to `name` to be a typo, best first, at most `count`:
 * the core's "did you mean" (the one its diagnostics use, with the same threshold).
 */
export async function suggestNames(name: string, candidates: Iterable<string>, count = 1): Promise<string[]> {
  // '\n' separates the candidates on the way into the core; such a name is never a suggestion.
  const list = [...candidates].filter((c) => c !== '' && !c.includes('\n'));
  if (list.length === 0 || name.includes('\n') || count < 1) return [];
  const ranked = await withCore((c) => c.rankNames(name, list.join('\n'), count));
  return ranked === '' ? [] : ranked.split('\n');
}
