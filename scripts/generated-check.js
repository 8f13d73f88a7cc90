'use strict';
// The generators' --check (scripts/gen-tables.js, scripts/gen-abi.js): which generated files
// differ from the committed ones, each named with its first differing line.

const fs = require('fs');
const path = require('path');

/** " (line N: committed "...", generated "...")" for the first line that differs, else "". */
function firstDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return ` (line ${i + 1}: committed "${x[i] ?? ''}", generated "${y[i] ?? ''}")`;
  }
  return '';
}

/**
 * The files of `files` (path, absolute or relative to root -> generated text) whose committed
 * contents differ, each as its path relative to root plus " (missing)" or firstDiff's note.
 */
function staleFiles(files, root) {
  const stale = [];
  for (const [name, text] of files) {
    const file = path.resolve(root, name);
    const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (old !== text) stale.push(path.relative(root, file) + (old === null ? ' (missing)' : firstDiff(old, text)));
  }
  return stale;
}

module.exports = { firstDiff, staleFiles };
