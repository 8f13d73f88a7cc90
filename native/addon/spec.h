// JailSpec (as ts/jail/native.ts's NativeSpec) -> the C structs of native/child/config.h, built in
// the parent before clone. Owns every string, array and filter the child reads; it must live
// until the child has exec'd or failed. Shape errors come back as "field: reason".
#ifndef TSJAIL_ADDON_SPEC_H
#define TSJAIL_ADDON_SPEC_H
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "../parent/launch.h"
}

struct JailPlan {
  // Strings and arrays the child follows (never reallocated after Finish()).
  std::string path, cwd, hostname;
  std::vector<std::string> argv_s, env_s;
  std::vector<char*> argv, envp;
  std::vector<gid_t> groups;
  std::vector<int> preserve_fds;
  std::vector<std::string> uid_map, gid_map;  // "inside outside count" lines
  bool userns = false, groups_set = false;

  // Seccomp as given and as installed.
  std::vector<sock_filter> policy;
  std::vector<uint32_t> gate_allow;
  bool seccomp = false, preload = false, report = false, tsync = false, log = false;
  std::string preload_library;
  int preload_timeout_ms = 5000;

  // The fs/resources parts (native/addon/fs_spec.h).
  struct tsjail_fs fs {};
  struct tsjail_landlock landlock {};
  struct tsjail_rlimits rlimits {};
  struct tsjail_cgroup_limits cgroup_limits {};

  struct tsjail_config cfg {};

  ~JailPlan();
};

// Reads the spec into plan (everything except fds, which the spawner fills). False with
// *error = "field: reason" on a bad shape.
bool ReadPlan(const Napi::Object& spec, JailPlan* plan, std::string* error);

// The installed/exact filters are built by native/parent/launch.c once the fd numbers are known.

#endif
