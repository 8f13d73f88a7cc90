'use strict';
// The fields of an ELF file's header that say what it was built for, read from the file itself
// (not from file(1)): used by the prebuild check and the cross-build tests.
const fs = require('fs');

/** {magic, elfClass (2: 64-bit), data (1: little-endian), type (2: exec, 3: dyn), machine}. */
function readElfHeader(file) {
  const h = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, h, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  return {
    magic: h.subarray(0, 4).toString('latin1'),
    elfClass: h[4],
    data: h[5],
    type: h.readUInt16LE(16),
    machine: h.readUInt16LE(18),
  };
}

module.exports = { readElfHeader };
