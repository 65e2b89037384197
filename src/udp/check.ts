/**
 * The argument checks of the UDP calls, shared by the real {@link Port} and
 * the test fake (`FakeDatagramTransport`), so both refuse exactly the same
 * inputs with the same errors.
 * @internal
 * @module
 */
import { isIP } from 'node:net';
import { IPv4Address, IPv6Address } from '../address';
import { FeatureUnavailableError, InvalidAddressError, MessageLengthError } from '../errors';
import type { ListenMulticastOptions } from '../interfaces/udp';
import { ArgRangeError, ArgTypeError, checkPort, checkString, describe } from '../validate';

/** The largest IPv4 UDP payload: 65 535 - 20 (IP header) - 8 (UDP header). */
export const MAX_DATAGRAM_IPV4 = 65_507;
/** The largest IPv6 UDP payload: 65 535 - 8 (the IPv6 header is not counted in its payload length). */
export const MAX_DATAGRAM_IPV6 = 65_527;
/** Twisted's default `maxPacketSize`. */
export const DEFAULT_MAX_PACKET_SIZE = 8192;

/** listenUDP / listenMulticast options, checked and with defaults (what a Port is built from). */
export interface UDPListenConfig {
  readonly interface: string;
  readonly maxPacketSize: number;
  readonly ipv6: boolean;
  readonly listenMultiple: boolean;
}

/** Whether this Node's dgram can set SO_REUSEPORT (`reusePort`, Node 22.12+ / 23.1+). @internal */
export function dgramHasReusePort(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * Check listenUDP's port and options.
 * @throws ArgTypeError / ArgRangeError for bad values; InvalidAddressError for
 * a host name as interface; FeatureUnavailableError for reusePort on a Node
 * without it.
 */
export function checkListenUDP(port: unknown, opts: unknown, multicast: boolean): UDPListenConfig {
  checkPort('port', port);
  if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`options must be an object, got ${describe(opts)}`);
  const o = opts as ListenMulticastOptions;
  const iface = o.interface ?? '';
  checkString('interface', iface);
  const family = iface === '' ? 4 : isIP(iface);
  if (family === 0) {
    throw new InvalidAddressError(iface, {
      message: `interface must be an IP address literal ('' for all IPv4 interfaces, '::' for IPv6), got ${JSON.stringify(iface)}`,
    });
  }
  const maxPacketSize = o.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
  if (typeof maxPacketSize !== 'number') {
    throw new ArgTypeError(`maxPacketSize must be a positive integer, got ${describe(maxPacketSize)}`);
  }
  if (!Number.isInteger(maxPacketSize) || maxPacketSize < 1) {
    throw new ArgRangeError(`maxPacketSize must be a positive integer, got ${maxPacketSize}`);
  }
  if (o.reusePort !== undefined && typeof o.reusePort !== 'boolean') {
    throw new ArgTypeError(`reusePort must be a boolean, got ${describe(o.reusePort)}`);
  }
  if (o.reusePort === true && !dgramHasReusePort()) {
    throw new FeatureUnavailableError(
      'reusePort (SO_REUSEPORT) on UDP',
      `Node ${process.versions.node}'s dgram cannot set it (it needs Node 22.12 or later); use listenMulticast with listenMultiple (SO_REUSEADDR) to share a port`,
    );
  }
  let listenMultiple = false;
  if (multicast && o.listenMultiple !== undefined) {
    if (typeof o.listenMultiple !== 'boolean') {
      throw new ArgTypeError(`listenMultiple must be a boolean, got ${describe(o.listenMultiple)}`);
    }
    listenMultiple = o.listenMultiple;
  }
  return { interface: iface, maxPacketSize, ipv6: family === 6, listenMultiple };
}

