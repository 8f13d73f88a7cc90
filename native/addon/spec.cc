// JailSpec -> JailPlan. See spec.h. The TS layer validated the spec already (validate.ts);
// this re-checks the shape so a direct caller of the addon gets a TypeError naming the
// field instead of a half-built jail.
#include "spec.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <sys/syscall.h>

#include <cmath>
#include <cstring>

#include "fs_spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

JailPlan::~JailPlan() {
  tsjail_fs_release(&fs);
  tsjail_landlock_release(&landlock);
}

namespace {

// An integer within [lo, hi] (|lo|, |hi| < 2^53). Checked before any cast: converting NaN or a
// double outside int64_t's range to an integer is undefined behaviour.
bool InRange(double d, int64_t lo, int64_t hi) {
  return d >= (double)lo && d <= (double)hi && std::trunc(d) == d;
}

struct Reader {
  const Napi::Object& o;
  std::string* error;

  bool Bad(const std::string& field, const char* reason) {
    *error = field + ": " + reason;
    return false;
  }
  bool Has(const char* k) { return o.Has(k) && !o.Get(k).IsUndefined() && !o.Get(k).IsNull(); }
  bool Str(const char* k, std::string* out, bool required) {
    if (!Has(k)) return required ? Bad(k, "is required") : true;
    Napi::Value v = o.Get(k);
    if (!v.IsString()) return Bad(k, "must be a string");
    *out = v.As<Napi::String>().Utf8Value();
    if (out->find('\0') != std::string::npos) return Bad(k, "must not contain NUL");
    return true;
  }
  bool StrList(const char* k, std::vector<std::string>* out) {
    if (!Has(k) || !o.Get(k).IsArray()) return Bad(k, "must be an array of strings");
    Napi::Array a = o.Get(k).As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsString()) return Bad(std::string(k) + "[" + std::to_string(i) + "]", "must be a string");
      out->push_back(v.As<Napi::String>().Utf8Value());
    }
    return true;
  }
  bool Bool(const char* k, bool* out) {
    if (!Has(k)) return true;
    Napi::Value v = o.Get(k);
    if (!v.IsBoolean()) return Bad(k, "must be a boolean");
    *out = v.As<Napi::Boolean>().Value();
    return true;
  }
  bool Int(const char* k, int64_t lo, int64_t hi, int64_t* out, bool* present) {
    *present = Has(k);
    if (!*present) return true;
    Napi::Value v = o.Get(k);
    if (!v.IsNumber()) return Bad(k, "must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!InRange(d, lo, hi)) return Bad(k, "is out of range");
    *out = (int64_t)d;
    return true;
  }
  bool IntList(const char* k, int64_t lo, int64_t hi, std::vector<int64_t>* out) {
    if (!Has(k)) return true;
    if (!o.Get(k).IsArray()) return Bad(k, "must be an array of integers");
    Napi::Array a = o.Get(k).As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsNumber() || !InRange(v.As<Napi::Number>().DoubleValue(), lo, hi))
        return Bad(std::string(k) + "[" + std::to_string(i) + "]", "must be an integer in range");
      double d = v.As<Napi::Number>().DoubleValue();
      out->push_back((int64_t)d);
    }
    return true;
  }
  bool Bytes(const char* k, std::vector<uint8_t>* out) {
    Napi::Value v = o.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      return Bad(k, "must be a Uint8Array");
    Napi::Uint8Array a = v.As<Napi::Uint8Array>();
    out->assign(a.Data(), a.Data() + a.ByteLength());
    return true;
  }
  bool Maps(const char* k, std::vector<std::string>* out) {
    if (!Has(k)) return true;
    if (!o.Get(k).IsArray()) return Bad(k, "must be an array");
    Napi::Array a = o.Get(k).As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      std::string f = std::string(k) + "[" + std::to_string(i) + "]";
      if (!a.Get(i).IsObject()) return Bad(f, "must be {inside, outside, count}");
      Reader r{a.Get(i).As<Napi::Object>(), error};
      int64_t in = 0, outv = 0, count = 0;
      bool p1, p2, p3;
      if (!r.Int("inside", 0, 0xfffffffe, &in, &p1) || !r.Int("outside", 0, 0xfffffffe, &outv, &p2) ||
          !r.Int("count", 1, 0xffffffff, &count, &p3))
        return Bad(f + "." + error->substr(0, error->find(':')), "must be an id (count >= 1)");
      if (!p1 || !p2 || !p3) return Bad(f, "needs inside, outside and count");
      out->push_back(std::to_string(in) + " " + std::to_string(outv) + " " + std::to_string(count));
    }
    return true;
  }
};

}  // namespace

