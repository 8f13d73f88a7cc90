// minijail's own compiler as a peer: its Python tools (compile_seccomp_policy.py, `bst`
// strategy, --use-kill-process, as the reference TSV was made) run on each policy so that its
// programs, not only the reference's per-policy means, can be measured on other calls (the
// weighted cost). The tools are not part of tsjail: point MINIJAIL_TOOLS at a minijail
// checkout's tools/ directory (default build/bench/minijail/tools); without them the
// comparison is skipped with the reason. The arch description minijail reads (its
// constants.json) is written from tsjail's x86_64 tables. Each program is first checked
// against the reference: its uniform metric must equal the reference row, or it is not used.
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { constants, syscallNames, syscallNumber } from '../ts/policy';
import { WORK } from './paths';

export const MINIJAIL_TOOLS = process.env.MINIJAIL_TOOLS ?? path.join(WORK, 'minijail/tools');

/** Why the minijail peer cannot run here, or undefined. */
export function minijailUnavailable(): string | undefined {
  if (!existsSync(path.join(MINIJAIL_TOOLS, 'compile_seccomp_policy.py'))) return `no minijail tools at ${MINIJAIL_TOOLS} (set MINIJAIL_TOOLS to a minijail checkout's tools/)`;
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (py.status !== 0) return 'python3 not found';
  return undefined;
}

/** minijail's constants.json for x86_64, from tsjail's tables (numbers written exactly). */
export async function writeArchJson(file: string): Promise<void> {
  const sys: string[] = [];
  for (const n of await syscallNames('x86_64')) sys.push(`${JSON.stringify(n)}: ${await syscallNumber('x86_64', n)}`);
  const cs = [...(await constants('x86_64'))].map(([n, v]) => `${JSON.stringify(n)}: ${v.toString()}`);
  writeFileSync(file, `{"arch_nr": ${0xc000003e}, "arch_name": "x86_64", "bits": 64,\n"syscalls": {${sys.join(',\n')}},\n"constants": {${cs.join(',\n')}}}\n`);
}

/**
 * Compiles one policy (its file set: [path as included, text], main first) with minijail's
 * tools. Absolute include paths are moved under a scratch root; relative ones keep their
 * place next to the including file.
 */
export function minijailCompile(files: Array<[string, string]>, archJson: string, scratch: string): { program?: Uint8Array; error?: string } {
  rmSync(scratch, { recursive: true, force: true });
  const place = (p: string) => path.join(scratch, 'root', p.startsWith('/') ? p : path.join('main', p));
  for (const [p, text] of files) {
    const fixed = text.replace(/^(\s*@(?:include|frequency)\s+)(\/\S+)/gm, (_m, head: string, target: string) => head + place(target));
    mkdirSync(path.dirname(place(p)), { recursive: true });
    writeFileSync(place(p), fixed);
  }
  const out = path.join(scratch, 'out.bpf');
  const r = spawnSync('python3', [path.join(MINIJAIL_TOOLS, 'compile_seccomp_policy.py'), '--arch-json', archJson, '--use-kill-process', place(files[0][0]), out],
    { encoding: 'utf8', cwd: path.dirname(MINIJAIL_TOOLS), env: { ...process.env, PYTHONPATH: path.dirname(MINIJAIL_TOOLS) } });
  if (r.status !== 0 || !existsSync(out)) return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
  return { program: new Uint8Array(readFileSync(out)) };
}
