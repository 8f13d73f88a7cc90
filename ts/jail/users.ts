// Name -> id lookups for the builder (uid, gid, a user's supplementary groups), read from
// /etc/passwd and /etc/group of the host. Node-only; no NSS modules (like minijail's -u/-g
// with files-only NSS).
import * as fs from 'fs';

function readTable(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** The passwd entry of a user name, or undefined. */
export function lookupUser(name: string, passwd = '/etc/passwd'): PasswdEntry | undefined {
  const row = readTable(passwd).find((r) => r[0] === name);
  return row ? { name, uid: Number(row[2]), gid: Number(row[3]) } : undefined;
}

/** The gid of a group name, or undefined. */
export function lookupGroup(name: string, group = '/etc/group'): number | undefined {
  const row = readTable(group).find((r) => r[0] === name);
  return row ? Number(row[2]) : undefined;
}

/** The supplementary groups of a user: its primary gid plus every group listing it (initgroups). */
export function userGroups(name: string, primaryGid: number, group = '/etc/group'): number[] {
  const gids = new Set<number>([primaryGid]);
  for (const r of readTable(group)) {
    if ((r[3] ?? '').split(',').includes(name)) gids.add(Number(r[2]));
  }
  return [...gids];
}
