// tsjail.node: spawn a jail, watch it, signal it. A jail arrives as jail-file bytes (written by
// ts/jail/jailfile.ts, the only converter from a JailSpec) and is decoded by the same reader as
// tsjail-exec's (native/parent/jailfile.c); the launch, the supervisor and the wait are
// native/parent/ (shared with tsjail-exec), the child runs native/child/ only. Errors from the
// setup steps come back as JailError (the class is handed over by ts/jail/native.ts).
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern "C" {
#include "../common/signals.h"
#include "../parent/bpf_eval.h"
#include "../parent/dump.h"
#include "../parent/filter.h"
#include "../parent/jailfile.h"
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
  struct tsjail_jail jail {};  // native/parent/launch.h: pidfd, supervisor, report fd, cgroup (never moved)
  // The pidfd the main thread signals through (kill, teardown): a copy of jail.pidfd, open as
  // long as this Child, because a failed launch closes jail.pidfd on the waiter thread.
  int kill_fd = -1;
  long deadline_ms = -1;       // the time limit, from the jail file
  // start(): the launch between clone and release, which the waiter finishes; the decoded spec
  // it reads until then; and why it failed. tagged: events go to onEvent(kind, payload).
  struct tsjail_spec spec {};
  bool has_spec = false;
  struct tsjail_pending* pending = nullptr;
  struct tsjail_launch_error error {};
  bool tagged = false;
  Napi::ThreadSafeFunction tsfn;
  std::mutex mu;               // guards the two flags below
  bool waiter_done = false;    // the waiter no longer touches this Child
  bool orphaned = false;       // the finalizer ran first: the waiter frees this Child

  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (kill_fd >= 0) close(kill_fd);
    if (has_spec) tsjail_spec_free(&spec);
  }
};

struct ExitInfo {
  int code = -1, signal = 0, violation_nr = -1;
  const char* reason = "exit";
  struct seccomp_data violation {};
  uint32_t violation_ret = 0;
  bool permissive = false;                     // run --log / learn: would_deny is the record
  std::vector<struct tsjail_would_deny> would_deny;
  uint64_t would_deny_dropped = 0;
};

// The raw facts of a violation, for the TS layer to name and explain (ts/policy/explain.ts):
// {nr, arch: AUDIT_ARCH_*, ip: bigint, args: bigint[6], ret: the policy's SECCOMP_RET_*}.
Napi::Object ViolationObject(Napi::Env env, const struct seccomp_data& d, uint32_t ret) {
  Napi::Object v = Napi::Object::New(env);
  v.Set("nr", Napi::Number::New(env, d.nr));
  v.Set("arch", Napi::Number::New(env, d.arch));
  v.Set("ip", Napi::BigInt::New(env, (uint64_t)d.instruction_pointer));
  Napi::Array args = Napi::Array::New(env, 6);
  for (uint32_t i = 0; i < 6; i++) args.Set(i, Napi::BigInt::New(env, (uint64_t)d.args[i]));
  v.Set("args", args);
  v.Set("ret", Napi::Number::New(env, ret));
  return v;
}

struct Instance {
  Napi::FunctionReference error_class;
  std::mutex mu;
  std::map<int, Child*> children;
  int next_id = 1;
};

// A JailError for {step, errno, detail} (the class ts/jail/native.ts handed over), or a plain
// Error naming the step when there is none; empty with an exception pending if making it threw.
Napi::Value MakeJailError(Napi::Env env, const char* step, int err, const std::string& detail,
                          const struct tsjail_launch_error* launch = nullptr) {
  Instance* inst = env.GetInstanceData<Instance>();
  if (inst && !inst->error_class.IsEmpty()) {
    Napi::Object e = inst->error_class.New({Napi::String::New(env, step), Napi::Number::New(env, err),
                                           Napi::String::New(env, detail)});
    if (launch && launch->has_violation && !env.IsExceptionPending())
      e.Set("rawViolation", ViolationObject(env, launch->violation, launch->violation_ret));
    return env.IsExceptionPending() ? Napi::Value() : Napi::Value(e);
  }
  return Napi::Error::New(env, std::string("jail setup failed at step ") + step + ": " + strerror(err)).Value();
}

