/**
 * Process endpoints (Twisted's `ProcessEndpoint` and `StandardIOEndpoint`):
 * a stream `Protocol` connected to a child's stdin/stdout, or to this
 * process's own stdin/stdout, so `connectProtocol`, streams and packet
 * clients run over a process as over TCP.
 * @module
 */
import { ProcessAddress } from '../address';
import type { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { fail, succeed } from '../defer/helpers';
import { ConnectError, ConnectionDone, ProcessDone } from '../errors';
import { LOG_ONLY, checkBuilt } from '../guard';
import type { IListeningPort } from '../interfaces/connector';
import type { IStreamClientEndpoint, IStreamServerEndpoint, ProtocolFactoryOf } from '../interfaces/endpoints';
import type { IReactorFDSet } from '../interfaces/fdset';
import type { IProcessProtocol, IProcessTransport, IReactorProcess, SpawnProcessOptions } from '../interfaces/process';
import type { IProtocol, IProtocolFactory } from '../interfaces/protocol';
import { Logger } from '../logger';
import { StandardIO } from '../stdio/standard-io';
import { ArgTypeError, describe } from '../validate';
import { checkReactor } from './tcp';

const log = new Logger('torsion.endpoints');

/** Options of {@link ProcessEndpoint}: spawnProcess's, plus what to do with the child's stderr. */
export type ProcessEndpointOptions = SpawnProcessOptions & {
  /** The child's stderr: logged at error level (`'log'`, the default) or dropped. */
  errFlag?: 'log' | 'drop';
};

/** Twisted's `_WrapIProtocol`: a ProcessProtocol driving a stream protocol. */
class WrapIProtocol implements IProcessProtocol {
  constructor(
    readonly protocol: IProtocol,
    readonly executable: string,
    readonly errFlag: 'log' | 'drop',
  ) {}
  /** Connect the stream protocol to the process transport. */
  makeConnection(process: IProcessTransport): unknown {
    return this.protocol.makeConnection(process);
  }
  /** stdout to dataReceived; stderr logged or dropped (errFlag). */
  childDataReceived(childFD: number, data: Buffer): unknown {
    if (childFD === 1) return this.protocol.dataReceived(data);
    if (childFD === 2 && this.errFlag === 'log')
      log.error(`Process ${this.executable} wrote to stderr: ${data.toString('utf8')}`);
    return undefined;
  }
  /** Nothing: the end is processEnded. */
  childConnectionLost(_childFD: number): void {}
  /** Nothing: the end is processEnded. */
  processExited(_reason: Failure): void {}
  /** connectionLost: ConnectionDone after exit 0, else the ProcessTerminated. */
  processEnded(reason: Failure): unknown {
    if (reason.value instanceof ProcessDone) return this.protocol.connectionLost(new Failure(new ConnectionDone()));
    return this.protocol.connectionLost(reason);
  }
}

/**
 * Connects a stream protocol to a child's stdin (its writes) and stdout
 * (its `dataReceived`); the child's end is its `connectionLost`
 * (ConnectionDone after exit code 0, else the ProcessTerminated). As
 * spawnProcess, **the child gets an empty environment unless `env` is
 * given** (`env: null` inherits).
 * @example
 * ```ts
 * const ep = new ProcessEndpoint(reactor, 'cat', ['cat'], { env: null });
 * const proto = await ep.connect(Factory.forProtocol(Echo));
 * ```
 */
export class ProcessEndpoint implements IStreamClientEndpoint {
  readonly #reactor: IReactorProcess;
  readonly #executable: string;
  readonly #args: readonly string[] | undefined;
  readonly #opts: SpawnProcessOptions;
  readonly #errFlag: 'log' | 'drop';

  /** @throws TypeError for a bad reactor or errFlag (spawnProcess checks the rest when connecting). */
  constructor(reactor: IReactorProcess, executable: string, args?: readonly string[], opts: ProcessEndpointOptions = {}) {
    checkReactor(reactor);
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    const { errFlag = 'log', ...spawnOpts } = opts;
    if (errFlag !== 'log' && errFlag !== 'drop')
      throw new ArgTypeError(`errFlag must be 'log' or 'drop', got ${describe(errFlag)}`);
    this.#reactor = reactor;
    this.#executable = executable;
    this.#args = args;
    this.#opts = spawnOpts;
    this.#errFlag = errFlag;
  }

  /**
   * Build the protocol and spawn the child: fires with the protocol (after
   * its connectionMade), or fails with what spawnProcess threw.
   */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P> {
    let proto: P | null;
    try {
      proto = checkBuilt(factory.buildProtocol(new ProcessAddress()) as P | null, LOG_ONLY);
    } catch (err) {
      return fail(new Failure(err));
    }
    if (proto === null) return fail(new Failure(new ConnectError('The factory built no protocol')));
    try {
      this.#reactor.spawnProcess(
        new WrapIProtocol(proto, this.#executable, this.#errFlag),
        this.#executable,
        this.#args,
        this.#opts,
      );
    } catch (err) {
      return fail(new Failure(err));
    }
    return succeed(proto);
  }
}

/** The listening port a StandardIOEndpoint gives: stopListening() is loseConnection(). */
class StandardIOPort implements IListeningPort {
  constructor(readonly transport: StandardIO) {}
  /** Nothing: stdio is connected from the start. */
  startListening(): void {}
  /** loseConnection() of the StandardIO; fires at once. */
  stopListening(): Deferred<void> {
    this.transport.loseConnection();
    return succeed(undefined);
  }
  /** A ProcessAddress. */
  getHost(): ProcessAddress {
    return new ProcessAddress();
  }
}

/**
 * "Listens" on this process's stdin/stdout: `listen(factory)` connects one
 * protocol to them at once through {@link StandardIO} (the `stdio:` server
 * string).
 */
export class StandardIOEndpoint implements IStreamServerEndpoint {
  readonly #reactor: IReactorFDSet;
  /** @throws TypeError for a bad reactor. */
  constructor(reactor: IReactorFDSet) {
    checkReactor(reactor);
    this.#reactor = reactor;
  }
  /** Fires with a port whose `transport` is the StandardIO, or fails with what building the protocol threw. */
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    let proto: IProtocol | null;
    try {
      proto = checkBuilt(factory.buildProtocol(new ProcessAddress()), LOG_ONLY);
    } catch (err) {
      return fail(new Failure(err));
    }
    if (proto === null) return fail(new Failure(new ConnectError('The factory built no protocol')));
    try {
      return succeed<IListeningPort>(new StandardIOPort(new StandardIO(proto, { reactor: this.#reactor })));
    } catch (err) {
      return fail(new Failure(err));
    }
  }
}
