// tsjail simulate POLICY|FILE.bpf --syscall NAME|NR: what the filter does for one call.

import { Command } from 'commander';
import { SimulateResult, archInfo, constants, parseInteger, resolveArgValue, simulate, suggestNames, syscallName, syscallNames, syscallNumber } from '../policy/index';
import { PolicyOptions, addPolicyOptions, firstArch, loadProgram, resolveArch, resolveArchList } from './common';
import { UsageError } from './errors';
import { writeOutput } from './io';

interface SimulateCliOptions extends PolicyOptions {
  syscall: string;
  args?: string;
  ip?: string;
  json?: boolean;
  callArch?: string;
}

/** A number or a named constant of `arch`, or several joined by `|` (as in policies): the API's resolver. */
async function parseValue(text: string, arch: string, what: string): Promise<bigint> {
  const r = await resolveArgValue(arch, text, what);
  if (!r.ok) throw new UsageError(r.message);
  return r.value;
}

async function syscallOf(text: string, arch: string): Promise<number> {
  const n = parseInteger(text);
  if (n !== undefined) {
    if (n >= 1n << 32n) throw new UsageError(`--syscall ${text}: a syscall number is 32 bits`);
    return Number(BigInt.asIntN(32, n));
  }
  const nr = await syscallNumber(arch, text);
  if (nr !== undefined) return nr;
  const [hint] = await suggestNames(text, await syscallNames(arch));
  throw new UsageError(`--syscall: unknown syscall "${text}" on ${arch}${hint ? ` (did you mean "${hint}"?)` : ''}`);
}

const errnoNames = new Map<string, Map<number, string>>();

/** The errno name for a value on an arch, preferring the usual spelling where there are aliases. */
async function errnoName(arch: string, n: number): Promise<string | undefined> {
  let m = errnoNames.get(arch);
  if (!m) {
    m = new Map();
    const all = [...(await constants(arch))].filter(([c, v]) => /^E[A-Z0-9]+$/.test(c) && v > 0n && v < 4096n);
    const preferred = new Set(['EAGAIN', 'EOPNOTSUPP', 'EDEADLK']);
    all.sort(([a], [b]) => Number(preferred.has(b)) - Number(preferred.has(a)) || (a < b ? -1 : a > b ? 1 : 0));
    for (const [c, v] of all) if (!m.has(Number(v))) m.set(Number(v), c);
    errnoNames.set(arch, m);
  }
  return m.get(n);
}

async function describe(r: SimulateResult, arch: string): Promise<string> {
  if (r.action === 'errno') {
    const name = await errnoName(arch, r.data);
    return `errno ${r.data}${name ? ` (${name})` : ''}`;
  }
  return (r.action === 'trace' || r.action === 'trap') && r.data !== 0 ? `${r.action} ${r.data}` : r.action;
}

async function run(input: string, opts: SimulateCliOptions): Promise<void> {
  // --arch may name several arches (a multi-arch program); the call is made on --call-arch.
  const programArch = await resolveArchList(opts.arch);
  const arch = opts.callArch !== undefined ? await resolveArch(opts.callArch) : await firstArch(programArch);
  const nr = await syscallOf(opts.syscall, arch);
  const argTexts = opts.args === undefined || opts.args.trim() === '' ? [] : opts.args.split(',');
  if (argTexts.length > 6) throw new UsageError(`--args: a syscall has at most 6 arguments, got ${argTexts.length}`);
  const args: bigint[] = [];
  for (let i = 0; i < argTexts.length; i++) args.push(await parseValue(argTexts[i], arch, `--args a${i}`));
  const ip = opts.ip === undefined ? 0n : await parseValue(opts.ip, arch, '--ip');
  const p = await loadProgram(input, { ...opts, arch: programArch });
  const r = await simulate(p.program, { arch, nr, args, ip });
  if (opts.json) {
    await writeOutput(undefined, JSON.stringify({ action: r.action, data: r.data, insns: r.insns }) + '\n');
    return;
  }
  const bits = (await archInfo(arch))?.bits ?? 64;
  const name = (await syscallName(arch, nr)) ?? `syscall ${nr}`;
  // Small negative values (AT_FDCWD, -1) read better signed; everything else as hex.
  const shown = args.map((a) => {
    const signed = BigInt.asIntN(bits, a);
    return signed < 0n && signed > -4096n ? signed.toString() : a < 10n ? a.toString() : '0x' + a.toString(16);
  });
  await writeOutput(undefined, `${arch} ${name}(${shown.join(', ')}): ${await describe(r, arch)} after ${r.insns} instructions\n`);
}

export function registerSimulate(program: Command): void {
  const cmd = program
    .command('simulate')
    .summary('run a policy or .bpf program on one syscall')
    .description('Run a BPF program (a policy, compiled first, or a .bpf file) on one syscall, the way the kernel ' +
      'would, and print the action, its data and the instructions executed.\n\n' +
      '--json prints exactly {"action":"allow|errno|kill-process|kill-thread|trap|trace|log|user-notify","data":N,"insns":N}.')
    .argument('<input>', 'policy file or .bpf file (- for stdin)')
    .requiredOption('-s, --syscall <name|nr>', 'the syscall, by name on --arch or by number')
    .option('--args <a0,...,a5>', 'up to 6 comma-separated arguments: numbers (decimal, 0x, 0 octal, negative) or constants like O_RDONLY|O_CLOEXEC; missing ones are 0')
    .option('--ip <value>', 'instruction pointer (seccomp_data.instruction_pointer)')
    .option('--call-arch <arch>', 'the call\'s arch (seccomp_data.arch) when --arch lists several or the .bpf file is multi-arch (default: the first of --arch)')
    .option('--json', 'print the result as JSON');
  addPolicyOptions(cmd).action((input: string, opts: SimulateCliOptions) => run(input, opts));
}
