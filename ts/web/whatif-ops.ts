// "What happens if this process calls X?": the verdict and deciding rule from the core
// (simulatePolicy), and the path through the compiled program for highlighting.

import { archInfo, compilePolicy, resolveArgValue, simulatePolicy, syscallName, syscallNumber } from '../policy/index';
import { traceCall } from './program-ops';
import type { WhatIfView, Workspace } from './protocol';
import { loadedFile, mainText, policyOptions } from './workspace';

export function verdictText(action: string, data: number): string {
  return action === 'errno' ? `errno ${data}` : action === 'trace' || action === 'trap' ? `${action} ${data}` : action;
}

export async function whatIf(req: Workspace & { syscall: string; args: string[] }): Promise<WhatIfView> {
  const info = await archInfo(req.arch);
  if (!info) return { ok: false, error: `unknown architecture "${req.arch}"` };
  const call = req.syscall.trim();
  let nr: number | undefined;
  if (/^\d+$/.test(call)) nr = Number(call);
  else nr = await syscallNumber(info.name, call);
  if (nr === undefined) return { ok: false, error: `${call === '' ? 'no syscall given' : `"${call}" is not a syscall on ${info.name}`}` };
  if (req.args.length > 6) return { ok: false, error: 'a syscall has at most 6 arguments' };
  // An empty field is a 0, as a missing argument is; everything else is the library's to read.
  const resolved = await Promise.all(req.args.map((a, i) => resolveArgValue(info.name, a.trim() === '' ? 0 : a, `arg${i}`)));
  const bad = resolved.find((r) => !r.ok);
  if (bad && !bad.ok) return { ok: false, error: bad.message };
  let args = resolved.map((r) => (r.ok ? r.value : 0n));
  const mask = info.bits === 32 ? 0xffffffffn : (1n << 64n) - 1n;
  args = args.map((a) => a & mask);
  while (args.length < 6) args.push(0n);
  const options = policyOptions(req);
  const source = mainText(req);
  const sim = await simulatePolicy(source, { ...options, nr, args });
  if (!sim.ok) return { ok: false, error: 'the policy does not compile: fix its errors first' };
  const compiled = await compilePolicy(source, options);
  const trace = await traceCall(compiled.program, info.name, nr, args);
  const loaded = sim.rule && loadedFile(req, sim.rule.file);
  const rule = sim.rule && {
    file: loaded?.[0] ?? sim.rule.file, line: sim.rule.line, start: sim.rule.start, end: sim.rule.end,
    text: (loaded?.[1] ?? '').slice(sim.rule.start, sim.rule.end),
  };
  return {
    ok: true,
    syscall: (await syscallName(info.name, nr)) ?? String(nr),
    nr,
    args: args.map((a) => '0x' + a.toString(16)),
    verdict: verdictText(sim.action, sim.data),
    insns: sim.insns,
    rule,
    path: trace.path,
  };
}
