// The entries a dashboard embeds (docs/browser.md): tsjail/policy/web loading the core from a
// separate .wasm file (initPolicy), the module worker and its client, and the documented
// dashboard page itself, taken from docs/browser.md, served from a local static server and
// driven in headless Chromium, with and without the Content-Security-Policy the doc gives.
// Every expected value is what the Node API computes for the same input.

import { execFile, execFileSync } from 'child_process';
import { promisify } from 'util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { MessageChannel } from 'worker_threads';
import { compilePolicy, constantValue, diffPolicies, simulate } from '../ts/policy/index';
import { handleRequest } from '../ts/policy/worker';
import { PolicyWorkerError, WorkerLike, connectPolicyWorker } from '../ts/policy/worker-client';
import { ChromiumSession, chromiumMissing, startChromium } from './helpers/chromium';

const root = path.resolve(__dirname, '..');
const dist = (f: string) => path.join(root, 'dist', f);
const WASM = path.join(root, 'build', 'wasm', 'core.wasm');
const CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";

/** The fenced block right after the `**name**` line of docs/browser.md: the page as documented. */
function docBlock(name: string): string {
  const doc = readFileSync(path.join(root, 'docs', 'browser.md'), 'utf8');
  const m = new RegExp(`\\*\\*${name.replace('.', '\\.')}\\*\\*\\n\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n`).exec(doc);
  if (!m) throw new Error(`docs/browser.md has no ${name} block`);
  return m[1];
}

const OLD = 'read: allow\nwrite: arg0 == 1\nopenat: arg2 == O_RDONLY\n';
const NEW = 'read: allow\nwrite: arg0 >= 1\nopenat: arg2 == O_RDONLY || arg2 == O_RDONLY|O_CLOEXEC\n';

describe('tsjail/policy/web in Node: the core from what initPolicy is given', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'pipe' });
    server = http.createServer((req, res) => {
      if (req.url === '/core.wasm') return void res.writeHead(200, { 'content-type': 'application/wasm' }).end(readFileSync(WASM));
      if (req.url === '/plain.wasm') return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(WASM));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('the bundle holds no core; each form of `wasm` loads it; a bad one rejects and may be retried', async () => {
    expect(readFileSync(dist('policy.web.mjs')).length).toBeLessThan(readFileSync(WASM).length / 2);
    const script = `
      import * as api from ${JSON.stringify(dist('policy.web.mjs'))};
      import { readFileSync } from 'fs';
      const out = {};
      const run = async () => {
        const r = await api.compilePolicy(${JSON.stringify(OLD)}, { arch: 'x86_64' });
        return r.ok ? Buffer.from(r.program).toString('hex') : 'not ok';
      };
      out.before = await run().catch((e) => e.message);
      out.missing = await api.initPolicy({ wasm: ${JSON.stringify(base + '/none.wasm')} }).then(() => 'loaded', (e) => e.message);
      out.stillNone = await run().catch((e) => e.message);
      const bytes = readFileSync(${JSON.stringify(WASM)});
      for (const [name, wasm] of [
        ['url (streaming)', ${JSON.stringify(base + '/core.wasm')}],
        ['url of another type', new URL(${JSON.stringify(base + '/plain.wasm')})],
        ['fetch promise', fetch(${JSON.stringify(base + '/core.wasm')})],
        ['bytes', new Uint8Array(bytes)],
        ['module', await WebAssembly.compile(bytes)],
      ]) {
        await api.initPolicy({ wasm });
        out[name] = await run();
      }
      console.log(JSON.stringify(out));`;
    // Asynchronously: the server the child fetches from runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const out = JSON.parse(stdout);
    const expected = Buffer.from((await compilePolicy(OLD, { arch: 'x86_64' })).program).toString('hex');
    expect(out).toEqual({
      before: 'tsjail: the policy core is not loaded: call initPolicy({ wasm }) first (this bundle does not inline it)',
      missing: `tsjail: cannot load the policy core from ${base}/none.wasm: HTTP 404`,
      stillNone: 'tsjail: the policy core is not loaded: call initPolicy({ wasm }) first (this bundle does not inline it)',
      'url (streaming)': expected, 'url of another type': expected, 'fetch promise': expected, bytes: expected, module: expected,
    });
  }, 60_000);
});

