/**
 * loopbackAsync: run a client and a server protocol against each other in
 * memory until one of them closes (Twisted's
 * `twisted.protocols.loopback.loopbackAsync`).
 * @module
 */
import { IPv4Address } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { ConnectionDone, RuntimeError } from '../errors';
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
 * something, with that side's queue and the other side's protocol.
 */
export type PumpPolicy = (queue: LoopbackQueue, target: IProtocol) => void;

/** Deliver each written chunk as it was written, one dataReceived per write (stops at the close marker). */
export function identityPumpPolicy(queue: LoopbackQueue, target: IProtocol): void {
  while (queue.length > 0) {
    const bytes = queue.get();
    if (bytes === null) break;
    target.dataReceived(bytes);
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
  if (chunks.length > 0) target.dataReceived(Buffer.concat(chunks));
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
 * @param pumpPolicy - a {@link PumpPolicy} (Twisted's third argument) or {@link LoopbackOptions}.
 * @returns a Deferred that fires (with undefined) once both sides were told the connection is gone.
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
export function loopbackAsync(
  server: IProtocol,
  client: IProtocol,
  pumpPolicy?: PumpPolicy | LoopbackOptions,
): Deferred<void> {
  const opts: LoopbackOptions = typeof pumpPolicy === 'function' ? { pumpPolicy } : (pumpPolicy ?? {});
  const policy = opts.pumpPolicy ?? identityPumpPolicy;
  checkFunction('pumpPolicy', policy);
  const serverToClient = new LoopbackQueue();
  const clientToServer = new LoopbackQueue();
  const serverTransport = new LoopbackTransport(serverToClient, true);
  const clientTransport = new LoopbackTransport(clientToServer, false);
  server.makeConnection(serverTransport);
  client.makeConnection(clientTransport);
  const later = opts.clock
    ? (fn: () => void) => void opts.clock!.callLater(0, fn)
    : (fn: () => void) => void setImmediate(fn);

  const pump = (source: LoopbackTransport, queue: LoopbackQueue, target: IProtocol): boolean => {
    if (queue.length === 0) return false;
    policy(queue, target);
    // The writer's buffer is empty now: a pull producer may write more.
    if (queue.length === 0) source._pollProducer();
    return true;
  };

  const body = (done: Deferred<void>): void => {
    for (;;) {
      const serverSent = pump(serverTransport, serverToClient, client);
      const clientSent = pump(clientTransport, clientToServer, server);
      if (!serverSent && !clientSent) {
        // Quiet: wait for a write, then continue on a later turn so that
        // dataReceived never runs inside the writer's write() call.
        const wake = (): void => {
          serverToClient._onPut(null);
          clientToServer._onPut(null);
          later(() => body(done));
        };
        serverToClient._onPut(wake);
        clientToServer._onPut(wake);
        return;
      }
      let disconnect = false;
      if (serverToClient.disconnect) {
        disconnect = true;
        pump(serverTransport, serverToClient, client);
      } else if (clientToServer.disconnect) {
        disconnect = true;
        pump(clientTransport, clientToServer, server);
      }
      if (disconnect) {
        serverTransport._lost();
        clientTransport._lost();
        server.connectionLost(new Failure(new ConnectionDone()));
        client.connectionLost(new Failure(new ConnectionDone()));
        done.callback(undefined);
        return;
      }
    }
  };

  const done = new Deferred<void>();
  body(done);
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
    this._pollProducer();
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
  _pollProducer(): void {
    if (this.producer !== null && !this.streaming) this.producer.resumeProducing();
  }
  _lost(): void {
    this.connected = false;
    this.disconnecting = true;
  }
}
