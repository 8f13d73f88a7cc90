// The policy review page end to end: `tsjail playground` serves dist/web/ and headless Chromium
// (playwright-core) uses it as a person would: type a policy with an error and see it at its
// line, fix it, ask what happens if a call is made, compare two versions, download the .bpf
// and compare it with `tsjail compile`, reload from the URL, and work the controls with the
// keyboard alone. Every request the browser makes is recorded: none may leave 127.0.0.1.
// The screenshot goes to test-artifacts/playground.png.

import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import { tmpdir } from 'os';
import * as path from 'path';
import { CHROMIUM, chromiumMissing } from './helpers/chromium';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'bin', 'tsjail');
const artifacts = path.join(root, 'test-artifacts');

const BROKEN = 'read: 1\nwrte: arg0 == 1\nopenat: arg2 & O_WRONLY; return EACCES\nioctl: arg1 == TCGETS\nexit_group: 1\n';
const FIXED = BROKEN.replace('wrte', 'write');
const CHANGED = FIXED.replace('write: arg0 == 1', 'write: arg0 == 1 || arg0 == 2').replace('arg1 == TCGETS', 'arg1 == TCGETS || arg1 == TIOCGWINSZ');

interface Served { url: string; child: ChildProcess }

/** `tsjail playground --port 0`: resolves with the URL it prints. */
function startPlayground(): Promise<Served> {
  const child = spawn(process.execPath, [cli, 'playground', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => reject(new Error(`tsjail playground exited ${code}: ${out}`)));
  });
}

