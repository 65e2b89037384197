/**
 * The client side of connectTCP: `BaseBaseClient -> BaseClient -> Client`,
 * with Twisted's lifecycle and names (`_requiresResolution`,
 * `resolveAddress`, `_setRealAddress`, `failIfNotConnected`, `doConnect`,
 * `_connectDone`).
 * @module
 */
import { type TcpSocketConnectOpts, isIP } from 'node:net';
import { IPv4Address, IPv6Address } from '../address';
import type { IAddress } from '../interfaces/address';
import type { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { ConnectBindError, ConnectError, UserError, connectErrorFromErrno } from '../errors';
import type { IProtocol } from '../interfaces/protocol';
import { FAILED, checkBuilt, guardCall, guardMakeConnection } from '../guard';
import { Logger } from '../logger';
import { Protocol } from '../protocol/protocol';
import { Connection } from './connection';
import type { BaseConnector } from './connector';
import { newClientStream, nativeClientsEnabled, connectStream } from './native-client';
import { NativeStream } from './native-stream';
import { type TorsionSocket, type TransportSocket, connectSocket, takeClientSocket } from './socket';
import { type BindAddress, type TCPReactor, isIPv6Literal } from './types';

const log = new Logger('torsion.tcp');

/** A resolved `[host, port]` (the host is an IP literal). */
export type RealAddress = readonly [string, number];

function startResolving(client: BaseBaseClient<IAddress>): void {
  client.resolveAddress();
}
function resolved(ip: string, client: BaseBaseClient<IAddress>): void {
  // The attempt may have failed (stopConnecting, timeout) while resolving.
  if (client.connector !== null) client._setRealAddress([ip, client._port]);
}
function resolveFailed(failure: Failure, client: BaseBaseClient<IAddress>): void {
  client.failIfNotConnected(failure);
}

/**
 * The connection-attempt lifecycle shared by client transports (Twisted's
 * `_BaseBaseClient`): resolution, the real address, and the single failure
 * path. Subclasses provide the socket operations.
 */
export abstract class BaseBaseClient<A extends IAddress = IPv4Address | IPv6Address> extends Connection<A> {
  /** The connector driving this attempt; null once the attempt failed. */
  connector: BaseConnector | null;
  // An idle connection's size is what the memory budget is about: the
  // destination is two fields rather than an array, and the resolved
  // address only its host (or the pair, if its port ever differs).
  /** The destination host as given. @internal */
  readonly _host: string;
  /** The destination port. @internal */
  readonly _port: number;
  #real: string | RealAddress | null = null;

  /** The destination as given: `[host, port]`. */
  get addr(): readonly [string, number] {
    return [this._host, this._port];
  }
  /** True when `addr`'s host is a name to resolve, false for an IP literal. */
  get _requiresResolution(): boolean {
    return isIP(this._host) === 0;
  }
  /** 'IPv4' or 'IPv6': the family of the address connected to (IPv4 until a name resolves to IPv6); 'UNIX' for UNIX sockets. */
  get addressFamily(): 'IPv4' | 'IPv6' | 'UNIX' {
    const real = this.#real;
    const host = real === null ? this._host : typeof real === 'string' ? real : real[0];
    return isIPv6Literal(host) ? 'IPv6' : 'IPv4';
  }
  /** Always 'stream' (SOCK_STREAM) for TCP and UNIX stream sockets. */
  get socketType(): 'stream' {
    return 'stream';
  }
  /** The resolved destination, once known. */
  get realAddress(): RealAddress | null {
    const real = this.#real;
    return typeof real === 'string' ? [real, this._port] : real;
  }

  /**
   * @param host - a host name or IP literal.
   * @param port - the destination port.
   * @param connector - the connector to report to.
   * @param reactor - the reactor that runs the attempt.
   */
  constructor(host: string, port: number, connector: BaseConnector, reactor: TCPReactor) {
    super(reactor);
    this.connector = connector;
    this._host = host;
    this._port = port;
  }

  /**
   * Resolve the host if needed (through `reactor.resolve`: IPv4 first, IPv6
   * when the name has no IPv4 address), then `_setRealAddress`. A failure
   * (DNSLookupError) goes to failIfNotConnected.
   */
  resolveAddress(): void {
    if (this.connector === null) return;
    if (!this._requiresResolution) {
      try {
        this._setRealAddress([this._host, this._port]);
      } catch (err) {
        this.failIfNotConnected(err);
      }
      return;
    }
    const d: Deferred<string> = this.reactor.resolve(this._host);
    d.addCallback(resolved, this).addErrback(resolveFailed, this);
  }

  /** Store the resolved address and start the connection attempt. */
  _setRealAddress(address: RealAddress): void {
    this.#real = address[1] === this._port ? address[0] : address;
    this.doConnect();
  }

  /**
   * The single clean-up path of a failed attempt: stop reading and writing,
   * close the socket, forget it, and tell the connector
   * (`connectionFailed(Failure(err))`). Does nothing once connected, after
   * the connection is lost, or when already failed.
   */
  failIfNotConnected(err: unknown): void {
    const connector = this.connector;
    if (this.connected || this.disconnected || connector === null) return;
    this.connector = null;
    this._stopReadingAndWriting();
    this._closeSocket();
    this._collectSocketDetails();
    this.reactor._untrackConnection(this);
    connector.connectionFailed(Failure.from(err));
  }

  /** Abort the attempt if still in progress (UserError). */
  stopConnecting(): void {
    this.failIfNotConnected(new UserError());
  }

  /**
   * Lost before being established: a failed attempt (ConnectError).
   * Lost after: the protocol's connectionLost, then the connector's.
   */
  override connectionLost(reason: Failure): void {
    if (this.disconnected) return;
    if (!this.connected) {
      const cause = reason.value;
      const message = `Connection lost before it was established: ${reason.getErrorMessage()}`;
      this.failIfNotConnected(new ConnectError(message, { cause }));
      return;
    }
    super.connectionLost(reason);
    const connector = this.connector;
    if (connector !== null) connector.connectionLost(reason);
  }

  /** Start the connection attempt to `realAddress`. */
  abstract doConnect(): void;
  /** Leave the reactor's reader set. */
  protected abstract _stopReadingAndWriting(): void;
  /** Close the socket of a failed attempt. */
  protected abstract _closeSocket(): void;
  /** Forget the socket of a failed attempt. */
  protected abstract _collectSocketDetails(): void;
}

/**
 * A client transport over a libuv TCP handle (Twisted's `BaseClient`):
 * creates the socket, connects it, and on success builds the protocol
 * through the connector.
 */
export abstract class BaseClient<A extends IAddress = IPv4Address | IPv6Address> extends BaseBaseClient<A> {
  /** The local address to bind before connecting, if any. */
  readonly bindAddress: BindAddress | null;

  /**
   * @param host - a host name or IP literal.
   * @param port - the destination port.
   * @param bindAddress - local `[host, port]` to bind, or null.
   * @param connector - the connector to report to.
   * @param reactor - the reactor that runs the attempt.
   */
  constructor(host: string, port: number, bindAddress: BindAddress | null, connector: BaseConnector, reactor: TCPReactor) {
    super(host, port, connector, reactor);
    this.bindAddress = bindAddress;
    const socket: TransportSocket = this._newSocket();
    socket.owner = this;
    this._socket = socket;
    reactor._trackConnection(this);
    // As Twisted: the attempt starts on the next reactor pass.
    reactor.callLater(0, startResolving, this);
  }

  /**
   * The socket of a new attempt: a NativeStream over a new libuv handle
   * where the private binding serves, else {@link createInternetSocket}.
   * (Runs inside the constructor: overrides must not use their own fields.)
   * @internal
   */
  protected _newSocket(): TransportSocket {
    return nativeClientsEnabled() ? newClientStream() : this.createInternetSocket();
  }

  /**
   * The error of a failed connect() (ECONNREFUSED, ETIMEDOUT... become
   * their ConnectError subclasses, naming the destination).
   * @internal
   */
  protected _connectError(err: unknown): ConnectError {
    return connectErrorFromErrno(err, this.realAddress);
  }

  /**
   * The socket of an attempt without Node's private TCP binding (or with
   * native client streams switched off): a closed net.Socket from an
   * earlier attempt (reuse) or a new one. Where the binding is available,
   * each attempt gets a new libuv TCP handle instead (no net.Socket).
   */
  createInternetSocket(): TorsionSocket {
    return takeClientSocket();
  }

  /** Connect the socket to `realAddress` (binding `bindAddress` first). */
  doConnect(): void {
    const socket = this._socket;
    const real = this.realAddress;
    if (this.connector === null || socket === null || real === null) return;
    const [host, port] = real;
    if (socket instanceof NativeStream) {
      const err = connectStream(socket, host, port, this.bindAddress);
      if (err !== null) this._connectFailedNow(err);
      return;
    }
    const options: TcpSocketConnectOpts = { host, port };
    if (this.bindAddress !== null) {
      options.localAddress = this.bindAddress[0];
      if (this.bindAddress[1] !== 0) options.localPort = this.bindAddress[1];
    }
    try {
      connectSocket(socket as TorsionSocket, options);
    } catch (err) {
      // Node validates localAddress synchronously (it must be an IP literal).
      this.failIfNotConnected(
        this.bindAddress !== null
          ? new ConnectBindError(`Couldn't bind ${this.bindAddress[0]}: ${String(err)}`, { cause: err })
          : this._connectError(err),
      );
    }
  }

  /**
   * A native attempt failed synchronously: the same errors (classes and
   * message shapes) the net.Socket path reports for these causes.
   */
  private _connectFailedNow(err: Error): void {
    const e = err as NodeJS.ErrnoException;
    if (this.bindAddress !== null && e.syscall === 'bind') {
      this.failIfNotConnected(new ConnectBindError(`Couldn't bind: ${e.message}`, { cause: err }));
    } else if (this.bindAddress !== null && e instanceof TypeError) {
      const shown = e.code === undefined ? String(err) : `TypeError [${e.code}]: ${e.message}`;
      this.failIfNotConnected(new ConnectBindError(`Couldn't bind ${this.bindAddress[0]}: ${shown}`, { cause: err }));
    } else {
      this.failIfNotConnected(this._connectError(err));
    }
  }

  /** The attempt succeeded: build the protocol and connect it. */
  _connectDone(): void {
    const connector = this.connector as BaseConnector;
    let failed: unknown = null;
    const noteFailure = {
      _callbackFailed: (err: unknown, where: string): void => {
        failed ??= err;
        log.failure(`Unhandled error in ${where} of ${this.logPrefix()}`, Failure.from(err));
      },
    };
    const built = guardCall(noteFailure, 'buildProtocol', connector.buildProtocol, connector, this.getPeer());
    const protocol: IProtocol | null = built === FAILED ? null : checkBuilt(built, noteFailure);
    if (failed !== null) {
      const message = Failure.from(failed).getErrorMessage();
      this.failIfNotConnected(new ConnectError(`buildProtocol failed: ${message}`, { cause: failed }));
      return;
    }
    this.connected = true;
    if (protocol === null || protocol === undefined) {
      // A stand-in protocol keeps the rest of the lifecycle uniform.
      this._setProtocol(new Protocol());
      this.loseConnection();
      return;
    }
    this._setProtocol(protocol);
    this.reactor.addReader(this);
    guardMakeConnection(this, protocol, this);
  }

  /** @internal */
  override _onConnect(): void {
    if (this.connector === null || this.connected || this.disconnected) return;
    this._connectDone();
  }

  /** @internal */
  protected override _socketFailed(err: Error | null): void {
    if (err === null) {
      this.failIfNotConnected(new ConnectError('The socket closed before the connection was established'));
    } else if ((err as NodeJS.ErrnoException).syscall === 'bind') {
      this.failIfNotConnected(new ConnectBindError(`Couldn't bind: ${err.message}`, { cause: err }));
    } else {
      this.failIfNotConnected(this._connectError(err));
    }
  }

  protected _stopReadingAndWriting(): void {
    this.reactor.removeReader(this);
  }
  protected _closeSocket(): void {
    const socket = this._socket;
    if (socket !== null && !socket.destroyed) socket.destroy();
  }
  protected _collectSocketDetails(): void {
    const socket = this._socket;
    this._socket = null;
    if (socket !== null) this._releaseSocket(socket);
  }
}

/**
 * The TCP client transport connectTCP creates (IPv4 or IPv6). Do not
 * create it directly.
 */
export class Client extends BaseClient {
  /** The peer address; `realAddress` once resolved, `addr` before. */
  getPeer(): IPv4Address | IPv6Address {
    const [host, port] = this.realAddress ?? this.addr;
    return isIPv6Literal(host) ? new IPv6Address('TCP', host, port) : new IPv4Address('TCP', host, port);
  }

  /** `"<Protocol>,client"`, as Twisted. */
  logPrefix(): string {
    const protocol = this.protocol as { logPrefix?: () => string; constructor: { name: string } } | null;
    if (protocol === null) return 'Uninitialized';
    const name = typeof protocol.logPrefix === 'function' ? protocol.logPrefix() : protocol.constructor.name;
    return `${name},client`;
  }

  /** A short description for debugging. */
  override toString(): string {
    return `<Client to ${this._host}:${this._port}>`;
  }
}
