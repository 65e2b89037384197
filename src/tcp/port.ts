/**
 * `BasePort`, the accepting machinery shared with UNIX sockets, and
 * `Port`, what listenTCP returns (Twisted's `tcp.Port`).
 * @module
 */
import { ArgTypeError } from '../validate';
import * as net from 'node:net';
import { type IPv4Address, type IPv6Address, ipAddress } from '../address';
import type { IAddress } from '../interfaces/address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { CannotListenError } from '../errors';
import { CONNECTION_DONE } from './connection';
import type { IHandleDescriptor } from '../interfaces/fdset';
import type { IListeningPort } from '../interfaces/connector';
import type { IProtocol, IProtocolFactory } from '../interfaces/protocol';
import { FAILED, checkBuilt, guardCall, guardMakeConnection, loggingOwner } from '../guard';
import { Logger } from '../logger';
import { NativeStream, nativeStreamsEnabled } from './native-stream';
import { Server } from './server';
import { type NativeTCPClientHandle, type NativeTCPHandle, type TransportSocket, listenHandle, socketFromHandle } from './socket';

/** A listening libuv handle (TCP or pipe), as BasePort drives it. @internal */
export interface ListeningHandle {
  close(cb?: () => void): void;
  onconnection: ((status: number, client?: NativeTCPClientHandle) => void) | null;
}
import { type TCPReactor, isIPv6Literal } from './types';
import { bindings } from './bindings';
import { nativeAddon } from '../native';

const log = new Logger('torsion.tcp');

/** getpeername's out-parameter, reused: accepts are serial on the loop thread. */
const peerOut: { address?: string; port?: number; family?: string } = {};

/**
 * The previous peer's host string. Consecutive connections often come from
 * the same host; sharing one string instead of a copy per connection keeps
 * idle connections smaller (every Server holds its peer address).
 */
let lastPeerHost = '';

function internPeerHost(host: string): string {
  if (host === lastPeerHost) return lastPeerHost;
  lastPeerHost = host;
  return host;
}

/**
 * The accepting half of a listening port (Twisted's `tcp.Port` minus the
 * address family): the reader-set hold-back of new connections, closing,
 * `stopListening()`'s Deferreds and the factory's doStart/doStop. TCP's
 * {@link Port} and UNIX's extend it with binding and the peer address.
 */
export abstract class BasePort<A extends IAddress = IPv4Address | IPv6Address> implements IListeningPort, IHandleDescriptor {
  /** The factory of the accepted connections' protocols. */
  readonly factory: IProtocolFactory;
  /** The listen backlog. */
  readonly backlog: number;
  /** The reactor. */
  readonly reactor: TCPReactor;
  /** True while listening. */
  connected = false;
  /** True from stopListening() until the socket is closed. */
  disconnecting = false;
  /** How many connections were accepted (the next Server's sessionno). */
  sessionno = 0;

  #handle: ListeningHandle | null = null;
  #reading = false;
  /** Accepted connections not yet handed to the factory. */
  #pending: NativeTCPClientHandle[] = [];
  #waiters: Deferred<void>[] = [];
  #closing = false;
  /** Logs the failures of the factory's callbacks (guard.ts). */
  readonly #guard = loggingOwner(log, () => ` of ${this.logPrefix()}`);

  /**
   * @param factory - the protocol factory.
   * @param backlog - listen backlog.
   * @param reactor - the reactor.
   */
  constructor(factory: IProtocolFactory, backlog: number, reactor: TCPReactor) {
    this.factory = factory;
    this.backlog = backlog;
    this.reactor = reactor;
  }

  /** Bind and listen, then start the factory and accepting. */
  abstract startListening(): void;
  /** The bound address. */
  abstract getHost(): A;
  /** Hand an accepted handle to the factory and start its transport (or close it). @internal */
  protected abstract _accept(client: NativeTCPClientHandle): void;

  /** The listening handle, while there is one. @internal */
  protected get _handle(): ListeningHandle | null {
    return this.#handle;
  }

  /**
   * The bound handle is listening: accept through it, run the factory's
   * doStart (a throw closes the handle and reaches the caller), join the
   * reactor's reader set.
   * @internal
   */
  protected _startAccepting(handle: ListeningHandle): void {
    this.#closing = false;
    handle.onconnection = (status, client) => this.#onConnection(status, client);
    this.#handle = handle;
    try {
      this.factory.doStart();
    } catch (err) {
      handle.close();
      this.#handle = null;
      throw err;
    }
    this.connected = true;
    this.reactor._trackConnection(this);
    this.reactor.addReader(this);
  }

