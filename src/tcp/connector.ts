/**
 * `BaseConnector` (Twisted's `base.BaseConnector`: the attempt lifecycle,
 * shared with UNIX sockets) and `Connector`, what connectTCP returns
 * (`tcp.Connector`).
 * @module
 */
import { IPv4Address, IPv6Address } from '../address';
import { NotConnectingError, RuntimeError, TimeoutError, UserError } from '../errors';
import { Failure } from '../defer/failure';
import { Logger } from '../logger';
import { guardCall, guardResult, loggingOwner } from '../guard';
import type { IAddress } from '../interfaces/address';
import type { ITransport } from '../interfaces/transport';
import type { ConnectorState, IConnector } from '../interfaces/connector';
import type { IClientFactory, IProtocol } from '../interfaces/protocol';
import type { IDelayedCall } from '../interfaces/time';
import { Client } from './client';
import { type BindAddress, type TCPReactor, isIPv6Literal } from './types';

const log = new Logger('torsion.tcp');
/** Logs the failures of the client factory's callbacks (guard.ts). */
const FACTORY_GUARD = loggingOwner(log);

/** What a connector's transport is: a client attempt that can fail. */
export interface AttemptTransport extends ITransport {
  /** Fail the attempt with `err` unless it already connected or failed. */
  failIfNotConnected(err: unknown): void;
  /** Close the established connection. */
  loseConnection(): void;
}

function timedOut(client: AttemptTransport): void {
  client.failIfNotConnected(new TimeoutError());
}

/**
 * The attempt lifecycle every client connector shares (Twisted's
 * `base.BaseConnector`): TCP's {@link Connector} and UNIX's extend it with
 * their destination and transport.
 *
 * States: `disconnected -> connecting -> connected -> disconnected`, with
 * `connecting -> disconnected` on failure. Factory callbacks, in order:
 * `doStart` (once per start), `startedConnecting(connector)` (synchronously
 * inside connect()), then `buildProtocol` ... `clientConnectionLost`, or
 * `clientConnectionFailed`; then `doStop` unless the factory called
 * `connector.connect()` again from one of those two (that reconnects).
 */
export abstract class BaseConnector<T extends AttemptTransport = AttemptTransport> implements IConnector {
  /** The factory of the protocols and the receiver of the client callbacks. */
  readonly factory: IClientFactory;
  /** Seconds before an attempt fails with TimeoutError; null for none. */
  readonly timeout: number | null;
  /** The reactor that runs the attempts. */
  readonly reactor: TCPReactor;
  /** Current state. */
  state: ConnectorState = 'disconnected';
  /** The transport of the current (or last) attempt; set before startedConnecting. */
  transport: T | null = null;
  /** Whether the factory's doStart ran for the current start. */
  factoryStarted = false;
  /** The pending attempt timeout, if any. */
  timeoutID: IDelayedCall | null = null;

  /**
   * @param factory - the client factory.
   * @param timeout - seconds, or null for no timeout.
   * @param reactor - the reactor.
   */
  constructor(factory: IClientFactory, timeout: number | null, reactor: TCPReactor) {
    this.factory = factory;
    this.timeout = timeout;
    this.reactor = reactor;
  }

  /**
   * Start an attempt.
   * @throws RuntimeError unless the state is 'disconnected'.
   */
  connect(): void {
    if (this.state !== 'disconnected')
      throw new RuntimeError("Can't connect in this state; wait until the connector is disconnected");
    this.state = 'connecting';
    if (!this.factoryStarted) {
      this.factory.doStart();
      this.factoryStarted = true;
    }
    const transport = this._makeTransport();
    this.transport = transport;
    if (this.timeout !== null) this.timeoutID = this.reactor.callLater(this.timeout, timedOut, transport);
    // A throw reaches the connect() caller (as in Twisted); a rejection goes to the guard.
    const r: unknown = this.factory.startedConnecting(this);
    if (r !== undefined) guardResult(FACTORY_GUARD, 'startedConnecting', r);
  }

