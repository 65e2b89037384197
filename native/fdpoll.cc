// FdWatcher: a libuv poll handle (uv_poll_t) on a raw file descriptor.
//
//   const w = new FdWatcher(fd, (status, events) => ...);  // uv_poll_init
//   w.start(events);  // uv_poll_start: UV_READABLE 1 | UV_WRITABLE 2 | UV_DISCONNECT 4
//   w.stop();         // uv_poll_stop
//   w.close();        // uv_close; the handle is freed in its close callback
//
// uv_poll_init sets O_NONBLOCK on the fd; the constructor puts the status
// flags back as it found them (the owner of the fd decides its mode).
// The callback runs through MakeCallback with the watcher's AsyncContext,
// so the microtask queue is drained after it, as after any I/O callback.
// `status` is 0 or a negative libuv error (UV_EBADF on POLLERR, after
// which libuv has stopped the handle). While started, the JS object is
// referenced (not collected) and the handle keeps the loop alive.
#include <fcntl.h>
#include <cerrno>

#include "common.h"

namespace torsion {

namespace {

class FdWatcher : public Napi::ObjectWrap<FdWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdWatcher",
                       {
                           InstanceMethod<&FdWatcher::Start>("start"),
                           InstanceMethod<&FdWatcher::Stop>("stop"),
                           InstanceMethod<&FdWatcher::Close>("close"),
                           InstanceAccessor<&FdWatcher::GetFd>("fd"),
                       });
  }

  explicit FdWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdWatcher>(info) {
    Napi::Env env = info.Env();
    int fd = FdArg(info, 0);
    if (fd < 0) return;
    if (info.Length() < 2 || !info[1].IsFunction()) {
      ThrowType(env, "callback must be a function");
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      Napi::Error::New(env, "no libuv loop").ThrowAsJavaScriptException();
      return;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1) {
      ThrowErrno(env, errno, "fcntl");
      return;
    }
    uv_poll_t* handle = new uv_poll_t;
    int r = uv_poll_init(loop, handle, fd);
    if (r != 0) {
      delete handle;
      ThrowErrno(env, r, "uv_poll_init");
      return;
    }
    handle->data = this;
    handle_ = handle;
    fd_ = fd;
    // Put O_NONBLOCK (and the other status flags) back as they were.
    if (fcntl(fd, F_SETFL, flags) == -1) {
      int e = errno;
      CloseHandle();
      ThrowErrno(env, e, "fcntl");
      return;
    }
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = new Napi::AsyncContext(env, "torsion.FdWatcher", info.This().As<Napi::Object>());
  }

  ~FdWatcher() override {
    CloseHandle();
    delete context_;
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (handle_ == nullptr) return ThrowType(env, "the watcher is closed");
    if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "events must be a number");
    int events = info[0].As<Napi::Number>().Int32Value() & (UV_READABLE | UV_WRITABLE | UV_DISCONNECT);
    int r = uv_poll_start(handle_, events, OnPoll);
    if (r != 0) return ThrowErrno(env, r, "uv_poll_start");
    SetPolling(true);
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_poll_stop(handle_);
    SetPolling(false);
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseHandle();
    SetPolling(false);
    return info.Env().Undefined();
  }

  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  void SetPolling(bool on) {
    if (on && !refd_) {
      Ref();
      refd_ = true;
    } else if (!on && refd_) {
      refd_ = false;
      Unref();
    }
  }

  void CloseHandle() {
    if (handle_ == nullptr) return;
    uv_poll_t* h = handle_;
    handle_ = nullptr;
    h->data = nullptr;
    uv_poll_stop(h);
    uv_close(reinterpret_cast<uv_handle_t*>(h), OnClose);
  }

  static void OnClose(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }

  static void OnPoll(uv_poll_t* h, int status, int events) {
    FdWatcher* self = static_cast<FdWatcher*>(h->data);
    if (self == nullptr || self->callback_.IsEmpty()) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    Napi::Object recv = self->Value();
    // libuv stopped the handle itself after an error.
    if (status < 0) self->SetPolling(false);
    self->callback_.MakeCallback(recv, {Napi::Number::New(env, status), Napi::Number::New(env, events)},
                                 *self->context_);
    if (env.IsExceptionPending()) {
      napi_fatal_exception(env, env.GetAndClearPendingException().Value());
    }
  }

  uv_poll_t* handle_ = nullptr;
  int fd_ = -1;
  bool refd_ = false;
  Napi::FunctionReference callback_;
  Napi::AsyncContext* context_ = nullptr;
};

}  // namespace

void InitFdPoll(Napi::Env env, Napi::Object exports) {
  exports.Set("FdWatcher", FdWatcher::Define(env));
  exports.Set("UV_READABLE", Napi::Number::New(env, UV_READABLE));
  exports.Set("UV_WRITABLE", Napi::Number::New(env, UV_WRITABLE));
  exports.Set("UV_DISCONNECT", Napi::Number::New(env, UV_DISCONNECT));
}

}  // namespace torsion
