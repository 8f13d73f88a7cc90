// A region of the input space of a seccomp filter: one Domain per 32-bit word of
// struct seccomp_data (word i = bytes 4i..4i+3): 0 nr, 1 arch, 2/3 ip lo/hi,
// 4+2k / 5+2k = args[k] lo/hi (little-endian).

import { Domain } from './domain';

export const WORD_NR: i32 = 0;
export const WORD_ARCH: i32 = 1;
export const WORDS: i32 = 16;

export function argLoWord(arg: i32): i32 { return 4 + 2 * arg; }
export function argHiWord(arg: i32): i32 { return 5 + 2 * arg; }

export class Region {
  words: Domain[];
  constructor(words: Domain[] | null = null) {
    if (words != null) {
      this.words = words;
    } else {
      const w = new Array<Domain>(WORDS);
      for (let i = 0; i < WORDS; i++) w[i] = new Domain();
      this.words = w;
    }
  }

  with(word: i32, d: Domain): Region {
    const w = this.words.slice(0);
    w[word] = d;
    return new Region(w);
  }

  get empty(): bool {
    for (let i = 0; i < WORDS; i++) if (this.words[i].empty) return true;
    return false;
  }

  /** One concrete input inside the region (its smallest member per word). */
  sample(): StaticArray<u32> {
    const out = new StaticArray<u32>(WORDS);
    for (let i = 0; i < WORDS; i++) {
      const m = this.words[i].min;
      out[i] = m < 0 ? 0 : <u32>m;
    }
    return out;
  }
}

/** A split request: replace the region's `word` by each of `parts` in turn (an exact partition). */
export class Split {
  constructor(public word: i32, public parts: Domain[]) {}
}
