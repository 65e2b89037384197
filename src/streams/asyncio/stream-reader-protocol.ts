/**
 * asyncio's `StreamReaderProtocol`: the plain torsion {@link Protocol} that
 * feeds a {@link StreamReader} and backs a {@link StreamWriter} (its
 * `drain()`, `waitClosed()` and the TLS handshake wait).
 * @module
 */
import { Failure } from '../../defer/failure';
import { ConnectionDone, ConnectionLost } from '../../errors';
import { guardCall, type GuardOwner } from '../../guard';
import type { IHalfCloseableProtocol, IWriteFlowControlled } from '../../interfaces/protocol';
import type { IPushProducer } from '../../interfaces/producer';
import type { IDelayedCall, IReactorTime } from '../../interfaces/time';
import type { ITCPTransport, ITransport } from '../../interfaces/transport';
import { Logger } from '../../logger';
import { Protocol } from '../../protocol/protocol';
import { ArgTypeError, describe } from '../../validate';
import { clockOf, handled, isTLSTransport } from './options';
import { StreamReader } from './stream-reader';
import { StreamWriter } from './stream-writer';

const log = new Logger('torsion.streams');

/**
 * What a server calls for each accepted connection (asyncio's
 * `client_connected_cb`). It may be `async`; what it throws or rejects is
 * logged and the connection is closed.
 */
export type ClientConnectedCallback = (reader: StreamReader, writer: StreamWriter) => void | Promise<void>;

/** Options of {@link StreamReaderProtocol}. */
export interface StreamReaderProtocolOptions {
  /** The clock of the writer's TLS handshake timeout; default the global reactor. */
  reactor?: IReactorTime;
}

interface Deferredish {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferredish {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = handled(
    new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    }),
  );
  return { promise, resolve, reject };
}

/**
 * The protocol between a transport and a {@link StreamReader} /
 * {@link StreamWriter} pair (asyncio's `StreamReaderProtocol`).
 *
 * - `makeConnection` makes {@link StreamReaderProtocol.writer} and, on a
 *   server, calls `clientConnectedCb(reader, writer)` (guarded: a throw or
 *   rejection is logged and the connection closed).
 * - `dataReceived` → `reader.feedData`; `readConnectionLost` (the peer's
 *   EOF) → `reader.feedEof`, and the writer stays usable (half-open), except
 *   on TLS, where the connection is closed.
 * - `connectionLost(ConnectionDone)` → `reader.feedEof`; any other reason →
 *   `reader.setException(reason.value)`; pending and later `drain()`s
 *   reject with the loss; `waitClosed()` settles.
 * - `pauseWriting` / `resumeWriting` drive `drain()`.
 *
 * @example
 * ```ts
 * const reader = new StreamReader();
 * const proto = new StreamReaderProtocol(reader);
 * proto.makeConnection(new StringTransport());   // proto.writer is ready
 * proto.dataReceived(Buffer.from('hello\r\nwor'));
 * await reader.readuntil(Buffer.from('\r\n'));   // <Buffer 68 65 6c 6c 6f 0d 0a>
 * ```
 */
export class StreamReaderProtocol extends Protocol<ITransport> implements IHalfCloseableProtocol, IWriteFlowControlled {
  /** The reader this protocol feeds. */
  readonly reader: StreamReader;
  #writer: StreamWriter | null = null;
  #cb: ClientConnectedCallback | null;
  #clock: IReactorTime | null;
  #paused = false;
  #drainWaiter: Deferredish | null = null;
  #closed: Deferredish = deferred();
  #lost: Failure | null = null;
  #handshake: Deferredish | null = null;
  #handshakeDone = false;
  // A TLS server runs clientConnectedCb after the handshake (asyncio's
  // connection_made comes after it there); null = at connectionMade.
  #cbAfterHandshake: { timeout: number | null } | null = null;
  #handshakeTimer: IDelayedCall | null = null;

  /**
   * @param reader - the reader to feed.
   * @param clientConnectedCb - called with `(reader, writer)` at connectionMade (a server's callback).
   * @param opts - `reactor`: the clock of the TLS handshake timeout.
   */
  constructor(
    reader: StreamReader,
    clientConnectedCb: ClientConnectedCallback | null = null,
    opts: StreamReaderProtocolOptions = {},
  ) {
    super();
    if (!(reader instanceof StreamReader)) throw new ArgTypeError(`reader must be a StreamReader, got ${describe(reader)}`);
    if (clientConnectedCb !== null && typeof clientConnectedCb !== 'function') {
      throw new ArgTypeError(`clientConnectedCb must be a function or null, got ${describe(clientConnectedCb)}`);
    }
    this.reader = reader;
    this.#cb = clientConnectedCb;
    this.#clock = opts.reactor ?? null;
  }

  /** The writer, set by makeConnection (null before). */
  get writer(): StreamWriter | null {
    return this.#writer;
  }

