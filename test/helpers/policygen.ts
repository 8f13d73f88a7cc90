// Random and mutated policy texts for the fuzz tests. Deterministic: every case comes from a
// seed, so a failure is reproduced by its seed alone.

/** mulberry32: small, fast, good enough for test-case generation. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(private r: () => number, private syscalls: string[], private constants: string[]) {}
  int(n: number): number { return Math.floor(this.r() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  chance(p: number): boolean { return this.r() < p; }

  number(): string {
    switch (this.int(8)) {
      case 0: return String(this.int(10));
      case 1: return '0x' + this.int(0x100000).toString(16);
      case 2: return '0' + this.int(0o777).toString(8);
      case 3: return '-' + this.int(5);
      case 4: return '0xffffffffffffffff';
      case 5: return '0x' + (BigInt(this.int(1 << 30)) << 32n).toString(16);
      case 6: return '0x1' + '0'.repeat(16 + this.int(3)); // overflow
      default: return String(this.int(1 << 31));
    }
  }

  constant(depth = 0): string {
    const k = this.int(10);
    if (k < 4) return this.number();
    if (k < 7) return this.pick(this.constants);
    if (k === 7 && depth < 3) return '~' + this.constant(depth + 1);
    if (k === 8 && depth < 3) return '(' + this.constant(depth + 1) + '|' + this.constant(depth + 1) + ')';
    return this.pick(this.constants) + '|' + this.number();
  }

  atom(): string {
    const arg = this.chance(0.97) ? this.int(6) : 6 + this.int(3);
    const op = this.pick(['==', '!=', '<', '<=', '>', '>=', '&', 'in']);
    return `arg${arg} ${op} ${this.constant()}`;
  }

  expr(): string {
    const clauses: string[] = [];
    const n = 1 + this.int(4);
    for (let i = 0; i < n; i++) {
      const atoms: string[] = [];
      const m = 1 + this.int(3);
      for (let j = 0; j < m; j++) atoms.push(this.atom());
      clauses.push(atoms.join(' && '));
    }
    return clauses.join(' || ');
  }

  action(): string {
    const k = this.int(12);
    if (k < 4) return this.pick(['allow', '1']);
    if (k < 7) return 'return ' + (this.chance(0.5) ? this.pick(['EPERM', 'ENOSYS', 'EACCES', 'EINVAL']) : String(this.int(5000)));
    return this.pick(['kill', 'kill-process', 'kill-thread', 'trap', 'trace', 'log', 'user-notify']);
  }

  filter(): string {
    const k = this.int(6);
    if (k === 0) return this.action();
    if (k <= 2) return this.expr();
    if (k <= 4) return this.expr() + '; ' + this.action();
    const n = 1 + this.int(3);
    const fs: string[] = [];
    for (let i = 0; i < n; i++) fs.push(this.chance(0.5) ? this.expr() + '; ' + this.action() : this.action());
    return '{' + fs.join(', ') + '}';
  }

  line(): string {
    const k = this.int(20);
    if (k === 0) return '# ' + this.pick(this.syscalls);
    if (k === 1) return '@default ' + this.pick(['kill-process', 'kill-thread', 'trap', 'log', 'allow', 'kill']);
    if (k === 2) return '';
    const name = this.chance(0.95) ? this.pick(this.syscalls) : this.pick(['READ', 'fooo', 'kill', 'a@b']);
    const names = this.chance(0.1) ? `{${name}, ${this.pick(this.syscalls)}}` : name;
    const tag = this.chance(0.05) ? `[arch=${this.pick(['x86_64', 'arm64', 'arm', 'x86', 'riscv64'])}]` : '';
    return `${names}${tag}: ${this.filter()}`;
  }

  policy(lines: number): string {
    const out: string[] = [];
    for (let i = 0; i < lines; i++) out.push(this.line());
    return out.join('\n') + '\n';
  }

  /** A policy that should compile: distinct syscalls (`same(name)` says which names are one syscall: pass the number so aliases count once), args 0-5, numeric constants, valid actions. */
  validPolicy(lines: number, syscalls: readonly string[] = this.syscalls, bits: 32 | 64 = 64,
    same: (name: string) => string | number = (name) => name): string {
    const names = new Set<string | number>();
    const out: string[] = [];
    const wide = () => (bits === 64 ? '0x' + (BigInt(this.int(4)) << 32n | BigInt(this.int(9))).toString(16) : String(this.int(9)));
    const num = () => this.pick([String(this.int(8)), '0x' + this.int(0x10000).toString(16), wide(), '0xffffffff']);
    const atom = () => `arg${this.int(6)} ${this.pick(['==', '!=', '<', '<=', '>', '>=', '&', 'in'])} ${num()}`;
    const action = () => this.pick(['allow', 'return 1', 'return 38', 'trap', 'kill-thread', 'log', 'kill-process']);
    for (let i = 0; i < lines; i++) {
      const name = this.pick(syscalls);
      if (names.has(same(name))) continue;
      names.add(same(name));
      const k = this.int(4);
      if (k === 0) { out.push(`${name}: ${action()}`); continue; }
      const clauses = Array.from({ length: 1 + this.int(3) }, () => Array.from({ length: 1 + this.int(2) }, atom).join(' && '));
      out.push(k === 1 ? `${name}: ${clauses.join(' || ')}` : k === 2 ? `${name}: ${clauses.join(' || ')}; ${action()}`
        : `${name}: {${clauses.join(' || ')}; ${action()}, ${atom()}; ${action()}}`);
    }
    if (this.chance(0.3)) out.unshift(`@default ${this.pick(['kill-process', 'kill-thread', 'trap'])}`);
    return out.join('\n') + '\n';
  }

  /** Byte-level and token-level mutations of a real policy. */
  mutate(text: string): string {
    let s = text;
    const n = 1 + this.int(6);
    const alphabet = ':;,{}[]()|&~=!<>@#\\ \n\targ01xXfF-';
    for (let i = 0; i < n; i++) {
      const pos = s.length ? this.int(s.length) : 0;
      switch (this.int(6)) {
        case 0: s = s.slice(0, pos) + s.slice(pos + 1 + this.int(8)); break; // delete
        case 1: s = s.slice(0, pos) + this.pick([...alphabet]) + s.slice(pos); break; // insert
        case 2: s = s.slice(0, pos) + String.fromCharCode(this.int(0x250)) + s.slice(pos + 1); break; // replace
        case 3: { // duplicate a line
          const lines = s.split('\n');
          const l = this.int(lines.length);
          lines.splice(l, 0, lines[l]);
          s = lines.join('\n');
          break;
        }
        case 4: { // swap two lines
          const lines = s.split('\n');
          const a = this.int(lines.length), b = this.int(lines.length);
          [lines[a], lines[b]] = [lines[b], lines[a]];
          s = lines.join('\n');
          break;
        }
        default: s = s.slice(0, pos) + this.line() + '\n' + s.slice(pos); break;
      }
    }
    return s.replace(/\0/g, ' ');
  }
}
