// The shipped bundles: dist/policy.cjs (Node require), dist/policy.mjs (Node import), and the
// browser bundles (ESM and IIFE) in headless Debian Chromium driven by playwright-core. Each
// compiles a policy whose @include comes from a file map, simulates and disassembles it,
// analyses a typo (its suggestion applied, the IR's spans sliced), names the rule that decides a
// call and asks the language service for an outline, tokens, completions and a hover, and must
// agree byte for byte with Node.

import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { ChromiumSession, chromiumMissing, startChromium } from './helpers/chromium';

const root = path.resolve(__dirname, '..');

const MAIN = '# browser test\n@include ./lib/common.policy\nwrite: arg0 == 1 || arg0 == 2\nioctl: arg1 == TCGETS; return ENOTTY\n';
const FILES = { 'app/lib/common.policy': 'read: 1\nclose: 1\nexit_group: 1\n' };
const CALLS: Array<[string, number[]]> = [['read', []], ['write', [1]], ['write', [7]], ['ioctl', [0, 0x5401]], ['ioctl', [0, 0x541b]], ['openat', []]];

interface Outcome {
  ok: boolean;
  program: string;
  insns: number;
  files: string[];
  verdicts: Array<{ action: string; data: number; insns: number }>;
  listing: string;
  missing: { ok: boolean; line?: number; code: number; file?: string };
  /** analyzePolicy on a typo: the suggestion, and the IR's spans as the text they cover. */
  analysis: { ok: boolean; suggestion: string; rules: string[]; decidedBy: string | null };
  /** lintPolicy's findings (code line:col) and formatPolicy's output. */
  lint: string[];
  fmt: string;
  /** The language service (PolicyDocument) on MAIN: outline, token kinds, a completion list, a hover. */
  service: { outline: string[]; kinds: string[]; completions: string[]; hover: string };
}

// The same scenario, as source text evaluated against any build of the API (`api`).
const SCENARIO = `async (api, MAIN, FILES, CALLS) => {
  const r = await api.compilePolicy(MAIN, { arch: 'x86_64', path: 'app/main.policy', files: FILES });
  let program = '';
  for (const b of r.program) program += b.toString(16).padStart(2, '0');
  const verdicts = [];
  for (const [syscall, args] of CALLS) {
    const v = await api.simulate(r.program, { arch: 'x86_64', syscall, args });
    verdicts.push({ action: v.action, data: v.data, insns: v.insns });
  }
  const listing = await api.disassemble(r.program, 'x86_64');
  const m = await api.compilePolicy(MAIN, { arch: 'x86_64', path: 'app/main.policy', files: {} });
  const d = m.diagnostics.find((x) => x.severity === 'error');
  const typo = MAIN.replace('TCGETS', 'TCGEST');
  const a = await api.analyzePolicy(typo, { arch: 'x86_64', path: 'app/main.policy', files: FILES });
  const fix = a.diagnostics[0].suggestions[0];
  const fixed = typo.slice(0, fix.edits[0].start) + fix.edits[0].newText + typo.slice(fix.edits[0].end);
  const b = await api.analyzePolicy(fixed, { arch: 'x86_64', path: 'app/main.policy', files: FILES });
  const texts = { 'app/main.policy': fixed, ...FILES };
  const rules = [];
  for (const sc of b.ir.syscalls) for (const rule of sc.rules) {
    rules.push(sc.name + ': ' + texts[rule.span.file].slice(rule.span.start, rule.span.end) + ' [' +
      rule.clauses.map((c) => c.map((x) => texts[x.span.file].slice(x.span.start, x.span.end) + ' = 0x' + x.value.toString(16)).join(' && ')).join(' || ') + ']');
  }
  const l = await api.lintPolicy(MAIN, { arch: 'x86_64', path: 'app/main.policy', files: FILES });
  const f = await api.formatPolicy('read:arg0==1||arg0==2   # c\\n\\n\\nwrite :1\\n');
  const s = await api.simulatePolicy(fixed, { arch: 'x86_64', path: 'app/main.policy', files: FILES, syscall: 'ioctl', args: [0, 0x541b] });
  const doc = new api.PolicyDocument(MAIN, { arch: 'x86_64', path: 'app/main.policy', files: FILES });
  const service = {
    outline: (await doc.outline()).map((x) => x.kind + ' ' + x.name),
    kinds: (await doc.tokens()).filter((t) => t.kind !== 'newline').map((t) => t.kind),
    completions: (await doc.completions(MAIN.indexOf('TCGETS'))).map((c) => c.label).filter((n) => n.startsWith('TCG')),
    hover: (await doc.hover(MAIN.indexOf('TCGETS'))).markdown,
  };
  return { ok: r.ok, program, insns: r.insns, files: r.files, verdicts, listing, service,
    missing: { ok: m.ok, line: d && d.line, code: d ? d.code : 0, file: d && d.file },
    analysis: { ok: b.ok, suggestion: fix.title, rules, decidedBy: s.rule ? fixed.slice(s.rule.start, s.rule.end) : null },
    lint: l.diagnostics.map((x) => x.code + ' ' + x.line + ':' + x.column), fmt: f.text };
}`;

/** MAIN never allows rt_sigreturn and restart_syscall (6012), and line 4 is `EXPR; return N` (6010). */
const LINT_EXPECTED = ['6012 1:1', '6012 1:1', '6010 4:8'];

