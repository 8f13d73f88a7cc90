// `tsjail run --help`, generated from the option table so it cannot miss a flag.

import { GROUP_TITLES, OPTIONS, OptionDef, OptionGroup } from './run-options';

const WIDTH = 100;
const COL = 34;

function flagColumn(o: OptionDef): string {
  const names: string[] = [];
  const arg = o.metavar ?? '';
  if (o.short) {
    names.push(o.arg === 'none' ? `-${o.short}` : o.arg === 'optional' ? `-${o.short}[${arg}]` : `-${o.short} ${arg}`);
  }
  const longArg = o.arg === 'none' ? '' : o.arg === 'optional' ? `[=${arg}]` : ` ${arg}`;
  names.push(`--${o.long}${longArg}`);
  return names.join(', ');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

export const EXIT_STATUS_HELP = `Exit status:
  the program's own status when it exits;
  128+N when it dies of signal N (a seccomp violation: 159 = 128+SIGSYS, and a line naming the syscall
       or saying it is not known);
  2    usage error (bad flag, bad combination, unknown user, bad config file): nothing was started;
  125  the jail could not be set up (invalid policy, a setup step failed: the step and errno are printed);
  126  PROGRAM exists but is not executable;
  127  PROGRAM was not found;
  1    with --save-jail (and pack-jail): the jail file could not be written.`;

export function runHelp(): string {
  const out: string[] = [
    'Usage: tsjail run [options] [--] PROGRAM [ARGS...]',
    '',
    "Run PROGRAM in a jail. Flags follow minijail0's: short flags cluster (-nv); an OPTIONAL argument",
    "must be attached (-t64M, -m'0 1000 1', -Kslave, --uts=host), otherwise it is taken as PROGRAM.",
    'Options stop at the first non-option word or at --.',
  ];
  const groups = Object.keys(GROUP_TITLES) as OptionGroup[];
  for (const g of groups) {
    out.push('', `${GROUP_TITLES[g]}:`);
    for (const o of OPTIONS.filter((x) => x.group === g)) {
      const flags = flagColumn(o);
      let help = o.help;
      if (o.aliases?.length) help += ` (also --${o.aliases.join(', --')})`;
      const body = wrap(help, WIDTH - COL);
      if (flags.length + 2 <= COL - 1) {
        out.push(`  ${flags.padEnd(COL - 2)}${body[0]}`);
      } else {
        out.push(`  ${flags}`, `${' '.repeat(COL)}${body[0]}`);
      }
      for (const l of body.slice(1)) out.push(`${' '.repeat(COL)}${l}`);
    }
  }
  out.push('', EXIT_STATUS_HELP, '', 'Examples:',
    '  tsjail run -n -S app.policy -- ./app --port 8080',
    '  tsjail run -U -e -l --uts=box --profile minimalistic-mountns -- /bin/sh -c id',
    '  tsjail run -v -b /srv/data,/mnt,1 -t --memory 256M --pids 64 --time-limit 30s -- ./job',
    '  tsjail run --config jail.conf -- /usr/bin/server');
  return out.join('\n') + '\n';
}
