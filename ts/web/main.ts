// The policy review page: wires the editor, the program view, "what happens if", cost, review,
// exports and the URL state to the policy worker (through policy-client.ts only).

import { byId, el } from './dom';
import { PolicyEditor } from './editor';
import { attachFileLoading, showTabs } from './files';
import { PolicyClient } from './policy-client';
import { ProgramView } from './program-view';
import type { BuildView, EditorDiagnostic, ExportKind, RuleView, Workspace } from './protocol';
import { showDiff, showSaved } from './review-view';
import { showCost } from './cost-chart';
import { PageState, decodeState, encodeState } from './url-state';
import { WhatIfPanel } from './whatif-view';

const EXAMPLE: [string, string] = ['example.policy', [
  '# A policy to review: edit it, or drop your own .policy files on the page.',
  '@include ./common.policy',
  'read: 1',
  'write: arg0 == 1 || arg0 == 2',
  'openat: arg2 & O_WRONLY; return EACCES',
  'mmap: arg2 in ~PROT_EXEC',
  'ioctl: arg1 == TCGETS',
  '',
].join('\n')];
const COMMON: [string, string] = ['common.policy', 'exit_group: 1\nrt_sigreturn: 1\nrestart_syscall: 1\n'];

// Three workers on the same code, so nothing slow waits in front of something quick: one
// answers the editor as you type (diagnostics, completion, hover), one runs lint once typing
// pauses (a second or more on a large policy), one builds the program views.
const editClient = new PolicyClient('worker.js');
const lintClient = new PolicyClient('worker.js');
const client = new PolicyClient('worker.js');
let files: Array<[string, string]> = [EXAMPLE, COMMON];
let main = EXAMPLE[0];
let arch = 'x86_64';
let saved: PageState['saved'];
let buildVersion = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let hashTimer: ReturnType<typeof setTimeout> | undefined;
/** Settles when the page shows the current text's program (tests and the URL wait on it). */
let settled: Promise<void> = Promise.resolve();

const workspace = (text?: string): Workspace => ({ files: files.map(([n, t]) => [n, n === main && text !== undefined ? text : t]), main, arch });
const textOf = (name: string) => files.find(([n]) => n === name)?.[1] ?? '';

function status(message: string): void {
  byId('status').textContent = message;
}

const editor = new PolicyEditor(byId('editor'), 'Policy text', {
  changed(text) {
    files = files.map(([n, t]) => [n, n === main ? text : t]);
    scheduleBuild();
  },
  moved: (offset) => showRuleAt(offset),
  diagnostics: (text) => editClient.call('check', workspace(text)),
  lintFindings: (text) => lintClient.latest('lint', workspace(text)),
  reported: (found) => showProblems(found),
  completions: (text, offset) => editClient.call('complete', { ...workspace(text), offset }),
  hover: (text, offset) => editClient.call('hover', { ...workspace(text), offset }),
});

/** The diagnostics as a list beside the editor, for reading them without hovering (and for screen readers). */
function showProblems(found: EditorDiagnostic[]): void {
  const items = found.map((d) => {
    const b = el('button', { type: 'button', class: `problem ${d.severity}` }, `line ${d.line}: ${d.severity}: ${d.message}`);
    b.addEventListener('click', () => editor.mark({ from: d.from, to: d.to }, true));
    return el('li', {}, b);
  });
  byId('problems').replaceChildren(...items);
  byId('problems-summary').textContent = found.length === 0 ? 'No problems.' : `${found.length} problem${found.length === 1 ? '' : 's'}:`;
}

/**
 * Mark a rule in the editor. A rule of an included file is named (file:line) but not opened:
 * the selected tab is what the page compiles, so switching to the include would change the program.
 */
function markRule(r: { file: string; start: number; end: number }, select = false): void {
  editor.mark(r.file === main ? { from: r.start, to: r.end } : null, select);
}

const program = new ProgramView({
  instruction(_index, rules) {
    if (rules.length === 1) markRule(rules[0]);
    scheduleHash();
  },
  rule: (r: RuleView) => { markRule(r, true); program.showRule(r); },
});

const whatIf = new WhatIfPanel({
  ask: async (syscall, args) => {
    await settled;
    scheduleHash();
    return client.call('whatIf', { ...workspace(), syscall, args });
  },
  showRule: (r) => markRule(r),
  showPath: (p) => program.showPath(p),
});

function ruleAt(b: BuildView | undefined, offset: number): RuleView | null {
  if (!b) return null;
  const here = b.rules.filter((r) => r.file === main && r.start <= offset && offset <= r.end);
  return here.sort((x, y) => x.end - x.start - (y.end - y.start))[0] ?? null;
}

function showRuleAt(offset: number): void {
  program.showRule(ruleAt(program.current, offset));
  scheduleHash();
}