function run(args: string[], cwd: string): { status: number; stdout: string; stderr: string } {
  try {
    return { status: 0, stdout: execFileSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { status: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Page = any;

/** The editor's text, line by line as CodeMirror shows it (inside its shadow root). */
const editorText = (page: Page): Promise<string> => page.evaluate(() =>
  Array.from(document.getElementById('editor')!.shadowRoot!.querySelectorAll('.cm-line')).map((l) => l.textContent).join('\n'));

const settled = (page: Page): Promise<void> => page.evaluate(() => (window as unknown as { tsjailSettled(): Promise<void> }).tsjailSettled());

/** Wait until the URL holds the current view (the page updates the hash shortly after each change); returns it. */
async function currentHash(page: Page): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const hash: string = await page.evaluate(async () => {
      const want = await (window as unknown as { tsjailStateHash(): Promise<string> }).tsjailStateHash();
      return location.hash === want ? want : '';
    });
    if (hash !== '') return hash;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the URL never caught up with the view');
}

/** Wait until the problem list shows no error (warnings, such as lint's findings, may remain). */
async function noErrors(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getElementById('problems-summary')!.textContent !== '' && !document.querySelector('#problems .problem.error'));
}

/** The problem list's entries. */
const problemList = (page: Page): Promise<string[]> => page.$$eval('#problems li', (lis: Element[]) => lis.map((li) => li.textContent));

async function typePolicy(page: Page, text: string): Promise<void> {
  await page.click('#editor .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
  await settled(page);
}

describe('tsjail playground: the server', () => {
  let served: Served;
  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'inherit' });
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-web.js')], { cwd: root, stdio: 'inherit' });
    served = await startPlayground();
  }, 120000);
  afterAll(() => { served?.child.kill('SIGTERM'); });

  const get = (p: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> => new Promise((resolve, reject) => {
    http.get(new URL(p, served.url), (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    }).on('error', reject);
  });

  test('serves the page with the documented CSP, and nothing outside dist/web', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'");
    expect(page.body).toContain('tsjail policy review');
    expect((await get('/worker.js')).headers['content-type']).toMatch(/^text\/javascript/);
    // The core is served as its own file, with the type WebAssembly.compileStreaming needs.
    expect((await get('/core.wasm')).headers['content-type']).toBe('application/wasm');
    expect(readFileSync(path.join(root, 'dist', 'web', 'worker.js'), 'utf8')).not.toContain('AGFzbQ');
    for (const p of ['/../package.json', '/%2e%2e%2fpackage.json', '/..%2f..%2fpackage.json', '/nothing.js']) expect((await get(p)).status).toBe(404);
  });

  test('--open runs xdg-open with the URL when it is on PATH, else prints the URL', async () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'tsjail-xdg-'));
    try {
      const opened = path.join(bin, 'opened');
      writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${opened}\n`, { mode: 0o755 });
      for (const withXdg of [true, false]) {
        const child = spawn(process.execPath, [cli, 'playground', '--port', '0', '--open'], {
          cwd: root, env: { ...process.env, PATH: withXdg ? bin : path.join(bin, 'none') }, stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
        const url = await new Promise<string>((resolve) => {
          const poll = setInterval(() => {
            const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
            const done = m && (withXdg ? existsSync(opened) : out.includes('xdg-open is not installed'));
            if (m && done) { clearInterval(poll); resolve(m[1]); }
          }, 50);
        });
        child.kill('SIGTERM');
        await new Promise((r) => child.on('exit', r));
        if (withXdg) expect(readFileSync(opened, 'utf8')).toBe(`${url}\n`);
        else expect(out).toContain(`tsjail playground: xdg-open is not installed; open ${url} in a browser\n`);
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('a port in use is one readable line and exit 1; a bad port is a usage error', () => {
    const port = new URL(served.url).port;
    const taken = run(['playground', '--port', port], root);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toBe(`tsjail: playground: port ${port} on 127.0.0.1 is already in use; choose another with --port\n`);
    const bad = run(['playground', '--port', 'http'], root);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('tsjail: playground: --port must be a number from 0 to 65535, not "http"');
  });
});

(chromiumMissing ? describe.skip : describe)(`tsjail playground in headless Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
  let served: Served;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let context: any;
  let profile: string;
  let work: string;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'inherit' });
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-web.js')], { cwd: root, stdio: 'inherit' });
    served = await startPlayground();
    profile = mkdtempSync(path.join(tmpdir(), 'tsjail-playground-'));
    work = mkdtempSync(path.join(tmpdir(), 'tsjail-playground-work-'));
    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, acceptDownloads: true, viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.on('request', (r: { url(): string }) => requests.push(r.url()));
    context.on('page', (p: Page) => {
      p.on('pageerror', (e: Error) => problems.push(e.message));
      p.on('console', (m: { type(): string; text(): string }) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
    });
  }, 120000);

  afterAll(async () => {
    await context?.close();
    served?.child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  async function openPage(url: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 60000 });
    return page;
  }

  test('edit, diagnose, fix, what-if, diff, download, reload from the URL', async () => {
    const page = await openPage(served.url);
    // The page compiles the core once and hands it to its three workers: one download.
    expect(requests.filter((u) => new URL(u).pathname === '/core.wasm')).toHaveLength(1);
    expect(requests.filter((u) => new URL(u).pathname === '/worker.js')).toHaveLength(3);

    // An error is shown at its line, in the editor and in the problem list.
    await typePolicy(page, BROKEN);
    await page.waitForSelector('#problems li', { timeout: 30000 });
    expect((await problemList(page)).filter((p) => / error: /.test(p))).toEqual([expect.stringMatching(/^line 2: error: .*wrte/)]);
    const markedLines = await page.evaluate(() => Array.from(document.getElementById('editor')!.shadowRoot!.querySelectorAll('.cm-line'))
      .map((l, i) => (l.querySelector('.cm-lintRange-error') ? i + 1 : 0)).filter((n) => n > 0));
    expect(markedLines).toEqual([2]);
    expect(await page.textContent('#program-summary')).toBe('Not compiled: the policy has errors.');

    // Fixed: no problems, a program the verifier proved.
    await typePolicy(page, FIXED);
    await noErrors(page);
    // Lint's findings follow once typing pauses (docs/lint.md): here the minijail0 reading of line 3.
    await page.waitForFunction(() => /line 3: warning: "EXPR; return N" means opposite things/.test(document.getElementById('problems')!.textContent ?? ''));
    expect(await editorText(page)).toBe(FIXED);
    expect(await page.textContent('#program-summary')).toMatch(/^x86_64: \d+ instructions, \d+ bytes$/);
    expect(await page.textContent('#verify-status')).toMatch(/^Verifier: proven equal to the policy/);
    writeFileSync(path.join(work, 'fixed.policy'), FIXED);

    // What happens if: the verdict and the deciding rule, as `tsjail simulate` says; the path highlighted.
    await page.fill('#whatif-syscall', 'openat');
    await page.fill('#whatif-args', 'AT_FDCWD, 0, O_RDONLY|O_CLOEXEC');
    await page.click('#whatif-run');
    await page.waitForSelector('#whatif-verdict');
    const sim = JSON.parse(run(['simulate', '--arch', 'x86_64', '-s', 'openat', '--args', 'AT_FDCWD,0,O_RDONLY|O_CLOEXEC', '--json', 'fixed.policy'], work).stdout);
    expect(sim.action).toBe('errno');
    expect(await page.textContent('#whatif-verdict')).toBe(`errno ${sim.data}`);
    expect(await page.textContent('#whatif-result')).toContain(`after ${sim.insns} instructions`);
    expect(await page.textContent('#whatif-rule')).toBe('example.policy:3: return EACCES');
    expect(await page.locator('button.insn.path-insn').count()).toBe(sim.insns);

    // Review: save, change, compare: the changed calls, with constant names.
    await page.click('#save-version');
    await typePolicy(page, CHANGED);
    await page.click('#compare');
    await page.waitForSelector('#diff-table');
    const rows: string[][] = await page.$$eval('#diff-table tbody tr', (trs: Element[]) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).slice(0, 4).map((td) => td.textContent)));
    expect(rows).toEqual([
      ['write (1)', 'arg0 == 2', 'kill-process', 'allow'],
      ['ioctl (16)', 'arg1 == TIOCGWINSZ', 'kill-process', 'allow'],
    ]);
    // The page and `tsjail diff` say the same thing about the same two versions, line for line.
    writeFileSync(path.join(work, 'changed.policy'), CHANGED);
    const cliDiff = run(['diff', '--arch', 'x86_64', 'fixed.policy', 'changed.policy'], work);
    expect(cliDiff.status).toBe(0);
    const pageLines = rows.flatMap(([subject, condition, saved, current], i) =>
      [...(i > 0 && rows[i - 1][0] === subject ? [] : [`${subject}:`]), `  ${condition}: ${saved} -> ${current}`]);
    expect(pageLines).toEqual(cliDiff.stdout.replace(/\n$/, '').split('\n'));

    // The .bpf download is `tsjail compile`'s output, byte for byte; the C header and the OCI profile
    // are what `tsjail compile -f c` and `tsjail convert --to oci` write.
    writeFileSync(path.join(work, 'example.policy'), CHANGED);
    const exports = [
      ['#export-bpf', 'example.bpf', ['compile', '--arch', 'x86_64']],
      ['#export-c', 'example.h', ['compile', '--arch', 'x86_64', '-f', 'c']],
      ['#export-oci', 'example.json', ['convert', '--to', 'oci', '--arch', 'x86_64']],
    ] as const;
    for (const [button, file, args] of exports) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      expect(download.suggestedFilename()).toBe(file);
      const saved = path.join(work, `downloaded-${file}`);
      await download.saveAs(saved);
      expect(run([...args, '-o', `cli-${file}`, 'example.policy'], work).status).toBe(0);
      expect(readFileSync(saved).equals(readFileSync(path.join(work, `cli-${file}`)))).toBe(true);
    }
    // The .bpf is a jail's filter in the form the CLI takes it: `tsjail run --seccomp-bpf-binary`
    // installs it (cat's fstat is not in the policy: the kernel kills it and the run names the
    // call), and `tsjail pack-jail` writes it into a jail file. Running a jail needs root here.
    if (process.getuid?.() === 0 && process.arch === 'x64') {
      const jailed = run(['run', '--seccomp-bpf-binary', 'downloaded-example.bpf', '--', '/bin/cat', '/dev/null'], work);
      expect(jailed.status).toBe(159);
      expect(jailed.stderr).toMatch(/seccomp violation: newfstatat|seccomp violation: fstat/);
      expect(run(['run', '--', '/bin/cat', '/dev/null'], work).status).toBe(0);
      expect(run(['pack-jail', '-o', 'example.jail', '--seccomp-bpf-binary', 'downloaded-example.bpf', '--', '/bin/true'], work).status).toBe(0);
    }

    // Choose an instruction on the what-if path; the URL then holds the whole view.
    await page.click('#whatif-run');
    await page.waitForSelector('#whatif-verdict');
    await page.locator('button.insn.path-insn').nth(3).click();
    const selected = await page.getAttribute('button.insn.selected', 'data-index');
    expect(await currentHash(page)).toMatch(/^#s=/);
    const before = {
      text: await editorText(page), verdict: await page.textContent('#whatif-result'), diff: await page.textContent('#diff-result'),
      listing: await page.textContent('#listing'), rules: await page.textContent('#insn-rules'),
    };
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'playground.png'), fullPage: true });
    const url = page.url();
    await page.close();

    const again = await openPage(url);
    expect({
      text: await editorText(again), verdict: await again.textContent('#whatif-result'), diff: await again.textContent('#diff-result'),
      listing: await again.textContent('#listing'), rules: await again.textContent('#insn-rules'),
    }).toEqual(before);
    expect(await again.getAttribute('button.insn.selected', 'data-index')).toBe(selected);
    expect(await again.inputValue('#arch')).toBe('x86_64');
    await again.close();

    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(served.url) && !u.startsWith(`blob:${served.url.replace(/\/$/, '')}`))).toEqual([]);
  }, 180000);

  test('files from the picker and by drag-and-drop; @include finds them by path or file name', async () => {
    const page = await openPage(served.url);
    const main = '@include /usr/share/policy/app/base.policy\nread: 1\n';
    await page.setInputFiles('#file-input', [{ name: 'app.policy', mimeType: 'text/plain', buffer: Buffer.from(main) }]);
    await page.waitForFunction(() => document.querySelector('.file-tab[aria-selected="true"]')?.textContent === 'app.policy');
    await settled(page);
    // The include is not loaded yet: an error on the @include line.
    await page.waitForFunction(() => /^line 1: error: /.test(document.getElementById('problems')!.textContent ?? ''));
    expect(await page.textContent('#program-summary')).toBe('Not compiled: the policy has errors.');
    const drop = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['exit_group: 1\nwrite: 1\n'], 'base.policy', { type: 'text/plain' }));
      return dt;
    });
    await page.dispatchEvent('body', 'drop', { dataTransfer: drop });
    await page.waitForFunction(() => document.querySelector('.file-tab[aria-selected="true"]')?.textContent === 'base.policy');
    expect(await page.$$eval('.file-tab', (tabs: Element[]) => tabs.map((t) => t.textContent))).toEqual(['example.policy', 'common.policy', 'app.policy', 'base.policy']);
    await page.click('.file-tab >> text=app.policy');
    await settled(page);
    await noErrors(page);
    expect(await editorText(page)).toBe(main);
    await page.fill('#whatif-syscall', 'write');
    await page.click('#whatif-run');
    await page.waitForSelector('#whatif-verdict');
    expect(await page.textContent('#whatif-rule')).toBe('base.policy:2: 1');
    await page.close();
  }, 120000);

  test('completion and hover come from the language service', async () => {
    const page = await openPage(served.url);
    await page.click('#editor .cm-content');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('clo');
    await page.keyboard.press('Control+Space');
    await page.waitForSelector('.cm-tooltip-autocomplete');
    const labels = await page.$$eval('.cm-tooltip-autocomplete li', (lis: Element[]) => lis.map((li) => li.querySelector('.cm-completionLabel')!.textContent));
    expect(labels).toEqual(expect.arrayContaining(['close', 'clone', 'clock_gettime']));
    await page.keyboard.press('Escape');
    // Hover on the syscall of `read: 1`: its number on every arch.
    const box = await page.locator('#editor .cm-line', { hasText: /^read: 1$/ }).boundingBox();
    await page.mouse.move(box.x + 8, box.y + box.height / 2);
    await page.waitForSelector('.cm-tooltip-hover', { timeout: 10000 });
    const hover = await page.textContent('.cm-tooltip-hover');
    expect(hover).toMatch(/x86_64: 0\b/);
    expect(hover).toMatch(/aarch64: 63\b/);
    await page.close();
  }, 120000);

  test('the arch selector recompiles and re-diagnoses, and the arch comes back from the URL', async () => {
    const page = await openPage(served.url);
    // open(2) exists on x86_64, not on aarch64 (which has only openat).
    await typePolicy(page, 'open: 1\nread: 1\n');
    await noErrors(page);
    expect(await page.textContent('#program-summary')).toMatch(/^x86_64: /);
    await page.selectOption('#arch', 'aarch64');
    await settled(page);
    await page.waitForFunction(() => /line 1: error: .*open/.test(document.getElementById('problems')!.textContent ?? ''));
    await typePolicy(page, 'openat: 1\nread: 1\n');
    await noErrors(page);
    expect(await page.textContent('#program-summary')).toMatch(/^aarch64: /);
    await currentHash(page);
    const url = page.url();
    await page.close();
    const again = await openPage(url);
    expect(await again.inputValue('#arch')).toBe('aarch64');
    expect(await again.textContent('#program-summary')).toMatch(/^aarch64: /);
    await again.close();
  }, 120000);

  test('keyboard only: Tab reaches every main control in order, each with a visible focus; Enter works them', async () => {
    const page = await openPage(served.url);
    const focused = () => page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      if (a && a.shadowRoot && a.shadowRoot.activeElement) {
        const editor = a.shadowRoot.querySelector('.cm-editor')!;
        const s = getComputedStyle(editor);
        return { name: a.id, visible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
      }
      if (!a) return { name: '', visible: false };
      const s = getComputedStyle(a);
      const name = a.id || (a.classList.contains('insn') ? 'insn' : a.classList.contains('file-tab') ? 'file-tab' : a.tagName.toLowerCase());
      return { name, visible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
    });
    // Tab through the page; on the way, use the what-if form and an instruction with the keyboard
    // alone: type in the fields, Enter on the button and on an instruction.
    const order: string[] = [];
    let usedInstruction = false;
    for (let i = 0; i < 200; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      if (!f.visible) throw new Error(`focus on ${f.name} is not visible`);
      if (order[order.length - 1] !== f.name) order.push(f.name);
      if (f.name === 'whatif-syscall') await page.keyboard.type('read');
      if (f.name === 'whatif-run') {
        await page.keyboard.press('Enter');
        await page.waitForSelector('#whatif-verdict');
        expect(await page.textContent('#whatif-verdict')).toBe('allow');
      }
      if (f.name === 'insn' && !usedInstruction) {
        await page.keyboard.press('Enter');
        expect(await page.textContent('#insn-rules')).toMatch(/^Instruction 0 /);
        usedInstruction = true;
      }
      if (f.name === 'compare') break;
    }
    const main = ['arch', 'file-input', 'export-bpf', 'export-c', 'export-oci', 'file-tab', 'editor', 'whatif-syscall', 'whatif-args', 'whatif-run', 'insn', 'save-version', 'compare'];
    expect(order.filter((n) => main.includes(n))).toEqual(main);
    expect(usedInstruction).toBe(true);
    await page.close();
  }, 120000);
});
