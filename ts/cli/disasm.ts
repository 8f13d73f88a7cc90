// tsjail disasm FILE.bpf|POLICY: a readable listing of a program.

import { Command } from 'commander';
import { InvalidProgramError, disassemble, simulate } from '../policy/index';
import { PolicyOptions, addPolicyOptions, firstArch, loadProgram } from './common';
import { writeOutput } from './io';

async function run(input: string, opts: PolicyOptions): Promise<void> {
  const p = await loadProgram(input, opts);
  const listing = await disassemble(p.program, p.arch);
  await writeOutput(undefined, listing.endsWith('\n') || listing === '' ? listing : listing + '\n');
  // The listing shows whatever the bytes decode to (`???` for unknown opcodes); say so when
  // they are not a program the kernel would load (the simulator applies its checks).
  if (p.from === 'bpf') {
    try {
      await simulate(p.program, { arch: await firstArch(p.arch), nr: 0 });
    } catch (e) {
      if (!(e instanceof InvalidProgramError)) throw e;
      process.stderr.write(`tsjail: warning: ${e.message} (the kernel would refuse to load it)\n`);
    }
  }
}

export function registerDisasm(program: Command): void {
  const cmd = program
    .command('disasm')
    .summary('disassemble a .bpf program or a compiled policy')
    .description('Print a readable listing (labels, decoded syscall names and constants) of a BPF program: ' +
      'a .bpf file (struct sock_filter records, detected by extension or content) or a policy, compiled first.')
    .argument('<input>', '.bpf file or policy file (- for stdin)');
  addPolicyOptions(cmd).action((input: string, opts: PolicyOptions) => run(input, opts));
}