  /**
   * Stop accepting and close the socket. The Deferred fires once the socket
   * is closed and the factory's doStop has run (at once if not listening).
   */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    if (!this.connected) {
      d.callback(undefined);
      return d;
    }
    this.disconnecting = true;
    this.reactor.removeReader(this);
    this.#waiters.push(d);
    if (!this.#closing) {
      this.#closing = true;
      this.#handle?.close(() => this.connectionLost(CONNECTION_DONE));
    }
    return d;
  }

  /** Twisted's name for stopListening(). */
  loseConnection(): Deferred<void> {
    return this.stopListening();
  }

  /** The listening socket's file descriptor, or -1. */
  fileno(): number {
    const fd = (this.#handle as unknown as { fd?: unknown } | null)?.fd;
    return typeof fd === 'number' ? fd : -1;
  }
  /** Twisted's `startReading()`: `reactor.addReader(this)` (accept again). */
  startReading(): void {
    if (this.connected && !this.disconnecting) this.reactor.addReader(this);
  }
  /** Twisted's `stopReading()`: `reactor.removeReader(this)` (hold new connections back). */
  stopReading(): void {
    this.reactor.removeReader(this);
  }
  /** Reactor hook (addReader): accept, and hand out held-back connections. @hidden */
  _startReadingHandle(): void {
    if (this.#reading || !this.connected) return;
    this.#reading = true;
    const pending = this.#pending;
    this.#pending = [];
    for (const client of pending) {
      if (!this.#reading) this.#pending.push(client);
      else this._accept(client);
    }
  }
  /** Reactor hook (removeReader): hold new connections back. @hidden */
  _stopReadingHandle(): void {
    this.#reading = false;
  }
  /** The factory's class name, as Twisted. */
  logPrefix(): string {
    return this.factory.constructor.name;
  }

  /**
   * The port is closed (or the reactor shuts down): close the socket, drop
   * held-back connections, `_closed()`, run the factory's doStop, fire
   * stopListening's Deferreds. Runs once.
   */
  connectionLost(_reason: Failure): void {
    if (!this.connected) return;
    this.connected = false;
    this.#reading = false;
    this.reactor.removeReader(this);
    this.reactor._untrackConnection(this);
    if (!this.#closing) {
      this.#closing = true;
      this.#handle?.close();
    }
    for (const client of this.#pending) client.close();
    this.#pending = [];
    this._closed();
    guardCall(this.#guard, 'doStop', this.factory.doStop, this.factory);
    this.disconnecting = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const d of waiters) d.callback(undefined);
  }

  /** The socket is closed, before the factory's doStop (log it; UNIX: unlink, unlock). @internal */
  protected abstract _closed(): void;

  /** Ask the factory for the protocol of a connection from `addr` (null: refuse it). @internal */
  protected _build(addr: IAddress): IProtocol | null {
    const p = guardCall(this.#guard, 'buildProtocol', this.factory.buildProtocol, this.factory, addr);
    return p === FAILED ? null : checkBuilt(p, this.#guard);
  }

  #onConnection(status: number, client: NativeTCPClientHandle | undefined): void {
    if (status !== 0 || client === undefined) {
      log.warn(`Could not accept new connection (errno ${status})`);
      return;
    }
    if (!this.connected || this.disconnecting || (!this.#reading && this.#pending.length >= this.backlog)) {
      // Closed, or as many held back as the backlog would queue.
      client.close();
    } else if (!this.#reading) {
      this.#pending.push(client);
    } else {
      this._accept(client);
      this.#acceptMore();
    }
  }

  /**
   * Open an extra accepted descriptor (see #acceptMore) as a handle of
   * this port's kind, or null where this port cannot (the default).
   * @internal
   */
  protected _openAccepted(_fd: number): NativeTCPClientHandle | null {
    return null;
  }

  /** Whether this port can take extra connections through the addon now (see #acceptMore). @internal */
  protected _canAcceptMore(): boolean {
    return false;
  }

  /**
   * libuv accepts one connection per loop pass; under a burst the kernel's
   * accept queue overflows while the loop serves other work (SYNs dropped,
   * clients stalled for a 1 s retransmit). Where the native addon is
   * available and the port can open descriptors, take what else is pending
   * now, up to 63 more (Twisted's accept loop takes up to 100 per event).
   */
  #acceptMore(): void {
    const fd = (this.#handle as { fd?: number } | null)?.fd;
    if (fd === undefined || fd < 0 || !this._canAcceptMore()) return;
    const addon = nativeAddon();
    if (addon === null || typeof addon.acceptMany !== 'function') return;
    const n = addon.acceptMany(fd, ACCEPTED) | 0;
    for (let i = 0; i < n; i++) {
      const cfd = ACCEPTED[i];
      const client = this._openAccepted(cfd);
      if (client === null) {
        addon.close(cfd);
      } else if (!this.#reading || !this.connected || this.disconnecting) {
        // A callback of an earlier connection closed or paused the port.
        if (this.connected && !this.disconnecting && this.#pending.length < this.backlog) this.#pending.push(client);
        else client.close();
      } else {
        this._accept(client);
      }
    }
  }
}

/**
 * A listening TCP port. `startListening()` binds synchronously and throws
 * CannotListenError (with the system error as `cause`); listenTCP calls it.
 * Each accepted connection goes to `factory.buildProtocol(peerAddress)`
 * (null closes it) and becomes a {@link Server} transport.
 *
 * The port is in its reactor's reader set while accepting: `removeReader(port)`
 * holds new connections back (up to `backlog` of them wait, accepted, until
 * `addReader(port)`; libuv cannot stop accepting, so this stands in for the
 * kernel's queue).
 *
 * @example
 * const port = reactor.listenTCP(0, factory, { interface: '127.0.0.1' });
 * port.getHost().port; // the port the kernel picked
 * await port.stopListening();
 */
export class Port extends BasePort {
  /** The port asked for (0: any). */
  readonly port: number;
  /** The interface asked for ('' = all IPv4 interfaces). */
  readonly interface: string;

  #host: IPv4Address | IPv6Address | null = null;

  /**
   * Prefer `reactor.listenTCP`, which validates and calls startListening().
   * @param port - port number, 0 for any.
   * @param factory - the protocol factory.
   * @param backlog - listen backlog.
   * @param iface - interface address; '' for all IPv4 interfaces.
   * @param reactor - the reactor.
   */
  constructor(port: number, factory: IProtocolFactory, backlog: number, iface: string, reactor: TCPReactor) {
    super(factory, backlog, reactor);
    this.port = port;
    this.interface = iface;
  }

  /**
   * Bind and listen, then start the factory and accepting.
   * @throws CannotListenError if the address cannot be bound (in use,
   * not local, a host name instead of an IP literal...).
   */
  startListening(): void {
    if (this.connected) return;
    const ipv6 = isIPv6Literal(this.interface);
    const address = this.interface === '' ? '0.0.0.0' : this.interface === 'localhost' ? '127.0.0.1' : this.interface;
    if (!ipv6 && net.isIP(address) !== 4) {
      throw new CannotListenError(this.interface, this.port, {
        cause: new ArgTypeError(`interface must be an IP address literal, got ${JSON.stringify(this.interface)}`),
      });
    }
    let handle: NativeTCPHandle;
    try {
      handle = listenHandle(address, this.port, ipv6, this.backlog);
    } catch (err) {
      throw new CannotListenError(this.interface, this.port, { cause: err });
    }
    const out: { address?: string; port?: number; family?: string } = {};
    handle.getsockname(out);
    this.#host = ipAddress('TCP', out.address ?? address, out.port ?? this.port, out.family);
    log.debug(`${this.logPrefix()} starting on ${this.#host.port}`);
    this._startAccepting(handle as unknown as ListeningHandle);
  }

  /** The bound address: with port 0, the port the kernel picked. */
  getHost(): IPv4Address | IPv6Address {
    if (this.#host === null) return ipAddress('TCP', this.interface === '' ? '0.0.0.0' : this.interface, this.port);
    return this.#host;
  }

  /** A short description for debugging. */
  override toString(): string {
    return this.connected
      ? `<Port of ${this.logPrefix()} on ${this.getHost().port}>`
      : `<Port of ${this.logPrefix()} (not listening)>`;
  }

  /** The private binding's TCP handle can open() a descriptor. @internal */
  protected override _canAcceptMore(): boolean {
    return extraAccepts() !== null;
  }

  /** @internal */
  protected override _openAccepted(fd: number): NativeTCPClientHandle | null {
    const tcp = extraAccepts();
    if (tcp === null) return null;
    const client = new tcp.TCP(tcp.SOCKET) as NativeTCPClientHandle & { open(fd: number): number };
    if (client.open(fd) === 0) return client;
    client.close();
    return null;
  }

  /** @internal */
  protected _closed(): void {
    log.debug(`(TCP Port ${this.#host?.port ?? this.port} Closed)`);
  }

  /** @internal */
  protected _accept(client: NativeTCPClientHandle): void {
    const out = peerOut;
    out.address = out.port = out.family = undefined;
    if (client.getpeername(out) !== 0 || out.address === undefined || out.port === undefined) {
      // The peer went away between accept and now.
      client.close();
      return;
    }
    const addr = ipAddress('TCP', internPeerHost(out.address), out.port, out.family);
    const protocol = this._build(addr);
    if (protocol === null) {
      client.close();
      return;
    }
    const socket: TransportSocket = nativeStreamsEnabled() ? new NativeStream(client) : socketFromHandle(client);
    const transport = new Server(socket, protocol, addr, this, this.sessionno++, this.reactor);
    guardMakeConnection(transport, protocol, transport);
  }
}

/** Accepted descriptors of one acceptMore() call. */
const ACCEPTED = new Int32Array(63);

interface ExtraAccepts {
  readonly TCP: new (type: number) => unknown;
  readonly SOCKET: number;
}
/** The binding's TCP handle, when it can open() a descriptor (looked up once per binding; null: it cannot). */
let openable: ExtraAccepts | null = null;
let openableFor: unknown = null;

/** The binding's TCP handle where it can open() a descriptor and the addon is there, or null (the switches are honoured on every call; nothing is allocated per call). */
function extraAccepts(): ExtraAccepts | null {
  const b = bindings();
  if (b === null || nativeAddon() === null) return null;
  if (openableFor !== b.tcp) {
    openableFor = b.tcp;
    const proto = (b.tcp.TCP as { prototype?: Record<string, unknown> }).prototype;
    openable = typeof proto?.open === 'function' ? { TCP: b.tcp.TCP, SOCKET: b.tcp.constants.SOCKET } : null;
  }
  return openable;
}
