/**
 * UNIX datagram sockets (Twisted's `unix.DatagramPort` and
 * `ConnectedDatagramPort`). Node's `dgram` knows only UDP, so they exist
 * only through torsion's native addon (an AF_UNIX/SOCK_DGRAM socket
 * watched by a libuv poll handle). This build does not load the addon:
 * every entry point throws NativeAddonUnavailableError at once, before
 * anything is created.
 * @module
 */
import { addonUnavailable as unavailable } from './checks';

/**
 * A bound UNIX datagram socket (listenUNIXDatagram).
 * @throws NativeAddonUnavailableError from the constructor: needs the native addon.
 */
export class DatagramPort {
  /** @throws NativeAddonUnavailableError (see the module). */
  constructor(..._args: unknown[]) {
    throw unavailable('UNIX datagram sockets (DatagramPort)');
  }
}

/**
 * A connected UNIX datagram socket (connectUNIXDatagram).
 * @throws NativeAddonUnavailableError from the constructor: needs the native addon.
 */
export class ConnectedDatagramPort {
  /** @throws NativeAddonUnavailableError (see the module). */
  constructor(..._args: unknown[]) {
    throw unavailable('UNIX datagram sockets (ConnectedDatagramPort)');
  }
}

/**
 * `reactor.listenUNIXDatagram`'s body.
 * @throws NativeAddonUnavailableError: needs the native addon.
 */
export function listenUNIXDatagram(..._args: unknown[]): never {
  throw unavailable('listenUNIXDatagram (UNIX datagram sockets)');
}

/**
 * `reactor.connectUNIXDatagram`'s body.
 * @throws NativeAddonUnavailableError: needs the native addon.
 */
export function connectUNIXDatagram(..._args: unknown[]): never {
  throw unavailable('connectUNIXDatagram (UNIX datagram sockets)');
}
