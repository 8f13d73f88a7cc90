'use strict';
// Jest transformer: TypeScript/ESM through esbuild, .wasm as a Buffer of its bytes.
const esbuild = require('esbuild');
const crypto = require('crypto');

module.exports = {
  process(source, filename) {
    if (filename.endsWith('.wasm')) {
      return { code: `module.exports = require('fs').readFileSync(${JSON.stringify(filename)});` };
    }
    const out = esbuild.transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code: out.code };
  },
  getCacheKey(source, filename) {
    return crypto.createHash('sha1').update(source).update(filename).update('v1').digest('hex');
  },
};