describe('the worker protocol over a real MessageChannel (structured clone both ways)', () => {
  let client: ReturnType<typeof connectPolicyWorker>;
  let channel: MessageChannel;
  beforeAll(() => {
    channel = new MessageChannel();
    // The worker's side: the same handler the bundle installs on the worker global.
    channel.port2.on('message', (req) => void handleRequest(req).then((r) => channel.port2.postMessage(r)));
    client = connectPolicyWorker(channel.port1 as unknown as WorkerLike, { wasm: readFileSync(WASM) });
  });
  afterAll(() => channel.port1.close());

  test('each method gives what the library gives', async () => {
    await client.ready;
    const direct = await compilePolicy(NEW, { arch: 'x86_64' });
    const viaWorker = await client.compilePolicy(NEW, { arch: 'x86_64' });
    expect(viaWorker.program).toEqual(direct.program);
    expect(viaWorker.program).toBeInstanceOf(Uint8Array);
    expect(await client.diffPolicies(OLD, NEW, { arch: 'x86_64' })).toEqual(await diffPolicies(OLD, NEW, { arch: 'x86_64' }));
    const call = { arch: 'x86_64', syscall: 'openat', args: ['AT_FDCWD', 0n, 'O_RDONLY|O_CLOEXEC'] };
    expect(await client.simulate(direct.program, call)).toEqual(await simulate(direct.program, call));
    expect((await client.simulate(direct.program, call)).action).toBe('allow');
    const bad = await client.compilePolicy('raed: allow\n', { arch: 'x86_64', path: 'p.policy' });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0]).toMatchObject({ file: 'p.policy', line: 1, column: 1, severity: 'error' });
    const consts = await client.constants('x86_64');
    expect(Object.prototype.toString.call(consts)).toBe('[object Map]');
    expect(consts.get('O_CLOEXEC')).toBe(await constantValue('x86_64', 'O_CLOEXEC'));
  });

  test('a thrown error arrives with its class name and message; an uncloneable argument fails only its call', async () => {
    const program = (await compilePolicy(OLD, { arch: 'x86_64' })).program;
    const e = await client.simulate(program, { arch: 'x86_64', syscall: 'openat', args: [0, 0, 'O_CLOEXC'] }).catch((x) => x);
    expect(e).toBeInstanceOf(PolicyWorkerError);
    expect({ name: e.name, message: e.message }).toEqual({
      name: 'RangeError', message: 'simulate: args[2]: "O_CLOEXC" is neither a number nor a constant known on x86_64 (did you mean "O_CLOEXEC"?)',
    });
    const p = await client.compilePolicyOrThrow('raed: allow\n', { arch: 'x86_64', path: 'p.policy' }).catch((x) => x);
    expect({ name: p.name, first: p.diagnostics[0] }).toMatchObject({ name: 'PolicyError', first: { file: 'p.policy', line: 1, column: 1, code: expect.any(Number) } });
    expect(p.diagnostics[0].message).toMatch(/did you mean "read"/);
    await expect(client.compilePolicy(OLD, { arch: 'x86_64', files: () => undefined })).rejects.toThrow(/could not be cloned/);
    expect((await client.compilePolicy(OLD, { arch: 'x86_64' })).ok).toBe(true);
  });
});

const suite = chromiumMissing ? describe.skip : describe;

