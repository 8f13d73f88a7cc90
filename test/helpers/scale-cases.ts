// Large argument-value searches, shared by test/scale.test.ts (correctness: proven, and the
// kernel agrees) and bench/scale.ts (size, worst path and time). Each case is one policy on
// x86_64 whose first syscall (read) carries the big condition; write is allowed so the
// dispatch has more than one entry.

export interface ScaleCase {
  name: string;
  text: string;
  /** Argument values the condition allows (arg0), and some it does not. */
  members: bigint[];
  others: bigint[];
}

/** xorshift32: deterministic values so sizes and paths are comparable across runs. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

function policy(values: bigint[]): string {
  return `read: ${values.map((v) => `arg0 == 0x${v.toString(16)}`).join(' || ')}\nwrite: allow\n`;
}

/** `arg0 == 0 || ... || arg0 == n-1`: one range once merged. */
export function consecutive(n: number): ScaleCase {
  const members = Array.from({ length: n }, (_, i) => BigInt(i));
  return { name: `${n} equalities, consecutive values`, text: policy(members), members, others: [BigInt(n), BigInt(n + 1), 1n << 32n, 0xffffffffn] };
}

/** n equalities on distinct random 32-bit values. */
export function random32(n: number, seed = 20261207): ScaleCase {
  const next = xorshift(seed);
  const set = new Set<number>();
  while (set.size < n) set.add(next());
  const members = [...set].map((v) => BigInt(v));
  const others: bigint[] = [];
  for (const v of members.slice(0, 200)) {
    for (const w of [v + 1n, v - 1n, v | (1n << 32n)]) if (w >= 0n && !set.has(Number(w))) others.push(w);
  }
  return { name: `${n} equalities, random 32-bit values`, text: policy(members), members, others };
}

/** n equalities in runs of `run` consecutive values, `gap` apart: n / run ranges. */
export function runs(n: number, run: number, gap: number): ScaleCase {
  const members: bigint[] = [];
  for (let i = 0; i < n; i++) members.push(BigInt(Math.floor(i / run) * gap + (i % run)));
  const others: bigint[] = [];
  for (let r = 0; r < n / run; r += 7) others.push(BigInt(r * gap + run), BigInt(r * gap + gap - 1));
  return { name: `${n} equalities in ${n / run} runs of ${run}`, text: policy(members), members, others };
}

/** The cases `npm run bench` reports; the test checks the same ones. */
export function scaleCases(): ScaleCase[] {
  return [consecutive(200), consecutive(400), consecutive(1000), consecutive(10000),
    random32(100), random32(400), random32(1000), runs(10000, 100, 1000)];
}
