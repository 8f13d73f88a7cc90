// Part "mediation": what the preload window's mediation costs at start-up (docs/runtime.md,
// "The preload window"). For /bin/true, /bin/ls / and python3 -c pass, three jails (-n) are saved and run
// by tsjail-exec, round-robin:
//   exec-full     -T static with the program's whole syscall list (strace): no window at all
//   preload-full  the preload path with the same policy: only the jail's execve and the status
//                 socket's close reach the supervisor
//   preload-lean  the preload path with that list minus every loader call the program does not
//                 need after the window (found by trying): the loader's calls are mediated
// and, for the issue's own command line, `tsjail run -n -S <lean policy> -- PROGRAM` against
// `tsjail run -n -T static -S <full policy>` (Node's start-up included). The window's counts
// (notifications, calls let through, files opened and handed over, ...) come from tsjail-exec
// itself (TSJAIL_WINDOW_COUNTS).
import { spawnSync } from 'child_process';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { NATIVE, RESULTS, ROOT, WORK } from './paths';
import { Summary, fmt, summarize } from './stats';
import { Variant, commandVariant, sampleInTurn } from './spawn';

const CLI = path.join(ROOT, 'bin/tsjail');

/** The loader's calls a policy may leave out when the program itself does not make them. */
const LOADER_CALLS = ['openat', 'mmap', 'mprotect', 'munmap', 'read', 'pread64', 'close', 'fstat', 'newfstatat', 'statx',
  'brk', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'getrandom', 'access', 'readlink',
  'faccessat2', 'stat', 'lstat'];

export interface WindowCounts { notified: number; continued: number; opened: number; missing: number; policy: number }

export interface MediationVariant { name: string; description: string; ms?: Summary; counts?: WindowCounts; skipped?: string }

export interface MediationResult {
  part: 'mediation';
  skipped?: string;
  runs?: number;
  programs?: {
    name: string;
    argv: string[];
    fullSyscalls: number;
    leanDenies: string[];
    variants: MediationVariant[];
  }[];
  seconds: number;
}

/** The syscall names argv makes, children included (strace -f). */
function syscallsOf(argv: string[]): string[] {
  const out = path.join(WORK, 'mediation-strace.txt');
  const r = spawnSync('strace', ['-f', '-qq', '-o', out, ...argv], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`strace ${argv.join(' ')}: ${(r.stderr || `exit ${r.status}`).trim().split('\n')[0]}`);
  const names = new Set<string>(['execve']);
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^(?:\d+\s+)?(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)/.exec(line);
    if (m) names.add(m[1]);
  }
  return [...names].sort();
}

function policyFile(name: string, calls: string[]): string {
  const file = path.join(WORK, `mediation-${name}.policy`);
  writeFileSync(file, calls.map((c) => `${c}: 1`).join('\n') + '\n');
  return file;
}

/** Save a jail with pack-jail; undefined when it cannot be saved. */
function pack(name: string, flags: string[], argv: string[]): string | undefined {
  const file = path.join(WORK, `mediation-${name}.jail`);
  const r = spawnSync(process.execPath, [CLI, 'pack-jail', '-o', file, '-n', ...flags, '--', ...argv], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? file : undefined;
}

function runJail(file: string): { status: number | null; stderr: string } {
  const r = spawnSync(path.join(NATIVE, 'tsjail-exec'), [file], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, TSJAIL_WINDOW_COUNTS: '1' } });
  return { status: r.status, stderr: r.stderr ?? '' };
}

function counts(stderr: string): WindowCounts | undefined {
  const m = /window: notified (\d+) continued (\d+) opened (\d+) missing (\d+) policy (\d+)/.exec(stderr);
  return m ? { notified: +m[1], continued: +m[2], opened: +m[3], missing: +m[4], policy: +m[5] } : undefined;
}

/** The full list minus every loader call the program runs without, on the preload path. */
function leanCalls(name: string, full: string[], argv: string[]): { calls: string[]; denied: string[] } {
  let calls = full;
  const denied: string[] = [];
  for (const c of LOADER_CALLS) {
    if (!calls.includes(c)) continue;
    const trial = calls.filter((x) => x !== c);
    const file = pack(`${name}-trial`, ['-S', policyFile(`${name}-trial`, trial)], argv);
    if (file && runJail(file).status === 0) {
      calls = trial;
      denied.push(c);
    }
  }
  return { calls, denied };
}