  /**
   * Abort the attempt in progress: it fails with UserError.
   * @throws NotConnectingError when not connecting.
   */
  stopConnecting(): void {
    if (this.state !== 'connecting') throw new NotConnectingError();
    this.state = 'disconnected';
    (this.transport as T).failIfNotConnected(new UserError());
  }

  /** stopConnecting() if connecting, loseConnection() if connected, else nothing. */
  disconnect(): void {
    if (this.state === 'connecting') this.stopConnecting();
    else if (this.state === 'connected') this.transport?.loseConnection();
  }

  /** Where the attempts go (Twisted's getDestination). */
  abstract getDestination(): IAddress;

  /** Cancel the attempt timeout, if pending. */
  cancelTimeout(): void {
    const call = this.timeoutID;
    this.timeoutID = null;
    if (call !== null && call.active()) call.cancel();
  }

  /** The attempt connected: state 'connected', timeout off, ask the factory. */
  buildProtocol(addr: IAddress): IProtocol | null {
    this.state = 'connected';
    this.cancelTimeout();
    return this.factory.buildProtocol(addr);
  }

  /** The attempt failed: clientConnectionFailed, then doStop unless it reconnected. */
  connectionFailed(reason: Failure): void {
    this.cancelTimeout();
    this.transport = null;
    this.state = 'disconnected';
    guardCall(FACTORY_GUARD, 'clientConnectionFailed', this.factory.clientConnectionFailed, this.factory, this, reason);
    this._stopFactoryIfIdle();
  }

  /** The connection ended: clientConnectionLost, then doStop unless it reconnected. */
  connectionLost(reason: Failure): void {
    this.state = 'disconnected';
    guardCall(FACTORY_GUARD, 'clientConnectionLost', this.factory.clientConnectionLost, this.factory, this, reason);
    this._stopFactoryIfIdle();
  }

  /** A new transport for the next attempt. */
  abstract _makeTransport(): T;

  // TypeScript-private rather than #private: #methods cost a brand slot per instance.
  private _stopFactoryIfIdle(): void {
    if (this.state === 'disconnected') {
      this.factoryStarted = false;
      guardCall(FACTORY_GUARD, 'doStop', this.factory.doStop, this.factory);
    }
  }
}

/**
 * A client connection attempt to a TCP `host:port` (see {@link IConnector}
 * and {@link BaseConnector} for the states and the factory's callbacks).
 *
 * @example
 * const connector = reactor.connectTCP('127.0.0.1', 8000, factory);
 * connector.getDestination(); // IPv4Address(type='TCP', host='127.0.0.1', port=8000)
 * connector.disconnect();
 */
export class Connector extends BaseConnector<Client> {
  /** Where to connect. */
  readonly host: string;
  /** The destination port. */
  readonly port: number;
  /** Local `[host, port]` bound before connecting, or null. */
  readonly bindAddress: BindAddress | null;

  /**
   * Prefer `reactor.connectTCP`, which validates its arguments and calls connect().
   * @param host - host name or IP literal.
   * @param port - destination port.
   * @param factory - the client factory.
   * @param timeout - seconds, or null for no timeout.
   * @param bindAddress - local `[host, port]` or null.
   * @param reactor - the reactor.
   */
  constructor(
    host: string,
    port: number,
    factory: IClientFactory,
    timeout: number | null,
    bindAddress: BindAddress | null,
    reactor: TCPReactor,
  ) {
    super(factory, timeout, reactor);
    this.host = host;
    this.port = port;
    this.bindAddress = bindAddress;
  }

  /** The destination as an IPv4Address/IPv6Address of type 'TCP'. */
  getDestination(): IAddress {
    return isIPv6Literal(this.host) ? new IPv6Address('TCP', this.host, this.port) : new IPv4Address('TCP', this.host, this.port);
  }

  /** A new Client for the next attempt. */
  _makeTransport(): Client {
    return new Client(this.host, this.port, this.bindAddress, this, this.reactor);
  }

  /** A short description for debugging. */
  override toString(): string {
    return `<Connector to ${this.host}:${this.port} (${this.state})>`;
  }
}
