// The compiled program: size, the verifier's status and the listing, each instruction a button
// linked to the rules whose calls run through it. Highlights: the selected rule's instructions
// and the path of the last "what happens if" call.

import type { BuildView, RuleView } from './protocol';
import { byId, el } from './dom';

export interface ProgramHooks {
  /** An instruction was chosen: the rules whose calls pass through it. */
  instruction(index: number, rules: RuleView[]): void;
  /** A rule was chosen from an instruction's list. */
  rule(rule: RuleView): void;
}

export class ProgramView {
  private build?: BuildView;
  private buttons: HTMLButtonElement[] = [];
  private selected = -1;

  constructor(private hooks: ProgramHooks) {
    byId('listing').addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button.insn');
      if (b) this.select(Number(b.dataset.index));
    });
  }

  get current(): BuildView | undefined {
    return this.build;
  }

  show(b: BuildView): void {
    this.build = b;
    const summary = byId('program-summary');
    const errors = byId('program-errors');
    errors.replaceChildren(...b.errors.map((m) => el('li', {}, m)));
    if (!b.ok) {
      summary.textContent = 'Not compiled: the policy has errors.';
      byId('verify-status').textContent = '';
      byId('listing').replaceChildren();
      this.buttons = [];
      return;
    }
    summary.textContent = `${b.arch}: ${b.insns} instructions, ${b.program.length} bytes`;
    const proof = b.verify.status === 'proven' ? `proven equal to the policy (${b.verify.detail})` : `${b.verify.status}${b.verify.detail ? `: ${b.verify.detail}` : ''}`;
    byId('verify-status').textContent = `Verifier: ${proof}`;
    byId('listing-header').textContent = b.header.join('\n');
    this.buttons = b.listing.map((line, i) => el('button', { type: 'button', class: 'insn', 'data-index': String(i) }, line));
    byId('listing').replaceChildren(...this.buttons.map((btn) => el('li', {}, btn)));
    this.selected = -1;
    byId('insn-rules').replaceChildren();
  }

  /** Highlight a rule's instructions (null: none). */
  showRule(rule: RuleView | null): void {
    const set = new Set(rule && this.build ? this.build.ruleInsns[rule.id] : []);
    this.buttons.forEach((b, i) => b.classList.toggle('rule-insn', set.has(i)));
    byId('rule-summary').textContent = rule
      ? set.size > 0 ? `Rule ${rule.syscall} (line ${rule.line}): ${set.size} instructions on its path, highlighted.` : `Rule ${rule.syscall} (line ${rule.line}): no call reaching it was found.`
      : '';
  }

  /** Highlight a call's path. */
  showPath(path: number[]): void {
    const set = new Set(path);
    this.buttons.forEach((b, i) => b.classList.toggle('path-insn', set.has(i)));
    if (path.length > 0) this.buttons[path[path.length - 1]]?.scrollIntoView({ block: 'nearest' });
  }

  select(index: number): void {
    const b = this.build;
    if (!b || !this.buttons[index]) return;
    this.buttons[this.selected]?.classList.remove('selected');
    this.buttons[this.selected]?.removeAttribute('aria-pressed');
    this.selected = index;
    this.buttons[index].classList.add('selected');
    this.buttons[index].setAttribute('aria-pressed', 'true');
    const rules = b.insnRules[index].map((id) => b.rules[id]);
    const list = byId('insn-rules');
    const heading = rules.length === 0 ? `Instruction ${index}: on no rule's path (arch check or default action).`
      : rules.length === 1 ? `Instruction ${index} serves one rule:` : `Instruction ${index} is on the paths of ${rules.length} rules:`;
    list.replaceChildren(el('p', {}, heading), el('ul', {}, ...rules.slice(0, 50).map((r) => {
      const btn = el('button', { type: 'button', class: 'rule-link' }, `${r.syscall} (${r.file}:${r.line}) → ${r.action}`);
      btn.addEventListener('click', () => this.hooks.rule(r));
      return el('li', {}, btn);
    })));
    this.hooks.instruction(index, rules);
  }

  get selectedInstruction(): number {
    return this.selected;
  }
}