let nodeOutcome: Outcome;

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'inherit' });
  // Node, CommonJS bundle: the reference for every other build.
  const api = require(path.join(root, 'dist', 'policy.cjs'));
  // eslint-disable-next-line no-new-func
  const run = new Function(`return (${SCENARIO})`)();
  nodeOutcome = await run(api, MAIN, FILES, CALLS);
});

describe('Node bundles', () => {
  test('dist/policy.cjs (require) compiles, simulates and finds the missing include', () => {
    expect(nodeOutcome.ok).toBe(true);
    expect(nodeOutcome.files).toEqual(['app/main.policy', 'app/lib/common.policy']);
    expect(nodeOutcome.verdicts.map((v) => (v.action === 'errno' ? `errno ${v.data}` : v.action)))
      .toEqual(['allow', 'allow', 'kill-process', 'allow', 'errno 25', 'kill-process']);
    expect(nodeOutcome.listing).toMatch(/ALLOW/);
    expect(nodeOutcome.missing).toEqual({ ok: false, line: 2, code: 2007, file: 'app/main.policy' });
    expect(nodeOutcome.analysis).toEqual({
      ok: true,
      suggestion: 'Change to "TCGETS"',
      rules: [
        'read: 1 []', 'write: arg0 == 1 || arg0 == 2 [arg0 == 1 = 0x1 || arg0 == 2 = 0x2]', 'close: 1 []',
        'ioctl: arg1 == TCGETS; return ENOTTY [arg1 == TCGETS = 0x5401]', 'ioctl: return ENOTTY []', 'exit_group: 1 []',
      ],
      decidedBy: 'return ENOTTY',
    });
    expect(nodeOutcome.lint).toEqual(LINT_EXPECTED);
    expect(nodeOutcome.fmt).toBe('read: arg0 == 1 || arg0 == 2 # c\n\nwrite: 1\n');
    expect(nodeOutcome.service.outline).toEqual(['include ./lib/common.policy', 'rule write', 'rule ioctl']);
    expect(nodeOutcome.service.kinds.slice(0, 4)).toEqual(['comment', 'directive', 'path', 'syscall']);
    expect(nodeOutcome.service.completions).toEqual(expect.arrayContaining(['TCGETS', 'TCGETA']));
    expect(nodeOutcome.service.hover).toMatch(/\*\*x86_64\*\*: 0x5401 \(21505\)/);
  });

  test('dist/policy.mjs (import, in a separate ESM process) gives the same result', () => {
    const script = `const api = await import(${JSON.stringify(path.join(root, 'dist', 'policy.mjs'))});
const run = ${SCENARIO};
process.stdout.write(JSON.stringify(await run(api, ${JSON.stringify(MAIN)}, ${JSON.stringify(FILES)}, ${JSON.stringify(CALLS)})));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(nodeOutcome);
  });

  test('dist/index.cjs (the Node entry) re-exports the policy API', async () => {
    const api = require(path.join(root, 'dist', 'index.cjs'));
    const r = await api.compilePolicy('read: 1\n', { arch: 'x86_64' });
    expect(Buffer.from(r.program).toString('hex'))
      .toBe(Buffer.from((await require(path.join(root, 'dist', 'policy.cjs')).compilePolicy('read: 1\n', { arch: 'x86_64' })).program).toString('hex'));
  });
});

(chromiumMissing ? describe.skip : describe)(`browser bundles in headless Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
  let session: ChromiumSession;
  let base: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let context: any;

  beforeAll(async () => {
    const pages: Record<string, [string, string]> = {
      '/policy.browser.mjs': ['text/javascript', path.join(root, 'dist', 'policy.browser.mjs')],
      '/policy.browser.js': ['text/javascript', path.join(root, 'dist', 'policy.browser.js')],
    };
    session = await startChromium(pages);
    ({ base, context } = session);
  }, 60000);

  afterAll(async () => {
    await session?.close();
  });

  async function inPage(load: string): Promise<{ outcome: Outcome; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e: Error) => errors.push(e.message));
    page.on('console', (m: { type(): string; text(): string }) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${base}/`);
    const outcome = await page.evaluate(
      `(async () => { const api = await (${load}); return (${SCENARIO})(api, ${JSON.stringify(MAIN)}, ${JSON.stringify(FILES)}, ${JSON.stringify(CALLS)}); })()`,
    );
    await page.close();
    return { outcome, errors };
  }

  test('ESM bundle (dist/policy.browser.mjs) agrees with Node', async () => {
    const { outcome, errors } = await inPage(`import('/policy.browser.mjs')`);
    expect(errors).toEqual([]);
    expect(outcome).toEqual(nodeOutcome);
  });

  test('IIFE bundle (dist/policy.browser.js, global tsjailPolicy) agrees with Node', async () => {
    const load = `new Promise((resolve, reject) => { const s = document.createElement('script'); s.src = '/policy.browser.js';
      s.onload = () => resolve(globalThis.tsjailPolicy); s.onerror = () => reject(new Error('script failed to load'));
      document.head.appendChild(s); })`;
    const { outcome, errors } = await inPage(load);
    expect(errors).toEqual([]);
    expect(outcome).toEqual(nodeOutcome);
  });

  test('the browser bundle holds no Node-only code', () => {
    const src = readFileSync(path.join(root, 'dist', 'policy.browser.mjs'), 'utf8');
    expect(src).not.toMatch(/require\(["'](fs|path|os|child_process|node:[a-z_/]+)["']\)/);
    expect(src).not.toMatch(/from\s*["']node:/);
  });
});
