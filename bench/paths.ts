// Where things are. The bench modules run as one esbuild bundle in build/bench/ (see
// bench/run.js), so the repository root is two levels up from the bundle.
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');
export const RESULTS = path.join(ROOT, 'bench/results');
/** Scratch space: built peers, generated programs. Not committed. */
export const WORK = path.join(ROOT, 'build/bench');
export const NATIVE = path.join(ROOT, 'build/native/Release');