/** Check the protocol handed to listenUDP. */
export function checkDatagramProtocol(protocol: unknown): void {
  if (protocol === null || typeof protocol !== 'object') {
    throw new ArgTypeError(`protocol must be a datagram protocol object, got ${describe(protocol)}`);
  }
  for (const m of ['makeConnection', 'doStop', 'datagramReceived'] as const) {
    const f = (protocol as Record<string, unknown>)[m];
    if (typeof f !== 'function') throw new ArgTypeError(`protocol.${m} must be a function, got ${describe(f)}`);
  }
}

/** The bytes of a datagram, or a TypeError (a string: say to encode it). */
export function checkDatagram(datagram: unknown): asserts datagram is Uint8Array {
  if (datagram instanceof Uint8Array) return;
  if (typeof datagram === 'string') {
    throw new ArgTypeError('datagram must be a Buffer or Uint8Array, not a string: encode it first (Buffer.from(text))');
  }
  throw new ArgTypeError(`datagram must be a Buffer or Uint8Array, got ${describe(datagram)}`);
}

/** @throws MessageLengthError when `size` is over the family's limit. */
export function checkDatagramSize(size: number, ipv6: boolean): void {
  const limit = ipv6 ? MAX_DATAGRAM_IPV6 : MAX_DATAGRAM_IPV4;
  if (size > limit) throw new MessageLengthError(size, limit);
}

/** writeSequence's items, checked; returns their total length. */
export function checkSequence(seq: unknown): number {
  if (!Array.isArray(seq)) throw new ArgTypeError(`seq must be an array of Buffers, got ${describe(seq)}`);
  let n = 0;
  for (const item of seq) {
    checkDatagram(item);
    n += item.length;
  }
  return n;
}

/**
 * Check that `host` is an IP literal of the port's family (`'<broadcast>'`
 * allowed on IPv4, as 255.255.255.255); returns the host to send to.
 * @throws InvalidAddressError.
 */
export function checkLiteral(host: unknown, ipv6: boolean, what: string): string {
  checkString(what, host);
  if (host === '<broadcast>' && !ipv6) return '255.255.255.255';
  const family = isIP(host);
  if (family === 0) {
    throw new InvalidAddressError(host, {
      message: `${what} must be an IP address literal, got the host name ${JSON.stringify(host)}: resolve it first (reactor.resolve)`,
    });
  }
  if ((family === 6) !== ipv6) {
    throw new InvalidAddressError(host, {
      message: `${what} ${JSON.stringify(host)} is an IPv${family} address, but this port is IPv${ipv6 ? 6 : 4}`,
    });
  }
  return host;
}

/**
 * A write's destination as `[host, port]`, checked (see {@link checkLiteral}).
 * @throws ArgTypeError for something that is neither a pair nor an address object.
 */
export function checkTarget(addr: unknown, ipv6: boolean): [string, number] {
  let host: unknown;
  let port: unknown;
  if (addr instanceof IPv4Address || addr instanceof IPv6Address) {
    host = addr.host;
    port = addr.port;
  } else if (Array.isArray(addr) && addr.length === 2) {
    host = addr[0];
    port = addr[1];
  } else {
    throw new ArgTypeError(`addr must be a [host, port] pair or an IPv4Address/IPv6Address, got ${describe(addr)}`);
  }
  checkPort('addr port', port);
  if (port === 0) throw new ArgRangeError('addr port must be in 1-65535, got 0');
  return [checkLiteral(host, ipv6, 'addr host'), port];
}

/** The TTL of setTTL, checked. */
export function checkTTL(ttl: unknown): number {
  if (typeof ttl !== 'number') throw new ArgTypeError(`ttl must be an integer in 0-255, got ${describe(ttl)}`);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new ArgRangeError(`ttl must be an integer in 0-255, got ${ttl}`);
  return ttl;
}

/** A boolean argument, checked. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgTypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Whether `a` is the address `[host, port]`. */
export function sameTarget(a: readonly [string, number], host: string, port: number): boolean {
  return a[0] === host && a[1] === port;
}
