// The loaded policy files: a tab per file (the selected one is edited and compiled; the others
// are found by its @include lines), loaded with the file picker or by dropping files on the page.

import { byId, el } from './dom';

/** A policy file is text: refuse what is clearly not (a NUL byte), before it reaches the editor. */
const MAX_FILE_BYTES = 4 << 20;

export interface FilesHooks {
  /** Files were added (name -> text); the first of them should be opened. */
  added(files: Array<[string, string]>): void;
  /** A tab was chosen. */
  opened(name: string): void;
  /** Something could not be loaded. */
  failed(message: string): void;
}

async function readAll(list: FileList | File[]): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const f of Array.from(list)) {
    if (f.size > MAX_FILE_BYTES) throw new Error(`${f.name}: ${f.size} bytes is too large for a policy file`);
    const text = await f.text();
    if (text.includes('\0')) throw new Error(`${f.name}: not a text file`);
    out.push([f.name, text]);
  }
  return out;
}

export function attachFileLoading(hooks: FilesHooks): void {
  const input = byId<HTMLInputElement>('file-input');
  input.addEventListener('change', () => {
    if (!input.files || input.files.length === 0) return;
    readAll(input.files).then(hooks.added, (e: Error) => hooks.failed(e.message)).finally(() => { input.value = ''; });
  });
  const target = document.body;
  target.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); target.classList.add('dropping'); }
  });
  target.addEventListener('dragleave', () => target.classList.remove('dropping'));
  target.addEventListener('drop', (e) => {
    target.classList.remove('dropping');
    if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
    e.preventDefault();
    readAll(e.dataTransfer.files).then(hooks.added, (err: Error) => hooks.failed(err.message));
  });
}

export function showTabs(names: string[], main: string, hooks: Pick<FilesHooks, 'opened'>): void {
  const tabs = names.map((n) => {
    const b = el('button', { type: 'button', role: 'tab', 'aria-selected': String(n === main), class: 'file-tab' }, n);
    b.addEventListener('click', () => hooks.opened(n));
    return b;
  });
  byId('file-tabs').replaceChildren(...tabs);
}
