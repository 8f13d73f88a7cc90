// The getopt-style parser of `tsjail run`'s arguments over the option table, with `--config`
// injection and minijail0's cross-flag checks.
//
// minijail0 compatibility, on purpose:
// - short flags cluster (`-nv`), required arguments may be attached or separate (`-u1000`,
//   `-u 1000`), and OPTIONAL arguments must be attached (`-t64M`, `-m'0 1000 1'`, `--uts=host`):
//   written with a space, the value would be the program, exactly as with minijail0;
// - parsing stops at `--` or at the first non-option word (getopt's '+' mode);
// - `--config FILE` entries are applied right where `--config` appears, and may not nest;
// - the combination checks minijail0 makes (see checkCombinations).

import { parseConfig, ConfigError } from './run-config';
import { describeFsError } from '../node/system-errors';
import {
  OptionDef, OptionUse, RunRequest, RunUsageError, UNSUPPORTED, emptyRequest, longNames, longOption, optionForKey, shortOption,
} from './run-options';
import { ValueError } from './run-values';

export interface ParseHost {
  /** Reads a --config file (relative paths are relative to tsjail's cwd). */
  readConfig(path: string): string;
}

function describe(use: OptionUse): string {
  return use.file ? `${use.file}:${use.line}: ${use.flag}` : use.flag;
}

function applyOption(r: RunRequest, def: OptionDef, value: string | undefined, use: OptionUse, host: ParseHost): void {
  if (def.long === 'config') {
    if (use.file) throw new RunUsageError(`${describe(use)}: nested config files are not allowed`);
    readConfigInto(r, value as string, host);
    return;
  }
  try {
    def.apply(r, value, use);
  } catch (e) {
    if (e instanceof ValueError) throw new RunUsageError(`${describe(use)}: ${e.message}`);
    throw e;
  }
}

function readConfigInto(r: RunRequest, path: string, host: ParseHost): void {
  let text: string;
  try {
    text = host.readConfig(path);
  } catch (e) {
    throw new RunUsageError(`--config ${path}: cannot read: ${describeFsError(e)}`);
  }
  let entries;
  try {
    entries = parseConfig(text, path);
  } catch (e) {
    if (e instanceof ConfigError) throw new RunUsageError(e.message);
    throw e;
  }
  r.configFiles.push(path);
  for (const entry of entries) {
    const use: OptionUse = { flag: entry.key, file: path, line: entry.line };
    const def = optionForKey(entry.key);
    if (!def) {
      const why = UNSUPPORTED[entry.key];
      throw new RunUsageError(`${path}:${entry.line}: ${why ?? `unknown key '${entry.key}' (keys are long option names or flag letters)`}`);
    }
    if (def.arg === 'none' && entry.value !== undefined) {
      throw new RunUsageError(`${describe(use)}: takes no value (write a bare '${entry.key}')`);
    }
    if (def.arg === 'required' && entry.value === undefined) {
      throw new RunUsageError(`${describe(use)}: needs a value ('${entry.key} = ...')`);
    }
    applyOption(r, def, entry.value, use, host);
  }
}

/** Edit distance with adjacent transpositions (optimal string alignment): typos are mostly one of these. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The long option a misspelled or shortened one most likely means: one it abbreviates, else
 * the closest within a quarter of its length in edits, else one it starts with.
 */
function nearestLongName(name: string): string | undefined {
  const names = longNames();
  const abbreviated = names.find((k) => k.startsWith(name));
  if (abbreviated) return abbreviated;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 4)) + 1;
  for (const k of names) {
    const dist = editDistance(name, k);
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best ?? names.find((k) => name.startsWith(k));
}

function unknownOption(flag: string, name: string): RunUsageError {
  const why = UNSUPPORTED[name];
  if (why) return new RunUsageError(why);
  const near = name.length > 1 ? nearestLongName(name) : undefined;
  return new RunUsageError(`unknown option '${flag}'${near ? ` (did you mean --${near}?)` : ''}; see 'tsjail run --help'`);
}

/**
 * Parse `tsjail run`'s arguments (without the leading "run"). Throws RunUsageError. Stops at
 * the first non-option or after `--`; the rest is the program and its arguments. With --help
 * the request is returned as soon as the flag is seen, unchecked.
 */
export function parseRunArgs(args: string[], host: ParseHost): RunRequest {
  const r = emptyRequest();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const def = longOption(name);
      if (!def) throw unknownOption(arg, name);
      let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
      const flag = '--' + name;
      if (def.arg === 'none' && value !== undefined) throw new RunUsageError(`${flag} takes no value`);
      if (def.arg === 'required' && value === undefined) {
        if (i + 1 >= args.length) throw new RunUsageError(`${flag} needs a value (${def.metavar})`);
        value = args[++i];
      }
      applyOption(r, def, value, { flag }, host);
      if (r.help) return r;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        const def = shortOption(letter);
        if (!def) throw unknownOption('-' + letter, letter);
        const flag = '-' + letter;
        let value: string | undefined;
        if (def.arg !== 'none') {
          const rest = arg.slice(j + 1);
          if (rest !== '') value = rest;
          else if (def.arg === 'required') {
            if (i + 1 >= args.length) throw new RunUsageError(`${flag} needs a value (${def.metavar})`);
            value = args[++i];
          }
          j = arg.length;
        }
        applyOption(r, def, value, { flag }, host);
        if (r.help) return r;
      }
      continue;
    }
    break;
  }
  r.program = args.slice(i);
  checkCombinations(r);
  return r;
}

/** minijail0's cross-flag rules, checked once all flags (and config files) are in. */
export function checkCombinations(r: RunRequest): void {
  const fail = (msg: string): never => { throw new RunUsageError(msg); };
  if (r.program.length === 0) fail('missing PROGRAM (it goes after the options: [options] [--] PROGRAM [ARGS...])');
  if (r.ambient && r.caps === undefined) {
    fail("can't set ambient capabilities (--ambient) without a capability set (-c)");
  }
  if (r.securebitsSkip !== undefined && r.caps === undefined) fail('-B (--skip-securebits) needs -c');
  if (r.bindMountGiven && !(r.explicitMountNs || r.root)) {
    fail('bind mounts (-b) need a chroot (-C), pivot_root (-P) or a new mount namespace (-v)');
  }
  if (r.remountModeGiven && !r.explicitMountNs) {
    fail('-K (remount mode) only makes sense with -v (a new mount namespace); add -v');
  }
  if (r.supplGroups.length > 0 && (r.inheritGroups || r.keepGroups)) {
    fail('--add-suppl-group cannot be combined with -G or -y');
  }
  if (r.logMode && !r.seccomp) fail('--log needs a policy to record against (-S or --seccomp-bpf-binary)');
  if (r.logFile !== undefined && !r.logMode) fail('--log-file needs --log (which lets the calls the policy denies run)');
  if (r.fsPathGiven && r.noFsRestrictions) fail("can't combine --no-fs-restrictions with --fs-* path options");
  if (r.inheritGroups && (r.user === undefined || /^\d+$/.test(r.user))) {
    fail('-G (inherit groups) needs -u with a user name, to look the groups up');
  }
}
