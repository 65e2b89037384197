/**
 * loopbackAsync: run a client and a server protocol against each other in
 * memory until one of them closes (Twisted's
 * `twisted.protocols.loopback.loopbackAsync`).
 * @module
 */
import { IPv4Address } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { ConnectionDone, ConnectionLost, RuntimeError } from '../errors';
import { type GuardOwner, LOG_ONLY, guardCall, guardMakeConnection, guardResult } from '../guard';
import type { IAddress } from '../interfaces/address';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IProtocol } from '../interfaces/protocol';
import type { IReactorTime } from '../interfaces/time';
import type { ITCPTransport } from '../interfaces/transport';
import { checkBytes, checkFunction, describe, ArgTypeError, ArgRangeError } from '../validate';
import { resolveWriteBufferLimits } from './string-transport';

/**
 * The bytes one side wrote and the other has not received yet, in order;
 * `null` marks the writer's loseConnection().
 */
export class LoopbackQueue {
  /** True once the writing side called loseConnection(). */
  disconnect = false;
  #items: (Buffer | null)[] = [];
  #notify: (() => void) | null = null;

  /** Append an item and wake the loop if it is waiting. */
  put(item: Buffer | null): void {
    this.#items.push(item);
    const notify = this.#notify;
    if (notify !== null) {
      this.#notify = null;
      notify();
    }
  }
  /** Remove and return the oldest item. @throws RangeError when empty. */
  get(): Buffer | null {
    if (this.#items.length === 0) throw new ArgRangeError('LoopbackQueue.get: the queue is empty');
    return this.#items.shift()!;
  }
  /** How many items wait (Twisted tests the queue's truth value instead). */
  get length(): number {
    return this.#items.length;
  }
  /** @internal Call `fn` once, on the next put(). */
  _onPut(fn: (() => void) | null): void {
    this.#notify = fn;
  }
}

/**
 * Empties `queue` into `target`: the loop calls it whenever one side wrote
 * something, with that side's queue and the other side's protocol. A throw
 * (its own, or a dataReceived's it lets through) and a rejected Promise it
 * returns fail the loop as a protocol callback's failure does; the built-in
 * policies also watch the Promise an `async dataReceived` returns.
 */
export type PumpPolicy = (queue: LoopbackQueue, target: IProtocol) => void;

/** The guard owner of the loop whose policy is running (the built-in policies report to it). */
let pumping: GuardOwner | null = null;

/** `target.dataReceived(bytes)`, with a returned thenable watched by the running loop. */
function deliver(target: IProtocol, bytes: Buffer): void {
  const r: unknown = target.dataReceived(bytes);
  if (r !== undefined && pumping !== null) guardResult(pumping, 'dataReceived', r);
}

/** Deliver each written chunk as it was written, one dataReceived per write (stops at the close marker). */
export function identityPumpPolicy(queue: LoopbackQueue, target: IProtocol): void {
  while (queue.length > 0) {
    const bytes = queue.get();
    if (bytes === null) break;
    deliver(target, bytes);
  }
}

/** Deliver everything pending as one dataReceived call (stops at the close marker). */
export function collapsingPumpPolicy(queue: LoopbackQueue, target: IProtocol): void {
  const chunks: Buffer[] = [];
  while (queue.length > 0) {
    const chunk = queue.get();
    if (chunk === null) break;
    chunks.push(chunk);
  }
  if (chunks.length > 0) deliver(target, Buffer.concat(chunks));
}

/** Options of {@link loopbackAsync}. */
export interface LoopbackOptions {
  /** How queued bytes reach the other side. Default {@link identityPumpPolicy}. */
  pumpPolicy?: PumpPolicy;
  /**
   * Where the loop schedules its next round after both sides went quiet
   * (callLater(0)); with a Clock the test drives it with advance(0).
   * Default: the Node event loop (setImmediate), so `await` works.
   */
  clock?: IReactorTime;
}

/**
 * Connect `server` and `client` (server's makeConnection first), then move
 * what each writes to the other until one side calls loseConnection(); both
 * then get connectionLost(ConnectionDone). As in Twisted, delivery never
 * happens inside a write() call: when both sides are quiet the loop waits
 * for the next write and continues on a later turn.
 *
 * Every protocol callback (and the policy, and a registered pull
 * producer's resumeProducing) goes through the guard (src/guard.ts): when
 * one throws, or the Promise it returns rejects, the loop stops, the side
 * whose callback failed gets connectionLost with that failure, the other
 * side connectionLost(ConnectionLost), and the returned Deferred fails with
 * it. A connectionLost that throws at the end fails the Deferred too.
 *
 * @param pumpPolicy - a {@link PumpPolicy} (Twisted's third argument) or {@link LoopbackOptions}.
 * @returns a Deferred that fires (with undefined) once both sides were told the connection is gone,
 *   or fails with the first failure of a callback.
 *
 * @example
 * ```ts
 * import { Protocol } from 'torsion/protocol';
 * import { loopbackAsync } from 'torsion/testing';
 *
 * class EchoServer extends Protocol {
 *   override dataReceived(data: Buffer): void {
 *     this.transport!.write(data);
 *   }
 * }
 * class GreetingClient extends Protocol {
 *   received = Buffer.alloc(0);
 *   override connectionMade(): void {
 *     this.transport!.write(Buffer.from('hi'));
 *   }
 *   override dataReceived(data: Buffer): void {
 *     this.received = Buffer.concat([this.received, data]);
 *     this.transport!.loseConnection();
 *   }
 * }
 * const client = new GreetingClient();
 * await loopbackAsync(new EchoServer(), client);
 * expect(client.received.toString()).toBe('hi');
 * ```
 */
export function loopbackAsync(server: IProtocol, client: IProtocol, pumpPolicy?: PumpPolicy | LoopbackOptions): Deferred<void> {
  const opts: LoopbackOptions = typeof pumpPolicy === 'function' ? { pumpPolicy } : (pumpPolicy ?? {});
  const policy = opts.pumpPolicy ?? identityPumpPolicy;
  checkFunction('pumpPolicy', policy);
  const serverToClient = new LoopbackQueue();
  const clientToServer = new LoopbackQueue();
  const serverTransport = new LoopbackTransport(serverToClient, true);
  const clientTransport = new LoopbackTransport(clientToServer, false);
  const done = new Deferred<void>();
  const later = opts.clock ? (fn: () => void) => void opts.clock!.callLater(0, fn) : (fn: () => void) => void setImmediate(fn);
  let finished = false;
  let serverMade = false;
  let clientMade = false;

  /** Tell both sides (those that were connected) and settle `done`: the one end of the loop. */
  const finish = (serverReason: Failure, clientReason: Failure, failure: Failure | null): void => {
    finished = true;
    serverToClient._onPut(null);
    clientToServer._onPut(null);
    serverTransport._lost();
    clientTransport._lost();
    let first = failure;
    const note: GuardOwner = {
      _callbackFailed(err: unknown, where: string): void {
        if (first === null) first = Failure.from(err);
        else LOG_ONLY._callbackFailed(err, where);
      },
    };
    if (serverMade) guardCall(note, 'connectionLost', server.connectionLost, server, serverReason);
    if (clientMade) guardCall(note, 'connectionLost', client.connectionLost, client, clientReason);
    if (first === null) done.callback(undefined);
    else done.errback(first);
  };

  /** The guard owner of one side's callbacks: a failure ends the loop (logged only once it has ended). */
  const ownerOf = (isServer: boolean): GuardOwner => ({
    _callbackFailed(err: unknown, where: string): void {
      if (finished) {
        LOG_ONLY._callbackFailed(err, where);
        return;
      }
      const failure = Failure.from(err);
      const peerLost = new Failure(new ConnectionLost(`The other side's ${where} failed: ${failure.getErrorMessage()}`));
      if (isServer) finish(failure, peerLost, failure);
      else finish(peerLost, failure, failure);
    },
  });
  const serverOwner = ownerOf(true);
  const clientOwner = ownerOf(false);
  serverTransport._owner = serverOwner;
  clientTransport._owner = clientOwner;

  serverMade = true;
  if (!guardMakeConnection(serverOwner, server, serverTransport) || finished) return done;
  clientMade = true;
  if (!guardMakeConnection(clientOwner, client, clientTransport) || finished) return done;

  /** Deliver `queue` to `target` (guarded, as a failure of `target`'s side). */
  const pump = (source: LoopbackTransport, queue: LoopbackQueue, target: IProtocol, targetOwner: GuardOwner): boolean => {
    if (queue.length === 0) return false;
    const outer = pumping;
    pumping = targetOwner;
    try {
      guardCall(targetOwner, 'dataReceived', policy, undefined, queue, target);
    } finally {
      pumping = outer;
    }
    // The writer's buffer is empty now: a pull producer may write more.
    if (!finished && queue.length === 0) source._pollProducer();
    return true;
  };

  const body = (): void => {
    while (!finished) {
      const serverSent = pump(serverTransport, serverToClient, client, clientOwner);
      if (finished) return;
      const clientSent = pump(clientTransport, clientToServer, server, serverOwner);
      if (finished) return;
      if (!serverSent && !clientSent) {
        // Quiet: wait for a write, then continue on a later turn so that
        // dataReceived never runs inside the writer's write() call.
        const wake = (): void => {
          serverToClient._onPut(null);
          clientToServer._onPut(null);
          later(body);
        };
        serverToClient._onPut(wake);
        clientToServer._onPut(wake);
        return;
      }
      let disconnect = false;
      if (serverToClient.disconnect) {
        disconnect = true;
        pump(serverTransport, serverToClient, client, clientOwner);
      } else if (clientToServer.disconnect) {
        disconnect = true;
        pump(clientTransport, clientToServer, server, serverOwner);
      }
      if (disconnect && !finished) {
        finish(new Failure(new ConnectionDone()), new Failure(new ConnectionDone()), null);
        return;
      }
    }
  };

  body();
  return done;
}

/** The transport loopbackAsync hands each protocol. @internal */
class LoopbackTransport implements ITCPTransport {
  /** {@inheritDoc torsion/interfaces!ITransport.disconnecting} */
  disconnecting = false;
  connected = true;
  producer: IPushProducer | IPullProducer | null = null;
  streaming: boolean | null = null;
  readonly #queue: LoopbackQueue;
  readonly #host: IAddress;
  readonly #peer: IAddress;
  #noDelay = false;
  #keepAlive = false;
  /** Where a failure of this side's producer goes (set by loopbackAsync). */
  _owner: GuardOwner = LOG_ONLY;

