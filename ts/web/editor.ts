// The editor pane: CodeMirror 6 with the language service behind it (diagnostics through
// @codemirror/lint, completion through @codemirror/autocomplete, hover tooltips), plus a mark
// for "the rule this is about" that the program view and "what happens if" set.

import { autocompletion, completionKeymap, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { Diagnostic, linter, lintKeymap, setDiagnostics } from '@codemirror/lint';
import { EditorState, StateEffect, StateField } from '@codemirror/state';
import { Decoration, DecorationSet, EditorView, hoverTooltip, keymap, lineNumbers, drawSelection, highlightActiveLine } from '@codemirror/view';
import type { PolicyCompletion } from '../policy/index';
import type { EditorDiagnostic } from './protocol';

export interface EditorHooks {
  /** The current text changed (after CodeMirror applied it). */
  changed(text: string): void;
  /** The cursor moved to `offset` (to show the rule there). */
  moved(offset: number): void;
  diagnostics(text: string): Promise<EditorDiagnostic[]>;
  /** The diagnostics with lint's findings, asked for once the fast ones are shown. */
  lintFindings(text: string): Promise<EditorDiagnostic[]>;
  /** The diagnostics now shown for the current text. */
  reported(found: EditorDiagnostic[]): void;
  completions(text: string, offset: number): Promise<PolicyCompletion[]>;
  hover(text: string, offset: number): Promise<{ start: number; end: number; markdown: string } | null>;
}

/** The same text now means something else (another arch): diagnose it again. */
const relintEffect = StateEffect.define<null>();
const setMark = StateEffect.define<{ from: number; to: number } | null>();
const markField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setMark)) marks = e.value && e.value.to > e.value.from ? Decoration.set([Decoration.mark({ class: 'cm-rule-mark' }).range(e.value.from, e.value.to)]) : Decoration.none;
    }
    return marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function toCodeMirror(d: EditorDiagnostic): Diagnostic {
  return { from: d.from, to: d.to, severity: d.severity, message: `line ${d.line}: ${d.message}` };
}

/** Hover text is the language service's markdown; shown as plain text (no HTML is ever built from it). */
function hoverDom(markdown: string): HTMLElement {
  const dom = document.createElement('div');
  dom.className = 'cm-hover-text';
  dom.textContent = markdown.replace(/```[a-z]*\n?/g, '').replace(/\*\*/g, '').replace(/`/g, '');
  return dom;
}

export class PolicyEditor {
  readonly view: EditorView;
  /** Set while the page replaces the text (loading a file), so that is not reported as an edit. */
  private replacing = false;

  /**
   * The editor lives in a shadow root: CodeMirror then installs its styles as constructed
   * stylesheets (adoptedStyleSheets) instead of <style> elements, which the page's CSP
   * (style-src 'self', no 'unsafe-inline') would block. The page's own editor styles come in
   * through a <link> to editor.css inside the shadow root.
   */
  constructor(host: HTMLElement, label: string, hooks: EditorHooks) {
    const shadow = host.attachShadow({ mode: 'open' });
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = 'editor.css';
    const parent = document.createElement('div');
    parent.className = 'editor-root';
    shadow.append(link, parent);
    const lint = linter(async (view): Promise<Diagnostic[]> => {
      const text = view.state.doc.toString();
      const found = await hooks.diagnostics(text);
      // An answer for an older text would mark the wrong places.
      if (view.state.doc.toString() !== text) return [];
      hooks.reported(found);
      // Lint's findings follow when they are ready, unless the text has changed by then.
      void hooks.lintFindings(text).then((all) => {
        if (view.state.doc.toString() !== text) return;
        hooks.reported(all);
        view.dispatch(setDiagnostics(view.state, all.map(toCodeMirror)));
      }, () => undefined);
      return found.map(toCodeMirror);
    }, { delay: 150, needsRefresh: (u) => u.transactions.some((t) => t.effects.some((e) => e.is(relintEffect))) });
    const complete = async (ctx: CompletionContext): Promise<CompletionResult | null> => {
      const text = ctx.state.doc.toString();
      const items = await hooks.completions(text, ctx.pos);
      if (items.length === 0 || (!ctx.explicit && !ctx.matchBefore(/[\w@/.]+$/))) return null;
      return {
        from: items[0].start, to: items[0].end,
        options: items.map((c) => ({ label: c.label, detail: c.detail, type: c.kind === 'syscall' ? 'function' : c.kind === 'constant' ? 'constant' : 'keyword' })),
      };
    };
    const hover = hoverTooltip(async (view, pos) => {
      const h = await hooks.hover(view.state.doc.toString(), pos);
      if (!h) return null;
      return { pos: h.start, end: h.end, above: true, create: () => ({ dom: hoverDom(h.markdown) }) };
    });
    this.view = new EditorView({
      parent,
      root: shadow,
      state: EditorState.create({
        doc: '',
        extensions: [
          lineNumbers(), history(), drawSelection(), highlightActiveLine(), markField, lint, hover,
          autocompletion({ override: [complete] }),
          keymap.of([...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !this.replacing) hooks.changed(u.state.doc.toString());
            if (u.selectionSet) hooks.moved(u.state.selection.main.head);
          }),
        ],
      }),
    });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  /** Replace the whole text (a file was opened), keeping the cursor within it. */
  setText(text: string, cursor = 0): void {
    this.replacing = true;
    try {
      this.view.dispatch({
        changes: { from: 0, to: this.view.state.doc.length, insert: text },
        selection: { anchor: Math.min(cursor, text.length) },
        effects: setMark.of(null),
      });
    } finally {
      this.replacing = false;
    }
  }

  /** Mark a stretch (a rule) and bring it into view; null clears the mark. */
  mark(range: { from: number; to: number } | null, select = false): void {
    const len = this.view.state.doc.length;
    const r = range && { from: Math.min(range.from, len), to: Math.min(range.to, len) };
    this.view.dispatch({
      effects: [setMark.of(r), ...(r ? [EditorView.scrollIntoView(r.from, { y: 'center' })] : [])],
      ...(r && select ? { selection: { anchor: r.from } } : {}),
    });
  }

  /** Ask for diagnostics again now (the text is the same but what it means changed: another arch). */
  relint(): void {
    this.view.dispatch({ effects: relintEffect.of(null) });
  }

  get cursor(): number {
    return this.view.state.selection.main.head;
  }
}
