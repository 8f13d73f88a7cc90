// Parsers for the values `tsjail run` flags take: sizes, durations, capability sets, mount
// flag expressions, rlimits, id maps. Pure functions: each returns the parsed value or throws a
// ValueError whose message says what was wrong; the option layer adds which flag it came from.

import type { IdMap, RlimitSpec } from '../jail/spec';

/** A malformed flag value. The caller prefixes the flag (and config file line) it came from. */
export class ValueError extends Error {}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** "64M", "1g", "1048576", "10KiB" (binary units, like minijail's parse_size) -> bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new ValueError(`bad size '${text}' (expected a number with an optional K, M, G, T or P suffix)`);
  const bytes = Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
  if (!Number.isSafeInteger(bytes)) throw new ValueError(`size '${text}' is too large`);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, '': 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "10" (seconds), "1.5s", "500ms", "2m", "1h" -> milliseconds (at least 1). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?$/.exec(text.trim());
  if (!m) throw new ValueError(`bad duration '${text}' (expected e.g. 30, 30s, 500ms, 2m, 1h)`);
  const ms = Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? '']);
  if (ms <= 0) throw new ValueError(`duration '${text}' must be positive`);
  if (!Number.isSafeInteger(ms)) throw new ValueError(`duration '${text}' is too large`);
  return ms;
}

/** A non-negative decimal integer (no sign, no hex): fds, pids counts. */
export function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ValueError(`bad ${what} '${text}' (expected a non-negative integer)`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n)) throw new ValueError(`${what} '${text}' is too large`);
  return n;
}

/** strtoul(…, 0) rules: 0x hex, leading-0 octal, else decimal. */
export function parseCNumber(text: string): bigint | undefined {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  if (/^0[0-7]+$/.test(t)) return BigInt('0o' + t.slice(1));
  if (/^\d+$/.test(t)) return BigInt(t);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Capabilities

/** CAP_* names in number order (linux/capability.h up to CAP_LAST_CAP = 40 on Linux 6.x). */
export const CAP_NAMES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
  'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
  'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
  'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
];

function capNumber(name: string): number | undefined {
  const n = name.toLowerCase().replace(/^cap_/, '');
  const i = CAP_NAMES.indexOf(n);
  if (i >= 0) return i;
  if (/^\d+$/.test(n) && Number(n) < CAP_NAMES.length) return Number(n);
  return undefined;
}

/**
 * The capability set `-c` keeps, as a bitmask: either a hex mask ("0x3000", "3000") or a
 * cap_from_text(3) string ("cap_net_bind_service=eip", "cap_chown,cap_kill+ep", "all=e").
 * Like minijail, the effective flag decides: the result is every cap whose e-flag ends up set.
 */
export function parseCaps(text: string, lastCap = CAP_NAMES.length - 1): bigint {
  const t = text.trim();
  if (/^(0x)?[0-9a-f]+$/i.test(t)) {
    const mask = BigInt(t.startsWith('0x') || t.startsWith('0X') ? t : '0x' + t);
    if (mask >> BigInt(lastCap + 1) !== 0n) throw new ValueError(`cap mask '${text}' names capabilities beyond ${lastCap}`);
    return mask;
  }
  if (t === '') throw new ValueError('empty capability set');
  const all = (1n << BigInt(lastCap + 1)) - 1n;
  let effective = 0n;
  for (const clause of t.split(/\s+/)) {
    const opAt = clause.search(/[=+-]/);
    if (opAt < 0) throw new ValueError(`bad capability clause '${clause}' (expected e.g. cap_net_bind_service=eip)`);
    const namesPart = clause.slice(0, opAt);
    let set = 0n;
    if (namesPart === '' || namesPart.toLowerCase() === 'all') set = all;
    else {
      for (const name of namesPart.split(',')) {
        const n = capNumber(name);
        if (n === undefined) throw new ValueError(`unknown capability '${name}'`);
        if (n > lastCap) throw new ValueError(`capability '${name}' is not supported by this kernel`);
        set |= 1n << BigInt(n);
      }
    }
    const ops = clause.slice(opAt);
    const opRe = /([=+-])([eip]*)/gy;
    let consumed = 0;
    for (let m = opRe.exec(ops); m && m[0] !== ''; m = opRe.exec(ops)) {
      consumed = opRe.lastIndex;
      const hasE = m[2].includes('e');
      if (m[1] === '=') effective = hasE ? effective | set : effective & ~set;
      else if (m[1] === '+' && hasE) effective |= set;
      else if (m[1] === '-' && hasE) effective &= ~set;
    }
    if (consumed !== ops.length) throw new ValueError(`bad capability flags in '${clause}' (use = + - with e, i, p)`);
  }
  return effective;
}

