/**
 * `torsion/fdesc`: Twisted's `twisted.internet.fdesc` — non-blocking reads
 * and writes on a raw file descriptor, for the `doRead`/`doWrite` of a
 * descriptor given to `reactor.addReader`/`addWriter`.
 *
 * Every function needs torsion's native addon and throws
 * `NativeAddonUnavailableError` without it ({@link nativeAddonStatus} says
 * why).
 *
 * @example
 * ```ts
 * import { readFromFD, setNonBlocking } from 'torsion/fdesc';
 * class PipeReader {
 *   constructor(readonly fd: number, readonly proto: { dataReceived(d: Buffer): void }) {
 *     setNonBlocking(fd);
 *   }
 *   fileno() { return this.fd; }
 *   logPrefix() { return 'PipeReader'; }
 *   doRead() { return readFromFD(this.fd, (d) => this.proto.dataReceived(d)); }
 *   connectionLost() {}
 * }
 * ```
 * @module torsion/fdesc
 */
import { constants } from 'node:os';
import { ConnectionDone, ConnectionLost } from '../errors';
import { errnoError, nativeAddonStatus, requireNative, type NativeAddon, type NativeAddonStatus } from '../native';
import { checkBytes, checkCount, checkFunction } from '../validate';

export { nativeAddonStatus, type NativeAddonStatus };

/** How much readFromFD reads at once (Twisted's 8192). */
const READ_SIZE = 8192;
const EAGAIN = -constants.errno.EAGAIN;
const EWOULDBLOCK = -constants.errno.EWOULDBLOCK;
let readBuffer: Buffer | null = null;

function addonFor(call: string, fd: unknown): NativeAddon {
  checkCount('fd', fd);
  return requireNative(`torsion/fdesc ${call}(fd ${String(fd)})`);
}

/**
 * Set `O_NONBLOCK` on `fd` (fcntl).
 * @throws NativeAddonUnavailableError without the addon; TypeError/RangeError for a bad fd;
 * the system error (e.g. `code: 'EBADF'`) when fcntl fails.
 */
export function setNonBlocking(fd: number): void {
  addonFor('setNonBlocking', fd).setNonBlocking(fd, true);
}

/**
 * Clear `O_NONBLOCK` on `fd` (fcntl).
 * @throws as {@link setNonBlocking}.
 */
export function setBlocking(fd: number): void {
  addonFor('setBlocking', fd).setNonBlocking(fd, false);
}

/**
 * Read up to 8 KiB from the non-blocking `fd` and hand the data to
 * `callback` (which may throw: that is the caller's, as in Twisted).
 * @returns nothing after data (or when the read would block, or was
 * interrupted), `ConnectionDone` at end of file, `ConnectionLost` (the
 * system error as `cause`) on any other error: what `doRead` returns.
 * @throws NativeAddonUnavailableError without the addon; TypeError/RangeError for a bad fd or callback.
 */
export function readFromFD(fd: number, callback: (data: Buffer) => void): undefined | ConnectionDone | ConnectionLost {
  const addon = addonFor('readFromFD', fd);
  checkFunction('callback', callback);
  readBuffer ??= Buffer.allocUnsafe(READ_SIZE);
  const n = addon.read(fd, readBuffer, 0, READ_SIZE);
  if (n > 0) {
    const data = Buffer.allocUnsafe(n);
    readBuffer.copy(data, 0, 0, n);
    callback(data);
    return undefined;
  }
  if (n === 0) return new ConnectionDone();
  if (n === EAGAIN || n === EWOULDBLOCK) return undefined;
  return new ConnectionLost(`Reading fd ${fd} failed`, { cause: errnoError(n, 'read') });
}

/**
 * Write `data` to the non-blocking `fd`.
 * @returns the number of bytes written (0 when the write would block, or
 * was interrupted), or `ConnectionLost` (the system error, e.g. `EPIPE`, as
 * `cause`): what Twisted's `writeSomeData` returns.
 * @throws NativeAddonUnavailableError without the addon; TypeError/RangeError for a bad fd or data.
 */
export function writeToFD(fd: number, data: Buffer | Uint8Array): number | ConnectionLost {
  const addon = addonFor('writeToFD', fd);
  checkBytes('data', data);
  const n = addon.write(fd, data, 0, data.byteLength);
  if (n >= 0) return n;
  if (n === EAGAIN || n === EWOULDBLOCK) return 0;
  return new ConnectionLost(`Writing to fd ${fd} failed`, { cause: errnoError(n, 'write') });
}
