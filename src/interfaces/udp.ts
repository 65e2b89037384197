import type { IPv4Address, IPv6Address } from '../address';
import type { Deferred } from '../defer/deferred';
import type { Failure } from '../defer/failure';
import type { IListeningPort } from './connector';

/**
 * Where a datagram goes: a `[host, port]` pair or an address object (what
 * `datagramReceived` got, so `transport.write(data, addr)` echoes). `host`
 * must be an IP literal of the port's family, or `'<broadcast>'`
 * (= `255.255.255.255`) on an IPv4 port.
 */
export type UDPAddress = readonly [host: string, port: number] | IPv4Address | IPv6Address;

/** Options of listenUDP. */
export interface ListenUDPOptions {
  /**
   * The interface to bind: `''` (default) all IPv4 interfaces, `'::'` all
   * IPv6 ones (dual-stack), or an IP literal. A host name is an
   * `InvalidAddressError`.
   */
  interface?: string;
  /** Datagrams longer than this many bytes are cut to it, as `recvfrom` would. Default 8192. */
  maxPacketSize?: number;
  /**
   * `SO_REUSEPORT`. Node 20's `dgram` cannot set it, so `true` throws
   * `FeatureUnavailableError` there (never silently ignored).
   */
  reusePort?: boolean;
}

/** Options of listenMulticast. */
export interface ListenMulticastOptions extends ListenUDPOptions {
  /** `SO_REUSEADDR`: several sockets on one host share the group port. Default false. */
  listenMultiple?: boolean;
}

/**
 * A UDP protocol, as the reactor sees it. Grammar:
 * `makeConnection -> doStart [-> startProtocol] -> (datagramReceived | connectionRefused | errorReceived)* -> doStop [-> stopProtocol]`,
 * with `startProtocol` on the protocol's first port and `stopProtocol` on its last.
 */
export interface IDatagramProtocol {
  /** Attach the port (it becomes `transport`): `doStart()`, which runs `startProtocol()` on the first port. */
  makeConnection(transport: IUDPTransport): void;
  /** The port stopped: runs `stopProtocol()` when it was the last port. */
  doStop(): void;
  /**
   * One datagram arrived. `data` is the protocol's to keep (cut to
   * `maxPacketSize`); `addr` is an `IPv4Address`/`IPv6Address` of type
   * `'UDP'`. A throw (or rejected Promise) is logged; the port keeps reading.
   */
  datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void;
  /** Connected ports only: the peer refused a datagram (ICMP port unreachable). The port stays open. */
  connectionRefused(): void;
  /**
   * Any other send or receive error the OS reported (asyncio's
   * `error_received`; not `EAGAIN`/`EINTR`); `reason.value` is the Node
   * error. The port stays open.
   */
  errorReceived?(reason: Failure): void;
}

/** A UDP port, as its protocol sees it (`protocol.transport`). */
export interface IUDPTransport {
  /** The receive limit: longer datagrams are cut to it. */
  readonly maxPacketSize: number;
  /**
   * Send one datagram. `addr` is required unless connected. Sending is
   * asynchronous: errors the kernel reports later go to `errorReceived`.
   * @throws TypeError for a string or a missing address; InvalidAddressError
   * for a host name or the wrong family; MessageLengthError above 65 507
   * bytes (IPv4) / 65 527 (IPv6); RangeError for another address than the
   * connected one.
   */
  write(datagram: Buffer | Uint8Array, addr?: UDPAddress): void;
  /** Send the concatenation of `seq` as one datagram (checks as write). */
  writeSequence(seq: ReadonlyArray<Buffer | Uint8Array>, addr?: UDPAddress): void;
  /**
   * Connect to `host:port` (IP literal only): writes need no address, other
   * peers' datagrams are dropped, and refusals call `connectionRefused()`.
   * @throws InvalidAddressError for a host name; RuntimeError when already connected.
   */
  connect(host: string, port: number): void;
  /** The bound address, type `'UDP'` (with port 0, the port the kernel picked). */
  getHost(): IPv4Address | IPv6Address;
  /** Stop reading, close the socket, run `doStop()`, then fire. Again: an already fired Deferred. */
  stopListening(): Deferred<void>;
  /** Allow (or forbid) sending to broadcast addresses. */
  setBroadcastAllowed(enabled: boolean): void;
  /** The last value given to setBroadcastAllowed (default false). */
  getBroadcastAllowed(): boolean;
}

/** A UDP port that can take part in multicast groups. */
export interface IMulticastTransport extends IUDPTransport {
  /**
   * Join `addr` on `iface` (`''`: the default interface); both go through
   * `reactor.resolve` first, so names are allowed.
   * @returns fires when joined; fails with MulticastJoinError.
   */
  joinGroup(addr: string, iface?: string): Deferred<void>;
  /** Leave a group joined before; fails with MulticastJoinError. */
  leaveGroup(addr: string, iface?: string): Deferred<void>;
  /** The multicast TTL. @throws RangeError outside 0-255. */
  setTTL(ttl: number): void;
  /** The last TTL set (default 1). */
  getTTL(): number;
  /** Whether the host's own multicast datagrams come back to it. */
  setLoopbackMode(mode: boolean): void;
  /** The last loopback mode set (default true). */
  getLoopbackMode(): boolean;
  /** Resolve `addr`, then send multicast through that interface; fires when done. */
  setOutgoingInterface(addr: string): Deferred<void>;
  /** The last outgoing interface set (default `''`). */
  getOutgoingInterface(): string;
}

/** A listening UDP port: both the listening port and its protocol's transport. */
export interface IUDPListeningPort extends IListeningPort, IUDPTransport {
  /** The bound address, type `'UDP'`. */
  getHost(): IPv4Address | IPv6Address;
}

/** A listening multicast port. */
export interface IMulticastListeningPort extends IListeningPort, IMulticastTransport {
  /** The bound address, type `'UDP'`. */
  getHost(): IPv4Address | IPv6Address;
}

/** UDP. */
export interface IReactorUDP {
  /**
   * Bind `port` (0 for any) and start `protocol` on it, synchronously: in
   * the call, `protocol.makeConnection(port)` runs and reading starts.
   * @throws CannotListenError if the address cannot be bound;
   * InvalidAddressError for a host name as interface; RuntimeError if the
   * protocol is attached already; TypeError/RangeError for bad arguments.
   */
  listenUDP(port: number, protocol: IDatagramProtocol, opts?: ListenUDPOptions): IUDPListeningPort;
}

/** UDP multicast. */
export interface IReactorMulticast {
  /** listenUDP plus `listenMultiple`; the port has the multicast methods. @throws as listenUDP. */
  listenMulticast(port: number, protocol: IDatagramProtocol, opts?: ListenMulticastOptions): IMulticastListeningPort;
}
