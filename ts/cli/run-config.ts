// minijail's config-file format (`minijail0(5)`, config_parser.c), read by `--config FILE`:
//
//   % minijail-config-file v0        <- exactly this first line
//   # comment                         <- blank and '#' lines are skipped
//   ns-mount                          <- a bare key: a flag without a value
//   bind-mount = /usr,/usr            <- key = value, split at the first '='
//   mount = none,/tmp,tmpfs,\         <- a trailing '\' joins the next line
//           MS_NODEV,size=1M
//
// Keys are long option names or single short-option letters; the option layer resolves them and
// injects the entries where `--config` appeared. This module only splits lines, so every error
// it reports carries the file and the line where the entry starts.

export const CONFIG_HEADER = '% minijail-config-file v0';

export interface ConfigEntry {
  key: string;
  /** Absent for a bare key. */
  value?: string;
  /** 1-based line where the entry starts (the first of its continuation lines). */
  line: number;
}

export class ConfigError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

/** Entries of one config file, or a ConfigError naming the line. */
export function parseConfig(text: string, file: string): ConfigEntry[] {
  const lines = text.split('\n');
  // A final newline leaves one empty trailing element, which is not a line of its own.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0 || lines[0] !== CONFIG_HEADER || (lines.length === 1 && !text.endsWith('\n'))) {
    throw new ConfigError(file, 1, `the first line must be exactly '${CONFIG_HEADER}' (followed by a newline)`);
  }
  const entries: ConfigEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const start = i;
    let logical = lines[i];
    while (logical.endsWith('\\')) {
      if (i + 1 >= lines.length) throw new ConfigError(file, start + 1, "a '\\' continuation ends the file");
      logical = logical.slice(0, -1) + lines[++i];
    }
    const stripped = logical.trim();
    if (stripped === '' || stripped.startsWith('#')) continue;
    const eq = stripped.indexOf('=');
    const key = (eq < 0 ? stripped : stripped.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : stripped.slice(eq + 1).trim();
    if (key === '') throw new ConfigError(file, start + 1, `missing key before '=' in '${stripped}'`);
    if (value === '') throw new ConfigError(file, start + 1, `missing value after '=' for '${key}'`);
    entries.push({ key, value, line: start + 1 });
  }
  return entries;
}
