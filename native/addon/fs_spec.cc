// JailSpec -> C structs for the filesystem and resource steps. See fs_spec.h.
#include "fs_spec.h"

#include <sys/mount.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace {

// Strings for the child live in one malloc'd block owned by the C struct, so the struct
// stays plain C (released by tsjail_*_release) and the child only follows pointers.
class Arena {
 public:
  void Add(const char** slot, std::string value) { items_.emplace_back(slot, std::move(value)); }

  // The string queued for slot ("" if none): before Pack() the slots are not yet set.
  std::string Queued(const char** slot) const {
    for (const auto& it : items_)
      if (it.first == slot) return it.second;
    return "";
  }

  char* Pack() {
    size_t total = 1;
    for (auto& it : items_) total += it.second.size() + 1;
    char* block = static_cast<char*>(std::malloc(total));
    if (!block) return nullptr;
    size_t off = 0;
    for (auto& it : items_) {
      std::memcpy(block + off, it.second.c_str(), it.second.size() + 1);
      *it.first = block + off;
      off += it.second.size() + 1;
    }
    block[off] = '\0';
    return block;
  }

 private:
  std::deque<std::pair<const char**, std::string>> items_;
};

struct Bad {
  std::string* out;
  bool operator()(const std::string& field, const char* reason) const {
    if (out) *out = field + ": " + reason;
    return false;
  }
};

