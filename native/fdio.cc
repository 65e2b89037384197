// The fd primitives behind torsion/fdesc (and the specs' pipes):
//   getStatusFlags(fd) -> fcntl(F_GETFL) flags            (throws on error)
//   setNonBlocking(fd, on)                                (throws on error)
//   read(fd, buf, off, len)  -> bytes read (0 = EOF) or -errno
//   write(fd, buf, off, len) -> bytes written or -errno
//   pipe(nonBlocking) -> [readFd, writeFd] (pipe2, O_CLOEXEC)
//   socketpair(datagram, nonBlocking) -> [fd, fd] (AF_UNIX, SOCK_CLOEXEC)
//   close(fd)                                              (throws on error)
// read/write return -errno rather than throw: EAGAIN is the common case
// of a level-triggered reader and must not cost an exception.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>

#include "common.h"

namespace torsion {

namespace {

// info[i..i+2] = (buf, off, len) as a byte range, or false after throwing.
bool BytesArg(const Napi::CallbackInfo& info, size_t i, uint8_t** data, size_t* len) {
  Napi::Env env = info.Env();
  if (info.Length() <= i + 2 || !info[i].IsTypedArray() || !info[i + 1].IsNumber() || !info[i + 2].IsNumber()) {
    ThrowType(env, "expected (buffer, offset, length)");
    return false;
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  size_t size = ta.ByteLength();
  double off = info[i + 1].As<Napi::Number>().DoubleValue();
  double n = info[i + 2].As<Napi::Number>().DoubleValue();
  if (!(off >= 0) || !(n >= 0) || off + n > static_cast<double>(size)) {
    Napi::RangeError::New(env, "offset/length outside the buffer").ThrowAsJavaScriptException();
    return false;
  }
  uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  *data = base + static_cast<size_t>(off);
  *len = static_cast<size_t>(n);
  return true;
}

Napi::Value GetStatusFlags(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  if (fd < 0) return info.Env().Undefined();
  int flags = fcntl(fd, F_GETFL);
  if (flags == -1) return ThrowErrno(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), flags);
}

Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  if (fd < 0) return info.Env().Undefined();
  bool on = info.Length() < 2 || info[1].ToBoolean().Value();
  int flags = fcntl(fd, F_GETFL);
  if (flags == -1) return ThrowErrno(info.Env(), errno, "fcntl");
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && fcntl(fd, F_SETFL, want) == -1) return ThrowErrno(info.Env(), errno, "fcntl");
  return info.Env().Undefined();
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  uint8_t* data;
  size_t len;
  if (fd < 0 || !BytesArg(info, 1, &data, &len)) return info.Env().Undefined();
  ssize_t n;
  do {
    n = read(fd, data, len);
  } while (n == -1 && errno == EINTR);
  return Napi::Number::New(info.Env(), n >= 0 ? static_cast<double>(n) : -errno);
}

Napi::Value Write(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  uint8_t* data;
  size_t len;
  if (fd < 0 || !BytesArg(info, 1, &data, &len)) return info.Env().Undefined();
  ssize_t n;
  do {
    n = write(fd, data, len);
  } while (n == -1 && errno == EINTR);
  return Napi::Number::New(info.Env(), n >= 0 ? static_cast<double>(n) : -errno);
}

Napi::Value Pair(Napi::Env env, int a, int b) {
  Napi::Array arr = Napi::Array::New(env, 2);
  arr.Set(0u, Napi::Number::New(env, a));
  arr.Set(1u, Napi::Number::New(env, b));
  return arr;
}

Napi::Value Pipe(const Napi::CallbackInfo& info) {
  bool nonBlocking = info.Length() > 0 && info[0].ToBoolean().Value();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)) == -1) return ThrowErrno(info.Env(), errno, "pipe2");
  return Pair(info.Env(), fds[0], fds[1]);
}

Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  bool datagram = info.Length() > 0 && info[0].ToBoolean().Value();
  bool nonBlocking = info.Length() > 1 && info[1].ToBoolean().Value();
  int type = (datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0);
  int fds[2];
  if (socketpair(AF_UNIX, type, 0, fds) == -1) return ThrowErrno(info.Env(), errno, "socketpair");
  return Pair(info.Env(), fds[0], fds[1]);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  if (fd < 0) return info.Env().Undefined();
  if (close(fd) == -1 && errno != EINTR) return ThrowErrno(info.Env(), errno, "close");
  return info.Env().Undefined();
}

}  // namespace

void InitFdIO(Napi::Env env, Napi::Object exports) {
  exports.Set("getStatusFlags", Napi::Function::New(env, GetStatusFlags, "getStatusFlags"));
  exports.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking, "setNonBlocking"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("O_NONBLOCK", Napi::Number::New(env, O_NONBLOCK));
}

}  // namespace torsion
