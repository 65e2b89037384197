/**
 * `Server`: the transport of a connection accepted by a {@link Port}.
 * @module
 */
import type { IPv4Address, IPv6Address } from '../address';
import type { IProtocol } from '../interfaces/protocol';
import { Connection } from './connection';
import type { Port } from './port';
import type { TransportSocket } from './socket';
import type { TCPReactor } from './types';

/**
 * The server side of an accepted TCP connection. The port builds the
 * protocol first (`factory.buildProtocol(peer)`), creates this transport
 * (connected, and reading: it joins the reactor's reader set), then calls
 * `protocol.makeConnection(transport)`. Do not create it directly.
 */
export class Server extends Connection {
  /** The port that accepted this connection (null for adopted sockets). */
  readonly server: Port | null;
  /** The peer's address, as handed to buildProtocol. */
  readonly client: IPv4Address | IPv6Address;
  /** The accept counter of the port: 0 for the first connection. */
  readonly sessionno: number;

  /**
   * Created by the port (internal: the socket types are not public).
   * @param socket - the accepted socket (a net.Socket or a native stream).
   * @param protocol - the protocol built for it.
   * @param client - the peer address.
   * @param server - the accepting port.
   * @param sessionno - the port's accept counter.
   * @param reactor - the reactor.
   * @internal
   */
  constructor(
    socket: TransportSocket,
    protocol: IProtocol,
    client: IPv4Address | IPv6Address,
    server: Port | null,
    sessionno: number,
    reactor: TCPReactor,
  ) {
    super(reactor);
    this.server = server;
    this.client = client;
    this.sessionno = sessionno;
    this._socket = socket;
    socket.owner = this;
    this._setProtocol(protocol);
    this.connected = true;
    reactor._trackConnection(this);
    reactor.addReader(this);
  }

  /** The peer (client) address. */
  getPeer(): IPv4Address | IPv6Address {
    return this.client;
  }

  /** `"<Protocol>,<sessionno>,<peer host>"`, as Twisted. */
  logPrefix(): string {
    const protocol = this.protocol as { logPrefix?: () => string; constructor: { name: string } } | null;
    const name =
      protocol === null
        ? 'Uninitialized'
        : typeof protocol.logPrefix === 'function'
          ? protocol.logPrefix()
          : protocol.constructor.name;
    return `${name},${this.sessionno},${this.client.host}`;
  }

  /** A short description for debugging. */
  override toString(): string {
    const port = this.server === null ? '?' : String(this.server.getHost().port);
    return `<${this.protocol?.constructor.name ?? 'Protocol'} #${this.sessionno} on ${port}>`;
  }
}