  /** The connection is up: make the writer, hook the reader's backpressure, call the server's callback. */
  override connectionMade(): void {
    const t = this.transport!;
    const producer = t as Partial<IPushProducer>;
    if (typeof producer.pauseProducing === 'function' && typeof producer.resumeProducing === 'function') {
      this.reader.setTransport(t as unknown as IPushProducer);
    }
    this.#writer = new StreamWriter(t, this, this.reader, { reactor: this.#clock ?? undefined });
    if (this.#cbAfterHandshake !== null) {
      const timeout = this.#cbAfterHandshake.timeout;
      if (timeout !== null && !this.#handshakeDone) {
        this.#handshakeTimer = clockOf(this.#clock).callLater(timeout, () => {
          this.#handshakeTimer = null;
          log.warn(`TLS handshake of a client did not finish within ${timeout} seconds: connection aborted`);
          const a = this.transport as Partial<ITCPTransport> | null;
          if (a?.abortConnection !== undefined) a.abortConnection();
          else a?.loseConnection?.();
        });
      }
      return;
    }
    this.#runCallback();
  }

  #runCallback(): void {
    if (this.#cb !== null) {
      const owner: GuardOwner = {
        _callbackFailed: (err: unknown) => {
          log.failure('Unhandled exception in client_connected_cb', Failure.from(err));
          const tt = this.transport as Partial<ITCPTransport> | null;
          if (tt !== null && this.#lost === null) tt.loseConnection?.();
        },
      };
      guardCall(owner, 'clientConnectedCb', this.#cb, null, this.reader, this.#writer);
    }
  }

  /** {@inheritDoc torsion/interfaces!IProtocol.dataReceived} */
  override dataReceived(data: Buffer): void {
    this.reader.feedData(data);
  }

  /** {@inheritDoc torsion/interfaces!IHalfCloseableProtocol.readConnectionLost} */
  readConnectionLost(): void {
    this.reader.feedEof();
    // asyncio's eof_received returns False on SSL: the connection closes.
    if (isTLSTransport(this.transport)) this.transport?.loseConnection();
  }

  /** {@inheritDoc torsion/interfaces!IHalfCloseableProtocol.writeConnectionLost} */
  writeConnectionLost(): void {}

  /** {@inheritDoc torsion/interfaces!IWriteFlowControlled.pauseWriting} */
  pauseWriting(): void {
    this.#paused = true;
  }

  /** {@inheritDoc torsion/interfaces!IWriteFlowControlled.resumeWriting} */
  resumeWriting(): void {
    this.#paused = false;
    const w = this.#drainWaiter;
    this.#drainWaiter = null;
    w?.resolve();
  }

  /** The TLS handshake finished: wakes `startTls` / `openConnection({ ssl })`. */
  handshakeCompleted(): void {
    this.#handshakeDone = true;
    this.#cancelHandshakeTimer();
    if (this.#cbAfterHandshake !== null) {
      this.#cbAfterHandshake = null;
      this.#runCallback();
    }
    const h = this.#handshake;
    this.#handshake = null;
    h?.resolve();
  }

  /** {@inheritDoc torsion/interfaces!IProtocol.connectionLost} */
  override connectionLost(reason: Failure): void {
    this.#lost = reason;
    this.#cancelHandshakeTimer();
    const clean = reason.check(ConnectionDone) !== null;
    const err = lossError(reason);
    if (clean) {
      this.reader.feedEof();
    } else {
      this.reader.setException(err);
    }
    const w = this.#drainWaiter;
    this.#drainWaiter = null;
    w?.reject(err);
    const h = this.#handshake;
    this.#handshake = null;
    h?.reject(err);
    if (clean) this.#closed.resolve();
    else this.#closed.reject(err);
  }

  // ---- what the writer uses ------------------------------------------------------

  /** The loss, once connectionLost ran; else null. @internal */
  _lostReason(): Failure | null {
    return this.#lost;
  }

  /** drain(): at once unless writing is paused; rejects once the connection is lost. @internal */
  _drainHelper(): Promise<void> {
    if (this.#lost !== null) return handled(Promise.reject(lossError(this.#lost)));
    if (!this.#paused) return Promise.resolve();
    if (this.#drainWaiter === null) this.#drainWaiter = deferred();
    return this.#drainWaiter.promise;
  }

  /** Resolves after connectionLost; rejects with the loss unless it was clean. @internal */
  _closedPromise(): Promise<void> {
    return this.#closed.promise;
  }

  /** Resolves at handshakeCompleted; rejects if the connection is lost first. @internal */
  _handshakePromise(): Promise<void> {
    if (this.#handshakeDone) return Promise.resolve();
    if (this.#lost !== null) return handled(Promise.reject(lossError(this.#lost)));
    if (this.#handshake === null) this.#handshake = deferred();
    return this.#handshake.promise;
  }

  /** Run clientConnectedCb after the TLS handshake, aborting after `timeout` seconds without one (TLS servers). @internal */
  _callbackAfterHandshake(timeout: number | null): void {
    this.#cbAfterHandshake = { timeout };
  }

  #cancelHandshakeTimer(): void {
    const t = this.#handshakeTimer;
    this.#handshakeTimer = null;
    if (t !== null && t.active()) t.cancel();
  }

  /** Forget a finished handshake (before startTls starts a new one). @internal */
  _resetHandshake(): void {
    this.#handshakeDone = false;
  }
}

/** The Error a loss stands for (a Failure's value, as an Error). */
function lossError(reason: Failure): Error {
  const v = reason.value;
  return v instanceof Error ? v : new ConnectionLost(String(v));
}
