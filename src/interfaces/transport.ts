import type { IAddress } from './address';
import type { IConsumer, IPushProducer } from './producer';

/**
 * A bidirectional byte stream handed to a protocol.
 *
 * Writes are buffered and never block. `write` with a `string` throws a
 * TypeError that says to encode it first. As in Twisted, writes made after
 * loseConnection() are still sent while the transport drains its buffer
 * before the close; once the connection is closed (or aborted) writes are
 * dropped silently.
 */
export interface ITransport {
  /** True once loseConnection() was called (graceful close pending). */
  readonly disconnecting: boolean;
  write(data: Buffer | Uint8Array): void;
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void;
  /** Close after every byte written so far has been sent; the protocol then gets ConnectionDone. */
  loseConnection(): void;
  getPeer(): IAddress;
  getHost(): IAddress;
}

/** A transport that can be dropped at once. */
export interface ITransportAbortable extends ITransport {
  /** Drop buffered data, reset the connection; connectionLost(ConnectionAborted) exactly once. */
  abortConnection(): void;
}

/** A transport that can close its write side only. */
export interface IHalfCloseableTransport extends ITransport {
  /** Send FIN after the buffer is flushed; the protocol's writeConnectionLost() then runs. */
  loseWriteConnection(): void;
}

/** The TCP transport: all of the above, a consumer and a push producer. */
export interface ITCPTransport
  extends ITransportAbortable,
    IHalfCloseableTransport,
    IConsumer,
    IPushProducer {
  setTcpNoDelay(enabled: boolean): void;
  getTcpNoDelay(): boolean;
  setTcpKeepAlive(enabled: boolean): void;
  getTcpKeepAlive(): boolean;
  /**
   * asyncio's write flow control: pauseWriting() when the buffer goes
   * strictly over `high`, resumeWriting() when it drains to `low` or below.
   * Defaults 64 KiB / 16 KiB; `low` defaults to high/4.
   * @throws RangeError unless high >= low >= 0.
   */
  setWriteBufferLimits(high?: number, low?: number): void;
  /** Bytes accepted by write() and not yet handed to the kernel. */
  getWriteBufferSize(): number;
}
