// acceptMany(fd, out): accept up to out.length pending connections on a
// listening socket in one call. libuv (1.45+) accepts one connection per
// loop pass; under a connection burst the kernel's accept queue then
// overflows (SYNs dropped, 1 s client retransmits) while the loop is busy
// with other work. Twisted accepts up to 100 per readable event; this lets
// a torsion Port do the same, from inside libuv's own accept callback.
//
// Returns how many descriptors were written to `out` (non-blocking,
// close-on-exec, as libuv's own accept4 makes them). Stops at EAGAIN, at
// out.length, or at any other error: a non-zero count is returned first,
// and the error (a negative errno) only when nothing was accepted.
#include <errno.h>
#include <sys/socket.h>

#include "common.h"

namespace torsion {

static Napi::Value AcceptMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray()) {
    return ThrowType(env, "acceptMany(fd, out: Int32Array)");
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  if (fd < 0 || ta.TypedArrayType() != napi_int32_array) return ThrowType(env, "acceptMany(fd >= 0, out: Int32Array)");
  Napi::Int32Array out = ta.As<Napi::Int32Array>();
  size_t max = out.ElementLength();
  size_t n = 0;
  while (n < max) {
    int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      if (n == 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Napi::Number::New(env, -errno);
      break;
    }
    out[n++] = c;
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

void InitAccept(Napi::Env env, Napi::Object exports) {
  exports.Set("acceptMany", Napi::Function::New(env, AcceptMany, "acceptMany"));
}

}  // namespace torsion
