/**
 * The client factory every client endpoint hands to the reactor: it turns
 * the connector's callbacks into one Deferred of the user's protocol.
 * @module
 */
import { ArgTypeError } from '../validate';
import { isThenable } from '../guard';
import type { IAddress } from '../interfaces/address';
import type { IConnector } from '../interfaces/connector';
import type { IClientFactory, IProtocol, IProtocolFactory } from '../interfaces/protocol';
import type { ITransport } from '../interfaces/transport';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { ConnectingCancelledError, NoProtocol, NotConnectingError } from '../errors';
import { Logger } from '../logger';

const log = new Logger('torsion.endpoints');

/**
 * Wraps the user's factory for one connection attempt (Twisted's
 * `_WrappingFactory`).
 *
 * - `doStart` / `doStop` pass straight through to the wrapped factory.
 * - `buildProtocol` asks the wrapped factory; `null` errbacks
 *   {@link onConnection} with `NoProtocol`, an exception errbacks with that
 *   exception, and in both cases the connection is refused.
 * - `clientConnectionFailed` errbacks {@link onConnection} with the reason.
 * - Cancelling {@link onConnection} errbacks it with
 *   `ConnectingCancelledError(connector.getDestination())` and calls
 *   `connector.stopConnecting()`.
 *
 * How it learns that the connection is made differs from Twisted on
 * purpose. Twisted puts a `_WrappingProtocol` between the transport and the
 * user's protocol and forwards every callback (and must mirror optional
 * interfaces such as half-close). Here the transport gets the user's own
 * protocol: `buildProtocol` shadows that one instance's `makeConnection`
 * with a one-shot hook that removes itself, runs the real `makeConnection`
 * (so `connectionMade` has run) and then fires {@link onConnection} with the
 * protocol. Every optional hook — `readConnectionLost`, `pauseWriting`,
 * `BufferedProtocol.getBuffer` — therefore reaches the protocol unchanged,
 * `protocol.transport` is the real transport, and the data path has no extra
 * call per chunk.
 *
 * @typeParam P - the protocol type the wrapped factory builds.
 * @internal
 */
export class WrappingFactory<P extends IProtocol = IProtocol> implements IClientFactory {
  /** The user's factory. */
  readonly wrappedFactory: IProtocolFactory;
  /** Fires with the user's protocol after its connectionMade, or fails. */
  readonly onConnection: Deferred<P>;
  /** The connector of the current attempt (from startedConnecting or the endpoint). */
  connector: IConnector | null = null;
  readonly #fallbackDestination: IAddress;

  /**
   * @param wrappedFactory - the user's factory.
   * @param destination - where the endpoint connects, reported by
   *   ConnectingCancelledError when no connector is known yet.
   */
  constructor(wrappedFactory: IProtocolFactory, destination: IAddress) {
    this.wrappedFactory = wrappedFactory;
    this.#fallbackDestination = destination;
    this.onConnection = new Deferred<P>(() => this.#cancel());
  }

  #cancel(): void {
    const connector = this.connector;
    this.onConnection.errback(new ConnectingCancelledError(connector ? connector.getDestination() : this.#fallbackDestination));
    if (connector === null) return;
    try {
      connector.stopConnecting();
    } catch (err) {
      // The attempt may have ended in the same turn (a fake connector, or a
      // failure not yet reported); there is nothing left to stop then.
      if (!(err instanceof NotConnectingError)) throw err;
    }
  }

  /** {@inheritDoc torsion/interfaces!IClientFactory.startedConnecting} */
  startedConnecting(connector: IConnector): void {
    this.connector = connector;
  }

  /** {@inheritDoc torsion/interfaces!IProtocolFactory.doStart} */
  doStart(): void {
    this.wrappedFactory.doStart();
  }

  /** {@inheritDoc torsion/interfaces!IProtocolFactory.doStop} */
  doStop(): void {
    this.wrappedFactory.doStop();
  }

  /** {@inheritDoc torsion/interfaces!IProtocolFactory.buildProtocol} */
  buildProtocol(addr: IAddress): P | null {
    // Cancelled (or failed) already: nobody is waiting for a protocol.
    if (this.onConnection.called) return null;
    let proto: IProtocol | null;
    try {
      proto = this.wrappedFactory.buildProtocol(addr);
      if (proto === null || proto === undefined) throw new NoProtocol();
      hookMakeConnection(proto as P, this.onConnection);
    } catch (err) {
      this.onConnection.errback(Failure.from(err));
      return null;
    }
    return proto as P;
  }

  /** {@inheritDoc torsion/interfaces!IClientFactory.clientConnectionFailed} */
  clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    if (!this.onConnection.called) this.onConnection.errback(reason);
  }

  /** {@inheritDoc torsion/interfaces!IClientFactory.clientConnectionLost} */
  clientConnectionLost(_connector: IConnector, _reason: Failure): void {
    // The user's protocol got connectionLost itself; nothing to add.
  }
}

/**
 * Shadow `proto.makeConnection` on that instance with a one-shot hook that
 * restores the original, runs it, and fires `onConnection` with `proto`.
 * @throws TypeError if the protocol object cannot be given a property (frozen).
 */
function hookMakeConnection<P extends IProtocol>(proto: P, onConnection: Deferred<P>): void {
  const target = proto as { makeConnection: (t: ITransport) => unknown };
  const original = target.makeConnection;
  if (typeof original !== 'function') {
    throw new ArgTypeError(
      `The factory built ${describeProtocol(proto)}, which has no makeConnection method; return an IProtocol`,
    );
  }
  const ownDescriptor = Object.getOwnPropertyDescriptor(target, 'makeConnection');
  const restore = (): void => {
    if (ownDescriptor) Object.defineProperty(target, 'makeConnection', ownDescriptor);
    else delete (target as { makeConnection?: unknown }).makeConnection;
  };
  const made = (transport: ITransport): void => {
    if (onConnection.called) {
      // Cancelled between buildProtocol and makeConnection (or while an
      // async connectionMade ran): the protocol is attached (so its
      // lifecycle stays whole) but nobody wants it.
      log.debug(`Dropping a connection made after its connect() was cancelled: ${describeProtocol(proto)}`);
      transport.loseConnection();
      return;
    }
    onConnection.callback(proto);
  };
  const hook = function makeConnection(this: unknown, transport: ITransport): unknown {
    restore();
    let result: unknown;
    try {
      result = original.call(target, transport);
    } catch (err) {
      // connectionMade threw: the transport will log it and drop the
      // connection; the caller learns about it through the Deferred too.
      if (!onConnection.called) onConnection.errback(Failure.from(err));
      throw err;
    }
    if (result === undefined || !isThenable(result)) {
      made(transport);
      return result;
    }
    // An async connectionMade: connect() fires once it has finished. Its
    // rejection goes to the transport's guard (we return the Promise) and
    // to the caller through the Deferred.
    return Promise.resolve(result).then(
      () => made(transport),
      (err: unknown) => {
        if (!onConnection.called) onConnection.errback(Failure.from(err));
        throw err;
      },
    );
  };
  try {
    Object.defineProperty(target, 'makeConnection', { value: hook, configurable: true, writable: true, enumerable: false });
  } catch (err) {
    throw new ArgTypeError(
      `Cannot watch ${describeProtocol(proto)} for connectionMade: the object is frozen or makeConnection is not configurable`,
      { cause: err },
    );
  }
}

function describeProtocol(proto: unknown): string {
  const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name ? `a ${name}` : 'a protocol';
}