bool Has(const Napi::Object& o, const char* key) {
  if (!o.Has(key)) return false;
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

// "/a//b/./c/" -> "/a/b/c"; false on a relative path, "..", or an embedded NUL.
bool NormalizeAbsolute(const std::string& in, std::string* out) {
  if (in.empty() || in[0] != '/' || in.find('\0') != std::string::npos) return false;
  std::string res;
  size_t i = 0;
  while (i < in.size()) {
    while (i < in.size() && in[i] == '/') i++;
    size_t j = i;
    while (j < in.size() && in[j] != '/') j++;
    std::string comp = in.substr(i, j - i);
    i = j;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") return false;
    res += "/" + comp;
  }
  *out = res.empty() ? "/" : res;
  return out->size() < TSJAIL_FS_PATH_MAX;
}

bool GetPath(const Napi::Object& o, const char* key, const std::string& field, std::string* out, const Bad& bad) {
  if (!Has(o, key) || !o.Get(key).IsString()) return bad(field, "must be an absolute path");
  if (!NormalizeAbsolute(o.Get(key).As<Napi::String>().Utf8Value(), out))
    return bad(field, "must be an absolute path without '..' (shorter than PATH_MAX)");
  return true;
}

bool GetBool(const Napi::Object& o, const char* key, bool dflt, const std::string& field, bool* out, const Bad& bad) {
  if (!Has(o, key)) {
    *out = dflt;
    return true;
  }
  if (!o.Get(key).IsBoolean()) return bad(field, "must be a boolean");
  *out = o.Get(key).As<Napi::Boolean>().Value();
  return true;
}

// A non-negative integer up to 2^53 (JS numbers are exact that far).
bool GetCount(const Napi::Value& v, const std::string& field, uint64_t* out, const Bad& bad) {
  if (!v.IsNumber()) return bad(field, "must be a non-negative integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740992.0 || std::floor(d) != d) return bad(field, "must be a non-negative integer");
  *out = static_cast<uint64_t>(d);
  return true;
}

std::string Indexed(const char* base, size_t i, const char* leaf) {
  return std::string(base) + "[" + std::to_string(i) + "]" + (leaf ? std::string(".") + leaf : "");
}

// The preload library the runtime will LD_PRELOAD into a dynamic program (spec.cc decides the
// same way: seccomp bytes present and seccompMode 'preload'), or "" when none.
std::string PreloadLibrary(const Napi::Object& spec) {
  if (!Has(spec, "seccomp") || !Has(spec, "seccompMode") || !spec.Get("seccompMode").IsString() ||
      spec.Get("seccompMode").As<Napi::String>().Utf8Value() != "preload" || !Has(spec, "preloadLibrary") ||
      !spec.Get("preloadLibrary").IsString())
    return "";
  std::string lib;
  if (!NormalizeAbsolute(spec.Get("preloadLibrary").As<Napi::String>().Utf8Value(), &lib)) return "";
  return lib;
}

}  // namespace

bool tsjail_fs_from_js(const Napi::Object& spec, struct tsjail_fs* out, std::string* error_field) {
  Bad bad{error_field};
  std::memset(out, 0, sizeof(*out));
  Arena arena;

  bool mount_ns = false;
  if (Has(spec, "namespaces") && spec.Get("namespaces").IsObject()) {
    Napi::Object ns = spec.Get("namespaces").As<Napi::Object>();
    if (!GetBool(ns, "mount", false, "namespaces.mount", &mount_ns, bad)) return false;
  }
  if (!Has(spec, "filesystem")) {
    out->enabled = mount_ns;
    out->in_new_mount_ns = mount_ns;
    out->propagation = TSJAIL_PROPAGATION_PRIVATE;
    return true;
  }
  if (!spec.Get("filesystem").IsObject()) return bad("filesystem", "must be an object");
  Napi::Object f = spec.Get("filesystem").As<Napi::Object>();

  std::string root;
  if (Has(f, "root")) {
    if (!GetPath(f, "root", "filesystem.root", &root, bad)) return false;
    // pivot_root/chroot to the current root changes nothing but would stack the old root
    // over the new one in confusing ways; a jail that keeps "/" simply omits root.
    if (root == "/") return bad("filesystem.root", "must not be '/' (omit it to keep the current root)");
    out->root_mode = TSJAIL_ROOT_PIVOT;
    if (Has(f, "rootMode")) {
      std::string mode = f.Get("rootMode").IsString() ? f.Get("rootMode").As<Napi::String>().Utf8Value() : "";
      if (mode == "chroot") out->root_mode = TSJAIL_ROOT_CHROOT;
      else if (mode != "pivot_root") return bad("filesystem.rootMode", "must be 'pivot_root' or 'chroot'");
    }
    arena.Add(&out->root, root);
  }
  // Targets are paths inside the jail; before pivot_root they live under the new root.
  const std::string prefix = root;
  auto target_of = [&](const std::string& t) { return t == "/" && !prefix.empty() ? prefix : prefix + t; };

  out->propagation = TSJAIL_PROPAGATION_PRIVATE;
  if (Has(f, "propagation")) {
    std::string p = f.Get("propagation").IsString() ? f.Get("propagation").As<Napi::String>().Utf8Value() : "";
    if (p == "private") out->propagation = TSJAIL_PROPAGATION_PRIVATE;
    else if (p == "slave") out->propagation = TSJAIL_PROPAGATION_SLAVE;
    else if (p == "shared") out->propagation = TSJAIL_PROPAGATION_SHARED;
    else if (p == "unbindable") out->propagation = TSJAIL_PROPAGATION_UNBINDABLE;
    else return bad("filesystem.propagation", "must be 'private', 'slave', 'shared' or 'unbindable'");
  }

  Napi::Array mounts = Napi::Array::New(spec.Env());
  if (Has(f, "mounts")) {
    if (!f.Get("mounts").IsArray()) return bad("filesystem.mounts", "must be an array");
    mounts = f.Get("mounts").As<Napi::Array>();
  }
  // The preload library must be loadable inside a new root, or ld.so skips it and the jail
  // fails closed at step 'preload'. It is bound read-only at its own path after the user's
  // mounts (which could hide it) but before trailing read-only remounts (which would stop its
  // mount point from being created).
  std::string lib = out->root_mode != TSJAIL_ROOT_NONE ? PreloadLibrary(spec) : "";
  // Nothing to add when the caller (ts/jail/spawn.ts does) already binds it.
  for (uint32_t i = 0; i < mounts.Length() && !lib.empty(); i++) {
    if (!mounts.Get(i).IsObject()) continue;
    Napi::Object m = mounts.Get(i).As<Napi::Object>();
    std::string src, dst;
    if (Has(m, "kind") && m.Get("kind").IsString() && m.Get("kind").As<Napi::String>().Utf8Value() == "bind" &&
        Has(m, "source") && m.Get("source").IsString() && Has(m, "target") && m.Get("target").IsString() &&
        NormalizeAbsolute(m.Get("source").As<Napi::String>().Utf8Value(), &src) && src == lib &&
        NormalizeAbsolute(m.Get("target").As<Napi::String>().Utf8Value(), &dst) && dst == lib)
      lib.clear();
  }
  uint32_t lib_at = mounts.Length();
  while (lib_at > 0 && mounts.Get(lib_at - 1).IsObject() &&
         mounts.Get(lib_at - 1).As<Napi::Object>().Get("kind").IsString() &&
         mounts.Get(lib_at - 1).As<Napi::Object>().Get("kind").As<Napi::String>().Utf8Value() == "remount-ro")
    lib_at--;
  const uint32_t max_user = lib.empty() ? TSJAIL_FS_MOUNTS_MAX : TSJAIL_FS_MOUNTS_MAX - 1;
  if (mounts.Length() > max_user) return bad("filesystem.mounts", "has too many entries (at most 127)");
  auto add_library_bind = [&]() {
    struct tsjail_mount* cm = &out->mounts[out->n_mounts++];
    cm->kind = TSJAIL_MOUNT_BIND;
    arena.Add(&cm->source, lib);
    arena.Add(&cm->target, target_of(lib));
  };
  for (uint32_t i = 0; i < mounts.Length(); i++) {
    if (i == lib_at && !lib.empty()) add_library_bind();
    std::string field = Indexed("filesystem.mounts", i, nullptr);
    if (!mounts.Get(i).IsObject()) return bad(field, "must be an object");
    Napi::Object m = mounts.Get(i).As<Napi::Object>();
    struct tsjail_mount* cm = &out->mounts[out->n_mounts];
    std::string kind = Has(m, "kind") && m.Get("kind").IsString() ? m.Get("kind").As<Napi::String>().Utf8Value() : "";
    std::string target, source;
    if (!GetPath(m, "target", field + ".target", &target, bad)) return false;
    arena.Add(&cm->target, target_of(target));
    if (kind == "bind") {
      bool writable, recursive;
      cm->kind = TSJAIL_MOUNT_BIND;
      if (!GetPath(m, "source", field + ".source", &source, bad) ||
          !GetBool(m, "writable", false, field + ".writable", &writable, bad) ||
          !GetBool(m, "recursive", false, field + ".recursive", &recursive, bad))
        return false;
      arena.Add(&cm->source, source);
      cm->writable = writable;
      cm->recursive = recursive;
    } else if (kind == "tmpfs") {
      uint64_t mode = 0755, size = 0;
      cm->kind = TSJAIL_MOUNT_TMPFS;
      if (Has(m, "mode") && !GetCount(m.Get("mode"), field + ".mode", &mode, bad)) return false;
      if (mode > 07777) return bad(field + ".mode", "must be a file mode (at most 0o7777)");
      if (Has(m, "size") && !GetCount(m.Get("size"), field + ".size", &size, bad)) return false;
      char data[96];
      if (Has(m, "size"))
        std::snprintf(data, sizeof(data), "mode=0%o,size=%llu", static_cast<unsigned>(mode),
                      static_cast<unsigned long long>(size));
      else
        std::snprintf(data, sizeof(data), "mode=0%o", static_cast<unsigned>(mode));
      arena.Add(&cm->data, data);
    } else if (kind == "proc") {
      bool ro;
      cm->kind = TSJAIL_MOUNT_PROC;
      if (!GetBool(m, "readOnly", false, field + ".readOnly", &ro, bad)) return false;
      cm->read_only = ro;
    } else if (kind == "dev") {
      cm->kind = TSJAIL_MOUNT_DEV;
    } else if (kind == "mount") {
      uint64_t flags = 0;
      cm->kind = TSJAIL_MOUNT_GENERIC;
      if (!Has(m, "source") || !m.Get("source").IsString()) return bad(field + ".source", "must be a string");
      if (!Has(m, "fstype") || !m.Get("fstype").IsString() || m.Get("fstype").As<Napi::String>().Utf8Value().empty())
        return bad(field + ".fstype", "must be a filesystem type");
      if (Has(m, "flags") && !GetCount(m.Get("flags"), field + ".flags", &flags, bad)) return false;
      if (flags > 0xffffffffull) return bad(field + ".flags", "must be MS_* flags (32 bits)");
      cm->flags = static_cast<unsigned long>(flags);
      arena.Add(&cm->source, m.Get("source").As<Napi::String>().Utf8Value());
      arena.Add(&cm->fstype, m.Get("fstype").As<Napi::String>().Utf8Value());
      if (Has(m, "data")) {
        if (!m.Get("data").IsString()) return bad(field + ".data", "must be a string");
        arena.Add(&cm->data, m.Get("data").As<Napi::String>().Utf8Value());
      }
    } else if (kind == "remount-ro") {
      cm->kind = TSJAIL_MOUNT_REMOUNT_RO;
    } else {
      return bad(field + ".kind", "must be 'bind', 'tmpfs', 'proc', 'dev', 'mount' or 'remount-ro'");
    }
    out->n_mounts++;
  }
  if (lib_at == mounts.Length() && !lib.empty()) add_library_bind();

  if ((out->n_mounts > 0 || out->root_mode != TSJAIL_ROOT_NONE) && !mount_ns)
    return bad("filesystem", "mounts and a new root need namespaces.mount");

  out->enabled = mount_ns;
  out->in_new_mount_ns = mount_ns;
  out->arena = arena.Pack();
  if (!out->arena) {
    std::memset(out, 0, sizeof(*out));
    return bad("filesystem", "out of memory");
  }
  return true;
}

bool tsjail_landlock_from_js(const Napi::Object& spec, struct tsjail_landlock* out, std::string* error_field) {
  Bad bad{error_field};
  std::memset(out, 0, sizeof(*out));
  if (!Has(spec, "landlock")) return true;
  if (!spec.Get("landlock").IsObject()) return bad("landlock", "must be an object");
  Napi::Object l = spec.Get("landlock").As<Napi::Object>();
  Arena arena;
  static const std::pair<const char*, enum tsjail_landlock_class> classes[] = {
      {"ro", TSJAIL_LANDLOCK_RO}, {"rw", TSJAIL_LANDLOCK_RW}, {"rx", TSJAIL_LANDLOCK_RX}};
  for (const auto& cls : classes) {
    if (!Has(l, cls.first)) continue;
    std::string base = std::string("landlock.") + cls.first;
    if (!l.Get(cls.first).IsArray()) return bad(base, "must be an array of absolute paths");
    Napi::Array paths = l.Get(cls.first).As<Napi::Array>();
    for (uint32_t i = 0; i < paths.Length(); i++) {
      std::string field = Indexed(base.c_str(), i, nullptr), path;
      if (!paths.Get(i).IsString() ||
          !NormalizeAbsolute(paths.Get(i).As<Napi::String>().Utf8Value(), &path))
        return bad(field, "must be an absolute path without '..'");
      if (out->n_rules >= TSJAIL_LANDLOCK_RULES_MAX) return bad(base, "too many Landlock rules (at most 128)");
      struct tsjail_landlock_rule* r = &out->rules[out->n_rules++];
      r->cls = cls.second;
      arena.Add(&r->path, path);
    }
  }
  // ld.so must be able to read (and map) the preload library, or the jail fails closed at
  // step 'preload'. Mapping code needs READ_FILE only: Landlock's EXECUTE covers execve.
  std::string lib = PreloadLibrary(spec);
  for (unsigned i = 0; i < out->n_rules && !lib.empty(); i++) {
    // Rules point into the arena only after Pack(); compare with what was queued.
    if (arena.Queued(&out->rules[i].path) == lib) lib.clear();
  }
  if (!lib.empty()) {
    if (out->n_rules >= TSJAIL_LANDLOCK_RULES_MAX) return bad("landlock", "too many Landlock rules (at most 127)");
    struct tsjail_landlock_rule* r = &out->rules[out->n_rules++];
    r->cls = TSJAIL_LANDLOCK_RO;
    arena.Add(&r->path, lib);
  }
  out->enabled = 1;
  out->arena = arena.Pack();
  if (!out->arena) {
    std::memset(out, 0, sizeof(*out));
    return bad("landlock", "out of memory");
  }
  return true;
}

namespace {

// RLIMIT_* by name, for specs that did not go through the TS resolver.
struct RlimitName {
  const char* name;
  int resource;
};
const RlimitName kRlimitNames[] = {
    {"CPU", RLIMIT_CPU},         {"FSIZE", RLIMIT_FSIZE},     {"DATA", RLIMIT_DATA},
    {"STACK", RLIMIT_STACK},     {"CORE", RLIMIT_CORE},       {"RSS", RLIMIT_RSS},
    {"NPROC", RLIMIT_NPROC},     {"NOFILE", RLIMIT_NOFILE},   {"MEMLOCK", RLIMIT_MEMLOCK},
    {"AS", RLIMIT_AS},           {"LOCKS", RLIMIT_LOCKS},     {"SIGPENDING", RLIMIT_SIGPENDING},
    {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},     {"RTPRIO", RLIMIT_RTPRIO},
    {"RTTIME", RLIMIT_RTTIME},
};

bool RlimitValue(const Napi::Value& v, const std::string& field, uint64_t* out, const Bad& bad) {
  if (v.IsString() && v.As<Napi::String>().Utf8Value() == "unlimited") {
    *out = TSJAIL_RLIM_INFINITY;
    return true;
  }
  if (!v.IsNumber()) return bad(field, "must be a non-negative integer or 'unlimited'");
  return GetCount(v, field, out, bad);
}

}  // namespace

bool tsjail_rlimits_from_js(const Napi::Object& spec, struct tsjail_rlimits* out, std::string* error_field) {
  Bad bad{error_field};
  std::memset(out, 0, sizeof(*out));
  if (!Has(spec, "rlimits")) return true;
  if (!spec.Get("rlimits").IsArray()) return bad("rlimits", "must be an array");
  Napi::Array list = spec.Get("rlimits").As<Napi::Array>();
  if (list.Length() > TSJAIL_RLIMITS_MAX) return bad("rlimits", "has more than 32 entries");
  for (uint32_t i = 0; i < list.Length(); i++) {
    std::string field = Indexed("rlimits", i, nullptr);
    if (!list.Get(i).IsObject()) return bad(field, "must be an object");
    Napi::Object r = list.Get(i).As<Napi::Object>();
    struct tsjail_rlimit* it = &out->items[out->n];
    Napi::Value res = r.Get("resource");
    if (res.IsNumber()) {
      uint64_t n;
      if (!GetCount(res, field + ".resource", &n, bad)) return false;
      if (n >= RLIMIT_NLIMITS) return bad(field + ".resource", "is not a resource this kernel knows");
      it->resource = static_cast<int>(n);
    } else if (res.IsString()) {
      std::string name = res.As<Napi::String>().Utf8Value();
      if (name.rfind("RLIMIT_", 0) == 0) name = name.substr(7);
      it->resource = -1;
      for (const auto& rn : kRlimitNames)
        if (name == rn.name) it->resource = rn.resource;
      if (it->resource < 0) return bad(field + ".resource", "is not an RLIMIT_* name");
    } else {
      return bad(field + ".resource", "must be an RLIMIT_* name or number");
    }
    if (!RlimitValue(r.Get("soft"), field + ".soft", &it->soft, bad) ||
        !RlimitValue(r.Get("hard"), field + ".hard", &it->hard, bad))
      return false;
    if (it->soft != TSJAIL_RLIM_INFINITY && (it->hard != TSJAIL_RLIM_INFINITY && it->soft > it->hard))
      return bad(field + ".soft", "must not exceed hard");
    if (it->soft == TSJAIL_RLIM_INFINITY && it->hard != TSJAIL_RLIM_INFINITY)
      return bad(field + ".soft", "must not exceed hard");
    out->n++;
  }
  return true;
}

bool tsjail_cgroup_from_js(const Napi::Object& spec, struct tsjail_cgroup_limits* out, std::string* error_field) {
  Bad bad{error_field};
  std::memset(out, 0, sizeof(*out));
  if (!Has(spec, "cgroup")) return true;
  if (!spec.Get("cgroup").IsObject()) return bad("cgroup", "must be an object");
  Napi::Object c = spec.Get("cgroup").As<Napi::Object>();
  if (Has(c, "memory")) {
    if (!GetCount(c.Get("memory"), "cgroup.memory", &out->memory_bytes, bad)) return false;
    if (out->memory_bytes < 4096) return bad("cgroup.memory", "must be a byte count >= 4096");
    out->has_memory = 1;
  }
  if (Has(c, "pids")) {
    if (!GetCount(c.Get("pids"), "cgroup.pids", &out->pids, bad)) return false;
    if (out->pids < 1) return bad("cgroup.pids", "must be a positive integer");
    out->has_pids = 1;
  }
  if (Has(c, "cpu")) {
    if (!c.Get("cpu").IsNumber()) return bad("cgroup.cpu", "must be a positive fraction of CPUs");
    out->cpu = c.Get("cpu").As<Napi::Number>().DoubleValue();
    if (!(out->cpu > 0) || out->cpu > 1024) return bad("cgroup.cpu", "must be a positive fraction of CPUs");
    out->has_cpu = 1;
  }
  return true;
}