Napi::Value ThrowJailError(Napi::Env env, const char* step, int err, const std::string& detail,
                           const struct tsjail_launch_error* launch = nullptr) {
  Napi::Value e = MakeJailError(env, step, err, detail, launch);
  if (!env.IsExceptionPending()) Napi::Error(env, e).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value LaunchError(Napi::Env env, const struct tsjail_launch_error& err) {
  return MakeJailError(env, tsjail_step_name(err.step), err.err, err.detail, &err);
}

// The waiter: one thread per jail runs the supervisor's loop until the jail exits (seccomp
// notifications, the time limit), then posts the exit through the ThreadSafeFunction. A thread
// rather than an AsyncWorker because it may wait forever (node-pty's reason); never
// waitpid(-1).
Napi::Object ExitObject(Napi::Env env, const ExitInfo* e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("code", e->code >= 0 ? Napi::Number::New(env, e->code) : env.Null());
  o.Set("signal", e->signal > 0 ? Napi::Number::New(env, e->signal) : env.Null());
  if (e->violation_nr >= 0) {
    o.Set("violationNr", Napi::Number::New(env, e->violation_nr));
    o.Set("violation", ViolationObject(env, e->violation, e->violation_ret));
  }
  o.Set("reason", Napi::String::New(env, e->reason));
  if (e->permissive) {
    Napi::Array wd = Napi::Array::New(env, e->would_deny.size());
    for (size_t i = 0; i < e->would_deny.size(); i++) {
      Napi::Object v = ViolationObject(env, e->would_deny[i].first, e->would_deny[i].ret);
      v.Set("count", Napi::Number::New(env, (double)e->would_deny[i].count));
      wd.Set((uint32_t)i, v);
    }
    o.Set("wouldDeny", wd);
    o.Set("wouldDenyDropped", Napi::Number::New(env, (double)e->would_deny_dropped));
  }
  return o;
}

// The waiter is done with c: release the ThreadSafeFunction (its finalizer frees c) or, when
// the finalizer already ran (teardown), free c here. Called with c->mu held; unlocks it.
void WaiterDone(Child* c, std::unique_lock<std::mutex>& lock) {
  if (!c->orphaned) c->tsfn.Release();
  c->waiter_done = true;
  bool orphaned = c->orphaned;
  lock.unlock();
  // Not orphaned: the finalizer frees c from here on; do not touch it.
  if (orphaned) {
    tsjail_jail_close(&c->jail);
    delete c;
  }
}

void Wait(Child* c) {
  struct tsjail_exit ex;
  tsjail_jail_wait(&c->jail, c->deadline_ms, -1, &ex);
  ExitInfo info;
  info.code = ex.code;
  info.signal = ex.signal;
  info.violation_nr = ex.violation_nr;
  info.violation = ex.violation;
  info.violation_ret = ex.violation_ret;
  info.permissive = c->jail.decider.permissive != 0;
  const struct tsjail_violations& vs = c->jail.violations;
  info.would_deny.assign(vs.log, vs.log + vs.n_log);
  info.would_deny_dropped = vs.log_dropped;
  info.reason = tsjail_exit_reason_name(ex.reason);
  // c->mu is held across the call: once the finalizer has run, the ThreadSafeFunction is gone
  // (Node frees it at teardown even while threads hold it), so it must not be called then.
  std::unique_lock<std::mutex> lock(c->mu);
  if (!c->orphaned) {
    auto* heap = new ExitInfo(info);
    bool tagged = c->tagged;
    napi_status posted = c->tsfn.BlockingCall(heap, [tagged](Napi::Env env, Napi::Function cb, ExitInfo* e) {
      Napi::Object o = ExitObject(env, e);
      delete e;
      if (tagged) cb.Call({Napi::String::New(env, "exit"), o});
      else cb.Call({o});
    });
    if (posted != napi_ok) delete heap;  // closing: nobody will run the callback
  }
  WaiterDone(c, lock);
}

// What start() tells JS once the launch is finished: the running jail, or why it failed.
struct Started {
  bool ok = false;
  int id = 0;
  pid_t pid = -1;
  int stdio[3] = {-1, -1, -1};  // owned here until JS has them
  struct tsjail_launch_error error {};
  ~Started() {
    for (int fd : stdio)
      if (fd >= 0) close(fd);
  }
};

// start()'s waiter: finish the launch (id maps, cgroup, release, handshake, pid file) off Node's
// thread, tell JS, then wait for the exit as Wait does. The program runs only if the finish
// succeeded; a failure has killed and reaped the child (launch.h).
void FinishAndWait(Child* c) {
  int rc = tsjail_start_finish(c->pending);
  c->pending = nullptr;
  if (!rc) c->deadline_ms = tsjail_deadline_ms(&c->spec);
  tsjail_spec_free(&c->spec);
  c->has_spec = false;
  auto started = std::make_unique<Started>();
  started->ok = rc == 0;
  started->id = c->id;
  started->pid = c->jail.pid;
  if (rc) started->error = c->error;
  else
    for (int i = 0; i < 3; i++) {
      started->stdio[i] = c->jail.stdio_parent[i];
      c->jail.stdio_parent[i] = -1;
    }
  std::unique_lock<std::mutex> lock(c->mu);
  if (!c->orphaned) {
    Started* heap = started.release();
    napi_status posted = c->tsfn.BlockingCall(heap, [](Napi::Env env, Napi::Function cb, Started* s) {
      std::unique_ptr<Started> own(s);
      if (!s->ok) {
        Napi::Value e = LaunchError(env, s->error);
        if (!env.IsExceptionPending()) cb.Call({Napi::String::New(env, "failed"), e});
        return;
      }
      Napi::Object o = Napi::Object::New(env);
      o.Set("pid", Napi::Number::New(env, (double)s->pid));
      o.Set("id", Napi::Number::New(env, s->id));
      Napi::Array fds = Napi::Array::New(env, 3);
      for (uint32_t i = 0; i < 3; i++) {
        fds.Set(i, s->stdio[i] >= 0 ? Napi::Number::New(env, s->stdio[i]) : env.Null());
        s->stdio[i] = -1;  // now owned by JS (net.Socket)
      }
      o.Set("stdio", fds);
      cb.Call({Napi::String::New(env, "ready"), o});
    });
    if (posted != napi_ok) delete heap;  // closing: nobody will run the callback
  }
  if (rc) {
    WaiterDone(c, lock);
    return;
  }
  lock.unlock();
  Wait(c);
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

// The bytes of a Uint8Array argument, or nullptr after throwing a TypeError.
const uint8_t* BytesOf(const Napi::Value& v, size_t* len) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return nullptr;
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  *len = a.ByteLength();
  return a.Data();
}

// A jail file decoded, or false after throwing a TypeError with the reader's one line.
bool Decode(Napi::Env env, const Napi::Value& v, struct tsjail_spec* spec) {
  size_t len = 0;
  const uint8_t* bytes = BytesOf(v, &len);
  if (!bytes) {
    Napi::TypeError::New(env, "a jail file must be a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  char msg[512];
  if (tsjail_spec_parse(bytes, len, spec, msg, sizeof msg) != TSJAIL_JF_OK) {
    Napi::TypeError::New(env, std::string("invalid jail: ") + msg).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// dumpJailFile(bytes): what the addon would launch, as tsjail-exec --dump prints it.
Napi::Value DumpJailFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct tsjail_spec spec;
  if (info.Length() < 1 || !Decode(env, info[0], &spec)) return env.Undefined();
  char* text = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&text, &size);
  if (f) {
    tsjail_spec_dump(f, &spec);
    fclose(f);
  }
  tsjail_spec_free(&spec);
  if (!f || !text) {
    free(text);
    Napi::Error::New(env, "dumpJailFile: out of memory").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::String out = Napi::String::New(env, text, size);
  free(text);
  return out;
}

// forwardedSignals(): the signal numbers tsjail-exec and the init pass on (common/signals.h).
Napi::Value ForwardedSignals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env, TSJAIL_N_FORWARDED_SIGNALS);
  for (uint32_t i = 0; i < TSJAIL_N_FORWARDED_SIGNALS; i++) a.Set(i, Napi::Number::New(env, tsjail_forwarded_signals[i]));
  return a;
}

// A checked copy of a seccomp program argument (a Uint8Array), or false after throwing a
// TypeError naming why the kernel would refuse it.
bool ProgramArg(Napi::Env env, const Napi::Value& v, std::vector<sock_filter>* insns) {
  size_t plen = 0;
  const uint8_t* prog = BytesOf(v, &plen);
  if (!prog) {
    Napi::TypeError::New(env, "not a seccomp program: a Uint8Array expected").ThrowAsJavaScriptException();
    return false;
  }
  if (plen % 8) {
    Napi::TypeError::New(env, "not a seccomp program: its length is not a multiple of 8").ThrowAsJavaScriptException();
    return false;
  }
  insns->resize(plen / 8);
  if (plen) std::memcpy(insns->data(), prog, plen);
  if (const char* why = tsjail_bpf_check(insns->data(), insns->size())) {
    Napi::TypeError::New(env, std::string("not a seccomp program: ") + why).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// evaluateFilter(bpf, seccompData): the SECCOMP_RET_* value the supervisor's interpreter
// (native/parent/bpf_eval.c) gets for 64 bytes of struct seccomp_data; a TypeError naming why
// for a program the kernel would refuse.
Napi::Value EvaluateFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t dlen = 0;
  const uint8_t* data = info.Length() >= 2 && BytesOf(info[0], &dlen) ? BytesOf(info[1], &dlen) : nullptr;
  if (!data || dlen != 64) {
    Napi::TypeError::New(env, "Usage: evaluateFilter(bpf: Uint8Array, seccompData: Uint8Array(64))").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<sock_filter> insns;
  if (!ProgramArg(env, info[0], &insns)) return env.Undefined();
  return Napi::Number::New(env, tsjail_bpf_run(insns.data(), insns.size(), data));
}

// alwaysAllows(bpf, arch, nr): whether the program allows the call whatever its arguments
// (native/parent/bpf_eval.h, tsjail_bpf_always_allows); policyAllowsLoader(bpf): whether it so
// allows every call the preload window would let the loader make, which makes timing 'auto'
// install it before exec (native/parent/loader.c).
Napi::Value AlwaysAllows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<sock_filter> insns;
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "Usage: alwaysAllows(bpf: Uint8Array, arch: number, nr: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!ProgramArg(env, info[0], &insns)) return env.Undefined();
  uint32_t arch = info[1].As<Napi::Number>().Uint32Value(), nr = info[2].As<Napi::Number>().Uint32Value();
  return Napi::Boolean::New(env, tsjail_bpf_always_allows(insns.data(), insns.size(), arch, nr) == 1);
}

Napi::Value PolicyAllowsLoader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<sock_filter> insns;
  if (info.Length() < 1 || !ProgramArg(env, info[0], &insns)) return env.Undefined();
  return Napi::Boolean::New(env, tsjail_policy_allows_loader(insns.data(), insns.size()) == 1);
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
  bool ok = syscall(SYS_pidfd_send_signal, it->second->kill_fd, sig, nullptr, 0) == 0;
  return Napi::Boolean::New(env, ok);
}

// fd 0-2 of a spawn()/start() call: a number each, or -1 (a new pipe).
void StdioArg(const Napi::Array& stdio, int fds_in[3]) {
  for (uint32_t i = 0; i < 3; i++)
    fds_in[i] = i < stdio.Length() && stdio.Get(i).IsNumber() ? stdio.Get(i).As<Napi::Number>().Int32Value() : -1;
}

// List a cloned jail (kill, teardown) and make its ThreadSafeFunction, whose finalizer frees
// it. False with an exception pending if the copy of the pidfd cannot be made: the caller then
// ends the jail itself.
bool Register(Napi::Env env, Child* ch, Napi::Function cb) {
  Instance* inst = env.GetInstanceData<Instance>();
  ch->kill_fd = fcntl(ch->jail.pidfd, F_DUPFD_CLOEXEC, 3);
  if (ch->kill_fd < 0) {
    ThrowJailError(env, "prepare", errno, "pidfd copy");
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(inst->mu);
    ch->id = inst->next_id++;
    inst->children[ch->id] = ch;
  }
  ch->tsfn = Napi::ThreadSafeFunction::New(
      env, cb, "tsjail-exit", 0, 1, ch, [inst](Napi::Env, Child* done) {
        {
          std::lock_guard<std::mutex> lock(inst->mu);
          inst->children.erase(done->id);
        }
        {
          std::lock_guard<std::mutex> lock(done->mu);
          if (!done->waiter_done) {
            // Teardown while the jail runs (or is still being set up): end it (the waiter's
            // wait or handshake returns), leave the rest to the waiter. kill_fd cannot name a
            // recycled pid.
            done->orphaned = true;
            syscall(SYS_pidfd_send_signal, done->kill_fd, SIGKILL, nullptr, 0);
            return;
          }
        }
        tsjail_jail_close(&done->jail);
        delete done;
      });
  return true;
}

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsArray() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "Usage: spawn(jailFile: Uint8Array, stdio[3], onExit)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct tsjail_spec spec;
  if (!Decode(env, info[0], &spec)) return env.Undefined();
  int fds_in[3];
  StdioArg(info[1].As<Napi::Array>(), fds_in);

  // The launch (native/parent/launch.c) copies what the child needs, and the jail keeps its own
  // copy of the policy: the decoded spec is done with once the jail runs.
  auto child = std::make_unique<Child>();
  auto err = std::make_unique<struct tsjail_launch_error>();
  int rc = tsjail_start(&spec, fds_in, &child->jail, err.get());
  child->deadline_ms = tsjail_deadline_ms(&spec);
  tsjail_spec_free(&spec);
  if (rc) return ThrowJailError(env, tsjail_step_name(err->step), err->err, err->detail, err.get());

  // ---- running: hand the child to a waiter thread ----
  if (!Register(env, child.get(), info[2].As<Napi::Function>())) {
    syscall(SYS_pidfd_send_signal, child->jail.pidfd, SIGKILL, nullptr, 0);
    struct tsjail_exit ignored;
    tsjail_jail_wait(&child->jail, -1, -1, &ignored);
    tsjail_jail_close(&child->jail);
    return env.Undefined();
  }
  Child* ch = child.release();
  Napi::Array fds = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; i++) {
    if (ch->jail.stdio_parent[i] >= 0) {
      fds.Set(i, Napi::Number::New(env, ch->jail.stdio_parent[i]));
      ch->jail.stdio_parent[i] = -1;  // now owned by JS (net.Socket)
    } else {
      fds.Set(i, env.Null());
    }
  }
  std::thread(Wait, ch).detach();

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, (double)ch->jail.pid));
  out.Set("id", Napi::Number::New(env, ch->id));
  out.Set("stdio", fds);
  return out;
}