  constructor(queue: LoopbackQueue, isServer: boolean) {
    this.#queue = queue;
    const server = new IPv4Address('TCP', '127.0.0.1', 12345);
    const client = new IPv4Address('TCP', '127.0.0.1', 54321);
    this.#host = isServer ? server : client;
    this.#peer = isServer ? client : server;
  }

  /** {@inheritDoc torsion/interfaces!ITransport.write} */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    if (this.disconnecting || data.length === 0) return;
    this.#queue.put(Buffer.from(data));
  }
  /** {@inheritDoc torsion/interfaces!ITransport.writeSequence} */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    if (this.disconnecting) return;
    this.#queue.put(Buffer.concat(data));
  }
  /** {@inheritDoc torsion/interfaces!ITransport.loseConnection} */
  loseConnection(): void {
    if (this.disconnecting) return;
    this.disconnecting = true;
    this.#queue.disconnect = true;
    this.#queue.put(null);
  }
  /** As in Twisted's loopback, the same as loseConnection() (the peer still gets ConnectionDone). */
  abortConnection(): void {
    this.loseConnection();
  }
  /** {@inheritDoc torsion/interfaces!IHalfCloseableTransport.loseWriteConnection} */
  loseWriteConnection(): void {
    this.loseConnection();
  }
  /** {@inheritDoc torsion/interfaces!ITransport.getPeer} */
  getPeer(): IAddress {
    return this.#peer;
  }
  /** {@inheritDoc torsion/interfaces!ITransport.getHost} */
  getHost(): IAddress {
    return this.#host;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.setTcpNoDelay} */
  setTcpNoDelay(enabled: boolean): void {
    this.#noDelay = enabled;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.getTcpNoDelay} */
  getTcpNoDelay(): boolean {
    return this.#noDelay;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.setTcpKeepAlive} */
  setTcpKeepAlive(enabled: boolean): void {
    this.#keepAlive = enabled;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.getTcpKeepAlive} */
  getTcpKeepAlive(): boolean {
    return this.#keepAlive;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.setWriteBufferLimits} */
  setWriteBufferLimits(high?: number, low?: number): void {
    resolveWriteBufferLimits(high, low);
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.getWriteBufferSize} */
  getWriteBufferSize(): number {
    return 0;
  }
  /** {@inheritDoc torsion/interfaces!IConsumer.registerProducer} */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) throw new RuntimeError('Cannot register two producers');
    this.producer = producer;
    this.streaming = streaming;
    // A throw reaches the registerProducer caller (as on a real transport); a rejection goes to the guard.
    if (!streaming) {
      const r: unknown = producer.resumeProducing();
      if (r !== undefined) guardResult(this._owner, 'resumeProducing', r);
    }
  }
  /** {@inheritDoc torsion/interfaces!IConsumer.unregisterProducer} */
  unregisterProducer(): void {
    if (this.producer === null) throw new RuntimeError('Cannot unregister a producer unless one is registered');
    this.producer = null;
    this.streaming = null;
  }
  /** {@inheritDoc torsion/interfaces!IPushProducer.pauseProducing} */
  pauseProducing(): void {}
  /** {@inheritDoc torsion/interfaces!IPushProducer.resumeProducing} */
  resumeProducing(): void {}
  /** {@inheritDoc torsion/interfaces!IProducer.stopProducing} */
  stopProducing(): void {
    this.loseConnection();
  }
  /** The queue was emptied: ask a pull producer for more (guarded). */
  _pollProducer(): void {
    const producer = this.producer;
    if (producer !== null && !this.streaming) guardCall(this._owner, 'resumeProducing', producer.resumeProducing, producer);
  }
  _lost(): void {
    this.connected = false;
    this.disconnecting = true;
  }
}