export async function runMediation(log: (s: string) => void, runs = 30): Promise<MediationResult> {
  const t0 = Date.now();
  const launcher = path.join(NATIVE, 'tsjail-exec');
  const why = !existsSync(launcher) ? 'tsjail-exec is not built (npm run build:native)'
    : spawnSync('strace', ['-V']).status !== 0 ? 'strace is not installed (it lists the programs\' syscalls)' : undefined;
  if (why) {
    log(`  mediation: skipped: ${why}`);
    return { part: 'mediation', skipped: why, seconds: (Date.now() - t0) / 1000 };
  }
  const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
  // /bin/true's own code makes no open, so its lean policy leaves the loader's opens to the window.
  const subjects: Array<{ name: string; argv: string[] }> = [{ name: 'true', argv: ['/bin/true'] }, { name: 'ls', argv: ['/bin/ls', '/'] }];
  if (python) subjects.push({ name: 'python3', argv: [python, '-c', 'pass'] });
  const programs: NonNullable<MediationResult['programs']> = [];
  for (const s of subjects) {
    const full = syscallsOf(s.argv);
    const lean = leanCalls(s.name, full, s.argv);
    const fullPolicy = policyFile(`${s.name}-full`, full);
    const leanPolicy = policyFile(`${s.name}-lean`, lean.calls);
    const jails: Array<[string, string, string[]]> = [
      ['exec-full', `tsjail-exec, -T static, the program's ${full.length} syscalls`, ['-T', 'static', '-S', fullPolicy]],
      ['preload-full', 'tsjail-exec, preload path, the same policy', ['-S', fullPolicy]],
      ['preload-lean', `tsjail-exec, preload path, without the loader calls ${lean.denied.join(', ')}`, ['-S', leanPolicy]],
    ];
    const variants: MediationVariant[] = [];
    const active: Variant[] = [];
    for (const [name, description, flags] of jails) {
      const file = pack(`${s.name}-${name}`, flags, s.argv);
      const check = file ? runJail(file) : undefined;
      if (!file || check!.status !== 0) {
        variants.push({ name, description, skipped: file ? `exit ${check!.status}: ${check!.stderr.trim().split('\n')[0]}` : 'pack-jail failed' });
        continue;
      }
      variants.push({ name, description, counts: counts(check!.stderr) });
      active.push(commandVariant(name, description, launcher, [file]));
    }
    active.push(commandVariant('run-static', `tsjail run -n -T static -S (full) -- ${s.argv.join(' ')}`, process.execPath,
      [CLI, 'run', '-n', '-T', 'static', '-S', fullPolicy, '--', ...s.argv]));
    active.push(commandVariant('run-lean', `tsjail run -n -S (lean) -- ${s.argv.join(' ')}`, process.execPath,
      [CLI, 'run', '-n', '-S', leanPolicy, '--', ...s.argv]));
    variants.push({ name: 'run-static', description: active[active.length - 2].description });
    variants.push({ name: 'run-lean', description: active[active.length - 1].description });
    const samples = await sampleInTurn(active, runs);
    for (const v of variants) if (samples.has(v.name)) v.ms = summarize(samples.get(v.name)!);
    for (const v of variants) {
      const c = v.counts ? `; window: ${v.counts.notified} notified, ${v.counts.continued} let through, ${v.counts.opened} opened` : '';
      log(`  mediation: ${s.name} ${v.name.padEnd(13)} ${v.ms ? `median ${fmt(v.ms.median)} ms, p95 ${fmt(v.ms.p95)} ms${c}` : `skipped: ${v.skipped}`}`);
    }
    programs.push({ name: s.name, argv: s.argv, fullSyscalls: full.length, leanDenies: lean.denied, variants });
  }
  const tsv = ['program\tvariant\tn\tmedian_ms\tp95_ms\tnotified\tcontinued\topened\tmissing\tpolicy\tnote'];
  for (const p of programs) {
    for (const v of p.variants) {
      const c = v.counts;
      tsv.push([p.name, v.name, v.ms?.n ?? 0, fmt(v.ms?.median, 3), fmt(v.ms?.p95, 3), c?.notified ?? '-', c?.continued ?? '-',
        c?.opened ?? '-', c?.missing ?? '-', c?.policy ?? '-', v.skipped ?? v.description].join('\t'));
    }
  }
  writeFileSync(path.join(RESULTS, 'mediation.tsv'), tsv.join('\n') + '\n');
  return { part: 'mediation', runs, programs, seconds: (Date.now() - t0) / 1000 };
}
