// Host side of `npm run test:arm64` (scripts/arm64-vm.js bundles this with esbuild and runs it
// on the host): writes into OUTDIR what the arm64 VM runs and what the host expects of it.
//   oracle/NN.in      seccomp-oracle input: an aarch64 corpus policy compiled by the core, and
//                     cases over every aarch64 syscall number plus argument values around each
//                     constant the program compares (64-bit: high words, ~c, c|0xffffffff<<32)
//   oracle/NN.want    the simulator's verdict per case, in the oracle's words
//   oracle/NN.label   policy file and case labels, for the report
//   ns.jail           tsjail-exec: user, pid, mount, net and uts namespaces, an exec-timing filter
//   landlock.jail     tsjail-exec: the ns jail's probe under Landlock (read and exec only)
//   preload.jail      tsjail-exec: the preload path (libtsjailpreload.so) on a dynamic program
//   jail.bpf          the jails' filter, for the addon check under an arm64 Node
//   hostile-plan.json the hostile (and with every, containment) suite's runs (hostile-plan.ts):
//                     the label the host reports each under, skip reason
//   PROGRAMS/         the hostile suite's attack programs, cross-built for arm64 (kept between
//                     runs: rebuilt when their source is newer)
// Usage: node gen.js OUTDIR POLICIES_PER_RUN LAUNCHERS PROGRAMS HOSTILE_SOURCES every|slice
import * as fs from 'fs';
import * as path from 'path';
import { corpusAvailable, corpusRequest, corpusRows } from '../helpers/corpus';
import { seccompDataBytes } from '../helpers/bpf';
import { argConstants, interestingValues } from '../helpers/arg-values';
import { loadCore } from '../../ts/policy/core';
import { JAILFILE_HEADER_SIZE, auditArch, encodeJailFile, frameJailFile } from '../../ts/jail/jailfile';
import { compilePolicy } from '../../ts/policy/compile';
import type { JailSpec } from '../../ts/jail/spec';
import { crossBuildPrograms } from '../fixtures/hostile/helpers';
import { containmentPlan, vmPlan } from './hostile-plan';

const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const OUT = process.argv[2];
const MAX_POLICIES = Number(process.argv[3] ?? 4);

/** The oracle's answer a simulator verdict predicts (native/tools/seccomp-oracle.c's header). */
function want(sim: { action: string; data: number }, nr: number): string {
  switch (sim.action) {
    case 'allow': case 'log': case 'trace': case 'user-notify': return 'allow-class';
    case 'errno': return `errno ${Math.min(sim.data, 4095)}`;
    case 'trap': return `trap ${sim.data} ${nr} 0x${AUDIT_ARCH_AARCH64.toString(16)}`;
    case 'kill-thread': case 'kill-process': return sim.action;
    default: throw new Error(`no oracle class for ${sim.action}`);
  }
}

function u64(v: bigint): string {
  return '0x' + v.toString(16);
}

