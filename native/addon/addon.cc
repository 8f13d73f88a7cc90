// tsjail.node: spawn a jail, watch it, signal it. The JS spec becomes C structs here, in the
// parent, before clone (spec.cc); the child runs native/jail/ only. Errors from the setup
// steps come back as JailError (the class is handed over by ts/jail/native.ts).
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spec.h"

extern "C" {
#include "../preload/preload_state.h"
}

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SECCOMP_IOCTL_NOTIF_ID_VALID
#define SECCOMP_IOCTL_NOTIF_ID_VALID _IOW('!', 2, __u64)
#endif

namespace {

const char* const kStepNames[] = {
#define TSJAIL_STEP_NAME(e, name, side) name,
    TSJAIL_STEP_LIST(TSJAIL_STEP_NAME)
#undef TSJAIL_STEP_NAME
};

struct clone_args_v0 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

// A running jail, owned by the instance map until its exit has been delivered to JS.
struct Child {
  int id = 0;
  pid_t pid = -1;
  int pidfd = -1;
  int report_rd = -1;  // init's exit report, or -1
  int listener = -1;   // seccomp listener supervised by the waiter thread, or -1
  int violation_nr = -1;  // a violation already handled during the handshake
  struct tsjail_cgroup cgroup {};
  bool has_cgroup = false;
  Napi::ThreadSafeFunction tsfn;
};

struct ExitInfo {
  int code = -1, signal = 0, violation_nr = -1;
};

struct Instance {
  Napi::FunctionReference error_class;
  std::mutex mu;
  std::map<int, Child*> children;
  int next_id = 1;
};

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

Napi::Value ThrowJailError(Napi::Env env, const char* step, int err, const std::string& detail) {
  Instance* inst = env.GetInstanceData<Instance>();
  if (inst && !inst->error_class.IsEmpty()) {
    Napi::Object e = inst->error_class.New({Napi::String::New(env, step), Napi::Number::New(env, err),
                                           Napi::String::New(env, detail)});
    if (!env.IsExceptionPending()) Napi::Error(env, e).ThrowAsJavaScriptException();
  } else {
    Napi::Error::New(env, std::string("jail setup failed at step ") + step + ": " + strerror(err))
        .ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

int WriteFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text.data(), text.size());
  int err = n == (ssize_t)text.size() ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return err;
}

// The parent's part while the child waits: setgroups, uid_map, gid_map.
int WriteIdMaps(const JailPlan& p, pid_t pid, std::string* detail) {
  std::string base = "/proc/" + std::to_string(pid) + "/";
  // Unprivileged writers must deny setgroups before writing gid_map; root may allow it when
  // the spec sets supplementary groups.
  bool allow = p.groups_set && geteuid() == 0;
  int err = WriteFile(base + "setgroups", allow ? "allow" : "deny");
  if (err && err != ENOENT) { *detail = "setgroups"; return err; }
  std::string um, gm;
  for (auto& l : p.uid_map) um += l + "\n";
  for (auto& l : p.gid_map) gm += l + "\n";
  if ((err = WriteFile(base + "uid_map", um))) { *detail = "uid_map: " + um; return err; }
  if ((err = WriteFile(base + "gid_map", gm))) { *detail = "gid_map: " + gm; return err; }
  return 0;
}

bool PidfdExited(int pidfd) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

void KillAndReap(int pidfd) {
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  siginfo_t si;
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR) {
  }
}

long NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

