import type { IPv4Address, IPv6Address } from '../address';
import type { IConnector, IListeningPort } from './connector';
import type { IClientFactory, IProtocolFactory } from './protocol';

/** A listening TCP port: its address is an IP address. */
export interface ITCPListeningPort extends IListeningPort {
  /** The address the port listens on, with the real port number (also for port 0). */
  getHost(): IPv4Address | IPv6Address;
}

/** Options of connectTCP (Twisted's keyword arguments). */
export interface ConnectTCPOptions {
  /** Seconds before the attempt fails with TimeoutError; null for none. Default 30. */
  timeout?: number | null;
  /** Local address to bind before connecting: `[host, port]` or a host string. */
  bindAddress?: [string, number] | string | null;
}

/** Options of listenTCP. */
export interface ListenTCPOptions {
  /** Listen backlog. Default 50. */
  backlog?: number;
  /** Interface to bind; '' means all IPv4 interfaces, '::' all IPv6 ones. */
  interface?: string;
}

/** TCP client and server. */
export interface IReactorTCP {
  /**
   * Connect to `host:port`; the factory's protocols handle the connection.
   * @throws TypeError/RangeError for a bad host, port, factory or option.
   */
  connectTCP(host: string, port: number, factory: IClientFactory, opts?: ConnectTCPOptions): IConnector;
  /**
   * Listen on `port` (0 for any); binds synchronously.
   * @throws CannotListenError if the address cannot be bound.
   */
  listenTCP(port: number, factory: IProtocolFactory, opts?: ListenTCPOptions): ITCPListeningPort;
}
