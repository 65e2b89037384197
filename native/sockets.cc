// Socket primitives Node does not expose:
//   setKeepAliveParams(fd, intervalSeconds, count)   TCP_KEEPINTVL / TCP_KEEPCNT (throws)
//   getKeepAliveParams(fd) -> [intervalSeconds, count] (throws)
//   unixDgramSocket() -> fd   socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC) (throws)
//   unixBind(fd, path)        bind (throws)
//   unixConnect(fd, path)     connect (throws)
//   unixSendto(fd, buf, off, len, path | null) -> bytes sent or -errno (null: the connected peer)
//   unixRecvfrom(fd, buf, off, len) -> [size, senderPath | null] or -errno; size is the
//       datagram's real size (MSG_TRUNC), larger than len when it was truncated
//   unixGetsockname(fd) -> path | null (throws)
// Paths are Buffers (Uint8Array); one whose first byte is 0 is an abstract
// name (Linux), taken with its exact length. Longer than sun_path: ENAMETOOLONG.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "common.h"

namespace torsion {

namespace {

// info[i] (a Uint8Array path) into `addr`; false after throwing.
bool UnixAddrArg(const Napi::CallbackInfo& info, size_t i, sockaddr_un* addr, socklen_t* len, const char* syscall) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray()) {
    ThrowType(env, "path must be a Buffer");
    return false;
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  const uint8_t* p = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  size_t n = ta.ByteLength();
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  bool abstract = n > 0 && p[0] == 0;
  if (n == 0 || n > sizeof(addr->sun_path) - (abstract ? 0 : 1)) {
    ThrowErrno(env, n == 0 ? EINVAL : ENAMETOOLONG, syscall);
    return false;
  }
  memcpy(addr->sun_path, p, n);
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n + (abstract ? 0 : 1));
  return true;
}

Napi::Value PathValue(Napi::Env env, const sockaddr_un& addr, socklen_t len) {
  size_t off = offsetof(sockaddr_un, sun_path);
  if (len <= off) return env.Null();
  size_t n = len - off;
  if (addr.sun_path[0] != 0) n = strnlen(addr.sun_path, n);
  if (n == 0) return env.Null();
  return Napi::Buffer<char>::Copy(env, addr.sun_path, n);
}

Napi::Value SetKeepAliveParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  if (fd < 0) return env.Undefined();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    return ThrowType(env, "expected (fd, intervalSeconds, count)");
  }
  int interval = info[1].As<Napi::Number>().Int32Value();
  int count = info[2].As<Napi::Number>().Int32Value();
  if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval)) == -1) {
    return ThrowErrno(env, errno, "setsockopt");
  }
  if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) == -1) {
    return ThrowErrno(env, errno, "setsockopt");
  }
  return env.Undefined();
}

Napi::Value GetKeepAliveParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  if (fd < 0) return env.Undefined();
  int interval = 0;
  int count = 0;
  socklen_t len = sizeof(int);
  if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, &len) == -1) return ThrowErrno(env, errno, "getsockopt");
  len = sizeof(int);
  if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, &len) == -1) return ThrowErrno(env, errno, "getsockopt");
  Napi::Array arr = Napi::Array::New(env, 2);
  arr.Set(0u, Napi::Number::New(env, interval));
  arr.Set(1u, Napi::Number::New(env, count));
  return arr;
}

Napi::Value UnixDgramSocket(const Napi::CallbackInfo& info) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd == -1) return ThrowErrno(info.Env(), errno, "socket");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value UnixBind(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  sockaddr_un addr;
  socklen_t len;
  if (fd < 0 || !UnixAddrArg(info, 1, &addr, &len, "bind")) return info.Env().Undefined();
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == -1) return ThrowErrno(info.Env(), errno, "bind");
  return info.Env().Undefined();
}

