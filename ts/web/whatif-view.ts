// "What happens if": the form and its answer. The answer names the verdict, the rule that
// decided (a button that shows it in the editor) and the path, which the program view highlights.

import type { WhatIfView } from './protocol';
import { byId, el } from './dom';

export interface WhatIfHooks {
  ask(syscall: string, args: string[]): Promise<WhatIfView>;
  /** Show the result's rule in the editor, and its path in the listing. */
  showRule(rule: NonNullable<WhatIfView['rule']>): void;
  showPath(path: number[]): void;
}

export function splitArgs(text: string): string[] {
  return text.trim() === '' ? [] : text.split(',').map((a) => a.trim());
}

export class WhatIfPanel {
  constructor(private hooks: WhatIfHooks) {
    byId<HTMLFormElement>('whatif-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run();
    });
  }

  get syscall(): string { return byId<HTMLInputElement>('whatif-syscall').value; }
  get args(): string { return byId<HTMLInputElement>('whatif-args').value; }

  set(syscall: string, args: string): void {
    byId<HTMLInputElement>('whatif-syscall').value = syscall;
    byId<HTMLInputElement>('whatif-args').value = args;
  }

  async run(): Promise<void> {
    const out = byId('whatif-result');
    if (this.syscall.trim() === '') { out.replaceChildren(el('p', {}, 'Name a syscall (or give its number).')); return; }
    const r = await this.hooks.ask(this.syscall, splitArgs(this.args));
    if (!r.ok) {
      out.replaceChildren(el('p', { class: 'error', role: 'alert' }, r.error ?? 'failed'));
      this.hooks.showPath([]);
      return;
    }
    const parts: Array<Node | string> = [el('p', {}, 'Verdict: ', el('strong', { id: 'whatif-verdict' }, r.verdict!), ` after ${r.insns} instructions (${r.syscall} = ${r.nr}, args ${r.args!.join(', ')}).`)];
    if (r.rule) {
      const btn = el('button', { type: 'button', id: 'whatif-rule' }, `${r.rule.file}:${r.rule.line}: ${r.rule.text}`);
      btn.addEventListener('click', () => this.hooks.showRule(r.rule!));
      parts.push(el('p', {}, 'Decided by ', btn));
      this.hooks.showRule(r.rule);
    } else {
      parts.push(el('p', { id: 'whatif-rule' }, 'Decided by the default action (no rule matched).'));
    }
    parts.push(el('p', { class: 'path' }, r.path!.length > 0 ? `Path: ${r.path!.join(' → ')}` : 'Path: not available.'));
    out.replaceChildren(...parts);
    this.hooks.showPath(r.path!);
  }
}
