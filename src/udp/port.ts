/**
 * `Port`: what listenUDP returns (Twisted's `udp.Port`), on Node's public
 * `dgram` API.
 *
 * Two things keep it lean per datagram:
 * - the socket is created with a lookup function that answers at once
 *   (torsion only ever sends to IP literals, checked at the call), so
 *   `bind()` is synchronous (CannotListenError comes from listenUDP itself,
 *   as in Twisted) and `send()` skips `dns.lookup` and its extra tick;
 * - the socket is a `dgram.Socket` subclass whose `emit()` hands 'message'
 *   and 'error' straight to the port (no listener dispatch), and the peer
 *   address objects (frozen) are reused while the same peer keeps sending,
 *   so an echo allocates no address per datagram.
 * @module
 */
import * as dgram from 'node:dgram';
import * as os from 'node:os';
import { IPv4Address, IPv6Address } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { CannotListenError, ConnectionDone, RuntimeError } from '../errors';
import { type GuardOwner, guardCall, guardMakeConnection, loggingOwner } from '../guard';
import type { IListeningPort } from '../interfaces/connector';
import type { IHandleDescriptor } from '../interfaces/fdset';
import type { IDatagramProtocol, IUDPTransport, UDPAddress } from '../interfaces/udp';
import { Logger } from '../logger';
import type { TCPReactor } from '../tcp/types';
import { ArgRangeError, ArgTypeError, checkPort } from '../validate';
import {
  type UDPListenConfig,
  checkBoolean,
  checkDatagram,
  checkDatagramSize,
  checkLiteral,
  checkSequence,
  checkTarget,
} from './check';

const log = new Logger('torsion.udp');

/** The reactor services a UDP port uses (the same as a TCP port's). */
export type UDPReactor = TCPReactor;

const CONNECTION_DONE = new Failure(new ConnectionDone());

/** At most this many peers' address objects are kept per port for reuse. */
const ADDRESS_CACHE_LIMIT = 1024;

/** Errors that are no news (asyncio's rule for error_received). */
const IGNORED_ERRORS = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/** Answers at once: every address torsion hands dgram is an IP literal already checked. */
function literalLookup(address: string, family: unknown, callback: (err: null, ip: string, family: unknown) => void): void {
  callback(null, address, family);
}

type DgramSocketCtor = new (options: dgram.SocketOptions) => dgram.Socket;

/** A dgram.Socket that reports to its port without listeners. @internal */
class UDPSocket extends (dgram.Socket as unknown as DgramSocketCtor) {
  port: Port | null = null;
}

// dgram emits 'message' with (buffer, rinfo) and 'error' with (error): hand
// both to the port directly; everything else ('listening', 'close',
// 'connect') goes to the listeners as usual.
const superEmit = dgram.Socket.prototype.emit as (this: dgram.Socket, event: string | symbol, ...args: unknown[]) => boolean;
(UDPSocket.prototype as unknown as { emit: (e: string | symbol, a?: unknown, b?: unknown) => boolean }).emit = function emit(
  this: UDPSocket,
  event: string | symbol,
  a?: unknown,
  b?: unknown,
): boolean {
  const port = this.port;
  if (port !== null) {
    if (event === 'message') {
      const rinfo = b as dgram.RemoteInfo;
      port._received(a as Buffer, rinfo.address, rinfo.port);
      return true;
    }
    if (event === 'error') {
      port._socketError(a as NodeJS.ErrnoException);
      return true;
    }
  }
  // (dgram's other events carry at most one argument.)
  if (b !== undefined) return superEmit.call(this, event, a, b);
  return a === undefined ? superEmit.call(this, event) : superEmit.call(this, event, a);
};

/** A datagram held back while the port is not a reader. */
interface Held {
  data: Buffer;
  host: string;
  port: number;
}