Napi::Value UnixConnect(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  sockaddr_un addr;
  socklen_t len;
  if (fd < 0 || !UnixAddrArg(info, 1, &addr, &len, "connect")) return info.Env().Undefined();
  int r;
  do {
    r = connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  } while (r == -1 && errno == EINTR);
  if (r == -1) return ThrowErrno(info.Env(), errno, "connect");
  return info.Env().Undefined();
}

Napi::Value UnixSendto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  if (fd < 0) return env.Undefined();
  if (info.Length() < 4 || !info[1].IsTypedArray() || !info[2].IsNumber() || !info[3].IsNumber()) {
    return ThrowType(env, "expected (fd, buffer, offset, length, path)");
  }
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  double off = info[2].As<Napi::Number>().DoubleValue();
  double n = info[3].As<Napi::Number>().DoubleValue();
  if (!(off >= 0) || !(n >= 0) || off + n > static_cast<double>(ta.ByteLength())) {
    Napi::RangeError::New(env, "offset/length outside the buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset() + static_cast<size_t>(off);
  ssize_t r;
  if (info.Length() > 4 && info[4].IsTypedArray()) {
    sockaddr_un addr;
    socklen_t len;
    if (!UnixAddrArg(info, 4, &addr, &len, "sendto")) return env.Undefined();
    do {
      r = sendto(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
    } while (r == -1 && errno == EINTR);
  } else {
    do {
      r = send(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL);
    } while (r == -1 && errno == EINTR);
  }
  return Napi::Number::New(env, r >= 0 ? static_cast<double>(r) : -errno);
}

Napi::Value UnixRecvfrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  if (fd < 0) return env.Undefined();
  if (info.Length() < 4 || !info[1].IsTypedArray() || !info[2].IsNumber() || !info[3].IsNumber()) {
    return ThrowType(env, "expected (fd, buffer, offset, length)");
  }
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  double off = info[2].As<Napi::Number>().DoubleValue();
  double n = info[3].As<Napi::Number>().DoubleValue();
  if (!(off >= 0) || !(n >= 0) || off + n > static_cast<double>(ta.ByteLength())) {
    Napi::RangeError::New(env, "offset/length outside the buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t* data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset() + static_cast<size_t>(off);
  sockaddr_un addr;
  socklen_t len;
  ssize_t r;
  do {
    len = sizeof(addr);
    memset(&addr, 0, sizeof(addr));
    r = recvfrom(fd, data, static_cast<size_t>(n), MSG_TRUNC, reinterpret_cast<sockaddr*>(&addr), &len);
  } while (r == -1 && errno == EINTR);
  if (r == -1) return Napi::Number::New(env, -errno);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, static_cast<double>(r)));
  result.Set(1u, PathValue(env, addr, len));
  return result;
}

Napi::Value UnixGetsockname(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  if (fd < 0) return info.Env().Undefined();
  sockaddr_un addr;
  socklen_t len = sizeof(addr);
  memset(&addr, 0, sizeof(addr));
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == -1) {
    return ThrowErrno(info.Env(), errno, "getsockname");
  }
  return PathValue(info.Env(), addr, len);
}

}  // namespace

void InitSockets(Napi::Env env, Napi::Object exports) {
  exports.Set("setKeepAliveParams", Napi::Function::New(env, SetKeepAliveParams, "setKeepAliveParams"));
  exports.Set("getKeepAliveParams", Napi::Function::New(env, GetKeepAliveParams, "getKeepAliveParams"));
  exports.Set("unixDgramSocket", Napi::Function::New(env, UnixDgramSocket, "unixDgramSocket"));
  exports.Set("unixBind", Napi::Function::New(env, UnixBind, "unixBind"));
  exports.Set("unixConnect", Napi::Function::New(env, UnixConnect, "unixConnect"));
  exports.Set("unixSendto", Napi::Function::New(env, UnixSendto, "unixSendto"));
  exports.Set("unixRecvfrom", Napi::Function::New(env, UnixRecvfrom, "unixRecvfrom"));
  exports.Set("unixGetsockname", Napi::Function::New(env, UnixGetsockname, "unixGetsockname"));
}

}  // namespace torsion