// start(jailFile, stdio, onEvent): spawn() without holding Node's thread through the child's
// set-up. Here only the stages up to clone3 run (launch.h, tsjail_start_begin); the waiter
// thread finishes the launch while the child waits unreleased, then calls onEvent('ready',
// {pid, id, stdio}) or onEvent('failed', JailError), and after 'ready' onEvent('exit', ...).
// Throws as spawn() does for what fails before clone.
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsArray() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "Usage: start(jailFile: Uint8Array, stdio[3], onEvent)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto child = std::make_unique<Child>();
  if (!Decode(env, info[0], &child->spec)) return env.Undefined();
  child->has_spec = true;
  child->tagged = true;
  int fds_in[3];
  StdioArg(info[1].As<Napi::Array>(), fds_in);
  if (tsjail_start_begin(&child->spec, fds_in, &child->jail, &child->error, &child->pending))
    return ThrowJailError(env, tsjail_step_name(child->error.step), child->error.err, child->error.detail, &child->error);
  if (!Register(env, child.get(), info[2].As<Napi::Function>())) {
    // The child still waits for its release: killed, the finish fails and reaps it.
    syscall(SYS_pidfd_send_signal, child->jail.pidfd, SIGKILL, nullptr, 0);
    tsjail_start_finish(child->pending);
    tsjail_jail_close(&child->jail);
    return env.Undefined();
  }
  Child* ch = child.release();
  try {
    std::thread(FinishAndWait, ch).detach();
  } catch (const std::system_error&) {
    // No thread: end the unreleased child and report the failure through onEvent as usual
    // (the finish fails at once, so this blocks only for the reap).
    syscall(SYS_pidfd_send_signal, ch->kill_fd, SIGKILL, nullptr, 0);
    FinishAndWait(ch);
  }
  return env.Undefined();
}

