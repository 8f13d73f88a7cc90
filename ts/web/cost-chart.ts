// Cost as plain SVG bars: for each allowed syscall (most frequent first, by @frequency weight,
// then by number) the instructions executed with all-zero arguments and on its longest path,
// beside a linear filter's dispatch cost; and the syscalls with the longest paths.

import type { BuildView, CostRow } from './protocol';
import { byId, el } from './dom';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 16, LABEL = 130, WIDTH = 520;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function chart(title: string, rows: CostRow[], scale: number): SVGSVGElement {
  const s = svg('svg', { width: WIDTH, height: rows.length * ROW + 24, role: 'img', 'aria-label': title, class: 'chart' });
  s.append(svg('title', {}, title));
  const px = (n: number) => (n / scale) * (WIDTH - LABEL - 40);
  rows.forEach((r, i) => {
    const y = i * ROW + 4;
    const g = svg('g', {});
    g.append(svg('title', {}, `${r.syscall} (${r.nr}): ${r.zero} instructions with zero arguments, ${r.worst} on its longest path; a linear filter: ${r.linear} to reach it; weight ${r.weight}`));
    g.append(svg('text', { x: LABEL - 6, y: y + 11, 'text-anchor': 'end', class: 'chart-label' }, r.syscall));
    g.append(svg('rect', { x: LABEL, y: y + 1, width: px(r.linear), height: 4, class: 'bar-linear' }));
    g.append(svg('rect', { x: LABEL, y: y + 6, width: px(r.worst), height: 8, class: 'bar-worst' }));
    g.append(svg('rect', { x: LABEL, y: y + 6, width: px(r.zero), height: 8, class: 'bar-zero' }));
    g.append(svg('text', { x: LABEL + px(Math.max(r.worst, r.linear)) + 4, y: y + 13, class: 'chart-value' }, r.zero === r.worst ? `${r.zero}` : `${r.zero}–${r.worst}`));
    s.append(g);
  });
  return s;
}

export function showCost(b: BuildView): void {
  const box = byId('cost');
  if (!b.ok || b.cost.length === 0) {
    box.replaceChildren(el('p', {}, b.ok ? 'The policy lists no syscalls.' : 'Not compiled.'));
    return;
  }
  const allowed = b.cost.filter((r) => r.allowed).sort((x, y) => y.weight - x.weight || x.nr - y.nr).slice(0, 40);
  const worst = [...b.cost].sort((x, y) => y.worst - x.worst || x.nr - y.nr).slice(0, 10);
  const scale = Math.max(1, ...b.cost.map((r) => Math.max(r.worst, r.linear)));
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, x) => a + x, 0) / xs.length);
  const allowedAll = b.cost.filter((r) => r.allowed);
  box.replaceChildren(
    el('p', {}, `Allowed syscalls: ${allowedAll.length}, mean ${mean(allowedAll.map((r) => r.zero)).toFixed(1)} instructions with zero arguments ` +
      `(a linear filter: ${mean(allowedAll.map((r) => r.linear)).toFixed(1)}); an unlisted syscall: ${b.unlistedCost}.`),
    el('h3', {}, `Allowed calls by frequency${allowedAll.length > allowed.length ? ` (first ${allowed.length})` : ''}`),
    chart('Instructions per allowed syscall, most frequent first', allowed, scale),
    el('h3', {}, 'Worst paths'),
    chart('The syscalls with the longest paths', worst, scale),
    el('p', { class: 'legend' }, 'Dark: all arguments 0. Light: the longest path found over the syscall\'s rules. Thin grey: a linear filter (minijail\'s C compiler\'s layout) reaching the syscall, dispatch only.'),
  );
}
