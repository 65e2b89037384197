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
  /**
   * Queue `data` for sending; never blocks and never sends part of it. The
   * writes one callback makes are gathered and leave together. The bytes
   * are not copied: leave `data` unchanged until it is sent (as with
   * `net.Socket.write`), or write a copy. An empty `data` does nothing.
   * Writes are ignored after abortConnection(), once the FIN is on its way,
   * and once the connection is closed.
   * @throws TypeError unless `data` is a Buffer or Uint8Array (encode strings first).
   */
  write(data: Buffer | Uint8Array): void;
  /**
   * `write()` each buffer of `data`, in order (Twisted's writeSequence).
   * Every element is checked first, so a bad one throws before anything is
   * written.
   * @throws TypeError unless `data` is an array of Buffers or Uint8Arrays.
   */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void;
  /** Close after every byte written so far has been sent; the protocol then gets ConnectionDone. */
  loseConnection(): void;
  /** The remote address (a TCP transport gives an IPv4Address or IPv6Address). */
  getPeer(): IAddress;
  /**
   * The local address (a TCP transport gives an IPv4Address or IPv6Address).
   * @throws RuntimeError on a TCP transport first asked after its socket closed.
   */
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
export interface ITCPTransport extends ITransportAbortable, IHalfCloseableTransport, IConsumer, IPushProducer {
  /** Turn TCP_NODELAY on (`true`: Nagle's algorithm off, small writes leave at once) or off. */
  setTcpNoDelay(enabled: boolean): void;
  /** Whether TCP_NODELAY is on. */
  getTcpNoDelay(): boolean;
  /** Turn SO_KEEPALIVE on or off. */
  setTcpKeepAlive(enabled: boolean): void;
  /** Whether SO_KEEPALIVE is on. */
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
