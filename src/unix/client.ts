/**
 * The client side of connectUNIX: Twisted's `unix.Client` on torsion's
 * `tcp.BaseClient` (the attempt lifecycle, the transport, flow control and
 * write batching are TCP's), over a pipe handle.
 * @module
 */
import { UNIXAddress } from '../address';
import { BadFileError, ConnectError, ConnectionRefusedError, FeatureUnavailableError, connectErrorFromErrno } from '../errors';
import { BaseClient } from '../tcp/client';
import { connectPipeStream, nativePipesEnabled, newPipeStream } from '../tcp/native-client';
import { NativeStream } from '../tcp/native-stream';
import { type TorsionSocket, type TransportSocket, connectSocket } from '../tcp/socket';
import type { TCPReactor } from '../tcp/types';
import type { Connector } from './connector';
import { isLocked } from './lock';

/** The unbound end of a UNIX connection (Twisted's `UNIXAddress(None)`). @internal */
export const UNNAMED: UNIXAddress = new UNIXAddress(null);

/** What a UNIX transport says to the TCP-only methods. @internal */
export function noTCPOptions(method: string): FeatureUnavailableError {
  return new FeatureUnavailableError(`${method} on a UNIX socket`, 'TCP options do not apply to UNIX sockets');
}

/** What sendFileDescriptor throws. @internal */
export function noFileDescriptors(): FeatureUnavailableError {
  return new FeatureUnavailableError(
    'sendFileDescriptor',
    "Node's UNIX stream sockets cannot carry file descriptors (SCM_RIGHTS) outside child_process IPC",
  );
}

/**
 * The UNIX socket errors of a connection attempt, naming the socket file.
 * @internal
 */
export function unixConnectError(err: unknown, path: string): ConnectError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ENOENT':
      return new ConnectError(`No UNIX socket at ${path} (${msg}); is the server listening on that path?`, { cause: err });
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(`Connection to ${path} was refused by the other side; is the server listening?`, {
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new ConnectError(`Permission denied connecting to ${path} (${msg}); check the socket file's mode`, { cause: err });
    case 'ENOTSOCK':
      return new ConnectError(`${path} is not a UNIX socket (${msg})`, { cause: err });
    default:
      return connectErrorFromErrno(err, null);
  }
}

/**
 * The UNIX client transport connectUNIX creates (an {@link torsion/interfaces!IUNIXTransport}):
 * `addressFamily` 'UNIX', `socketType` 'stream', nothing to resolve. Do not
 * create it directly.
 */
export class Client extends BaseClient<UNIXAddress> {
  readonly #checkPID: boolean;
  #peer: UNIXAddress | null = null;

  /**
   * @param path - the socket file.
   * @param connector - the connector to report to.
   * @param reactor - the reactor.
   * @param checkPID - first check that a live process holds `path + '.lock'`.
   * @internal
   */
  constructor(path: string, connector: Connector, reactor: TCPReactor, checkPID: boolean) {
    super(path, 0, null, connector, reactor);
    this.#checkPID = checkPID;
  }

  /** The socket file connected to. */
  get path(): string {
    return this._host;
  }
  /** Nothing to resolve: a path. */
  override get _requiresResolution(): boolean {
    return false;
  }
  /** Always 'UNIX'. */
  override get addressFamily(): 'UNIX' {
    return 'UNIX';
  }

  /** @internal */
  protected override _newSocket(): TransportSocket {
    return nativePipesEnabled() ? newPipeStream() : this.createInternetSocket();
  }

  /** @internal */
  protected override _connectError(err: unknown): ConnectError {
    return unixConnectError(err, this._host);
  }

  /** Connect to the socket file (after the lock check of `checkPID`). */
  override doConnect(): void {
    const socket = this._socket;
    if (this.connector === null || socket === null) return;
    const path = this._host;
    if (this.#checkPID) {
      let held: boolean;
      try {
        held = isLocked(`${path}.lock`);
      } catch (err) {
        this.failIfNotConnected(new BadFileError(path, { cause: err }));
        return;
      }
      if (!held) {
        this.failIfNotConnected(
          new BadFileError(path, { message: `No live process holds ${path}.lock (checkPID): the server is not running` }),
        );
        return;
      }
    }
    if (socket instanceof NativeStream) {
      const err = connectPipeStream(socket, path);
      if (err !== null) this.failIfNotConnected(this._connectError(err));
      return;
    }
    try {
      connectSocket(socket as TorsionSocket, { path });
    } catch (err) {
      this.failIfNotConnected(this._connectError(err));
    }
  }

  /** `UNIXAddress(path)`. */
  getPeer(): UNIXAddress {
    this.#peer ??= new UNIXAddress(this._host);
    return this.#peer;
  }
  /** @internal */
  protected override _readHost(): UNIXAddress {
    return UNNAMED;
  }

  /** @throws FeatureUnavailableError: see {@link torsion/interfaces!IUNIXTransport.sendFileDescriptor}. */
  sendFileDescriptor(_descriptor: number): void {
    throw noFileDescriptors();
  }
  /** @throws FeatureUnavailableError: no TCP options on a UNIX socket. */
  override setTcpNoDelay(_enabled: boolean): void {
    throw noTCPOptions('setTcpNoDelay');
  }
  /** @throws FeatureUnavailableError: no TCP options on a UNIX socket. */
  override getTcpNoDelay(): boolean {
    throw noTCPOptions('getTcpNoDelay');
  }
  /** @throws FeatureUnavailableError: no TCP options on a UNIX socket. */
  override setTcpKeepAlive(_enabled: boolean): void {
    throw noTCPOptions('setTcpKeepAlive');
  }
  /** @throws FeatureUnavailableError: no TCP options on a UNIX socket. */
  override getTcpKeepAlive(): boolean {
    throw noTCPOptions('getTcpKeepAlive');
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
    return `<UNIX Client to ${this._host}>`;
  }
}
