'use strict';
// A lock between processes that build into the same tree (scripts/cross-build.js,
// scripts/prebuild.js): a directory, since mkdir is atomic. A lock older than 10 minutes is a
// crashed run's and is taken over.
const fs = require('fs');
const path = require('path');

/** Waits until this process holds the lock directory `lock`; it is removed when the process exits. */
function holdDirLock(lock) {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 600_000) fs.rmSync(lock, { recursive: true, force: true });
      } catch { /* removed meanwhile */ }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  process.on('exit', () => fs.rmSync(lock, { recursive: true, force: true }));
}

module.exports = { holdDirLock };