async function main(): Promise<void> {
  fs.mkdirSync(path.join(OUT, 'oracle'), { recursive: true });
  const core = await loadCore();
  const table = JSON.parse(core.syscallTable('aarch64')!) as Record<string, number>;
  const maxNr = Math.max(...Object.values(table));
  // The aarch64 corpus policies; without the corpus, one policy of our own
  // that compares 64-bit arguments.
  const programs: Array<{ name: string; program: Uint8Array }> = [];
  if (corpusAvailable()) {
    const rows = corpusRows();
    const byFile = new Map(rows.map((r) => [r.file, r]));
    // The largest programs of the aarch64 corpus (the most rules and argument tests), a
    // deterministic choice: every policy is compiled, longest first, ties by name.
    const compiled: Array<{ name: string; program: Uint8Array }> = [];
    for (const r of rows.filter((x) => x.arch === 'aarch64' && x.file.endsWith('.policy'))) {
      const res = JSON.parse(core.compile(corpusRequest(core, r, byFile), 'aarch64', 0, ''));
      if (res.ok) compiled.push({ name: r.file, program: new Uint8Array(Buffer.from(res.program, 'hex')) });
    }
    compiled.sort((a, b) => b.program.length - a.program.length || a.name.localeCompare(b.name));
    programs.push(...compiled.slice(0, MAX_POLICIES));
  }
  const own = await compilePolicy([
    'getpid: return 1', 'getppid: 1', 'openat: arg2 == 0 || arg2 & 0x40', 'kill: arg1 == 0; return 13', 'gettid: trap',
    'mmap: arg0 == 0x100000000 || arg1 == 0xffffffff00000000', 'ioctl: arg1 == 0x5401 && arg2 != 0x1234567890',
  ].join('\n') + '\n', { arch: 'aarch64' });
  if (!own.ok) throw new Error('the built-in aarch64 policy does not compile');
  programs.push({ name: '(built-in 64-bit argument policy)', program: own.program });

  let total = 0;
  programs.forEach(({ name, program }, n) => {
    const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
    const lines = [`program ${Buffer.from(program).toString('hex')}`];
    const wants: string[] = [];
    const labels: string[] = [name];
    const add = (nr: number, args: bigint[]) => {
      const sim = JSON.parse(core.simulate(program, seccompDataBytes(nr, AUDIT_ARCH_AARCH64, args)));
      if (!sim.ok) throw new Error(`simulate failed: ${sim.error}`);
      lines.push(`case ${nr} ${args.map(u64).join(' ')}`);
      wants.push(want(sim, nr));
      labels.push(`nr ${nr} (${Object.keys(table).find((k) => table[k] === nr) ?? '?'}) args ${args.map(u64).join(',')}`);
    };
    const zero = [0n, 0n, 0n, 0n, 0n, 0n];
    for (let nr = 0; nr <= maxNr + 1; nr++) {
      add(nr, zero);
      for (const [i, e] of argConstants(view, program.length / 8, nr, AUDIT_ARCH_AARCH64)) {
        if (i > 5) continue;
        for (const v of interestingValues(e)) {
          const args = zero.slice();
          args[i] = v;
          add(nr, args);
        }
      }
    }
    const base = path.join(OUT, 'oracle', String(n).padStart(2, '0'));
    fs.writeFileSync(`${base}.in`, lines.join('\n') + '\n');
    fs.writeFileSync(`${base}.want`, wants.join('\n') + '\n');
    fs.writeFileSync(`${base}.label`, labels.join('\n') + '\n');
    total += wants.length;
  });

  // The jails. The probe reports identity, hostname, its net namespace and the filtered getpid,
  // then calls gettid, which the policy kills (exit 159, the call named).
  const policy = await compilePolicy('getpid: return 7\ngettid: kill\n', { arch: 'aarch64', defaultAction: 'log' });
  if (!policy.ok) throw new Error('the jail policy does not compile');
  const names = { 172: 'getpid', 178: 'gettid' };
  fs.writeFileSync(path.join(OUT, 'jail.bpf'), policy.program);
  const jail = (file: string, spec: JailSpec) => {
    const payload = encodeJailFile(spec).subarray(JAILFILE_HEADER_SIZE);
    fs.writeFileSync(path.join(OUT, file), frameJailFile(payload, { arch: auditArch('arm64') }), { mode: 0o644 });
  };
  const common = { env: ['PATH=/'], cwd: '/', preserveFds: [], noNewPrivs: true, hostname: 'armjail' };
  jail('ns.jail', {
    ...common, path: '/probe-static', argv: ['probe-static', 'write'],
    namespaces: { user: true, pid: true, mount: true, net: true, uts: true },
    seccomp: { bpf: policy.program, names }, seccompTiming: 'exec',
  } as unknown as JailSpec);
  // Landlock: reads and execs anywhere, no writes (the kernel's ABI decides what else applies).
  jail('landlock.jail', {
    ...common, path: '/probe-static', argv: ['probe-static', 'write'],
    namespaces: { user: true, pid: true, mount: true, net: true, uts: true },
    landlock: { ro: [], rw: [], rx: ['/'] },
    seccomp: { bpf: policy.program, names }, seccompTiming: 'exec',
  } as unknown as JailSpec);
  jail('preload.jail', {
    ...common, path: '/probe-dynamic', argv: ['probe-dynamic'],
    namespaces: { user: true, pid: true, mount: true, net: true, uts: true },
    seccomp: { bpf: policy.program, names }, preloadLibrary: '/libtsjailpreload.so',
  } as unknown as JailSpec);
  // A kill-thread verdict with violations reported: the supervisor ends the calling thread alone
  // by rewriting the number of the call it restarts (x8 on aarch64) into the filter's
  // thread-kill prefix; the program goes on (probe.c's "thread").
  const threadPolicy = await compilePolicy('gettid: kill-thread\n', { arch: 'aarch64', defaultAction: 'log' });
  if (!threadPolicy.ok) throw new Error('the thread policy does not compile');
  jail('thread.jail', {
    ...common, path: '/probe-static', argv: ['probe-static', 'thread'],
    namespaces: { user: true, pid: true, uts: true },
    seccomp: { bpf: threadPolicy.program, names: { 178: 'gettid' } }, seccompTiming: 'exec',
  } as unknown as JailSpec);
  const every = process.argv[7] === 'every';
  const plan = vmPlan(process.argv[4].split(','), every);
  const checks = containmentPlan(every);
  // Each planned skip carries its reason (an x86_64-only program, a tool the VM lacks: from
  // hostile-plan.ts); the host accepts a skip only when planned, and prints it with that reason.
  fs.writeFileSync(path.join(OUT, 'hostile-plan.json'), JSON.stringify([
    ...plan.map((r) => ({ label: `hostile ${r.name}`, skip: r.skip })),
    ...checks.map((r) => ({ label: r.name, skip: r.skip })),
  ], null, 1));
  const attackPrograms = crossBuildPrograms('aarch64-linux-gnu-gcc', process.argv[5], process.argv[6]);
  console.log(`gen: hostile suite: ${plan.length} runs (${plan.filter((r) => r.skip).length} skipped on arm64), ${attackPrograms.length} attack programs cross-built`);
  if (checks.length) console.log(`gen: containment suite: ${checks.length} runs (${checks.filter((r) => r.skip).length} skipped on arm64)`);
  console.log(`gen: ${programs.length} aarch64 programs (${corpusAvailable() ? 'corpus' : 'no corpus: the built-in policy only'}), ${total} oracle cases`);
}

main().catch((e) => {
  console.error(`gen: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