// Worker threads and process exit: do not leave jails running behind a dead environment.
void Cleanup(void* arg) {
  Instance* inst = static_cast<Instance*>(arg);
  std::lock_guard<std::mutex> lock(inst->mu);
  for (auto& kv : inst->children) syscall(SYS_pidfd_send_signal, kv.second->kill_fd, SIGKILL, nullptr, 0);
}

// releaseIdleCgroups(): remove the idle cgroups kept for reuse now; returns how many.
Napi::Value ReleaseIdleCgroups(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), tsjail_cgroup_pool_drain());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Node starts many jails from one process: their cgroups are reused (native/parent/cgroup.h).
  tsjail_cgroup_pool_enable();
  auto* inst = new Instance();
  env.SetInstanceData<Instance>(inst);
  napi_add_env_cleanup_hook(env, Cleanup, inst);
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("kill", Napi::Function::New(env, Kill));
  exports.Set("stepNames", Napi::Function::New(env, StepNames));
  exports.Set("dumpJailFile", Napi::Function::New(env, DumpJailFile));
  exports.Set("forwardedSignals", Napi::Function::New(env, ForwardedSignals));
  exports.Set("evaluateFilter", Napi::Function::New(env, EvaluateFilter));
  exports.Set("alwaysAllows", Napi::Function::New(env, AlwaysAllows));
  exports.Set("policyAllowsLoader", Napi::Function::New(env, PolicyAllowsLoader));
  exports.Set("releaseIdleCgroups", Napi::Function::New(env, ReleaseIdleCgroups));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsjail, Init)
