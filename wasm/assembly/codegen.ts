// STUB (replaced by the back end): IR -> BPF.
import { Diagnostics } from './diagnostics';
import { PolicyIR } from './ir';
import { Insn } from './bpf/insn';

export function generate(ir: PolicyIR, diags: Diagnostics): Insn[] | null { return null; }
