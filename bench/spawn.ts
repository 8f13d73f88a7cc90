// Part "spawn": the cost of starting /bin/true from a running Node process, plainly,
// jailed by tsjail (user+pid+mount+net+ipc+uts namespaces and a seccomp filter, through the TS
// API), and through bwrap, firejail and unshare; plus the per-syscall cost of a filter, timed
// in a tight getppid loop. Samples are interleaved (round-robin, rotating order) so background
// load hits every variant alike. A variant that cannot run here is reported with the reason.
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { compilePolicy } from '../ts/policy/compile';
import { simulate } from '../ts/policy/simulate';
import { loadCore } from '../ts/policy/core';
import { encodeFiles } from '../ts/policy/request';
import { Jail } from '../ts/jail/jail';
import { typedIR } from '../ts/policy/analyze';
import { buildGenerator, generate, translate } from './libseccomp';
import { ROOT, RESULTS, WORK } from './paths';
import { Summary, fmt, nowUs, summarize } from './stats';
import { POLICY_SIZE, allowListPolicy } from './syscall-policy';

const TRUE = '/bin/true';
const NAMESPACES = { user: true, pid: true, mount: true, net: true, ipc: true, uts: true };
/** Longest a single jailed start may take before the variant is declared broken. */
const SPAWN_TIMEOUT_MS = 10_000;

export interface Variant {
  name: string;
  description: string;
  /** Start the program and resolve when it has exited with status 0. */
  once: () => Promise<void>;
}

export interface VariantResult {
  name: string;
  description: string;
  /** Milliseconds from spawn call to exit notification. */
  ms?: Summary;
  skipped?: string;
}

export interface SyscallResult {
  name: string;
  description: string;
  /** ns per getppid call, over repetitions. */
  ns?: Summary;
  /** median minus the unfiltered median. */
  overheadNs?: number;
  /** min minus the unfiltered min (less sensitive to other load on the machine). */
  overheadMinNs?: number;
  /** Instructions the filter executes for getppid (simulated). */
  filterInsns?: number;
  skipped?: string;
}

export interface SpawnResult {
  part: 'spawn';
  runs: number;
  variants: VariantResult[];
  tsjailVsBwrap?: { tsjailMedianMs: number; bwrapMedianMs: number; ratio: number; met: boolean };
  policy: { syscalls: number; tsjailInsns: number; libseccompInsns?: number };
  syscall: { iterations: number; repetitions: number; rows: SyscallResult[]; kernelCacheNote: string };
  seconds: number;
}

function waitExit(child: ChildProcess, what: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`${what}: ${e.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} exited with ${code ?? signal}${stderr() ? ': ' + stderr().trim().split('\n').slice(-2).join(' / ') : ''}`));
    });
  });
}

/**
 * `runs` rounds of one timed once() per variant, the order rotating each round so background
 * load hits every variant alike; milliseconds per variant name. A failed call is a missing
 * sample; with `failed`, the variant's first failure is recorded there and it is not run again.
 */
