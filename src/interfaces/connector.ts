import type { Deferred } from '../defer/deferred';
import type { IAddress } from './address';
import type { ITransport } from './transport';

/** State of a connector. */
export type ConnectorState = 'disconnected' | 'connecting' | 'connected';

/** A client connection attempt that can be retried (reconnect). */
export interface IConnector {
  /**
   * `'connecting'` from connect() until the attempt succeeds (`'connected'`)
   * or fails; `'disconnected'` before, after a failure and after the
   * connection is lost.
   */
  readonly state: ConnectorState;
  /** The transport of the current attempt; set before startedConnecting. */
  readonly transport: ITransport | null;
  /** Start (again). @throws RuntimeError unless disconnected. */
  connect(): void;
  /** Abort an attempt in progress (UserError). @throws NotConnectingError when not connecting. */
  stopConnecting(): void;
  /** stopConnecting if connecting, loseConnection if connected, else nothing. */
  disconnect(): void;
  /** Where it connects: an IPv4Address or IPv6Address of type 'TCP' for connectTCP. */
  getDestination(): IAddress;
}

/** A listening port. */
export interface IListeningPort {
  /** Start listening. @throws CannotListenError. */
  startListening(): void;
  /** Stop; the Deferred fires once the socket is closed and doStop ran. */
  stopListening(): Deferred<void>;
  /**
   * The address listened on, with the real port when port 0 was asked for
   * (an IPv4Address or IPv6Address for listenTCP).
   */
  getHost(): IAddress;
}