function scheduleBuild(): void {
  clearTimeout(timer);
  let done!: () => void;
  settled = new Promise((r) => (done = r));
  timer = setTimeout(() => void rebuild().finally(done), 250);
  scheduleHash();
}

async function rebuild(): Promise<void> {
  const version = ++buildVersion;
  status('Compiling…');
  byId('page').setAttribute('aria-busy', 'true');
  try {
    const b = await client.call('build', workspace());
    if (version !== buildVersion) return;
    program.show(b);
    showCost(b);
    program.showPath([]);
    showRuleAt(editor.cursor);
    showSaved(saved && saved.files.find(([n]) => n === saved!.main)?.[1], textOf(main));
    status(b.ok ? `Compiled: ${b.insns} instructions.` : 'The policy has errors.');
  } catch (e) {
    status(`Internal error: ${(e as Error).message}`);
  } finally {
    if (version === buildVersion) byId('page').removeAttribute('aria-busy');
  }
}

function currentState(): PageState {
  const s: PageState = { files, main, arch, cursor: editor.cursor };
  if (saved) s.saved = saved;
  if (whatIf.syscall.trim() !== '') s.whatIf = { syscall: whatIf.syscall, args: whatIf.args };
  if (program.selectedInstruction >= 0) s.insn = program.selectedInstruction;
  return s;
}

function scheduleHash(): void {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => {
    void encodeState(currentState()).then((h) => history.replaceState(null, '', h));
  }, 300);
}

function open(name: string, cursor = 0): void {
  main = name;
  showTabs(files.map(([n]) => n), main, { opened: (n) => open(n) });
  editor.setText(textOf(name), cursor);
  scheduleBuild();
}

async function download(kind: ExportKind): Promise<void> {
  await settled;
  const r = await client.call('export', { ...workspace(), kind });
  if (!r.ok) { status(r.error ?? 'export failed'); return; }
  const url = URL.createObjectURL(new Blob([r.data!.slice()], { type: r.mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = r.name!;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  status(`Exported ${r.name}.`);
}

async function compare(): Promise<void> {
  if (!saved) { status('Save a version first, then edit and compare.'); return; }
  await settled;
  showSaved(saved.files.find(([n]) => n === saved!.main)?.[1], textOf(main));
  showDiff(await client.call('diff', { old: { files: saved.files, main: saved.main, arch }, current: workspace() }));
}

function wire(): void {
  // The skip link moves focus without touching the URL's hash, which holds the page state.
  byId('skip').addEventListener('click', (e) => { e.preventDefault(); editor.view.focus(); });
  const archSelect = byId<HTMLSelectElement>('arch');
  archSelect.addEventListener('change', () => { arch = archSelect.value; scheduleBuild(); editor.relint(); });
  attachFileLoading({
    added(loaded) {
      for (const [n, t] of loaded) files = [...files.filter(([m]) => m !== n), [n, t]];
      open(loaded[0][0]);
      status(`Loaded ${loaded.map(([n]) => n).join(', ')}.`);
    },
    opened: open,
    failed: (m) => status(`Not loaded: ${m}`),
  });
  byId('save-version').addEventListener('click', () => {
    saved = { files: files.map(([n, t]) => [n, t]), main };
    showSaved(textOf(main), textOf(main));
    status('Saved this version: edit, then "Compare with saved".');
    scheduleHash();
  });
  byId('compare').addEventListener('click', () => void compare());
  for (const kind of ['bpf', 'c', 'oci'] as const) byId(`export-${kind}`).addEventListener('click', () => void download(kind));
}

async function start(): Promise<void> {
  wire();
  let state: PageState | undefined;
  let linkProblem = '';
  try {
    state = await decodeState(location.hash);
  } catch (e) {
    linkProblem = `Ignored the link: ${(e as Error).message}.`;
  }
  if (state) {
    files = state.files;
    main = state.main;
    arch = state.arch;
    saved = state.saved;
    byId<HTMLSelectElement>('arch').value = arch;
    if (state.whatIf) whatIf.set(state.whatIf.syscall, state.whatIf.args);
  }
  open(main, state?.cursor ?? 0);
  await settled;
  if (linkProblem) status(linkProblem);
  if (state?.insn !== undefined) program.select(state.insn);
  if (state?.whatIf) await whatIf.run();
  if (state?.saved) await compare();
  document.documentElement.dataset.ready = 'true';
}

// For the end-to-end test and for scripts: resolves when the program shown is the current text's.
// For the end-to-end test and for scripts: the hash the current view should have.
(window as unknown as { tsjailStateHash: () => Promise<string> }).tsjailStateHash = () => encodeState(currentState());
(window as unknown as { tsjailSettled: () => Promise<void> }).tsjailSettled = () => settled;
void start();