bool ReadPlan(const Napi::Object& spec, JailPlan* p, std::string* error) {
  Reader r{spec, error};
  tsjail_config& c = p->cfg;
  if (!r.Str("path", &p->path, true) || !r.StrList("argv", &p->argv_s) || !r.StrList("env", &p->env_s))
    return false;
  if (p->argv_s.empty()) return r.Bad("argv", "must name at least argv[0]");
  if (!r.Str("cwd", &p->cwd, false) || !r.Str("hostname", &p->hostname, false)) return false;

  if (!spec.Get("namespaces").IsObject()) return r.Bad("namespaces", "must be an object");
  Reader ns{spec.Get("namespaces").As<Napi::Object>(), error};
  struct { const char* name; unsigned long flag; } kinds[] = {
      {"user", CLONE_NEWUSER}, {"pid", CLONE_NEWPID}, {"mount", CLONE_NEWNS}, {"net", CLONE_NEWNET},
      {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
  for (auto& k : kinds) {
    bool on = false;
    if (!ns.Bool(k.name, &on)) return r.Bad(std::string("namespaces.") + k.name, "must be a boolean");
    if (on) c.clone_flags |= k.flag;
  }
  p->userns = (c.clone_flags & CLONE_NEWUSER) != 0;
  bool as_init = false;
  if (!r.Bool("programAsInit", &as_init)) return false;
  c.with_init = (c.clone_flags & CLONE_NEWPID) && !as_init;
  c.loopback = (c.clone_flags & CLONE_NEWNET) != 0;
  if (!p->hostname.empty() && !(c.clone_flags & CLONE_NEWUTS)) return r.Bad("hostname", "needs namespaces.uts");

  int64_t v;
  bool present;
  if (!r.Int("uid", 0, 0xfffffffe, &v, &present)) return false;
  if (present) { c.set_uid = 1; c.uid = (uid_t)v; }
  if (!r.Int("gid", 0, 0xfffffffe, &v, &present)) return false;
  if (present) { c.set_gid = 1; c.gid = (gid_t)v; }
  if (r.Has("groups")) {
    std::vector<int64_t> g;
    if (!r.IntList("groups", 0, 0xfffffffe, &g)) return false;
    for (auto x : g) p->groups.push_back((gid_t)x);
    p->groups_set = true;
  }
  if (!r.Maps("uidMap", &p->uid_map) || !r.Maps("gidMap", &p->gid_map)) return false;
  if ((!p->uid_map.empty() || !p->gid_map.empty()) && !p->userns) return r.Bad("uidMap", "needs namespaces.user");

  if (r.Has("caps")) {
    if (!spec.Get("caps").IsObject()) return r.Bad("caps", "must be an object");
    Napi::Object caps = spec.Get("caps").As<Napi::Object>();
    bool lossless = true;
    if (!caps.Get("keep").IsBigInt()) return r.Bad("caps.keep", "must be a bigint");
    if (!caps.Get("bounding").IsBigInt()) return r.Bad("caps.bounding", "must be a bigint");
    c.caps_keep = caps.Get("keep").As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) return r.Bad("caps.keep", "must be a 64-bit capability mask");
    c.caps_bounding = caps.Get("bounding").As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) return r.Bad("caps.bounding", "must be a 64-bit capability mask");
    c.caps_ambient = caps.Get("ambient").ToBoolean().Value();
    Reader cr{caps, error};
    int64_t bits = -1;
    bool has_bits = false;
    if (!cr.Int("securebits", 0, 0xff, &bits, &has_bits)) return r.Bad("caps.securebits", "must be 0-255");
    c.securebits = has_bits ? (int)bits : -1;
    c.caps_set = 1;
  }
  bool nnp = false;
  if (!r.Bool("noNewPrivs", &nnp)) return false;
  c.no_new_privs = nnp;

  if (r.Has("seccomp")) {
    std::vector<uint8_t> bytes;
    if (!r.Bytes("seccomp", &bytes)) return false;
    if (bytes.empty() || bytes.size() % 8 || bytes.size() / 8 > BPF_MAXINSNS)
      return r.Bad("seccomp", "must be 1-4096 sock_filter records (a multiple of 8 bytes)");
    p->policy.resize(bytes.size() / 8);
    std::memcpy(p->policy.data(), bytes.data(), bytes.size());
    p->seccomp = true;
    std::string mode;
    if (!r.Str("seccompMode", &mode, true)) return false;
    if (mode != "exec" && mode != "preload") return r.Bad("seccompMode", "must be 'exec' or 'preload'");
    p->preload = mode == "preload";
    if (!r.Bool("seccompTsync", &p->tsync) || !r.Bool("seccompLog", &p->log) ||
        !r.Bool("reportViolations", &p->report))
      return false;
    if (p->preload) {
      std::vector<uint8_t> gate;
      if (!r.Bytes("seccompGate", &gate)) return false;
      if (gate.size() % 4 || gate.size() / 4 > 250) return r.Bad("seccompGate", "must be up to 250 uint32 syscall numbers");
      p->gate_allow.resize(gate.size() / 4);
      std::memcpy(p->gate_allow.data(), gate.data(), gate.size());
      if (!r.Str("preloadLibrary", &p->preload_library, true)) return false;
      if (!r.Int("preloadTimeoutMs", 1, 600000, &v, &present)) return false;
      if (present) p->preload_timeout_ms = (int)v;
    }
  }
  std::vector<int64_t> pres;
  if (!r.IntList("preserveFds", 3, 65535, &pres)) return false;
  for (auto fd : pres) p->preserve_fds.push_back((int)fd);

  if (!tsjail_fs_from_js(spec, &p->fs, error) || !tsjail_landlock_from_js(spec, &p->landlock, error) ||
      !tsjail_rlimits_from_js(spec, &p->rlimits, error) || !tsjail_cgroup_from_js(spec, &p->cgroup_limits, error))
    return false;
  p->fs.in_new_mount_ns = (c.clone_flags & CLONE_NEWNS) != 0;
  return true;
}