// The waiter: one thread per jail blocks on the pidfd (and supervises the listener when there
// is no init), then posts the exit through the ThreadSafeFunction. A thread rather than an
// AsyncWorker because it may wait forever (node-pty's reason); never waitpid(-1).
void Wait(Child* c) {
  ExitInfo info;
  info.violation_nr = c->violation_nr;
  for (;;) {
    struct pollfd p[2] = {{c->pidfd, POLLIN, 0}, {c->listener, POLLIN, 0}};
    int n = poll(p, c->listener >= 0 ? 2 : 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (c->listener >= 0 && (p[1].revents & POLLIN)) {
      int nr = tsjail_handle_notification(c->listener);
      if (nr >= 0 && info.violation_nr < 0) info.violation_nr = nr;
    }
    if (c->listener >= 0 && (p[1].revents & (POLLHUP | POLLERR))) CloseFd(&c->listener);
    if (p[0].revents & POLLIN) break;
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  while (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0 && errno == EINTR) {
  }
  if (si.si_code == CLD_EXITED) info.code = si.si_status;
  else info.signal = si.si_status;
  if (c->report_rd >= 0) {
    struct tsjail_exit_report r;
    if (read(c->report_rd, &r, sizeof r) == (ssize_t)sizeof r) {
      info.code = r.code;
      info.signal = r.signal;
      if (r.violation_nr >= 0) info.violation_nr = r.violation_nr;
    }
  }
  CloseFd(&c->listener);
  CloseFd(&c->report_rd);
  if (c->has_cgroup) tsjail_cgroup_remove(&c->cgroup);
  auto* heap = new ExitInfo(info);
  c->tsfn.BlockingCall(heap, [](Napi::Env env, Napi::Function cb, ExitInfo* e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("code", e->code >= 0 ? Napi::Number::New(env, e->code) : env.Null());
    o.Set("signal", e->signal > 0 ? Napi::Number::New(env, e->signal) : env.Null());
    if (e->violation_nr >= 0) o.Set("violationNr", Napi::Number::New(env, e->violation_nr));
    delete e;
    cb.Call({o});
  });
  c->tsfn.Release();
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "Usage: setErrorClass(JailError)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  env.GetInstanceData<Instance>()->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value StepNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env, TSJAIL_STEP_COUNT);
  for (uint32_t i = 0; i < TSJAIL_STEP_COUNT; i++) a.Set(i, Napi::String::New(env, kStepNames[i]));
  return a;
}

Napi::Value ElfInterpreter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "Usage: elfInterpreter(path)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  char buf[4096];
  int rc = tsjail_elf_interp(info[0].As<Napi::String>().Utf8Value().c_str(), buf, sizeof buf);
  if (rc == 1) return Napi::String::New(env, buf);
  if (rc == 0) return Napi::String::New(env, "");
  if (rc == -2) return env.Null();
  return ThrowJailError(env, "prepare", -rc, "reading the program's ELF headers");
}

Napi::Value Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "Usage: kill(id, signal)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Instance* inst = env.GetInstanceData<Instance>();
  int id = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  std::lock_guard<std::mutex> lock(inst->mu);
  auto it = inst->children.find(id);
  if (it == inst->children.end()) return Napi::Boolean::New(env, false);
  // The pidfd stays open until the exit was delivered on this thread, so it cannot name a
  // recycled pid; after the reap this fails with ESRCH.
  bool ok = syscall(SYS_pidfd_send_signal, it->second->pidfd, sig, nullptr, 0) == 0;
  return Napi::Boolean::New(env, ok);
}

