// Source positions. A span is a file id plus UTF-16 offsets [start, end) into that file's
// text; line and column are derived only when a diagnostic is formatted (SourceSet.line, .column).

export class Span {
  constructor(public file: i32, public start: i32, public end: i32) {}
}

/** The files of one compile request, indexed by file id (0 = the main policy). */
export class SourceSet {
  paths: string[] = [];
  texts: string[] = [];
  private lineStarts: Array<Int32Array | null> = [];

  add(path: string, text: string): i32 {
    this.paths.push(path);
    this.texts.push(text);
    this.lineStarts.push(null);
    return this.paths.length - 1;
  }

  indexOf(path: string): i32 {
    for (let i = 0; i < this.paths.length; i++) if (this.paths[i] == path) return i;
    return -1;
  }

  private starts(file: i32): Int32Array {
    let s = this.lineStarts[file];
    if (s != null) return s;
    const text = this.texts[file];
    let n = 1;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) == 10) n++;
    const out = new Int32Array(n);
    let k = 1;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) == 10) out[k++] = i + 1;
    this.lineStarts[file] = out;
    return out;
  }

  /** 1-based line of an offset (binary search over cached line starts). */
  line(file: i32, offset: i32): i32 {
    const s = this.starts(file);
    let lo = 0, hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return lo + 1;
  }

  /** 1-based column (UTF-16 units) of an offset. */
  column(file: i32, offset: i32): i32 {
    return offset - this.lineStart(file, this.line(file, offset)) + 1;
  }

  /** The offset where a 1-based line starts. */
  lineStart(file: i32, line: i32): i32 {
    return this.starts(file)[line - 1];
  }

  /** The text of a 1-based line, without its newline. */
  lineText(file: i32, line: i32): string {
    const s = this.starts(file);
    const text = this.texts[file];
    const start = s[line - 1];
    let end = line < s.length ? s[line] - 1 : text.length;
    if (end > start && text.charCodeAt(end - 1) == 13) end--;
    return text.substring(start, end);
  }
}
