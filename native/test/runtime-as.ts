// Runs a jail through the real runtime (ts/jail -> tsjail.node) in a separate Node process as
// another uid (setpriv), so the fs/resource tests can check the runtime unprivileged too.
// The TS sources are bundled once with esbuild (a build dependency) into a temp dir that uid
// 65534 can read; the addon is found through TSJAIL_NATIVE_DIR.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
let bundle: string | undefined;

const ENTRY = `
import { Jail } from ${JSON.stringify(path.join(ROOT, 'ts/jail/jail'))};
const req = JSON.parse(process.argv[2]);
(async () => {
  try {
    const r = await new Jail().set(req.spec).run(req.argv);
    console.log(JSON.stringify({ code: r.code, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString() }));
  } catch (e: any) {
    console.log(JSON.stringify({ error: { name: e.name, step: e.step, code: e.code, message: e.message } }));
  }
})();
`;

function bundled(): string {
  if (bundle) return bundle;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const esbuild = require('esbuild') as typeof import('esbuild');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-runtime-as-'));
  fs.chmodSync(dir, 0o755);
  const out = path.join(dir, 'run.js');
  esbuild.buildSync({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'runtime-as-entry.ts' },
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out,
    loader: { '.wasm': 'binary' }, logLevel: 'silent',
  });
  fs.chmodSync(out, 0o644);
  return (bundle = out);
}

export interface RuntimeResult {
  code?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
  error?: { name: string; step?: string; code?: string; message: string };
}

/** Jail.set(spec).run(argv) in a Node process running as `uid`. */
export function runJailAs(uid: number, spec: Record<string, unknown>, argv: string[]): RuntimeResult {
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, bundled(),
    JSON.stringify({ spec, argv })], {
    encoding: 'utf8', timeout: 60000,
    env: { ...process.env, TSJAIL_NATIVE_DIR: path.join(ROOT, 'build', 'native', 'Release') },
  });
  if (r.status !== 0) throw new Error(`runtime-as failed (${r.status} ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Remove the temporary bundle (afterAll). */
export function cleanupRuntimeAs(): void {
  if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
  bundle = undefined;
}