suite(`the documented dashboard page in headless Chromium${chromiumMissing ? ` [skipped: ${chromiumMissing}]` : ''}`, () => {
  let dir = '';
  let files: Record<string, [string, string]> = {};
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'tsjail-dashboard-'));
    writeFileSync(path.join(dir, 'dashboard.html'), docBlock('dashboard.html'));
    writeFileSync(path.join(dir, 'dashboard.mjs'), docBlock('dashboard.mjs'));
    files = {
      '/dashboard.html': ['text/html', path.join(dir, 'dashboard.html')],
      '/dashboard.mjs': ['text/javascript', path.join(dir, 'dashboard.mjs')],
      '/tsjail/policy.client.mjs': ['text/javascript', dist('policy.client.mjs')],
      '/tsjail/policy.worker.mjs': ['text/javascript', dist('policy.worker.mjs')],
      '/tsjail/policy.web.mjs': ['text/javascript', dist('policy.web.mjs')],
      '/tsjail/policy.wasm': ['application/wasm', WASM],
    };
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What the page should show, from the Node API on the same policies. */
  async function expected(newText: string) {
    const show = async (text: string, side: string) => {
      const r = await compilePolicy(text, { arch: 'x86_64', path: `${side}.policy` });
      return r.ok ? `compiled: ${r.insns} instructions, ${r.program.length} bytes`
        : r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n');
    };
    const d = await diffPolicies(OLD, newText, { arch: 'x86_64' });
    return { old: await show(OLD, 'old'), new: await show(newText, 'new'), diff: d.differences.map((x) => `${x.syscall}: ${x.condition || 'every call'}: ${x.old} -> ${x.new}`).join('\n') };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function shown(page: any) {
    return page.evaluate(() => ({
      old: document.getElementById('old-status')!.textContent, new: document.getElementById('new-status')!.textContent,
      diff: document.getElementById('diff')!.textContent,
    }));
  }

  async function withPage(headers: Record<string, string>, fn: (page: unknown, errors: string[]) => Promise<void>): Promise<void> {
    const session: ChromiumSession = await startChromium(files, headers);
    try {
      const page = await session.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e: Error) => errors.push(e.message));
      page.on('console', (m: { type(): string; text(): string }) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`${session.base}/dashboard.html`);
      await fn(page, errors);
    } finally {
      await session.close();
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function checkDashboard(page: any, errors: string[]) {
    const want = await expected(NEW);
    expect(want.diff).toBe('write: arg0 >= 2: kill-process -> allow\nopenat: arg2 == O_RDONLY|O_CLOEXEC: kill-process -> allow');
    await page.waitForFunction(() => !['loading…', ''].includes(document.getElementById('diff')!.textContent!), null, { timeout: 30_000 });
    expect(await shown(page)).toEqual(want);
    // A typo in the new policy: its located error, and no diff.
    const typo = NEW.replace('read', 'raed');
    await page.fill('#new', typo);
    await page.waitForFunction(() => document.getElementById('new-status')!.textContent!.startsWith('new.policy:'), null, { timeout: 30_000 });
    const bad = await expected(typo);
    expect(bad.new).toBe('new.policy:1:1: nonexistent syscall "raed"; did you mean "read"?');
    await page.waitForFunction(() => document.getElementById('diff')!.textContent!.startsWith('fix'), null, { timeout: 30_000 });
    expect(await shown(page)).toEqual({ old: bad.old, new: bad.new, diff: 'fix the errors above to see what changes' });
    expect(errors).toEqual([]);
  }

  test('validates, compiles and diffs through the worker (no CSP); tsjail/policy/web on the main thread agrees', async () => {
    await withPage({}, async (page, errors) => {
      await checkDashboard(page, errors);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const direct = await (page as any).evaluate(async ([text]: string[]) => {
        const api = await import('/tsjail/policy.web.mjs' as string);
        await api.initPolicy({ wasm: '/tsjail/policy.wasm' });
        const r = await api.compilePolicy(text, { arch: 'x86_64' });
        const v = await api.simulate(r.program, { arch: 'x86_64', syscall: 'openat', args: ['AT_FDCWD', 0, 'O_RDONLY|O_CLOEXEC'] });
        return { program: Array.from(r.program as Uint8Array), action: v.action, insns: v.insns };
      }, [NEW]);
      const c = await compilePolicy(NEW, { arch: 'x86_64' });
      const v = await simulate(c.program, { arch: 'x86_64', syscall: 'openat', args: ['AT_FDCWD', 0, 'O_RDONLY|O_CLOEXEC'] });
      expect(direct).toEqual({ program: Array.from(c.program), action: v.action, insns: v.insns });
    });
  }, 120_000);

  test(`the same under Content-Security-Policy: ${CSP}`, async () => {
    await withPage({ 'content-security-policy': CSP }, async (page, errors) => {
      // The policy is in force: an inline script does not run.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      expect(await (page as any).evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'document.body.dataset.inline = "ran"';
        document.head.append(s);
        return document.body.dataset.inline ?? 'refused';
      })).toBe('refused');
      // The refusal is reported on the console; the page's own run must report nothing.
      errors.length = 0;
      await checkDashboard(page, errors);
    });
  }, 120_000);

  test("without 'wasm-unsafe-eval' the worker may not compile the core, and the page says so", async () => {
    await withPage({ 'content-security-policy': "script-src 'self'; worker-src 'self'" }, async (page) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await (page as any).waitForFunction(() => document.getElementById('diff')!.textContent !== 'loading…', null, { timeout: 30_000 });
      expect((await shown(page)).diff).toMatch(/^cannot load the policy core: .*(WebAssembly|wasm)/i);
    });
  }, 120_000);
});