/** Readable names of a mask, for messages and --help examples. */
export function capMaskNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < CAP_NAMES.length; i++) if ((mask >> BigInt(i)) & 1n) out.push('cap_' + CAP_NAMES[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mount flags: minijail accepts constant expressions such as MS_NODEV|MS_NOSUID or 0xe.

export const MS: Record<string, number> = {
  MS_RDONLY: 0x1, MS_NOSUID: 0x2, MS_NODEV: 0x4, MS_NOEXEC: 0x8, MS_SYNCHRONOUS: 0x10, MS_REMOUNT: 0x20,
  MS_MANDLOCK: 0x40, MS_DIRSYNC: 0x80, MS_NOSYMFOLLOW: 0x100, MS_NOATIME: 0x400, MS_NODIRATIME: 0x800,
  MS_BIND: 0x1000, MS_MOVE: 0x2000, MS_REC: 0x4000, MS_SILENT: 0x8000, MS_POSIXACL: 0x10000,
  MS_UNBINDABLE: 0x20000, MS_PRIVATE: 0x40000, MS_SLAVE: 0x80000, MS_SHARED: 0x100000, MS_RELATIME: 0x200000,
  MS_STRICTATIME: 0x1000000, MS_LAZYTIME: 0x2000000,
};

/** `MS_NODEV|MS_NOSUID`, `0xe`: MS_* names and numbers joined by `|`, with `~` and parentheses. */
export function parseMountFlags(text: string): number {
  const tokens = text.match(/\s*([A-Za-z_][A-Za-z0-9_]*|0x[0-9a-fA-F]+|\d+|[|~()]|\S)/g)?.map((s) => s.trim()) ?? [];
  let pos = 0;
  const fail = (why: string): never => { throw new ValueError(`bad mount flags '${text}': ${why}`); };
  const expr = (): number => {
    let v = term();
    while (tokens[pos] === '|') { pos++; v = (v | term()) >>> 0; }
    return v;
  };
  const term = (): number => {
    const tok = tokens[pos++];
    if (tok === undefined) return fail('expression ends early');
    if (tok === '~') return ~term() >>> 0;
    if (tok === '(') {
      const v = expr();
      if (tokens[pos++] !== ')') fail("missing ')'");
      return v;
    }
    const n = parseCNumber(tok);
    if (n !== undefined) {
      if (n > 0xffffffffn) fail(`${tok} does not fit in 32 bits`);
      return Number(n);
    }
    if (tok in MS) return MS[tok];
    const guess = Object.keys(MS).find((k) => k === 'MS_' + tok.toUpperCase());
    return fail(`unknown constant '${tok}'${guess ? ` (did you mean ${guess}?)` : ''}`);
  };
  if (tokens.length === 0) fail('empty expression');
  const v = expr();
  if (pos !== tokens.length) fail(`unexpected '${tokens[pos]}'`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// rlimits

export const RLIMITS = [
  'CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING',
  'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME',
];

function rlimitValue(text: string, which: string): number | 'unlimited' {
  if (text === 'unlimited') return 'unlimited';
  const n = parseCNumber(text);
  if (n === undefined) throw new ValueError(`bad ${which} limit '${text}' (a number or 'unlimited')`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValueError(`${which} limit '${text}' is too large (use 'unlimited')`);
  return Number(n);
}

/** `-R TYPE,CUR,MAX`: TYPE is RLIMIT_NOFILE, NOFILE or a number; CUR/MAX numbers or 'unlimited'. */
export function parseRlimit(text: string): RlimitSpec {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 3 || parts.some((p) => p === '')) throw new ValueError(`bad rlimit '${text}' (expected TYPE,CUR,MAX)`);
  const [type, cur, max] = parts;
  let resource: string | number;
  const num = parseCNumber(type);
  if (num !== undefined) {
    if (num >= BigInt(RLIMITS.length)) throw new ValueError(`unknown rlimit number ${type}`);
    resource = RLIMITS[Number(num)];
  } else {
    const name = type.toUpperCase().replace(/^RLIMIT_/, '');
    if (!RLIMITS.includes(name)) throw new ValueError(`unknown rlimit '${type}' (one of RLIMIT_${RLIMITS.join(', RLIMIT_')})`);
    resource = name;
  }
  const soft = rlimitValue(cur, 'soft');
  const hard = rlimitValue(max, 'hard');
  if (hard !== 'unlimited' && (soft === 'unlimited' || soft > hard)) {
    throw new ValueError(`rlimit '${text}': the soft limit exceeds the hard limit`);
  }
  return { resource, soft, hard };
}

// ---------------------------------------------------------------------------------------------
// uid/gid maps: newuidmap(1) triples, comma separated: "0 1000 1,1 100000 65536".

export function parseIdMap(text: string): IdMap[] {
  const maps: IdMap[] = [];
  for (const entry of text.split(',')) {
    const f = entry.trim().split(/\s+/);
    if (f.length !== 3 || !f.every((x) => /^\d+$/.test(x))) {
      throw new ValueError(`bad id map entry '${entry.trim()}' (expected 'INSIDE OUTSIDE COUNT', entries separated by commas)`);
    }
    const [inside, outside, count] = f.map(Number);
    if (count === 0) throw new ValueError(`id map entry '${entry.trim()}' has a count of 0`);
    if (inside + count > 2 ** 32 || outside + count > 2 ** 32) throw new ValueError(`id map entry '${entry.trim()}' exceeds 32-bit ids`);
    maps.push({ inside, outside, count });
  }
  return maps;
}
