// Writing a file so that a reader sees the old contents or the new, never half of them: a new
// temporary file next to the target (O_EXCL, so nothing already there is written through), the
// mode set, the data synced, then renamed over the target. A failure removes the temporary file
// and leaves the target as it was. Used by `tsjail fmt -w` and `tsjail run --save-jail` /
// `pack-jail`. Node-only.

import * as fs from 'fs';
import * as path from 'path';

/**
 * Replace `file` with `data` atomically, the new file with exactly `mode` (fchmod, so the umask
 * does not apply). `tag` names the writer in the temporary file's name
 * (`.NAME.PID.TAG.tmp`, or `.NAME.PID.tmp` without one). Throws the fs error.
 */
export function writeFileAtomically(file: string, data: string | Uint8Array, mode: number, tag?: string): void {
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}${tag ? `.${tag}` : ''}.tmp`);
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
    try {
      fs.fchmodSync(fd, mode);
      if (typeof data === 'string') fs.writeSync(fd, data);
      else fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}
