// A name -> value table built once from a generated data string ("name value" lines), with
// one hash probe per lookup.
//
// Why not Map<string, V>: a lookup there is `has` then `get` (two hashes of the name, since
// `get` traps on a missing key), and building it from the data meant split('\n') plus a
// substring for every value: the first compile call of each arch paid that for ~2400
// constants. Here indexOf answers with one probe (values[i] is the value), the data is
// scanned in place and only the names become strings.
// Semantics are Map's where the core relied on them: a name added again keeps its first
// position (`names` is in first-insertion order, e.g. for suggestions) and takes the new value.

export class NameTable<V> {
  /** Names in first-insertion order; values[i] belongs to names[i]. */
  names: string[] = [];
  values: V[] = [];
  /** Open addressing: index into names + 1, 0 = empty. Kept at most half full. */
  private slots: Int32Array = new Int32Array(16);

  get size(): i32 { return this.names.length; }

  /** Position of `name` in `names`, or -1. */
  indexOf(name: string): i32 {
    const mask = <u32>this.slots.length - 1;
    let slot = hashName(name) & mask;
    while (true) {
      const e = unchecked(this.slots[slot]);
      if (e == 0) break;
      if (unchecked(this.names[e - 1]) == name) return e - 1;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  has(name: string): bool { return this.indexOf(name) >= 0; }

  set(name: string, value: V): void {
    const at = this.indexOf(name);
    if (at >= 0) { this.values[at] = value; return; }
    const id = this.names.length;
    this.names.push(name);
    this.values.push(value);
    if ((id + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
  }

  private place(id: i32): void {
    const mask = <u32>this.slots.length - 1;
    let slot = hashName(unchecked(this.names[id])) & mask;
    while (unchecked(this.slots[slot]) != 0) slot = (slot + 1) & mask;
    unchecked(this.slots[slot] = id + 1);
  }

  private rehash(size: i32): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.names.length; id++) this.place(id);
  }
}

/** FNV-1a over the UTF-16 units. */
function hashName(s: string): u32 {
  let h: u32 = 0x811c9dc5;
  const p = changetype<usize>(s);
  const n = s.length;
  for (let i = 0; i < n; i++) h = (h ^ <u32>load<u16>(p + (<usize>i << 1))) * 0x01000193;
  return h ^ (h >> 16);
}

/** The "name value" lines of a data string, in order (other lines skipped). */
export class LineScanner {
  name: string = '';
  /** The value's text is data[valueStart, valueEnd). */
  valueStart: i32 = 0;
  valueEnd: i32 = 0;
  private pos: i32 = 0;

  constructor(public data: string) {}

  next(): bool {
    const data = this.data;
    const n = data.length;
    const p = changetype<usize>(data);
    let i = this.pos;
    while (i < n) {
      let eol = i;
      while (eol < n && load<u16>(p + (<usize>eol << 1)) != 10) eol++;
      let sp = i;
      while (sp < eol && load<u16>(p + (<usize>sp << 1)) != 32) sp++;
      this.pos = eol + 1;
      if (sp > i && sp < eol) {
        this.name = data.substring(i, sp);
        this.valueStart = sp + 1;
        this.valueEnd = eol;
        return true;
      }
      i = eol + 1;
    }
    this.pos = n;
    return false;
  }

  get value(): u64 { return parseNumber(this.data, this.valueStart, this.valueEnd); }
}

/** A number written in decimal or 0x-hex at data[start, end); digits only, as generated. */
export function parseNumber(data: string, start: i32, end: i32): u64 {
  const p = changetype<usize>(data);
  let v: u64 = 0;
  if (end - start > 2 && load<u16>(p + (<usize>start << 1)) == 48 && (load<u16>(p + (<usize>(start + 1) << 1)) | 32) == 120) {
    for (let i = start + 2; i < end; i++) {
      const c = <u32>load<u16>(p + (<usize>i << 1));
      let d: u32 = 0;
      if (c >= 48 && c <= 57) d = c - 48;
      else if ((c | 32) >= 97 && (c | 32) <= 102) d = (c | 32) - 87;
      else break;
      v = (v << 4) | <u64>d;
    }
    return v;
  }
  for (let i = start; i < end; i++) {
    const c = <u32>load<u16>(p + (<usize>i << 1));
    if (c < 48 || c > 57) break;
    v = v * 10 + <u64>(c - 48);
  }
  return v;
}
