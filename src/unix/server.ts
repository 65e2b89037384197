/**
 * `Server`: the transport of a connection accepted by a UNIX {@link Port}.
 * @module
 */
import type { UNIXAddress } from '../address';
import type { IProtocol } from '../interfaces/protocol';
import { Connection } from '../tcp/connection';
import type { TransportSocket } from '../tcp/socket';
import type { TCPReactor } from '../tcp/types';
import { UNNAMED, noFileDescriptors, noTCPOptions } from './client';
import type { Port } from './port';

/**
 * The server side of an accepted UNIX connection (an {@link torsion/interfaces!IUNIXTransport}),
 * created as TCP's Server is: the port builds the protocol with
 * `UNIXAddress(null)`, creates this transport (reading), then calls
 * `protocol.makeConnection(transport)`. Do not create it directly.
 */
export class Server extends Connection<UNIXAddress> {
  /** The port that accepted this connection. */
  readonly server: Port;
  /** The accept counter of the port: 0 for the first connection. */
  readonly sessionno: number;

  /**
   * @param socket - the accepted socket (a net.Socket or a native stream).
   * @param protocol - the protocol built for it.
   * @param server - the accepting port.
   * @param sessionno - the port's accept counter.
   * @param reactor - the reactor.
   * @internal
   */
  constructor(socket: TransportSocket, protocol: IProtocol, server: Port, sessionno: number, reactor: TCPReactor) {
    super(reactor);
    this.server = server;
    this.sessionno = sessionno;
    this._socket = socket;
    socket.owner = this;
    this._setProtocol(protocol);
    this.connected = true;
    reactor._trackConnection(this);
    reactor.addReader(this);
  }

  /** `UNIXAddress(null)`: the client's end has no name. */
  getPeer(): UNIXAddress {
    return UNNAMED;
  }
  /** @internal */
  protected override _readHost(): UNIXAddress {
    return this.server.getHost();
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

  /** `"<Protocol>,<sessionno>,<path>"`. */
  logPrefix(): string {
    const protocol = this.protocol as { logPrefix?: () => string; constructor: { name: string } } | null;
    const name =
      protocol === null
        ? 'Uninitialized'
        : typeof protocol.logPrefix === 'function'
          ? protocol.logPrefix()
          : protocol.constructor.name;
    return `${name},${this.sessionno},${this.server.address}`;
  }

  /** A short description for debugging. */
  override toString(): string {
    return `<${this.protocol?.constructor.name ?? 'Protocol'} #${this.sessionno} on ${this.server.address}>`;
  }
}
