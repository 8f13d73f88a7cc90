// PolicyDocument: the language service over one version of one policy file. Each answer is
// computed on first use and kept for that version; an editor makes a new document per change
// (the core re-reads the whole file: a 2,000-line policy takes milliseconds, see bench/).

import { analyzePolicy, PolicyAnalysis } from '../analyze';
import { compilePolicy, CompileResult } from '../compile';
import { formatPolicy, FormatResult } from '../format';
import { lintPolicy, LintResult } from '../lint';
import { PolicyOptions } from '../request';
import { simulate, SimulateOptions, simulatePolicy, SimulatePolicyResult } from '../simulate';
import { tables } from '../tables';
import { completionsAt, PolicyCompletion } from './completion';
import { hoverAt, PolicyHover, RuleFacts } from './hover';
import { policyOutline, PolicySymbol, symbolAt } from './outline';
import { policyTokens, PolicyToken, tokenIndexAt } from './tokens';

/** A simulated call with the deciding rule as `file:line` (`where`: '' when the default or bad-arch action decided). */
export type ServiceSimulation = SimulatePolicyResult & { where: string };

export class PolicyDocument {
  readonly text: string;
  readonly options: PolicyOptions;
  private tokenList?: Promise<PolicyToken[]>;
  private symbols?: Promise<PolicySymbol[]>;
  private checked?: Promise<PolicyAnalysis>;
  private linted?: Promise<LintResult>;
  private analysed?: Promise<PolicyAnalysis>;
  private compiled?: Promise<CompileResult>;

  /** `options` as for lintPolicy: the arch, the file's path (diagnostics, relative includes) and where includes come from. */
  constructor(text: string, options: PolicyOptions) {
    if (typeof text !== 'string') throw new TypeError('PolicyDocument: text must be a string');
    if (!options || typeof options.arch !== 'string') throw new TypeError('PolicyDocument: options.arch must be a string');
    this.text = text;
    this.options = options;
  }

  /** Every token, comments and (zero-width) logical line ends included. */
  tokens(): Promise<PolicyToken[]> {
    return (this.tokenList ??= policyTokens(this.text));
  }

  /** One symbol per statement: rules, @include, @frequency, @default, @denylist. */
  outline(): Promise<PolicySymbol[]> {
    return (this.symbols ??= this.tokens().then((t) => policyOutline(this.text, t)));
  }

  /** The token at `offset` (containing it or ending there), or undefined in blank space. */
  async tokenAt(offset: number): Promise<PolicyToken | undefined> {
    const t = await this.tokens();
    const i = tokenIndexAt(t, offset);
    return i < 0 ? undefined : t[i];
  }

  /** The statement at `offset` (a rule or a directive), or undefined between statements. */
  async statementAt(offset: number): Promise<PolicySymbol | undefined> {
    return symbolAt(await this.outline(), offset);
  }

  /** The rule at `offset`, or undefined (a directive, a comment, blank space). */
  async ruleAt(offset: number): Promise<PolicySymbol | undefined> {
    const s = await this.statementAt(offset);
    return s && s.kind === 'rule' ? s : undefined;
  }

  /**
   * The front end's errors and warnings only (analyzePolicy with checkOnly): milliseconds on a
   * large policy, for every keystroke; lint() adds the findings and can take far longer.
   */
  check(): Promise<PolicyAnalysis> {
    return (this.checked ??= analyzePolicy(this.text, { ...this.options, checkOnly: true }));
  }

  /** Errors, warnings and lint findings (with fixes) of the policy and the files it includes. */
  lint(): Promise<LintResult> {
    return (this.linted ??= lintPolicy(this.text, this.options));
  }

  /** The policy's meaning (IR with spans) and its diagnostics. */
  analysis(): Promise<PolicyAnalysis> {
    return (this.analysed ??= analyzePolicy(this.text, this.options));
  }

  /** The compiled program (compilePolicy). */
  compile(): Promise<CompileResult> {
    return (this.compiled ??= compilePolicy(this.text, this.options));
  }

  /** Completions at `offset`; none for an arch the core does not know. */
  async completions(offset: number): Promise<PolicyCompletion[]> {
    const t = await tables(this.options.arch);
    if (!t) return [];
    return completionsAt(this.text, await this.tokens(), await this.outline(), offset, t);
  }

  /** Hover at `offset`, or undefined where there is nothing to say. */
  async hover(offset: number): Promise<PolicyHover | undefined> {
    const tokens = await this.tokens();
    const i = tokenIndexAt(tokens, offset);
    if (i < 0) return undefined;
    const symbol = await this.statementAt(tokens[i].start);
    const info = await tables(this.options.arch);
    return hoverAt(this.text, tokens, i, symbol, info?.name ?? this.options.arch, () => this.ruleFacts(symbol));
  }

  private async ruleFacts(symbol: PolicySymbol | undefined): Promise<RuleFacts> {
    const [analysis, lint] = await Promise.all([this.analysis(), this.lint()]);
    const path = this.options.path ?? 'policy';
    const findings = symbol
      ? lint.diagnostics.filter((d) => d.file === path && d.start !== undefined && d.end !== undefined && d.start <= symbol.end && d.end >= symbol.start)
      : [];
    const facts: RuleFacts = { ir: analysis.ir, findings };
    const program = symbol && analysis.ok ? await this.compile() : undefined;
    if (symbol && program && program.ok) {
      const sim = await simulate(program.program, { arch: program.arch, syscall: symbol.name }).catch(() => undefined);
      if (sim) {
        facts.insns = sim.insns;
        facts.verdict = sim.action === 'errno' || sim.action === 'trace' || sim.action === 'trap' ? `${sim.action} ${sim.data}` : sim.action;
      }
    }
    return facts;
  }

  /** The canonical layout of this file (formatPolicy). */
  format(): Promise<FormatResult> {
    return formatPolicy(this.text, { path: this.options.path });
  }

  /**
   * Run the compiled policy on one call (simulatePolicy) and say where the deciding rule is.
   * Throws TypeError/RangeError on a bad call (an unknown syscall name...), as simulatePolicy does.
   */
  async simulate(call: Omit<SimulateOptions, 'arch'>): Promise<ServiceSimulation> {
    const r = await simulatePolicy(this.text, { ...this.options, ...call });
    return { ...r, where: r.ok && r.rule ? `${r.rule.file}:${r.rule.line}` : '' };
  }
}
