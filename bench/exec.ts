// Part "exec": whole-process launch of /bin/true with user+pid+mount+net+ipc+uts
// namespaces and a seccomp policy by the native launcher `tsjail-exec` from a saved jail file,
// side by side with bwrap --unshare-all, unshare and plain /bin/true. Every variant is started
// the same way (child_process.spawn, exit awaited) and sampled round-robin.
import { spawnSync } from 'child_process';
import { existsSync, openSync, writeFileSync } from 'fs';
import * as path from 'path';
import { compilePolicy } from '../ts/policy/compile';
import { NATIVE, RESULTS, ROOT, WORK } from './paths';
import { Summary, fmt, summarize } from './stats';
import { POLICY_SIZE, allowListPolicy } from './syscall-policy';
import { Variant, commandVariant, sampleInTurn } from './spawn';

const TRUE = '/bin/true';

export interface ExecResult {
  part: 'exec';
  skipped?: string;
  runs?: number;
  variants?: { name: string; description: string; ms?: Summary; skipped?: string }[];
  targets?: { belowBwrap?: boolean; within125xUnshare?: boolean; ratioBwrap?: number; ratioUnshare?: number };
  seconds: number;
}

/** Writes the jail file with the CLI; returns an error text when it cannot. */
function saveJail(policyFile: string, jailFile: string): string | undefined {
  const cli = path.join(ROOT, 'bin/tsjail');
  const flags = ['-U', '-p', '-v', '-e', '-l', '--uts', '-S', policyFile];
  const attempts = [
    ['run', ...flags, '--save-jail', jailFile, '--', TRUE],
    ['pack-jail', ...flags, '-o', jailFile, '--', TRUE],
  ];
  const errors: string[] = [];
  for (const args of attempts) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0 && existsSync(jailFile)) return undefined;
    errors.push(`tsjail ${args[0]}: ${(r.stderr || `exit ${r.status}`).trim().split('\n')[0]}`);
  }
  return `could not save a jail file (${errors.join('; ')})`;
}

// CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
const ALL_NAMESPACES = 0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

/** The saved jail really asks for the six namespaces and a filter (tsjail-exec --dump), or why not. */
function checkJailFile(launcher: string, jailFile: string): string | undefined {
  const r = spawnSync(launcher, ['--dump', jailFile], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return `tsjail-exec --dump failed: ${(r.stderr || `exit ${r.status}`).trim().split('\n')[0]}`;
  try {
    const d = JSON.parse(r.stdout);
    if (((d.cloneFlags ?? 0) & ALL_NAMESPACES) !== ALL_NAMESPACES) return `the jail file lacks a namespace (cloneFlags 0x${(d.cloneFlags ?? 0).toString(16)})`;
    if (!d.seccomp || !Array.isArray(d.seccomp.policy) || d.seccomp.policy.length === 0) return 'the jail file has no seccomp filter';
  } catch {
    return 'tsjail-exec --dump did not print JSON';
  }
  return undefined;
}

export async function runExec(log: (s: string) => void, runs = 100): Promise<ExecResult> {
  const t0 = Date.now();
  const launcher = path.join(NATIVE, 'tsjail-exec');
  if (!existsSync(launcher)) {
    const skipped = `tsjail-exec is not built yet (${path.relative(ROOT, launcher)} is missing; npm run build:native)`;
    log(`  exec: ${skipped}`);
    return { part: 'exec', skipped, seconds: (Date.now() - t0) / 1000 };
  }
  const policy = await allowListPolicy(POLICY_SIZE, '1');
  const policyFile = path.join(WORK, 'policy-200.policy');
  writeFileSync(policyFile, policy.text);
  const compiled = await compilePolicy(policy.text, { arch: 'x86_64' });
  if (!compiled.ok) throw new Error('the bench policy did not compile');
  const bpfFile = path.join(WORK, 'policy-200.bpf');
  writeFileSync(bpfFile, compiled.program);
  const jailFile = path.join(WORK, 'true.jail');
  const saveError = saveJail(policyFile, jailFile);
  if (saveError) {
    log(`  exec: skipped: ${saveError}`);
    return { part: 'exec', skipped: saveError, seconds: (Date.now() - t0) / 1000 };
  }
  const dumpError = checkJailFile(launcher, jailFile);
  if (dumpError) {
    log(`  exec: skipped: ${dumpError}`);
    return { part: 'exec', skipped: dumpError, seconds: (Date.now() - t0) / 1000 };
  }
  const candidates: Variant[] = [
    commandVariant('true', 'plain /bin/true', TRUE, []),
    commandVariant('tsjail-exec', `tsjail-exec JAILFILE (-U -p -v -e -l --uts, ${POLICY_SIZE}-syscall policy)`, launcher, [jailFile]),
    commandVariant('bwrap', `bwrap --unshare-all --ro-bind / / --seccomp (same ${POLICY_SIZE}-syscall filter)`, 'bwrap',
      ['--unshare-all', '--ro-bind', '/', '/', '--seccomp', '3', TRUE], () => openSync(bpfFile, 'r')),
    commandVariant('unshare', 'unshare -U -r -p -f -m -n -i -u (no seccomp)', 'unshare', ['-U', '-r', '-p', '-f', '-m', '-n', '-i', '-u', TRUE]),
  ];
  const variants: NonNullable<ExecResult['variants']> = [];
  const active: Variant[] = [];
  for (const v of candidates) {
    try {
      for (let i = 0; i < 3; i++) await v.once();
      active.push(v);
    } catch (e) {
      variants.push({ name: v.name, description: v.description, skipped: e instanceof Error ? e.message : String(e) });
    }
  }
  const samples = await sampleInTurn(active, runs);
  for (const v of active) variants.push({ name: v.name, description: v.description, ms: summarize(samples.get(v.name)!) });
  variants.sort((a, b) => candidates.findIndex((c) => c.name === a.name) - candidates.findIndex((c) => c.name === b.name));
  const med = (n: string) => variants.find((v) => v.name === n)?.ms?.median;
  const te = med('tsjail-exec'), bw = med('bwrap'), un = med('unshare');
  for (const v of variants) log(`  exec: ${v.name.padEnd(12)} ${v.ms ? `median ${fmt(v.ms.median)} ms, p95 ${fmt(v.ms.p95)} ms` : 'skipped: ' + v.skipped}`);
  const tsv = ['name\tn\tmedian_ms\tp95_ms\tmean_ms\tmin_ms\tmax_ms\tnote'];
  for (const v of variants) tsv.push([v.name, v.ms?.n ?? 0, fmt(v.ms?.median, 3), fmt(v.ms?.p95, 3), fmt(v.ms?.mean, 3), fmt(v.ms?.min, 3), fmt(v.ms?.max, 3), v.skipped ?? v.description].join('\t'));
  writeFileSync(path.join(RESULTS, 'exec.tsv'), tsv.join('\n') + '\n');
  return {
    part: 'exec',
    runs,
    variants,
    targets: {
      belowBwrap: te !== undefined && bw !== undefined ? te < bw : undefined,
      within125xUnshare: te !== undefined && un !== undefined ? te <= 1.25 * un : undefined,
      ratioBwrap: te !== undefined && bw !== undefined ? te / bw : undefined,
      ratioUnshare: te !== undefined && un !== undefined ? te / un : undefined,
    },
    seconds: (Date.now() - t0) / 1000,
  };
}
