/**
 * Socket primitives of the native addon for the transport families: TCP
 * keepalive interval/count (which Node cannot set) and UNIX datagram
 * sockets (which Node does not have). Each throws
 * `NativeAddonUnavailableError` without the addon.
 *
 * A {@link UnixDatagramSocket} is a non-blocking fd: watch it with
 * `reactor.addReader` (an object whose `doRead` calls {@link UnixDatagramSocket.recv}
 * until it returns null) for a `DatagramPort`.
 * @internal
 * @module
 */
import { constants } from 'node:os';
import { RuntimeError } from '../errors';
import { ArgRangeError, ArgTypeError, checkBytes, checkCount, describe } from '../validate';
import { errnoError, type NativeAddon, requireNative } from './index';

const EAGAIN = -constants.errno.EAGAIN;
const EWOULDBLOCK = -constants.errno.EWOULDBLOCK;

/**
 * Set `TCP_KEEPINTVL` (seconds between probes) and `TCP_KEEPCNT` (probes
 * before the connection is dropped) on the TCP socket `fd`. Keepalive
 * itself and its idle time are Node's `socket.setKeepAlive(true, ms)`.
 * @throws NativeAddonUnavailableError without the addon; TypeError/RangeError for
 * bad arguments; the system error of setsockopt (e.g. ENOTSOCK, EBADF).
 */
export function setTcpKeepAliveParams(fd: number, intervalSeconds: number, count: number): void {
  checkCount('fd', fd);
  checkCount('intervalSeconds', intervalSeconds, 1);
  checkCount('count', count, 1);
  if (intervalSeconds > 32767) throw new ArgRangeError(`intervalSeconds must be at most 32767, got ${intervalSeconds}`);
  if (count > 127) throw new ArgRangeError(`count must be at most 127, got ${count}`);
  requireNative(`TCP keepalive interval/count (fd ${fd})`).setKeepAliveParams(fd, intervalSeconds, count);
}

/** The keepalive interval (seconds) and probe count of the TCP socket `fd`. @throws as {@link setTcpKeepAliveParams}. */
export function getTcpKeepAliveParams(fd: number): { intervalSeconds: number; count: number } {
  checkCount('fd', fd);
  const [intervalSeconds, count] = requireNative(`TCP keepalive interval/count (fd ${fd})`).getKeepAliveParams(fd);
  return { intervalSeconds, count };
}

/** One datagram from {@link UnixDatagramSocket.recv}. */
export interface UnixDatagram {
  /** The datagram, cut at the `maxSize` given to recv. */
  readonly data: Buffer;
  /** Its real size: larger than `data.length` when it was truncated. */
  readonly size: number;
  /** The sender's bound path (abstract names start with '\0'), or null for an unbound sender. */
  readonly sender: string | null;
}

/** A UNIX path as the addon takes it: a string (a leading '\0' is an abstract name) or bytes. */
function pathBytes(name: string, p: unknown): Buffer {
  if (typeof p === 'string') {
    if (p.length === 0) throw new ArgTypeError(`${name} must not be empty`);
    return Buffer.from(p, 'utf8');
  }
  if (p instanceof Uint8Array) return Buffer.from(p);
  throw new ArgTypeError(`${name} must be a string or a Buffer, got ${describe(p)}`);
}

/**
 * A non-blocking `AF_UNIX`/`SOCK_DGRAM` socket (close-on-exec).
 * Errors other than would-block are thrown as Node-shaped system errors
 * (`code: 'ENOENT'`, `'ECONNREFUSED'`, `'EADDRINUSE'`, `'ENAMETOOLONG'`...).
 */
export class UnixDatagramSocket {
  readonly #addon: NativeAddon;
  #fd: number;
  #buffer: Buffer | null = null;

  private constructor(addon: NativeAddon, fd: number) {
    this.#addon = addon;
    this.#fd = fd;
  }

  /** A new socket. @throws NativeAddonUnavailableError without the addon; the system error of socket(). */
  static open(): UnixDatagramSocket {
    const addon = requireNative('UNIX datagram sockets');
    return new UnixDatagramSocket(addon, addon.unixDgramSocket());
  }

  /** The fd (for `fileno()`), or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** bind(2) to `path` (the file must not exist). */
  bind(path: string | Uint8Array): void {
    this.#addon.unixBind(this.#checkOpen(), pathBytes('path', path));
  }

  /** connect(2) to `path`: {@link send} without a path then goes there, and only its datagrams arrive. */
  connect(path: string | Uint8Array): void {
    this.#addon.unixConnect(this.#checkOpen(), pathBytes('path', path));
  }

  /**
   * Send one datagram to `path` (or to the connected peer).
   * @returns the bytes sent, 0 when the socket buffer is full (would block).
   */
  send(data: Buffer | Uint8Array, path?: string | Uint8Array): number {
    checkBytes('data', data);
    const fd = this.#checkOpen();
    const n = this.#addon.unixSendto(fd, data, 0, data.byteLength, path === undefined ? null : pathBytes('path', path));
    if (n >= 0) return n;
    if (n === EAGAIN || n === EWOULDBLOCK) return 0;
    throw errnoError(n, 'sendto');
  }

  /** Receive one datagram of at most `maxSize` bytes; null when none is waiting. */
  recv(maxSize = 8192): UnixDatagram | null {
    checkCount('maxSize', maxSize, 1);
    const fd = this.#checkOpen();
    if (this.#buffer === null || this.#buffer.length < maxSize) this.#buffer = Buffer.allocUnsafe(Math.max(maxSize, 8192));
    const r = this.#addon.unixRecvfrom(fd, this.#buffer, 0, maxSize);
    if (typeof r === 'number') {
      if (r === EAGAIN || r === EWOULDBLOCK) return null;
      throw errnoError(r, 'recvfrom');
    }
    const [size, sender] = r;
    const data = Buffer.from(this.#buffer.subarray(0, Math.min(size, maxSize)));
    return { data, size, sender: sender === null ? null : sender.toString('utf8') };
  }

  /** The bound path (abstract names start with '\0'), or null when unbound. */
  address(): string | null {
    const p = this.#addon.unixGetsockname(this.#checkOpen());
    return p === null ? null : p.toString('utf8');
  }

  /** Close the fd (remove it from the reactor first); closing twice does nothing. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#addon.close(fd);
  }

  #checkOpen(): number {
    if (this.#fd < 0) throw new RuntimeError('the UNIX datagram socket is closed');
    return this.#fd;
  }
}
