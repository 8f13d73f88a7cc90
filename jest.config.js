// Tests import the TypeScript sources; scripts/jest-transform.js compiles them with esbuild
// (already a build dependency) and turns the core's .wasm into a Buffer, as esbuild's
// binary loader does in the shipped bundles.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(ts|js|mjs)$': '<rootDir>/scripts/jest-transform.js',
    '^.+\\.wasm$': '<rootDir>/scripts/jest-transform.js',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json', 'wasm', 'node'],
  transformIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
  // Tests spawn jails and launchers; one left behind by a failing test must not keep the run
  // (and CI) alive until its time limit. Each test still cleans up after itself.
  forceExit: true,
};