// Everything the spawn made, closed on every exit path.
struct Fds {
  int sync[2] = {-1, -1}, status[2] = {-1, -1}, report[2] = {-1, -1}, release[2] = {-1, -1};
  int state = -1, pidfd = -1, listener = -1;
  int stdio_child[3] = {-1, -1, -1}, stdio_parent[3] = {-1, -1, -1};
  ~Fds() {
    int* all[] = {&sync[0], &sync[1], &status[0], &status[1], &report[0], &report[1], &release[0],
                  &release[1], &state, &pidfd, &listener, &stdio_child[0], &stdio_child[1], &stdio_child[2],
                  &stdio_parent[0], &stdio_parent[1], &stdio_parent[2]};
    for (int* fd : all) CloseFd(fd);
  }
};

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance* inst = env.GetInstanceData<Instance>();
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsArray() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "Usage: spawn(spec, stdio[3], onExit)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto plan = std::make_unique<JailPlan>();
  std::string bad;
  if (!ReadPlan(info[0].As<Napi::Object>(), plan.get(), &bad)) {
    Napi::TypeError::New(env, "invalid jail spec: " + bad).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array stdio = info[1].As<Napi::Array>();
  tsjail_config& c = plan->cfg;
  Fds f;

  // ---- prepare: every fd the child needs, CLOEXEC in the parent ----
  auto prep_fail = [&](int err, const std::string& what) { return ThrowJailError(env, "prepare", err, what); };
  if (pipe2(f.sync, O_CLOEXEC) || pipe2(f.status, O_CLOEXEC)) return prep_fail(errno, "pipe2");
  if (c.with_init && pipe2(f.report, O_CLOEXEC)) return prep_fail(errno, "pipe2");
  if (plan->report && pipe2(f.release, O_CLOEXEC)) return prep_fail(errno, "pipe2");
  for (uint32_t i = 0; i < 3; i++) {
    int src = i < stdio.Length() && stdio.Get(i).IsNumber() ? stdio.Get(i).As<Napi::Number>().Int32Value() : -1;
    if (src >= 0) { c.stdio_src[i] = src; continue; }
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return prep_fail(errno, "pipe2");
    f.stdio_child[i] = i == 0 ? p[0] : p[1];
    f.stdio_parent[i] = i == 0 ? p[1] : p[0];
    c.stdio_src[i] = f.stdio_child[i];
  }
  c.sync_rd = f.sync[0];
  c.sync_wr = f.sync[1];
  c.status_wr = f.status[1];
  c.report_wr = f.report[1];
  c.release_rd = f.release[0];
  c.release_wr = c.with_init ? f.release[1] : -1;
  c.status_keep = plan->preload;
  c.state_fd = -1;
  if (!BuildFilters(plan.get(), f.status[1], f.release[0], &bad)) {
    Napi::TypeError::New(env, "invalid jail spec: " + bad).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (plan->preload) {
    if (access(plan->preload_library.c_str(), R_OK))
      return ThrowJailError(env, "preload", errno, plan->preload_library);
    f.state = memfd_create("tsjail-preload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f.state < 0) return prep_fail(errno, "memfd_create");
    struct tsjail_preload_header h = {TSJAIL_PRELOAD_MAGIC, 0, (uint32_t)plan->exact.size(), 0};
    if (plan->tsync) h.flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (plan->log) h.flags |= SECCOMP_FILTER_FLAG_LOG;
    size_t bytes = plan->exact.size() * sizeof(sock_filter);
    if (write(f.state, &h, sizeof h) != (ssize_t)sizeof h ||
        write(f.state, plan->exact.data(), bytes) != (ssize_t)bytes)
      return prep_fail(errno ? errno : EIO, "memfd write");
    fcntl(f.state, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    c.state_fd = f.state;
    // Append ourselves to the user's LD_PRELOAD (the preload removes only its own entry).
    std::string ld = "LD_PRELOAD=" + plan->preload_library;
    bool found = false;
    for (auto& e : plan->env_s) {
      if (e.rfind("LD_PRELOAD=", 0) == 0) { e = e + " " + plan->preload_library; found = true; }
    }
    if (!found) plan->env_s.push_back(ld);
    plan->env_s.push_back(std::string(TSJAIL_PRELOAD_ENV "=") + std::to_string(f.state) + "," +
                          std::to_string(f.status[1]));
  }
  // The fds the program holds until exec (sorted); the listener lands on the first gap.
  std::vector<int>& keep = plan->keep_fds;
  keep = {0, 1, 2, f.status[1]};
  for (int fd : plan->preserve_fds) keep.push_back(fd);
  if (f.release[0] >= 0) keep.push_back(f.release[0]);
  if (f.state >= 0) keep.push_back(f.state);
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  int lfd = 0;
  for (int fd : keep) { if (fd == lfd) lfd++; else if (fd > lfd) break; }
  c.listener_fd = lfd;
  c.keep_fds = keep.data();
  c.n_keep_fds = keep.size();
  c.preserve_fds = plan->preserve_fds.data();
  c.n_preserve_fds = plan->preserve_fds.size();

  for (auto& s : plan->argv_s) plan->argv.push_back(const_cast<char*>(s.c_str()));
  plan->argv.push_back(nullptr);
  for (auto& s : plan->env_s) plan->envp.push_back(const_cast<char*>(s.c_str()));
  plan->envp.push_back(nullptr);
  c.path = plan->path.c_str();
  c.argv = plan->argv.data();
  c.envp = plan->envp.data();
  c.cwd = plan->cwd.empty() ? nullptr : plan->cwd.c_str();
  c.hostname = plan->hostname.empty() ? nullptr : plan->hostname.c_str();
  c.groups = plan->groups.data();
  c.n_groups = plan->groups.size();
  c.set_groups = plan->groups_set;
  c.fs = &plan->fs;
  c.rlimits = &plan->rlimits;
  c.landlock = &plan->landlock;

  // ---- clone: all signals blocked so no handler of Node's runs in the child; clone3 because
  // clone(2) cannot carry CLONE_NEWTIME. No stack: the child runs on a copy of ours, like fork.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  struct clone_args_v0 ca;
  memset(&ca, 0, sizeof ca);
  int pidfd = -1;
  ca.flags = c.clone_flags | CLONE_PIDFD;
  ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
  ca.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  if (pid == 0) {
    tsjail_child_main(&plan->cfg);
    _exit(127);
  }
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return ThrowJailError(env, "clone", clone_err, "");
  f.pidfd = pidfd;

  // Child-only ends; the child has its copies.
  CloseFd(&f.sync[0]);
  CloseFd(&f.status[1]);
  CloseFd(&f.report[1]);
  CloseFd(&f.release[0]);
  CloseFd(&f.state);
  for (int i = 0; i < 3; i++) CloseFd(&f.stdio_child[i]);
  if (c.with_init) CloseFd(&f.release[1]);

  auto fail_after_clone = [&](const char* step, int err, const std::string& detail, struct tsjail_cgroup* cg) {
    KillAndReap(f.pidfd);
    if (cg) tsjail_cgroup_remove(cg);
    return ThrowJailError(env, step, err, detail);
  };

  // ---- parent's part while the child waits on the sync pipe ----
  std::string detail;
  if (plan->userns) {
    int err = WriteIdMaps(*plan, (pid_t)pid, &detail);
    if (err) return fail_after_clone("id-map", err, detail, nullptr);
  }
  auto child = std::make_unique<Child>();
  const tsjail_cgroup_limits& cl = plan->cgroup_limits;
  if (cl.has_memory || cl.has_pids || cl.has_cpu) {
    int err = tsjail_cgroup_create(&cl, &child->cgroup);
    if (!err) err = tsjail_cgroup_attach(&child->cgroup, (pid_t)pid);
    if (err) {
      std::string d = std::string(child->cgroup.step ? child->cgroup.step : "cgroup") + ": " + child->cgroup.detail;
      return fail_after_clone("cgroup", err, d, &child->cgroup);
    }
    child->has_cgroup = true;
  }
  struct tsjail_cgroup* cgp = child->has_cgroup ? &child->cgroup : nullptr;
  CloseFd(&f.sync[1]);  // release the child

  // Without an init we supervise the listener ourselves: take it once the child has installed
  // its filter (it waits on the release pipe until then).
  if (plan->report && !c.with_init) {
    int fd = -ETIMEDOUT;
    long deadline = NowMs() + 10000;
    while (NowMs() < deadline) {
      fd = (int)syscall(SYS_pidfd_getfd, f.pidfd, c.listener_fd, 0);
      if (fd >= 0) {
        uint64_t id = 0;
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT) break;
        close(fd);
        fd = -1;
      }
      // A record on the status pipe (or the child's death) means it will never install it.
      struct pollfd p = {f.status[0], POLLIN, 0};
      if (poll(&p, 1, 0) == 1 || PidfdExited(f.pidfd)) { fd = -1; break; }
      struct timespec nap = {0, 100000};
      nanosleep(&nap, nullptr);
    }
    if (fd >= 0) {
      f.listener = fd;
      CloseFd(&f.release[1]);
    } else if (fd == -ETIMEDOUT) {
      return fail_after_clone("seccomp", ETIMEDOUT, "the filter's listener never appeared", cgp);
    }
  }

  // ---- the status pipe: a record = that step failed; EOF = exec happened (exec mode), or
  // ACK then EOF = the preload installed the exact filter (preload mode). ----
  bool acked = false;
  int early_violation = -1;
  long deadline = NowMs() + plan->preload_timeout_ms;
  for (;;) {
    // Keep supervising the listener meanwhile: a program stopped by the gate before the
    // handshake must die now (and close the pipe), not wait for the timeout.
    struct pollfd p[2] = {{f.status[0], POLLIN, 0}, {f.listener, POLLIN, 0}};
    int timeout = plan->preload ? (int)std::max(0L, deadline - NowMs()) : -1;
    int n = poll(p, f.listener >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return fail_after_clone("preload", ETIMEDOUT, "no acknowledgement from the preload library", cgp);
    if (f.listener >= 0 && (p[1].revents & POLLIN)) {
      int nr = tsjail_handle_notification(f.listener);
      if (nr >= 0 && early_violation < 0) early_violation = nr;
    }
    if (!(p[0].revents & (POLLIN | POLLHUP))) continue;
    struct tsjail_record r;
    ssize_t got = read(f.status[0], &r, sizeof r);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) break;
    if (got != (ssize_t)sizeof r) return fail_after_clone("prepare", EIO, "short status record", cgp);
    if (r.step == TSJAIL_RECORD_PRELOAD_ACK) { acked = true; continue; }
    const char* step = r.step >= 0 && r.step < TSJAIL_STEP_COUNT ? kStepNames[r.step] : "exec";
    std::string d;
    if (r.phase) d = std::string(tsjail_fs_phase_name((enum tsjail_fs_phase)r.phase));
    if (r.index >= 0) d += (d.empty() ? "" : " ") + std::string("#") + std::to_string(r.index);
    return fail_after_clone(step, r.err, d, cgp);
  }
  if (plan->preload && !acked && early_violation >= 0)
    // The gate stopped a call made before main: the loader's are allowed, so this is a library
    // constructor (or the loader doing something unusual) that the policy does not allow.
    return fail_after_clone("preload", EACCES, "syscall " + std::to_string(early_violation) + " was made before main and the policy denies it", cgp);
  if (plan->preload && !acked)
    return fail_after_clone("preload", ENOEXEC, "the program started without running the preload library", cgp);

  // ---- running: hand the child to a waiter thread ----
  Child* ch = child.release();
  ch->pid = (pid_t)pid;
  ch->pidfd = f.pidfd;
  f.pidfd = -1;
  ch->report_rd = f.report[0];
  f.report[0] = -1;
  ch->listener = f.listener;
  f.listener = -1;
  ch->violation_nr = early_violation;
  {
    std::lock_guard<std::mutex> lock(inst->mu);
    ch->id = inst->next_id++;
    inst->children[ch->id] = ch;
  }
  Napi::Function on_exit = info[2].As<Napi::Function>();
  ch->tsfn = Napi::ThreadSafeFunction::New(
      env, on_exit, "tsjail-exit", 0, 1, ch, [inst](Napi::Env, Child* done) {
        {
          std::lock_guard<std::mutex> lock(inst->mu);
          inst->children.erase(done->id);
        }
        CloseFd(&done->pidfd);
        delete done;
      });
  std::thread(Wait, ch).detach();

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, (double)pid));
  out.Set("id", Napi::Number::New(env, ch->id));
  Napi::Array fds = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; i++) {
    if (f.stdio_parent[i] >= 0) {
      fds.Set(i, Napi::Number::New(env, f.stdio_parent[i]));
      f.stdio_parent[i] = -1;  // now owned by JS (net.Socket)
    } else {
      fds.Set(i, env.Null());
    }
  }
  out.Set("stdio", fds);
  return out;
}

// Worker threads and process exit: do not leave jails running behind a dead environment.
void Cleanup(void* arg) {
  Instance* inst = static_cast<Instance*>(arg);
  std::lock_guard<std::mutex> lock(inst->mu);
  for (auto& kv : inst->children) syscall(SYS_pidfd_send_signal, kv.second->pidfd, SIGKILL, nullptr, 0);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* inst = new Instance();
  env.SetInstanceData<Instance>(inst);
  napi_add_env_cleanup_hook(env, Cleanup, inst);
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("kill", Napi::Function::New(env, Kill));
  exports.Set("stepNames", Napi::Function::New(env, StepNames));
  exports.Set("elfInterpreter", Napi::Function::New(env, ElfInterpreter));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsjail, Init)
