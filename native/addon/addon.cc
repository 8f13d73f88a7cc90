// tsjail.node: spawn a jail, watch it, signal it. The JS spec becomes C structs here, in the
// parent, before clone (spec.cc); the launch and the wait are native/parent/launch.c (shared with
// tsjail-exec), the child runs native/child/ only. Errors from the setup steps come back as
// JailError (the class is handed over by ts/jail/native.ts).
#include <napi.h>

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spec.h"

extern "C" {
#include "../parent/elf.h"
#include "../parent/launch.h"
}

namespace {

// A running jail, listed in the instance map until its exit has been delivered to JS. Who
// frees it: the exit callback's finalizer, once the waiter thread is done with it; or the
// waiter itself, when the environment went away first (a worker exits while the jail runs:
// the finalizer then runs at teardown, kills the jail so the wait ends, and leaves the Child
// to the waiter, which may still be inside tsjail_jail_wait).
struct Child {
  int id = 0;
  struct tsjail_jail jail {};  // native/parent/launch.h: pidfd, listener, report fd, cgroup
  Napi::ThreadSafeFunction tsfn;
  std::mutex mu;               // guards the two flags below
  bool waiter_done = false;    // the waiter no longer touches this Child
  bool orphaned = false;       // the finalizer ran first: the waiter frees this Child
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

// The waiter: one thread per jail blocks on the pidfd (and supervises the listener when there
// is no init), then posts the exit through the ThreadSafeFunction. A thread rather than an
// AsyncWorker because it may wait forever (node-pty's reason); never waitpid(-1).
void Wait(Child* c) {
  struct tsjail_exit ex;
  tsjail_jail_wait(&c->jail, -1, -1, &ex);
  ExitInfo info;
  info.code = ex.code;
  info.signal = ex.signal;
  info.violation_nr = ex.violation_nr;
  // c->mu is held across the call: once the finalizer has run, the ThreadSafeFunction is gone
  // (Node frees it at teardown even while threads hold it), so it must not be called then.
  std::unique_lock<std::mutex> lock(c->mu);
  if (!c->orphaned) {
    auto* heap = new ExitInfo(info);
    napi_status posted = c->tsfn.BlockingCall(heap, [](Napi::Env env, Napi::Function cb, ExitInfo* e) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("code", e->code >= 0 ? Napi::Number::New(env, e->code) : env.Null());
      o.Set("signal", e->signal > 0 ? Napi::Number::New(env, e->signal) : env.Null());
      if (e->violation_nr >= 0) o.Set("violationNr", Napi::Number::New(env, e->violation_nr));
      delete e;
      cb.Call({o});
    });
    if (posted != napi_ok) delete heap;  // closing: nobody will run the callback
    c->tsfn.Release();
  }
  c->waiter_done = true;
  bool orphaned = c->orphaned;
  lock.unlock();
  // Not orphaned: the finalizer frees c from here on; do not touch it.
  if (orphaned) {
    tsjail_jail_close(&c->jail);
    delete c;
  }
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
  for (uint32_t i = 0; i < TSJAIL_STEP_COUNT; i++) a.Set(i, Napi::String::New(env, tsjail_step_name((int)i)));
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
  bool ok = syscall(SYS_pidfd_send_signal, it->second->jail.pidfd, sig, nullptr, 0) == 0;
  return Napi::Boolean::New(env, ok);
}

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

  // The plan -> the input of native/parent/launch.c, which runs the launch (pipes, filters,
  // preload state, clone3, id maps, cgroup, handshake): the same code as tsjail-exec.
  struct tsjail_launch_spec ls;
  std::memset(&ls, 0, sizeof ls);
  for (uint32_t i = 0; i < 3; i++)
    ls.stdio[i] = i < stdio.Length() && stdio.Get(i).IsNumber() ? stdio.Get(i).As<Napi::Number>().Int32Value() : -1;
  std::string uid_map, gid_map;
  for (auto& l : plan->uid_map) uid_map += l + "\n";
  for (auto& l : plan->gid_map) gid_map += l + "\n";
  ls.cfg = &c;
  ls.userns = plan->userns;
  ls.groups_set = plan->groups_set;
  ls.uid_map = uid_map.c_str();
  ls.gid_map = gid_map.c_str();
  if (plan->seccomp) {
    ls.policy = plan->policy.data();
    ls.n_policy = plan->policy.size();
  }
  ls.preload = plan->preload;
  ls.report = plan->report;
  ls.tsync = plan->tsync;
  ls.log = plan->log;
  ls.gate_allow = plan->gate_allow.data();
  ls.n_gate_allow = plan->gate_allow.size();
  ls.preload_library = plan->preload_library.c_str();
  ls.preload_timeout_ms = plan->preload_timeout_ms;
  ls.cgroup_limits = &plan->cgroup_limits;

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

  auto child = std::make_unique<Child>();
  auto err = std::make_unique<struct tsjail_launch_error>();
  if (tsjail_launch(&ls, &child->jail, err.get())) {
    if (err->invalid_spec) {
      Napi::TypeError::New(env, std::string("invalid jail spec: ") + err->detail).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return ThrowJailError(env, tsjail_step_name(err->step), err->err, err->detail);
  }

  // ---- running: hand the child to a waiter thread ----
  Child* ch = child.release();
  pid_t pid = ch->jail.pid;
  Napi::Array fds = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; i++) {
    if (ch->jail.stdio_parent[i] >= 0) {
      fds.Set(i, Napi::Number::New(env, ch->jail.stdio_parent[i]));
      ch->jail.stdio_parent[i] = -1;  // now owned by JS (net.Socket)
    } else {
      fds.Set(i, env.Null());
    }
  }
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
        {
          std::lock_guard<std::mutex> lock(done->mu);
          if (!done->waiter_done) {
            // Teardown while the jail runs: end it (the waiter's wait returns), leave the rest
            // to the waiter. The pidfd is still open: it cannot name a recycled pid.
            done->orphaned = true;
            syscall(SYS_pidfd_send_signal, done->jail.pidfd, SIGKILL, nullptr, 0);
            return;
          }
        }
        tsjail_jail_close(&done->jail);
        delete done;
      });
  std::thread(Wait, ch).detach();

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, (double)pid));
  out.Set("id", Napi::Number::New(env, ch->id));
  out.Set("stdio", fds);
  return out;
}

// Worker threads and process exit: do not leave jails running behind a dead environment.
void Cleanup(void* arg) {
  Instance* inst = static_cast<Instance*>(arg);
  std::lock_guard<std::mutex> lock(inst->mu);
  for (auto& kv : inst->children) syscall(SYS_pidfd_send_signal, kv.second->jail.pidfd, SIGKILL, nullptr, 0);
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
