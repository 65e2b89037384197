// Shared helpers of torsion's native addon: Node-shaped errno errors and
// argument checks. Every function that can fail either throws an Error
// shaped like Node's system errors ({code, errno (negative), syscall}) or
// returns a negative errno, as its JavaScript caller documents.
#ifndef TORSION_NATIVE_COMMON_H_
#define TORSION_NATIVE_COMMON_H_

#include <napi.h>
#include <uv.h>

namespace torsion {

// An Error like Node's system errors: message "<syscall> <CODE>: <strerror>",
// `code` ("EBADF"), `errno` (negative, as Node's), `syscall`.
inline Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  // libuv's codes are negative errno values on Unix.
  int uverr = err > 0 ? -err : err;
  std::string message = std::string(syscall) + " " + uv_err_name(uverr) + ": " + uv_strerror(uverr);
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, uv_err_name(uverr)));
  e.Set("errno", Napi::Number::New(env, uverr));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

// Throw a JS exception (C++ exceptions are disabled) and return undefined.
inline Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall) {
  ErrnoError(env, err, syscall).ThrowAsJavaScriptException();
  return env.Undefined();
}

inline Napi::Value ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// info[i] as a file descriptor (a non-negative int32), or -1 after throwing.
inline int FdArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowType(info.Env(), "fd must be a number");
    return -1;
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int>(d))) {
    Napi::RangeError::New(info.Env(), "fd must be a non-negative integer").ThrowAsJavaScriptException();
    return -1;
  }
  return static_cast<int>(d);
}

void InitFdPoll(Napi::Env env, Napi::Object exports);
void InitFdIO(Napi::Env env, Napi::Object exports);
void InitSockets(Napi::Env env, Napi::Object exports);
void InitAccept(Napi::Env env, Napi::Object exports);

}  // namespace torsion

#endif  // TORSION_NATIVE_COMMON_H_