/**
 * A UDP port: the listening port and its protocol's transport at once
 * (see {@link IUDPTransport} for every method's contract).
 *
 * The port is in its reactor's reader set while receiving:
 * `reactor.removeReader(port)` stops datagramReceived and
 * `addReader(port)` resumes it. Node's dgram cannot stop reading from the
 * kernel, so meanwhile the port holds what arrives, up to the socket's
 * receive buffer size (what the kernel would have kept), and drops the rest
 * as the kernel would.
 *
 * @example
 * const port = reactor.listenUDP(0, new Echo(), { interface: '127.0.0.1' });
 * port.getHost().port; // the port the kernel picked
 * await port.stopListening();
 */
export class Port implements IListeningPort, IUDPTransport, IHandleDescriptor {
  /** The port asked for (0: any). */
  readonly port: number;
  /** The protocol. */
  readonly protocol: IDatagramProtocol;
  /** The interface asked for ('' = all IPv4 interfaces). */
  readonly interface: string;
  /** {@inheritDoc torsion/interfaces!IUDPTransport.maxPacketSize} */
  readonly maxPacketSize: number;
  /** The reactor. */
  readonly reactor: UDPReactor;
  /** True while listening. */
  connected = false;
  /** True from stopListening() until the socket is closed. */
  disconnecting = false;

