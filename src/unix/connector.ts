/**
 * `Connector`: what connectUNIX returns (Twisted's `unix.Connector`), the
 * TCP connector's lifecycle with a path as destination.
 * @module
 */
import { UNIXAddress } from '../address';
import type { IClientFactory } from '../interfaces/protocol';
import { BaseConnector } from '../tcp/connector';
import type { TCPReactor } from '../tcp/types';
import { Client } from './client';

/**
 * A UNIX client connection attempt that can be repeated (see
 * {@link torsion/interfaces!IConnector}; states and factory callbacks are connectTCP's).
 *
 * @example
 * const connector = reactor.connectUNIX('/run/app.sock', factory);
 * connector.getDestination(); // UNIXAddress('/run/app.sock')
 */
export class Connector extends BaseConnector<Client> {
  /** The socket file. */
  readonly address: string;
  /** Whether each attempt first checks `address + '.lock'`. */
  readonly checkPID: boolean;

  /**
   * Prefer `reactor.connectUNIX`, which validates and calls connect().
   * @param address - the socket file.
   * @param factory - the client factory.
   * @param timeout - seconds, or null for no timeout.
   * @param reactor - the reactor.
   * @param checkPID - check the lock file first.
   */
  constructor(address: string, factory: IClientFactory, timeout: number | null, reactor: TCPReactor, checkPID = false) {
    super(factory, timeout, reactor);
    this.address = address;
    this.checkPID = checkPID;
  }

  /** `UNIXAddress(address)`. */
  getDestination(): UNIXAddress {
    return new UNIXAddress(this.address);
  }

  /** A new Client for the next attempt. */
  override _makeTransport(): Client {
    return new Client(this.address, this, this.reactor, this.checkPID);
  }

  /** A short description for debugging. */
  override toString(): string {
    return `<UNIX Connector to ${this.address} (${this.state})>`;
  }
}
