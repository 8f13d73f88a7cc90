// User and group lookup for `-u`, `-g`, `-G` and `--add-suppl-group`, from the passwd(5) and
// group(5) files. We read the files ourselves instead of calling getpwnam(3): Node has no
// binding for it, and NSS modules (LDAP, systemd-userdb) are deliberately out of scope; the
// files are what minijail0 resolves on the systems it targets, too.

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const ID = /^\d+$/;

/** passwd(5) lines `name:x:uid:gid:gecos:home:shell`; malformed lines are skipped as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] === '' || line.startsWith('#') || !ID.test(f[2]) || !ID.test(f[3])) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] });
  }
  return out;
}

/** group(5) lines `name:x:gid:member,member`. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || line.startsWith('#') || !ID.test(f[2])) continue;
    out.push({ name: f[0], gid: Number(f[2]), members: f[3] === '' ? [] : f[3].split(',').map((m) => m.trim()) });
  }
  return out;
}

/** Lookups over one snapshot of the two files. */
export class UserDb {
  constructor(readonly users: PasswdEntry[], readonly groups: GroupEntry[]) {}

  static fromText(passwd: string, group: string): UserDb {
    return new UserDb(parsePasswd(passwd), parseGroup(group));
  }

  /** By name; the first entry wins, as with getpwnam. */
  user(name: string): PasswdEntry | undefined {
    return this.users.find((u) => u.name === name);
  }

  group(name: string): GroupEntry | undefined {
    return this.groups.find((g) => g.name === name);
  }

  /**
   * initgroups(3)'s list for a user: the primary gid first, then every group naming the user
   * as a member, without duplicates.
   */
  groupsOf(user: PasswdEntry): number[] {
    const gids = [user.gid];
    for (const g of this.groups) if (g.members.includes(user.name) && !gids.includes(g.gid)) gids.push(g.gid);
    return gids;
  }
}

/** A numeric id as minijail takes it (all digits); names are looked up instead. */
export function numericId(text: string): number | undefined {
  if (!ID.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xfffffffe ? n : undefined;
}
