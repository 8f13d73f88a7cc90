// OCI runtime-spec seccomp profile -> tsjail policy text for one arch, with the filtering a
// container runtime does first: Docker's and Podman's `includes`/`excludes` (caps, arches in
// Go's names, minKernel), `archMap`, containers/common's `errno`/`defaultErrno` names. Every
// problem with the input is one error located by its JSON path (`syscalls[3].args[0].op`).
//
// Meaning, as runc builds the filter with libseccomp: a rule per name and entry; names the
// target arch lacks are left out (libseccomp resolves names per arch); arguments with the same
// index in one entry become separate rules (runc's workaround for libseccomp's one comparison
// per argument); rules with the default action add nothing. Rules of one syscall whose
// actions differ are written most specific first (libseccomp keeps no order).

import { formatPolicy } from './format';
import { SCMP_ARCH } from './oci-export';
import { JsonSyntaxError, JsonValue, parseJson } from './oci-json';
import { constantValue, syscallNames, arches } from './tables';

export interface OciImportOptions {
  /** The tsjail arch (x86_64, aarch64, arm, i386, riscv64). */
  arch: string;
  /** Capabilities the container has (CAP_SYS_ADMIN...), for includes/excludes.caps. Default none. */
  caps?: string[];
  /** Kernel version for minKernel, "X.Y" or "X.Y.Z". Default 6.1. */
  kernel?: string;
  /** Name of the profile in the generated header and messages. */
  path?: string;
}

export interface OciImportError { path: string; message: string; line?: number; column?: number }

export interface OciImportResult {
  ok: boolean;
  /** Policy text (canonical layout), or null with errors. */
  policy: string | null;
  errors: OciImportError[];
  /** What the conversion assumed or left out (names the arch lacks, entries filtered out). */
  notes: string[];
}

const ACTIONS: Record<string, string> = {
  SCMP_ACT_KILL: 'kill-thread', SCMP_ACT_KILL_THREAD: 'kill-thread', SCMP_ACT_KILL_PROCESS: 'kill-process',
  SCMP_ACT_TRAP: 'trap', SCMP_ACT_ERRNO: 'errno', SCMP_ACT_TRACE: 'trace', SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_LOG: 'log', SCMP_ACT_NOTIFY: 'user-notify',
};
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const POLICY_OP: Record<string, string> = {
  SCMP_CMP_NE: '!=', SCMP_CMP_LT: '<', SCMP_CMP_LE: '<=', SCMP_CMP_EQ: '==', SCMP_CMP_GE: '>=', SCMP_CMP_GT: '>',
};
/** Go's GOARCH names (Docker's includes/excludes.arches) per tsjail arch. */
const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', arm: 'arm', i386: '386', riscv64: 'riscv64' };

/**
 * Syscall names of arches tsjail has no table for (powerpc, s390, mips) and arm's private calls,
 * which profiles list for those arches (Docker's does): not a typo, just not on ours.
 */
const OTHER_ARCH_NAMES = new Set([
  'swapcontext', 'sys_debug_setcontext', 'subpage_prot', 'spu_run', 'spu_create', 'rtas', 'switch_endian', 'multiplexer',
  'pciconfig_iobase', 'pciconfig_read', 'pciconfig_write',
  's390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr', 's390_guarded_storage', 's390_sthyi',
  'cachectl', 'sysmips', 'breakpoint', 'cacheflush', 'set_tls', 'usr26', 'usr32', 'get_tls',
]);

/** The tsjail arch of an SCMP_ARCH_* name, if it is one of ours. */
const ourArch = (scmp: string) => Object.keys(SCMP_ARCH).find((a) => SCMP_ARCH[a] === scmp);

class Failed extends Error {}

function kernelTuple(v: string): number[] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}
const kernelAtLeast = (k: number[], min: number[]) => {
  for (let i = 0; i < 3; i++) if (k[i] !== min[i]) return k[i] > min[i];
  return true;
};

interface Cond { index: number; op: string; value: bigint; valueTwo: bigint }
interface Rule { name: string; action: string; data: number; conds: Cond[]; from: string }

