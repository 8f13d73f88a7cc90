'use strict';
// A CMake build directory belongs to one source tree. Its CMakeCache.txt records the absolute
// source and build directories it was configured for, and build.ninja names every source file
// by absolute path. In a copy of a built checkout (cp -a, a CI cache, a moved worktree) both
// still name the original: `cmake --build` prints "CMake Error: The current CMakeCache.txt
// directory ... is different", then ninja compiles the ORIGINAL tree's sources and exits 0,
// so a C file changed in the copy silently keeps the old binaries. cmake-js configures only
// when CMakeCache.txt is missing, so a build directory written for another tree is removed
// here and configured afresh (its binaries came from the other tree's sources anyway).
const fs = require('fs');
const path = require('path');

/** The KEY -> VALUE entries of a CMakeCache.txt (lines `KEY:TYPE=VALUE`). */
function cacheEntries(text) {
  const entries = new Map();
  for (const line of text.split('\n')) {
    const m = /^([^#/][^:=]*):[A-Z]+=(.*)$/.exec(line);
    if (m) entries.set(m[1], m[2]);
  }
  return entries;
}

/** The same directory, however it is spelled (symlinks, trailing slash); false if one is missing. */
function sameDir(a, b) {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * Why `buildDir` was configured for another tree than `sourceDir` (one line), or undefined
 * when it was not configured at all or was configured for exactly these two directories.
 */
function foreignCacheReason(buildDir, sourceDir) {
  let text;
  try {
    text = fs.readFileSync(path.join(buildDir, 'CMakeCache.txt'), 'utf8');
  } catch {
    return undefined;
  }
  const entries = cacheEntries(text);
  const cacheDir = entries.get('CMAKE_CACHEFILE_DIR');
  const homeDir = entries.get('CMAKE_HOME_DIRECTORY');
  if (cacheDir === undefined || homeDir === undefined) return 'its CMakeCache.txt does not say which directories it belongs to';
  if (!sameDir(cacheDir, buildDir)) return `its CMakeCache.txt was written in ${cacheDir}`;
  if (!sameDir(homeDir, sourceDir)) return `its CMakeCache.txt was written for the sources in ${homeDir}`;
  return undefined;
}

/**
 * Remove `buildDir` when it was configured for another tree, saying so through `log`, so the
 * next cmake-js build configures it for this one. Returns whether it did. An up-to-date build
 * directory of this tree is left alone: the build stays incremental.
 */
function forgetForeignBuild(buildDir, sourceDir, log) {
  const reason = foreignCacheReason(buildDir, sourceDir);
  if (reason === undefined) return false;
  log(`${path.relative(sourceDir, buildDir) || buildDir} belongs to another tree (${reason}); configuring it afresh`);
  fs.rmSync(buildDir, { recursive: true, force: true });
  return true;
}

module.exports = { cacheEntries, foreignCacheReason, forgetForeignBuild };
