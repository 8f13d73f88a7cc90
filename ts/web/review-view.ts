// Review: a saved version beside the current one, and the semantic diff between them: which
// calls change verdict, for which arguments (constant names where they are known).

import type { DiffView } from './protocol';
import { byId, el } from './dom';

export function showSaved(text: string | undefined, current: string): void {
  byId('review-saved').textContent = text ?? '(no saved version: press "Save this version" first)';
  byId('review-current').textContent = current;
}

export function showDiff(d: DiffView): void {
  const out = byId('diff-result');
  if (d.errors.length > 0 || !d.ok) {
    out.replaceChildren(el('p', { class: 'error', role: 'alert' }, 'Cannot compare:'), el('ul', {}, ...d.errors.map((m) => el('li', {}, m))));
    return;
  }
  if (d.rows.length === 0) {
    out.replaceChildren(el('p', { id: 'diff-summary' }, 'No call changes verdict: the two versions are equivalent.'));
    return;
  }
  const head = el('tr', {}, ...['syscall', 'for', 'saved', 'current', 'e.g.'].map((h) => el('th', { scope: 'col' }, h)));
  const rows = d.rows.map((r) => el('tr', {}, el('td', {}, r.subject), el('td', {}, r.condition), el('td', {}, r.old), el('td', {}, r.new), el('td', {}, r.example)));
  out.replaceChildren(
    el('p', { id: 'diff-summary' }, `${d.rows.length} change${d.rows.length === 1 ? '' : 's'} of verdict${d.complete ? '' : ' (the analysis hit its budget: the list may be partial)'}.`),
    el('table', { id: 'diff-table' }, el('caption', {}, 'Calls whose verdict changes'), el('thead', {}, head), el('tbody', {}, ...rows)),
  );
}