export async function importOciProfile(text: string, options: OciImportOptions): Promise<OciImportResult> {
  const errors: OciImportError[] = [];
  const notes: string[] = [];
  const fail = (path: string, message: string): never => {
    errors.push({ path, message });
    throw new Failed(message);
  };
  const arch = options.arch;
  if (!(await arches()).includes(arch)) return { ok: false, policy: null, errors: [{ path: '', message: `unknown architecture "${arch}"` }], notes };
  const kernel = kernelTuple(options.kernel ?? '6.1');
  if (!kernel) return { ok: false, policy: null, errors: [{ path: '', message: `kernel version "${options.kernel}": expected X.Y or X.Y.Z` }], notes };
  const caps = new Set((options.caps ?? []).map((c) => c.trim().toUpperCase()).filter((c) => c !== '').map((c) => (c.startsWith('CAP_') ? c : 'CAP_' + c)));
  const archNames = new Set(await syscallNames(arch));
  const allNames = new Set<string>();
  for (const a of await arches()) for (const n of await syscallNames(a)) allNames.add(n);

  let root: JsonValue;
  try {
    root = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      return { ok: false, policy: null, errors: [{ path: '', message: `invalid JSON: ${e.message.replace(/^\d+:\d+: /, '')}`, line: e.line, column: e.column }], notes };
    }
    throw e;
  }

  const isObj = (v: JsonValue | undefined): v is { [k: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);
  const obj = (v: JsonValue | undefined, path: string) => (isObj(v) ? v : fail(path, `expected an object, found ${describe(v)}`));
  const arr = (v: JsonValue | undefined, path: string): JsonValue[] => (Array.isArray(v) ? v : fail(path, `expected an array, found ${describe(v)}`));
  const str = (v: JsonValue | undefined, path: string): string => (typeof v === 'string' ? v : fail(path, `expected a string, found ${describe(v)}`));
  const uint = (v: JsonValue | undefined, path: string, max: bigint): bigint => {
    if (typeof v !== 'bigint') fail(path, `expected an unsigned integer, found ${describe(v)}`);
    if ((v as bigint) < 0n || (v as bigint) > max) fail(path, `${v} is out of range (0 to ${max})`);
    return v as bigint;
  };
  const strings = (v: JsonValue | undefined, path: string): string[] => (v === undefined || v === null ? [] : arr(v, path).map((x, i) => str(x, `${path}[${i}]`)));
  const errnoOf = async (v: JsonValue | undefined, path: string): Promise<number> => {
    if (typeof v === 'string') {
      const n = await constantValue(arch, v);
      if (n === undefined || !/^E[A-Z0-9]+$/.test(v)) fail(path, `unknown errno name "${v}"`);
      return Number(n);
    }
    return Number(uint(v, path, 0xffffn));
  };
  const action = (v: JsonValue | undefined, path: string): string => {
    const a = str(v, path);
    if (!ACTIONS[a]) fail(path, `unknown action "${a}"; expected one of ${Object.keys(ACTIONS).join(', ')}`);
    return ACTIONS[a];
  };

  try {
    const p = obj(root, '');
    const known = new Set(['defaultAction', 'defaultErrnoRet', 'defaultErrno', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata']);
    for (const k of Object.keys(p)) if (!known.has(k)) fail(k, `unknown field "${k}"`);
    const defAction = action(p.defaultAction, 'defaultAction');
    let defData = 0;
    if (p.defaultErrnoRet !== undefined) defData = await errnoOf(p.defaultErrnoRet, 'defaultErrnoRet');
    else if (p.defaultErrno !== undefined) defData = await errnoOf(p.defaultErrno, 'defaultErrno');
    else if (defAction === 'errno') defData = 1; // libseccomp's SCMP_ACT_ERRNO without a value: EPERM
    // Which arches the profile covers: architectures, or archMap (Docker picks the entry whose
    // architecture or sub-architectures hold the host's).
    const listed = new Set<string>();
    strings(p.architectures, 'architectures').forEach((a, i) => {
      if (!a.startsWith('SCMP_ARCH_')) fail(`architectures[${i}]`, `unknown architecture "${a}"`);
      listed.add(a);
    });
    if (p.archMap !== undefined && p.archMap !== null) {
      arr(p.archMap, 'archMap').forEach((m, i) => {
        const o = obj(m, `archMap[${i}]`);
        const main = str(o.architecture, `archMap[${i}].architecture`);
        const subs = strings(o.subArchitectures, `archMap[${i}].subArchitectures`);
        if (main === SCMP_ARCH[arch]) { listed.add(main); subs.forEach((s) => listed.add(s)); }
      });
    }
    if (listed.size > 0 && !listed.has(SCMP_ARCH[arch])) {
      fail(p.archMap !== undefined ? 'archMap' : 'architectures', `the profile does not cover ${arch} (${SCMP_ARCH[arch]})`);
    }
    const others = [...listed].filter((a) => a !== SCMP_ARCH[arch]);
    if (others.length > 0) notes.push(`the profile also covers ${others.join(', ')}: a policy is for one arch, so their calls get the policy's bad-arch action (kill)`);
    for (const k of ['flags', 'listenerPath', 'listenerMetadata']) if (p[k] !== undefined) notes.push(`"${k}" is the runtime's business and is not part of the policy`);

    const rules: Rule[] = [];
    const entries = p.syscalls === undefined || p.syscalls === null ? [] : arr(p.syscalls, 'syscalls');
    for (let i = 0; i < entries.length; i++) {
      const at = `syscalls[${i}]`;
      const e = obj(entries[i], at);
      const fields = new Set(['names', 'name', 'action', 'errnoRet', 'errno', 'args', 'comment', 'includes', 'excludes']);
      for (const k of Object.keys(e)) if (!fields.has(k)) fail(`${at}.${k}`, `unknown field "${k}"`);
      const names = [...strings(e.names, `${at}.names`), ...(e.name !== undefined ? [str(e.name, `${at}.name`)] : [])];
      names.forEach((n, j) => {
        if (!allNames.has(n) && !OTHER_ARCH_NAMES.has(n)) fail(e.name !== undefined && j === names.length - 1 ? `${at}.name` : `${at}.names[${j}]`, `unknown syscall "${n}"`);
      });
      if (e.comment !== undefined) str(e.comment, `${at}.comment`);
      const act = action(e.action, `${at}.action`);
      let data = 0;
      if (e.errnoRet !== undefined && e.errnoRet !== null) data = await errnoOf(e.errnoRet, `${at}.errnoRet`);
      else if (e.errno !== undefined && e.errno !== null) data = await errnoOf(e.errno, `${at}.errno`);
      else if (act === 'errno') data = 1;
      const conds: Cond[] = [];
      const args = e.args === undefined || e.args === null ? [] : arr(e.args, `${at}.args`);
      args.forEach((x, j) => {
        const ap = `${at}.args[${j}]`;
        const o = obj(x, ap);
        for (const k of Object.keys(o)) if (!['index', 'value', 'valueTwo', 'op'].includes(k)) fail(`${ap}.${k}`, `unknown field "${k}"`);
        const index = Number(uint(o.index, `${ap}.index`, 5n));
        const op = str(o.op, `${ap}.op`);
        if (!OPS.includes(op)) fail(`${ap}.op`, `unknown operator "${op}"; expected one of ${OPS.join(', ')}`);
        const max = (1n << 64n) - 1n;
        conds.push({ index, op, value: o.value === undefined ? 0n : uint(o.value, `${ap}.value`, max), valueTwo: o.valueTwo === undefined ? 0n : uint(o.valueTwo, `${ap}.valueTwo`, max) });
      });
      // Docker's filters.
      const skip = (why: string) => notes.push(`${at} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}) left out: ${why}`);
      const filt = async (f: JsonValue | undefined, fp: string, include: boolean): Promise<string | null> => {
        if (f === undefined || f === null) return null;
        const o = obj(f, fp);
        for (const k of Object.keys(o)) if (!['caps', 'arches', 'minKernel'].includes(k)) fail(`${fp}.${k}`, `unknown field "${k}"`);
        const fArches = strings(o.arches, `${fp}.arches`);
        const fCaps = strings(o.caps, `${fp}.caps`);
        let minK: number[] | null = null;
        if (o.minKernel !== undefined && o.minKernel !== null && o.minKernel !== '') {
          minK = kernelTuple(str(o.minKernel, `${fp}.minKernel`));
          if (!minK) fail(`${fp}.minKernel`, `"${o.minKernel}": expected a kernel version X.Y or X.Y.Z`);
        }
        const goArch = GO_ARCH[arch];
        if (include) {
          if (fArches.length > 0 && !fArches.includes(goArch)) return `includes.arches does not list ${goArch}`;
          const lacking = fCaps.filter((c) => !caps.has(c));
          if (fCaps.length > 0 && lacking.length > 0) return `needs ${lacking.join(', ')}`;
          if (minK && !kernelAtLeast(kernel, minK)) return `needs kernel ${o.minKernel}`;
        } else {
          if (fArches.includes(goArch)) return `excludes.arches lists ${goArch}`;
          const having = fCaps.filter((c) => caps.has(c));
          if (having.length > 0) return `excluded with ${having.join(', ')}`;
          if (minK && kernelAtLeast(kernel, minK)) return `excluded from kernel ${o.minKernel}`;
        }
        return null;
      };
      const why = (await filt(e.includes, `${at}.includes`, true)) ?? (await filt(e.excludes, `${at}.excludes`, false));
      if (why) { skip(why); continue; }
      // runc: several conditions on one argument become separate rules.
      const byIndex = new Map<number, number>();
      for (const c of conds) byIndex.set(c.index, (byIndex.get(c.index) ?? 0) + 1);
      const condSets = [...byIndex.values()].some((n) => n > 1) ? conds.map((c) => [c]) : [conds];
      for (const n of names) {
        if (!archNames.has(n)) continue;
        for (const cs of condSets) rules.push({ name: n, action: act, data, conds: cs, from: at });
      }
    }

    // Per syscall, in the order of the profile; rules with the default's verdict add nothing.
    const verdict = (a: string, d: number) => (a === 'errno' ? `return ${d}` : a === 'trace' ? `trace` : a);
    const defVerdict = verdict(defAction, defData);
    const bySyscall = new Map<string, Rule[]>();
    for (const r of rules) {
      if (verdict(r.action, r.data) === defVerdict) continue;
      const l = bySyscall.get(r.name) ?? [];
      l.push(r);
      bySyscall.set(r.name, l);
    }
    const mask32 = arch === 'arm' || arch === 'i386';
    const lines: string[] = [];
    const src = options.path ?? 'the profile';
    lines.push(`# Converted from ${src} by tsjail convert --from oci for ${arch}` +
      `, capabilities: ${caps.size > 0 ? [...caps].sort().join(',') : 'none'}, kernel ${kernel.slice(0, 2).join('.')}.`);
    for (const n of notes) lines.push(`# ${n}`);
    if (defAction === 'allow' || defAction === 'log') {
      // A permissive default: the policy language has it only as @denylist (every rule an errno).
      if (defAction === 'log') fail('defaultAction', 'SCMP_ACT_LOG as the default: a tsjail policy cannot allow and log by default');
      for (const rs of bySyscall.values()) {
        const r = rs.find((x) => x.action !== 'errno');
        if (r) fail(`${r.from}.action`, `with SCMP_ACT_ALLOW as the default, tsjail can only express errno rules (a @denylist policy); this one is ${r.action}`);
      }
      notes.push('the default allows: written as a @denylist policy (other arches\' calls then get errno EPERM)');
      lines.push('@denylist');
    } else {
      lines.push(`@default ${defAction === 'errno' ? `return ${defData}` : defAction}`);
    }
    const cond = (c: Cond): string => {
      const hex = (v: bigint) => (v < 10n ? v.toString() : '0x' + v.toString(16));
      if (c.op === 'SCMP_CMP_MASKED_EQ') return `arg${c.index} & ${hex(c.value)} == ${hex(c.valueTwo)}`;
      return `arg${c.index} ${POLICY_OP[c.op]} ${hex(c.value)}`;
    };
    const actionText = (r: Rule) => (r.action === 'errno' ? `return ${r.data}` : r.action);
    for (const [name, rs] of bySyscall) {
      if (mask32 && rs.some((r) => r.conds.some((c) => c.value > 0xffffffffn || c.valueTwo > 0xffffffffn))) {
        fail(rs.find((r) => r.conds.some((c) => c.value > 0xffffffffn || c.valueTwo > 0xffffffffn))!.from, `${name}: a value beyond 32 bits on a 32-bit arch`);
      }
      const tr = rs.find((r) => r.action === 'trace' && r.data !== 0);
      if (tr) fail(`${tr.from}.errnoRet`, 'SCMP_ACT_TRACE with a message: tsjail policies have no trace data');
      const verdicts = new Set(rs.map((r) => verdict(r.action, r.data)));
      const plain = rs.filter((r) => r.conds.length === 0);
      const plainVerdicts = new Set(plain.map((r) => verdict(r.action, r.data)));
      if (plainVerdicts.size > 1) fail(plain[1].from, `${name} has unconditional rules with different actions (${[...plainVerdicts].join(', ')}): libseccomp refuses this profile`);
      // A syscall's unconditional rule ends its list; conditional rules with its verdict add nothing.
      const last = plain[0];
      const conditional = rs.filter((r) => r.conds.length > 0 && (!last || verdict(r.action, r.data) !== verdict(last.action, last.data)));
      if (verdicts.size > 1) notes.push(`${name}: rules with different actions (${[...verdicts].join(', ')}); libseccomp keeps no order: the more specific come first here`);
      conditional.sort((x, y) => y.conds.length - x.conds.length);
      // Conditional rules of one verdict in a row share a line.
      for (let i = 0; i < conditional.length;) {
        let j = i + 1;
        while (j < conditional.length && verdict(conditional[j].action, conditional[j].data) === verdict(conditional[i].action, conditional[i].data)) j++;
        const expr = conditional.slice(i, j).map((r) => r.conds.map(cond).join(' && ')).join(' || ');
        const r = conditional[i];
        lines.push(r.action === 'allow' ? `${name}: ${expr}` : `${name}: {${expr}; ${actionText(r)}}`);
        i = j;
      }
      if (last) lines.push(`${name}: ${last.action === 'allow' ? '1' : actionText(last)}`);
    }
    const policy = lines.join('\n') + '\n';
    const f = await formatPolicy(policy, { path: 'profile.policy' });
    return { ok: true, policy: f.ok ? f.text : policy, errors, notes };
  } catch (e) {
    if (e instanceof Failed) return { ok: false, policy: null, errors, notes };
    throw e;
  }
}

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'bigint' || typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return String(v);
}
