// torsion's native addon: raw file descriptor readiness (uv_poll_t), the
// fcntl/read/write primitives of torsion/fdesc, TCP keepalive parameters
// and UNIX datagram sockets. Loaded by src/native/index.ts.
#include "common.h"

namespace torsion {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitFdPoll(env, exports);
  InitFdIO(env, exports);
  InitSockets(env, exports);
  InitAccept(env, exports);
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace torsion

static Napi::Object InitTorsionNative(Napi::Env env, Napi::Object exports) { return torsion::Init(env, exports); }

NODE_API_MODULE(torsion_native, InitTorsionNative)
