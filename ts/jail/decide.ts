// The decisions the TypeScript layer makes for a validated JailSpec before it is encoded
// (ts/jail/jailfile.ts): default id maps and ids in a user namespace, the capability sets and
// securebits, the preload library's path. The native side applies what the jail file says and
// computes none of these (docs/architecture.md, "Which file owns each decision"); what only the
// runtime can know (the seccomp timing from the program's ELF, the loader set, no_new_privs with
// a filter, the preload library's bind and Landlock rule) is native/parent/launch.c's.
import * as path from 'path';
import type { IdMap, JailSpec } from './spec';
import { nativeDir } from './native';

/** linux/securebits.h */
const SECBIT_NOROOT = 1 << 0;
const SECBIT_NOROOT_LOCKED = 1 << 1;
const SECBIT_NO_SETUID_FIXUP = 1 << 2;
const SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 3;
const SECBIT_KEEP_CAPS_LOCKED = 1 << 5;

export interface DecidedCaps {
  keep: bigint;
  bounding: bigint;
  ambient: boolean;
  securebits: number;
}

/** What the jail file says about identity, capabilities and the preload library. */
export interface Decided {
  uid?: number;
  gid?: number;
  /** undefined = keep the caller's supplementary groups. */
  groups?: number[];
  uidMap?: IdMap[];
  gidMap?: IdMap[];
  caps?: DecidedCaps;
  /** The preload library a dynamic program gets (with a seccomp filter). */
  preloadLibrary?: string;
}

/** Who makes the jail (the ids a default map maps to) and where the native artefacts are. */
export interface DecideHost {
  uid: number;
  gid: number;
  /** The preload library next to the addon. */
  preloadLibrary(): string;
}

export function nodeDecideHost(): DecideHost {
  return {
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    preloadLibrary: () => path.join(nativeDir(), 'libtsjailpreload.so'),
  };
}

/**
 * The jail's own mount that hides the preload library, as an index into
 * spec.filesystem.mounts, or undefined. Under a new root the runtime binds the library back
 * after the jail's mounts (native/parent/launch.c, reach_preload_library); without one, a
 * mount over one of its directories (a tmpfs, say) leaves ld.so nothing to preload, and the
 * jail fails closed at step 'preload' for a reason the errno cannot tell.
 */
export function preloadHiddenBy(spec: JailSpec, library: string): number | undefined {
  if (spec.filesystem.root !== undefined) return undefined;
  const lib = path.posix.normalize(library);
  let hidden: number | undefined;
  spec.filesystem.mounts.forEach((m, i) => {
    const target = path.posix.normalize(m.target).replace(/(.)\/$/, '$1');
    const over = target === lib || lib.startsWith(target === '/' ? '/' : target + '/');
    if (!over) return;
    // A bind of the same tree at the same place (the library's directory bound back) shows it again.
    const source = m.kind === 'bind' || (m.kind === 'mount' && (m.flags & 4096) !== 0) ? path.posix.normalize(m.source).replace(/(.)\/$/, '$1') : undefined;
    hidden = source !== undefined && source === target ? undefined : i;
  });
  return hidden;
}

/** How a preload-hiding message names things: the API's field words, or `tsjail run`'s flags. */
export interface HiddenPreloadWords {
  /** The mount at this index of spec.filesystem.mounts. */
  mount(index: number): string;
  /** What gives the jail a new root. */
  newRoot: string;
}

/**
 * Why a failed preload step failed when one of the jail's own mounts hid the library (the
 * errno cannot tell), or undefined when none did. The one text for the Node API's JailError
 * and `tsjail run`'s line; only the words for the mount and the new root differ.
 */
export function preloadHiddenMessage(spec: JailSpec, library: string, words?: HiddenPreloadWords): string | undefined {
  const i = preloadHiddenBy(spec, library);
  if (i === undefined) return undefined;
  const w = words ?? { mount: (n: number) => `filesystem.mounts[${n}] (${spec.filesystem.mounts[n].target})`, newRoot: 'filesystem.root' };
  return `the preload library ${library} is hidden by the jail's own mount ${w.mount(i)}; ` +
    `a dynamic program with a seccomp filter needs it (mount elsewhere, bind its directory back, or use a new root: ${w.newRoot})`;
}

/** A user namespace's default map: the one id inside (the requested id, or 0) is ours outside, like minijail's -m/-M without a map. */
export function defaultIdMap(inside: number | undefined, outside: number): IdMap[] {
  return [{ inside: inside ?? 0, outside, count: 1 }];
}

/**
 * The securebits a jail with capabilities gets unless it names its own: NO_SETUID_FIXUP and
 * KEEP_CAPS locked, plus NOROOT (locked) unless a root program is to keep its capabilities
 * through its bounding set (NOROOT would leave it none). Capabilities are set before exec, so
 * what survives exec is the kernel's rule: a root program gets its bounding set, a non-root one
 * its ambient set.
 */
export function defaultSecurebits(targetUid: number, ambient: boolean): number {
  const rootKeeps = targetUid === 0 && !ambient;
  const base = SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
  return rootKeeps ? base : base | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED;
}

/** The decisions for a validated spec. */
export function decide(spec: JailSpec, host: DecideHost = nodeDecideHost()): Decided {
  const userns = !!spec.namespaces.user;
  const u = spec.user;
  const out: Decided = {
    uid: u.uid,
    gid: u.gid,
    groups: u.groups === undefined || u.groups === 'keep' ? undefined : u.groups,
  };
  if (userns) {
    out.uidMap = u.uidMap ?? defaultIdMap(u.uid, host.uid);
    out.gidMap = u.gidMap ?? defaultIdMap(u.gid, host.gid);
    // Without an explicit map the program is the mapped id (0 unless asked for another).
    if (out.uid === undefined && !u.uidMap) out.uid = 0;
    if (out.gid === undefined && !u.gidMap) out.gid = 0;
  }
  if (spec.caps) {
    const keep = spec.caps.keep ?? 0n;
    const targetUid = out.uid ?? (userns ? 0 : host.uid);
    out.caps = {
      keep,
      bounding: spec.caps.bounding ?? keep,
      ambient: !!spec.caps.ambient,
      securebits: spec.caps.securebits ?? defaultSecurebits(targetUid, !!spec.caps.ambient),
    };
  }
  if (spec.seccomp) out.preloadLibrary = spec.preloadLibrary ?? host.preloadLibrary();
  return out;
}