  /** @internal */
  protected readonly _ipv6: boolean;
  /** @internal */
  protected readonly _listenMultiple: boolean;
  /** @internal */
  protected _socket: UDPSocket | null = null;
  #host: IPv4Address | IPv6Address | null = null;
  #reading = false;
  #closing = false;
  #waiters: Deferred<void>[] = [];
  #connectedTo: [string, number] | null = null;
  #broadcast = false;
  #truncationLogged = false;
  #held: Held[] = [];
  #heldBytes = 0;
  #holdLimit = 0;
  /** The last peer's address object, and a few more, reused while they keep sending. */
  #lastAddr: IPv4Address | IPv6Address | null = null;
  readonly #addrs = new Map<number, IPv4Address | IPv6Address>();
  /** The last address object a write was checked for (frozen, so identity is enough). */
  #lastTarget: IPv4Address | IPv6Address | null = null;
  /** The last host of a [host, port] pair a write was checked for. */
  #lastHost: string | null = null;
  /** Logs the failures of the protocol's callbacks (guard.ts): the port keeps reading. */
  readonly #guard: GuardOwner = loggingOwner(log, () => ` of ${this.logPrefix()}`);
  readonly #sent = (err: Error | null): void => {
    if (err !== null && err !== undefined) this._socketError(err as NodeJS.ErrnoException);
  };

  /**
   * Prefer `reactor.listenUDP`, which checks the arguments and calls startListening().
   * @param port - port number, 0 for any.
   * @param protocol - the datagram protocol.
   * @param config - the checked options.
   * @param reactor - the reactor.
   */
  constructor(port: number, protocol: IDatagramProtocol, config: UDPListenConfig, reactor: UDPReactor) {
    this.port = port;
    this.protocol = protocol;
    this.interface = config.interface;
    this.maxPacketSize = config.maxPacketSize;
    this._ipv6 = config.ipv6;
    this._listenMultiple = config.listenMultiple;
    this.reactor = reactor;
  }

  /**
   * Bind, attach the protocol (`makeConnection` → `doStart` →
   * `startProtocol`), start reading.
   * @throws CannotListenError if the address cannot be bound; RuntimeError
   * if the protocol is attached to a transport already.
   */
  startListening(): void {
    if (this.connected) return;
    if ((this.protocol as { transport?: unknown }).transport != null) {
      throw new RuntimeError('This protocol is already attached to a transport: use one protocol instance per port');
    }
    this.#closing = false;
    const address = this.interface === '' ? '0.0.0.0' : this.interface;
    const sock = new UDPSocket({
      type: this._ipv6 ? 'udp6' : 'udp4',
      reuseAddr: this._listenMultiple,
      lookup: literalLookup as unknown as dgram.SocketOptions['lookup'],
    });
    let bindError: unknown = null;
    const onError = (err: unknown): void => {
      bindError = err;
    };
    sock.on('error', onError);
    try {
      sock.bind({ port: this.port, address, exclusive: true });
    } catch (err) {
      bindError = err;
    }
    sock.removeListener('error', onError);
    if (bindError === null && !isBound(sock)) {
      bindError = new Error('dgram did not bind synchronously');
    }
    if (bindError !== null) {
      try {
        sock.close();
      } catch {
        // Never bound: nothing to close.
      }
      throw new CannotListenError(this.interface, this.port, { cause: bindError });
    }
    const a = sock.address();
    this.#host = a.family === 'IPv6' ? new IPv6Address('UDP', a.address, a.port) : new IPv4Address('UDP', a.address, a.port);
    try {
      this.#holdLimit = sock.getRecvBufferSize();
    } catch {
      this.#holdLimit = 212_992;
    }
    sock.port = this;
    this._socket = sock;
    this.connected = true;
    this.reactor._trackConnection(this);
    log.debug(`${this.logPrefix()} starting on ${this.#host.port}`);
    guardMakeConnection(this.#guard, this.protocol as never, this);
    if (this.connected && !this.disconnecting) this.reactor.addReader(this);
  }

  // ---- IUDPTransport ------------------------------------------------------------

  /** {@inheritDoc torsion/interfaces!IUDPTransport.write} */
  write(datagram: Buffer | Uint8Array, addr?: UDPAddress): void {
    checkDatagram(datagram);
    checkDatagramSize(datagram.length, this._ipv6);
    this.#send(datagram, addr);
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.writeSequence} */
  writeSequence(seq: ReadonlyArray<Buffer | Uint8Array>, addr?: UDPAddress): void {
    const size = checkSequence(seq);
    checkDatagramSize(size, this._ipv6);
    this.#send([...seq], addr);
  }

  #send(data: Uint8Array | Uint8Array[], addr: UDPAddress | undefined): void {
    const sock = this._socket;
    const to = this.#connectedTo;
    if (to !== null) {
      if (addr !== undefined && addr !== null) {
        const [host, port] = checkTarget(addr, this._ipv6);
        if (host !== to[0] || port !== to[1]) {
          throw new ArgRangeError(
            `This port is connected to ${to[0]}:${to[1]}: it cannot write to ${host}:${port} (leave addr out)`,
          );
        }
      }
      if (sock === null || this.disconnecting) {
        this.#dropClosed();
        return;
      }
      sock.send(data, this.#sent);
      return;
    }
    if (addr === undefined || addr === null) {
      throw new ArgTypeError('addr is required: this port is not connected (write(data, [host, port]))');
    }
    let host: string;
    let port: number;
    if (addr === this.#lastAddr || addr === this.#lastTarget) {
      // An address object this port made from a peer, or checked already.
      host = (addr as IPv4Address).host;
      port = (addr as IPv4Address).port;
    } else if (Array.isArray(addr) && addr[0] === this.#lastHost && isPeerPort(addr[1])) {
      // A [host, port] pair naming the host checked last (strings are immutable).
      host = addr[0];
      port = addr[1];
    } else {
      [host, port] = checkTarget(addr, this._ipv6);
      if (addr instanceof IPv4Address || addr instanceof IPv6Address) this.#lastTarget = addr;
      else if (host === (addr as readonly [string, number])[0]) this.#lastHost = host;
    }
    if (sock === null || this.disconnecting) {
      this.#dropClosed();
      return;
    }
    sock.send(data, port, host, this.#sent);
  }

  #dropClosed(): void {
    log.debug(`${this.logPrefix()}: datagram dropped, the port is closed`);
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.connect} */
  connect(host: string, port: number): void {
    if (this.#connectedTo !== null) throw new RuntimeError('already connected, reconnecting is not currently supported');
    const h = checkLiteral(host, this._ipv6, 'host');
    checkPort('port', port);
    if (port === 0) throw new ArgRangeError('port must be in 1-65535, got 0');
    if (this._socket === null || this.disconnecting) throw new RuntimeError('The port is not listening');
    this._socket.connect(port, h);
    this.#connectedTo = [h, port];
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.getHost} */
  getHost(): IPv4Address | IPv6Address {
    if (this.#host !== null) return this.#host;
    return this._ipv6
      ? new IPv6Address('UDP', this.interface, this.port)
      : new IPv4Address('UDP', this.interface === '' ? '0.0.0.0' : this.interface, this.port);
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.setBroadcastAllowed} */
  setBroadcastAllowed(enabled: boolean): void {
    checkBoolean('enabled', enabled);
    this._liveSocket().setBroadcast(enabled);
    this.#broadcast = enabled;
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.getBroadcastAllowed} */
  getBroadcastAllowed(): boolean {
    return this.#broadcast;
  }

  /**
   * Stop reading, close the socket, run the protocol's `doStop()`, then
   * fire. Again after that: an already fired Deferred; a call while closing
   * fires with the first, once the socket is closed.
   */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    if (!this.connected) {
      d.callback(undefined);
      return d;
    }
    this.#waiters.push(d);
    if (!this.disconnecting) {
      this.disconnecting = true;
      this.reactor.removeReader(this);
      this.#closing = true;
      this._socket?.close(() => this.connectionLost(CONNECTION_DONE));
    }
    return d;
  }

  /** Twisted's name for stopListening(). */
  loseConnection(): Deferred<void> {
    return this.stopListening();
  }

  // ---- IHandleDescriptor --------------------------------------------------------

  /** Node's dgram does not expose the descriptor: -1. */
  fileno(): number {
    return -1;
  }
  /** Twisted's `startReading()`: `reactor.addReader(this)`. */
  startReading(): void {
    if (this.connected && !this.disconnecting) this.reactor.addReader(this);
  }
  /** Twisted's `stopReading()`: `reactor.removeReader(this)`. */
  stopReading(): void {
    this.reactor.removeReader(this);
  }
  /** Reactor hook (addReader): deliver again, held datagrams first. @hidden */
  _startReadingHandle(): void {
    if (this.#reading || !this.connected) return;
    this.#reading = true;
    while (this.#reading && this.#held.length > 0) {
      const h = this.#held.shift()!;
      this.#heldBytes -= h.data.length;
      this.#deliver(h.data, h.host, h.port);
    }
  }
  /** Reactor hook (removeReader): hold datagrams back. @hidden */
  _stopReadingHandle(): void {
    this.#reading = false;
  }

  /** The protocol's class name, as Twisted. */
  logPrefix(): string {
    return this.protocol.constructor?.name ?? 'DatagramProtocol';
  }

  /**
   * The port is closed (or the reactor shuts down): close the socket, run
   * the protocol's doStop, fire stopListening's Deferreds. Runs once.
   */
  connectionLost(_reason: Failure): void {
    if (!this.connected) return;
    this.connected = false;
    this.#reading = false;
    this.reactor.removeReader(this);
    this.reactor._untrackConnection(this);
    const sock = this._socket;
    if (!this.#closing) {
      this.#closing = true;
      try {
        sock?.close();
      } catch {
        // Already closed.
      }
    }
    if (sock !== null) {
      sock.port = null;
      // Nothing may reach a closed port; an error event without a listener would throw.
      sock.on('error', ignoreError);
    }
    this.#held = [];
    this.#heldBytes = 0;
    this.#addrs.clear();
    log.debug(`(UDP Port ${this.#host?.port ?? this.port} Closed)`);
    guardCall(this.#guard, 'doStop', this.protocol.doStop, this.protocol);
    this.disconnecting = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const d of waiters) d.callback(undefined);
  }

  /** A short description for debugging. */
  toString(): string {
    return this.connected ? `<${this.logPrefix()} on ${this.getHost().port}>` : `<${this.logPrefix()} (not listening)>`;
  }

  // ---- from the socket ------------------------------------------------------------

  /** The socket, or RuntimeError when the port is closed. @internal */
  protected _liveSocket(): dgram.Socket {
    if (this._socket === null || !this.connected || this.disconnecting) throw new RuntimeError('The port is not listening');
    return this._socket;
  }

  /** A datagram arrived (UDPSocket.emit). @internal */
  _received(data: Buffer, host: string, port: number): void {
    if (this.#reading) {
      this.#deliver(data, host, port);
      return;
    }
    if (!this.connected || this.#heldBytes + data.length > this.#holdLimit) return;
    this.#held.push({ data, host, port });
    this.#heldBytes += data.length;
  }

  #deliver(data: Buffer, host: string, port: number): void {
    if (data.length > this.maxPacketSize) data = this.#truncate(data);
    const protocol = this.protocol;
    guardCall(this.#guard, 'datagramReceived', protocol.datagramReceived, protocol, data, this.#addressOf(host, port));
  }

  #truncate(data: Buffer): Buffer {
    if (!this.#truncationLogged) {
      this.#truncationLogged = true;
      log.warn(
        `${this.logPrefix()}: a datagram of ${data.length} bytes was cut to maxPacketSize (${this.maxPacketSize}); ` +
          'further truncations on this port are not logged',
      );
    }
    return data.subarray(0, this.maxPacketSize);
  }

  #addressOf(host: string, port: number): IPv4Address | IPv6Address {
    const last = this.#lastAddr;
    if (last !== null && last.port === port && last.host === host) return last;
    let a = this.#addrs.get(port);
    if (a === undefined || a.host !== host) {
      a = this._ipv6 ? ipv6Address(host, port) : new IPv4Address('UDP', host, port);
      if (this.#addrs.size >= ADDRESS_CACHE_LIMIT) this.#addrs.clear();
      this.#addrs.set(port, a);
    }
    this.#lastAddr = a;
    return a;
  }

  /** A send or receive error (UDPSocket.emit, send callbacks). @internal */
  _socketError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? '';
    if (IGNORED_ERRORS.has(code) || !this.connected) return;
    const protocol = this.protocol;
    if (code === 'ECONNREFUSED') {
      // Twisted: refusals matter only on a connected port.
      if (this.#connectedTo !== null && typeof protocol.connectionRefused === 'function') {
        guardCall(this.#guard, 'connectionRefused', protocol.connectionRefused, protocol);
      }
      return;
    }
    if (typeof protocol.errorReceived === 'function') {
      guardCall(this.#guard, 'errorReceived', protocol.errorReceived, protocol, new Failure(err));
    } else {
      log.warn(`${this.logPrefix()}: ${err.syscall ?? 'socket'} error ${code}: ${err.message}`);
    }
  }
}

/** Interface name -> index, for zones of link-local peers (`%eth0`). */
const scopeIds = new Map<string, number | string>();

/**
 * The scope id of a zone: its interface's index as Twisted reports it
 * (from os.networkInterfaces), the number itself for a numeric zone, or the
 * name when the interface is not known.
 */
function scopeIdOf(zone: string): number | string {
  if (/^\d+$/.test(zone)) return Number(zone);
  let id = scopeIds.get(zone);
  if (id === undefined) {
    const entry = os
      .networkInterfaces()
      [zone]?.find((i) => i.family === 'IPv6' && typeof i.scopeid === 'number' && i.scopeid > 0);
    id = entry?.scopeid ?? zone;
    scopeIds.set(zone, id);
  }
  return id;
}

/** An IPv6 peer address; a zone (`fe80::1%eth0`, kept in the host as Python does) gives the scope id. */
function ipv6Address(host: string, port: number): IPv6Address {
  const pct = host.indexOf('%');
  return new IPv6Address('UDP', host, port, 0, pct < 0 ? 0 : scopeIdOf(host.slice(pct + 1)));
}

function ignoreError(): void {}

/** A port a datagram can go to: an integer in 1-65535. */
function isPeerPort(p: unknown): p is number {
  return typeof p === 'number' && (p | 0) === p && p > 0 && p < 65536;
}

/** Whether dgram bound the socket (address() throws when it did not). */
function isBound(sock: dgram.Socket): boolean {
  try {
    sock.address();
    return true;
  } catch {
    return false;
  }
}