export async function sampleInTurn(active: Variant[], runs: number, failed?: Map<string, string>): Promise<Map<string, number[]>> {
  const samples = new Map(active.map((v) => [v.name, [] as number[]]));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < active.length; k++) {
      const v = active[(r + k) % active.length];
      if (failed?.has(v.name)) continue;
      const t = nowUs();
      try {
        await v.once();
        samples.get(v.name)!.push((nowUs() - t) / 1000);
      } catch (e) {
        failed?.set(v.name, `failed on run ${r + 1}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return samples;
}

/** A command run by child_process.spawn; stderr is kept only to explain a failure. */
export function commandVariant(name: string, description: string, file: string, args: string[], extraFd?: () => number): Variant {
  return {
    name,
    description,
    once: async () => {
      const fd = extraFd?.();
      try {
        const child = spawn(file, args, { stdio: fd === undefined ? ['ignore', 'ignore', 'pipe'] : ['ignore', 'ignore', 'pipe', fd] });
        let err = '';
        child.stderr!.on('data', (d: Buffer) => { if (err.length < 4096) err += d.toString(); });
        await waitExit(child, `${file}`, () => err);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<T>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no exit after ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** One jailed start through the TS API: namespaces + seccomp, stdio to /dev/null. */
async function jailedOnce(bpf: Uint8Array | undefined, argv: string[] = [TRUE], timing?: 'exec'): Promise<string> {
  const jail = new Jail().namespaces(NAMESPACES);
  if (bpf) jail.seccomp(bpf, timing ? { timing } : {});
  const p = jail.spawn(argv, { stdio: ['ignore', argv[0] === TRUE ? 'ignore' : 'pipe', 'ignore'] });
  let out = '';
  p.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const stdoutDone = p.stdout ? new Promise<void>((r) => p.stdout!.on('end', () => r())) : Promise.resolve();
  const e = await withTimeout(p.exited, SPAWN_TIMEOUT_MS, () => p.kill('SIGKILL'), 'tsjail jail');
  await stdoutDone;
  if (e.code !== 0) throw new Error(`jailed ${argv[0]} ended with ${e.code ?? e.signal}${e.violation ? ` (seccomp stopped syscall ${e.violation.syscall ?? e.violation.nr})` : ''}`);
  return out;
}

/**
 * Run in a fresh Node process first (bench/main.ts exports it): one jailed /bin/true. The jail
 * runtime is native code; a hang or a crash there must cost a skipped variant, not the bench.
 */
export async function jailProbe(bpfFile: string): Promise<void> {
  const { readFileSync } = await import('fs');
  await jailedOnce(new Uint8Array(readFileSync(bpfFile)));
  process.stdout.write('ok\n');
}

export function probeJail(bundle: string, bpfFile: string): string | undefined {
  const script = `require(${JSON.stringify(bundle)}).jailProbe(${JSON.stringify(bpfFile)}).catch((e) => { console.error(e && e.message ? e.message : String(e)); process.exit(1); })`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  if (r.error) return `the probe did not finish: ${r.error.message}`;
  if (r.status !== 0 || !r.stdout.includes('ok')) return `the probe failed: ${(r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(-3).join(' / ')}`;
  return undefined;
}

/** The getppid loop, dynamic (jailed through the preload handshake) or static (filter before exec). */
function buildLoop(linkStatic: boolean): string {
  const src = path.join(ROOT, 'bench/peers/getppid-loop.c');
  const bin = path.join(WORK, linkStatic ? 'getppid-loop-static' : 'getppid-loop');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-Wall', ...(linkStatic ? ['-static'] : []), '-o', bin, src], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return bin;
}

async function compileOrThrow(text: string): Promise<Uint8Array> {
  const r = await compilePolicy(text, { arch: 'x86_64', path: 'bench-200.policy' });
  if (!r.ok) throw new Error(`bench policy did not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.program;
}

async function libseccompProgram(text: string, file: string): Promise<Uint8Array | undefined> {
  const core = await loadCore();
  const ir = JSON.parse(core.analyze(encodeFiles([['bench-200.policy', text]]), 'x86_64', 0, ''));
  const tr = translate(typedIR(ir.ir));
  if (!tr.rules) return undefined;
  return generate(buildGenerator(WORK), tr.rules, 2, file).program;
}

async function getppidInsns(bpf: Uint8Array): Promise<number> {
  return (await simulate(bpf, { arch: 'x86_64', syscall: 'getppid' })).insns;
}

export async function runSpawn(log: (s: string) => void, bundle: string, runs = 100): Promise<SpawnResult> {
  const t0 = Date.now();
  mkdirSync(WORK, { recursive: true });
  const plain = await allowListPolicy(POLICY_SIZE, '1');
  const conditional = await allowListPolicy(POLICY_SIZE, 'arg0 == 0');
  const bpf = await compileOrThrow(plain.text);
  const bpfCond = await compileOrThrow(conditional.text);
  const bpfFile = path.join(WORK, 'policy-200.bpf');
  const bpfCondFile = path.join(WORK, 'policy-200-cond.bpf');
  writeFileSync(bpfFile, bpf);
  writeFileSync(bpfCondFile, bpfCond);
  writeFileSync(path.join(WORK, 'policy-200.policy'), plain.text);
  const lsoCondFile = path.join(WORK, 'policy-200-cond-libseccomp.bpf');
  const lsoCond = await libseccompProgram(conditional.text, lsoCondFile);
  const lsoPlain = await libseccompProgram(plain.text, path.join(WORK, 'policy-200-libseccomp.bpf'));

  // --- whole spawns ---
  const jailSkip = probeJail(bundle, bpfFile);
  if (jailSkip) log(`  spawn: tsjail jail skipped: ${jailSkip}`);
  const candidates: Variant[] = [
    commandVariant('child_process', 'child_process.spawn(/bin/true)', TRUE, []),
    {
      name: 'tsjail',
      description: `tsjail Jail().namespaces(user,pid,mount,net,ipc,uts).seccomp(${POLICY_SIZE}-syscall policy).spawn`,
      once: async () => { await jailedOnce(bpf); },
    },
    {
      name: 'tsjail-exec-timing',
      description: 'the same with seccompTiming exec (filter installed before execve: no preload handshake)',
      once: async () => { await jailedOnce(bpf, [TRUE], 'exec'); },
    },
    {
      name: 'tsjail-ns-only',
      description: 'tsjail, the same namespaces, no seccomp filter',
      once: async () => { await jailedOnce(undefined); },
    },
    commandVariant('bwrap', `bwrap --unshare-all --ro-bind / / --seccomp (same ${POLICY_SIZE}-syscall filter)`, 'bwrap',
      ['--unshare-all', '--ro-bind', '/', '/', '--seccomp', '3', TRUE], () => openSync(bpfFile, 'r')),
    commandVariant('firejail', 'firejail --quiet --noprofile', 'firejail', ['--quiet', '--noprofile', TRUE]),
    commandVariant('unshare', 'unshare -U -r -p -f -m -n -i -u (no seccomp)', 'unshare', ['-U', '-r', '-p', '-f', '-m', '-n', '-i', '-u', TRUE]),
  ];
  const results: VariantResult[] = [];
  const active: Variant[] = [];
  for (const v of candidates) {
    if (v.name.startsWith('tsjail') && jailSkip) {
      results.push({ name: v.name, description: v.description, skipped: jailSkip });
      continue;
    }
    try {
      for (let i = 0; i < 3; i++) await v.once(); // also the warm-up
      active.push(v);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      log(`  spawn: ${v.name} skipped: ${why}`);
      results.push({ name: v.name, description: v.description, skipped: why });
    }
  }
  const failed = new Map<string, string>();
  const samples = await sampleInTurn(active, runs, failed);
  for (const v of active) {
    const s = samples.get(v.name)!;
    if (failed.has(v.name) && s.length < runs / 2) results.push({ name: v.name, description: v.description, skipped: failed.get(v.name) });
    else results.push({ name: v.name, description: v.description, ms: summarize(s) });
  }
  const order = candidates.map((c) => c.name);
  results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const tj = results.find((r) => r.name === 'tsjail')?.ms;
  const bw = results.find((r) => r.name === 'bwrap')?.ms;
  for (const r of results) log(`  spawn: ${r.name.padEnd(14)} ${r.ms ? `median ${fmt(r.ms.median)} ms, p95 ${fmt(r.ms.p95)} ms` : 'skipped'}`);

  // --- per-syscall cost ---
  const loop = buildLoop(false);
  let staticLoop: string | undefined;
  try {
    staticLoop = buildLoop(true);
  } catch {
    staticLoop = undefined;
  }
  const iterations = 1_000_000;
  const repetitions = 9;
  const direct = (file?: string) => async () => {
    const out = execFileSync(loop, file ? [String(iterations), file] : [String(iterations)], { encoding: 'utf8' });
    return Number(out.trim());
  };
  const viaJail = (prog: Uint8Array, bin = loop) => async () => Number((await jailedOnce(prog, [bin, String(iterations)])).trim());
  const sysVariants: Array<{ name: string; description: string; run?: () => Promise<number>; insns?: number; skipped?: string }> = [
    { name: 'none', description: 'no filter', run: direct() },
    { name: 'tsjail-direct', description: `tsjail's ${POLICY_SIZE}-syscall filter, getppid allowed unconditionally`, run: direct(bpfFile), insns: await getppidInsns(bpf) },
    { name: 'tsjail-direct-cond', description: `tsjail's ${POLICY_SIZE}-syscall filter, getppid: arg0 == 0 (filter runs on every call)`, run: direct(bpfCondFile), insns: await getppidInsns(bpfCond) },
    lsoCond
      ? { name: 'libseccomp-direct-cond', description: `libseccomp OPTIMIZE=2, same ${POLICY_SIZE} rules, getppid: arg0 == 0`, run: direct(lsoCondFile), insns: await getppidInsns(lsoCond) }
      : { name: 'libseccomp-direct-cond', description: 'libseccomp OPTIMIZE=2', skipped: 'the policy did not translate to libseccomp rules' },
    jailSkip
      ? { name: 'tsjail-jail', description: 'in a tsjail jail (namespaces + filter)', skipped: jailSkip }
      : { name: 'tsjail-jail', description: `in a tsjail jail (namespaces + ${POLICY_SIZE}-syscall filter), getppid unconditional`, run: viaJail(bpf), insns: await getppidInsns(bpf) },
    jailSkip
      ? { name: 'tsjail-jail-cond', description: 'in a tsjail jail, getppid conditional', skipped: jailSkip }
      : { name: 'tsjail-jail-cond', description: `in a tsjail jail, getppid: arg0 == 0 (dynamic program: the gate filter and the exact filter both run)`, run: viaJail(bpfCond), insns: await getppidInsns(bpfCond) },
    jailSkip || !staticLoop
      ? { name: 'tsjail-jail-static-cond', description: 'in a tsjail jail, static program', skipped: jailSkip ?? 'cc -static failed (no static libc?)' }
      : { name: 'tsjail-jail-static-cond', description: `in a tsjail jail, static program (one filter, installed before exec), getppid: arg0 == 0`, run: viaJail(bpfCond, staticLoop), insns: await getppidInsns(bpfCond) },
  ];
  const nsSamples = new Map<string, number[]>(sysVariants.map((v) => [v.name, []]));
  const sysFailed = new Map<string, string>();
  for (let r = 0; r < repetitions; r++) {
    for (const v of sysVariants) {
      if (!v.run || sysFailed.has(v.name)) continue;
      try {
        const ns = await v.run();
        if (!Number.isFinite(ns)) throw new Error('no number printed');
        nsSamples.get(v.name)!.push(ns);
      } catch (e) {
        sysFailed.set(v.name, e instanceof Error ? e.message.split('\n')[0] : String(e));
      }
    }
  }
  const baseAll = summarize(nsSamples.get('none')!);
  const base = baseAll.median;
  const rows: SyscallResult[] = sysVariants.map((v) => {
    const s = nsSamples.get(v.name)!;
    if (v.skipped || s.length === 0) return { name: v.name, description: v.description, skipped: v.skipped ?? sysFailed.get(v.name) ?? 'not run' };
    const ns = summarize(s);
    return { name: v.name, description: v.description, ns, overheadNs: ns.median - base, overheadMinNs: ns.min - baseAll.min, filterInsns: v.insns };
  });
  for (const r of rows) log(`  syscall: ${r.name.padEnd(22)} ${r.ns ? `${fmt(r.ns.median)} ns/call (+${fmt(r.overheadNs)})` : 'skipped: ' + r.skipped}`);

  const tsv = ['kind\tname\tn\tmedian\tp95\tmean\tmin\tmax\tunit\tnote'];
  for (const r of results) {
    const s = r.ms;
    tsv.push(['spawn', r.name, s?.n ?? 0, fmt(s?.median, 3), fmt(s?.p95, 3), fmt(s?.mean, 3), fmt(s?.min, 3), fmt(s?.max, 3), 'ms', r.skipped ?? r.description].join('\t'));
  }
  for (const r of rows) {
    const s = r.ns;
    tsv.push(['getppid', r.name, s?.n ?? 0, fmt(s?.median), fmt(s?.p95), fmt(s?.mean), fmt(s?.min), fmt(s?.max), 'ns', r.skipped ?? r.description].join('\t'));
  }
  writeFileSync(path.join(RESULTS, 'spawn.tsv'), tsv.join('\n') + '\n');

  return {
    part: 'spawn',
    runs,
    variants: results,
    tsjailVsBwrap: tj && bw ? { tsjailMedianMs: tj.median, bwrapMedianMs: bw.median, ratio: tj.median / bw.median, met: tj.median < bw.median } : undefined,
    policy: { syscalls: plain.names.length, tsjailInsns: bpf.length / 8, libseccompInsns: lsoPlain ? lsoPlain.length / 8 : undefined },
    syscall: {
      iterations, repetitions, rows,
      kernelCacheNote: 'Linux (5.11+) caches ALLOW verdicts that do not depend on arguments for the native arch and then skips the filter; the -cond rows make getppid depend on arg0 so the BPF runs on every call.',
    },
    seconds: (Date.now() - t0) / 1000,
  };
}
