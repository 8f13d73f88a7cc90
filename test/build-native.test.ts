// scripts/build-native.js in a copy of a built checkout: the copied build directory still names
// the original tree (CMakeCache.txt, build.ninja), so without care `cmake --build` compiles the
// ORIGINAL sources and exits 0. The script must configure the copy afresh, build the copy's
// sources, and leave an up-to-date build of its own tree alone. A minimal CMake project with
// the real script (and scripts/cmake-cache.js) keeps this to a few seconds.

import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..');
const { foreignCacheReason } = require('../scripts/cmake-cache.js') as {
  foreignCacheReason(buildDir: string, sourceDir: string): string | undefined;
};

function missingTool(): string | undefined {
  if (process.platform !== 'linux') return 'the native build is Linux-only';
  for (const [tool, arg] of [['cmake', '--version'], ['cc', '--version']]) {
    if (spawnSync(tool, [arg], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`;
  }
  if (!fs.existsSync(path.join(REPO, 'node_modules', 'cmake-js'))) return 'cmake-js is not installed (npm install)';
  return undefined;
}

const missing = missingTool();
const suite = missing ? describe.skip : describe;

/** A project with one program that prints `word`, built by the repository's build script. */
function makeProject(dir: string, word: string): void {
  fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  for (const f of ['build-native.js', 'cmake-cache.js']) fs.copyFileSync(path.join(REPO, 'scripts', f), path.join(dir, 'scripts', f));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  // napi_versions keeps cmake-js offline (node-api-headers), as in the real package.json.
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'mini', version: '0.0.0', binary: { napi_versions: [8] } }));
  fs.writeFileSync(path.join(dir, 'CMakeLists.txt'), [
    'cmake_minimum_required(VERSION 3.15)',
    'project(mini C)',
    'set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/Release)',
    'add_executable(hello hello.c)',
    '',
  ].join('\n'));
  writeHello(dir, word);
}

function writeHello(dir: string, word: string): void {
  const file = path.join(dir, 'hello.c');
  fs.writeFileSync(file, `#include <stdio.h>\nint main(void) { puts("${word}"); return 0; }\n`);
}

function build(dir: string) {
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build-native.js')], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const hello = (dir: string) => execFileSync(path.join(dir, 'build', 'native', 'Release', 'hello'), { encoding: 'utf8' });

suite(`npm run build:native in a copy of a built checkout${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let tmp: string;
  let original: string;
  let copy: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-build-native-'));
    original = path.join(tmp, 'original');
    copy = path.join(tmp, 'copy');
    makeProject(original, 'original');
    const first = build(original);
    if (first.status !== 0) throw new Error(`building the original failed:\n${first.out}`);
    execFileSync('cp', ['-a', original, copy]);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the copied cache is recognised as another tree\'s', () => {
    expect(hello(original)).toBe('original\n');
    expect(foreignCacheReason(path.join(original, 'build', 'native'), original)).toBeUndefined();
    expect(foreignCacheReason(path.join(copy, 'build', 'native'), copy))
      .toBe(`its CMakeCache.txt was written in ${fs.realpathSync(path.join(original, 'build', 'native'))}`);
  });

  test('a changed C file in the copy is built from the copy, and the original is left alone', () => {
    writeHello(copy, 'changed in the copy');
    const r = build(copy);
    expect(r.status).toBe(0);
    expect(r.out).toContain('build-native: build/native belongs to another tree');
    expect(r.out).not.toContain('CMake Error');
    expect(hello(copy)).toBe('changed in the copy\n');
    expect(hello(original)).toBe('original\n');
    expect(foreignCacheReason(path.join(copy, 'build', 'native'), copy)).toBeUndefined();
  });

  test('an up-to-date build stays incremental: nothing configured, nothing rebuilt', () => {
    const binary = path.join(copy, 'build', 'native', 'Release', 'hello');
    const before = fs.statSync(binary).mtimeMs;
    const r = build(copy);
    expect(r.status).toBe(0);
    expect(r.out).not.toContain('afresh');
    expect(r.out).not.toContain('CMD CONFIGURE');
    expect(r.out).toContain('no work to do');
    expect(fs.statSync(binary).mtimeMs).toBe(before);
  });

  test('a failing build exits non-zero with one line naming it', () => {
    fs.writeFileSync(path.join(copy, 'hello.c'), 'int main(void) { return missing_symbol; }\n');
    const r = build(copy);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^build-native: cmake-js build failed \(exit \d+\)$/m);
  });
});
