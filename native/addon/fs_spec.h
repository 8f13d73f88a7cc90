// Converters from the JailSpec (ts/jail/spec.ts) to the C structs of the filesystem and
// resource steps (native/child/{mounts,landlock,rlimits}.h, native/parent/cgroup.h). Parent side, before
// clone. The TS layer has validated the spec already; these re-check the shape and, on a
// bad value, return false with *error_field = "<field path>: <reason>"
// (e.g. "filesystem.mounts[2].target: must be an absolute path") for a TypeError.
//
// HOW TO CALL (runtime core, in the addon's spawn):
//   struct tsjail_fs fs; struct tsjail_landlock ll; struct tsjail_rlimits rl;
//   struct tsjail_cgroup_limits cgl; std::string bad;
//   if (!tsjail_fs_from_js(spec, &fs, &bad) || ...) -> throw TypeError(bad)
//   ... set fs.in_new_mount_ns = (clone flags & CLONE_NEWNS) != 0 (the converter already sets
//   it from spec.namespaces.mount; keep them in agreement) ...
//   after the child has exec'd or failed: tsjail_fs_release(&fs); tsjail_landlock_release(&ll);
// The structs are large (fixed arrays so the child never allocates): keep them in a heap
// object that lives until the child has exec'd (e.g. a std::unique_ptr), not on the stack
// of a thread with a small stack.
// On failure the converters leave *out released (nothing to free).
//
// The preload library (spec.preloadLibrary, when spec.seccomp is set and spec.seccompMode is
// 'preload') is made reachable by the converters themselves: tsjail_fs_from_js adds a
// read-only bind of it at its own path inside a new root (after the user's mounts, before
// trailing remount-ro entries), and tsjail_landlock_from_js adds a read-only rule for it.
// Without them ld.so cannot load it and the jail fails closed at step 'preload'. Both skip
// the addition when the spec already has that bind / a rule for that path (spawn.ts adds them too).
#ifndef TSJAIL_ADDON_FS_SPEC_H
#define TSJAIL_ADDON_FS_SPEC_H

#include <napi.h>

#include <string>

extern "C" {
#include "../parent/cgroup.h"
#include "../child/landlock.h"
#include "../child/mounts.h"
#include "../child/rlimits.h"
}

// spec.filesystem (+ spec.namespaces.mount). Targets come out prefixed with the root.
bool tsjail_fs_from_js(const Napi::Object& spec, struct tsjail_fs* out, std::string* error_field);

// spec.landlock (absent -> out->enabled = 0).
bool tsjail_landlock_from_js(const Napi::Object& spec, struct tsjail_landlock* out,
                             std::string* error_field);

// spec.rlimits; resource must be a number here (the TS layer resolves RLIMIT_* names).
bool tsjail_rlimits_from_js(const Napi::Object& spec, struct tsjail_rlimits* out,
                            std::string* error_field);

// spec.cgroup (absent -> nothing set).
bool tsjail_cgroup_from_js(const Napi::Object& spec, struct tsjail_cgroup_limits* out,
                           std::string* error_field);

#endif
