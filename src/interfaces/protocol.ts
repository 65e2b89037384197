import type { Failure } from '../defer/failure';
import type { IAddress } from './address';
import type { IConnector } from './connector';
import type { ITransport } from './transport';

/**
 * A stream protocol.
 *
 * The call grammar, the one every transport follows (the real TCP
 * transport, the fakes in `torsion/testing`):
 *
 * `makeConnection -> connectionMade -> (dataReceived | getBuffer -> bufferUpdated)* -> [readConnectionLost] -> connectionLost`
 *
 * - `makeConnection`, `connectionMade` and `connectionLost` run exactly once
 *   each; `connectionLost` runs even if `connectionMade` threw.
 * - `getBuffer -> bufferUpdated` replaces `dataReceived` for an
 *   {@link IBufferedProtocol}; no data is delivered after
 *   `readConnectionLost` (the peer's EOF, for an
 *   {@link IHalfCloseableProtocol} only; others get `connectionLost`).
 * - Between `connectionMade` and `connectionLost`, an
 *   {@link IWriteFlowControlled} protocol sees `pauseWriting` and
 *   `resumeWriting` alternate, starting with `pauseWriting`, and an
 *   {@link IHalfCloseableProtocol} sees `writeConnectionLost` at most once
 *   (after its own `loseWriteConnection()`).
 *
 * An exception thrown by any callback, or a Promise it returns that
 * rejects, is logged and ends that connection with the failure; other
 * connections and the reactor carry on.
 */
export interface IProtocol {
  /** Attach the transport and call connectionMade(). */
  makeConnection(transport: ITransport): void;
  /**
   * The connection is up and `transport` is set: the place to send a
   * greeting or start timers. May be `async`; its rejection ends the
   * connection as a throw does.
   */
  connectionMade(): void;
  /** Bytes arrived. The Buffer is the protocol's to keep. */
  dataReceived(data: Buffer): void;
  /**
   * The connection is gone, the last call this protocol gets: `reason`
   * wraps ConnectionDone after a clean close, ConnectionAborted after
   * abortConnection(), ConnectionLost (or the error a callback threw)
   * otherwise.
   */
  connectionLost(reason: Failure): void;
}

/** Optional half-close hooks (Twisted's IHalfCloseableProtocol). */
export interface IHalfCloseableProtocol {
  /** The peer sent EOF; the connection stays writable. */
  readConnectionLost(): void;
  /** Our FIN went out (after loseWriteConnection). */
  writeConnectionLost(): void;
}

/** Optional asyncio-style write flow control hooks. */
export interface IWriteFlowControlled {
  /** The transport's write buffer went strictly over its high-water mark. */
  pauseWriting(): void;
  /** The write buffer drained to its low-water mark or below. */
  resumeWriting(): void;
}

/**
 * asyncio's BufferedProtocol: the opt-in zero-copy receive path. The
 * transport reads straight into the buffer returned by getBuffer(), then
 * calls bufferUpdated(n). The bytes are the protocol's only until it hands
 * out the buffer again.
 */
export interface IBufferedProtocol extends IProtocol {
  /**
   * Return the buffer the next bytes go into, non-empty. `sizeHint` is how
   * many bytes are waiting, or -1 when unknown (a socket read); a buffer
   * smaller than the hint is fine, the rest comes through further
   * getBuffer/bufferUpdated pairs.
   * @throws (an Error thrown here, or an empty or non-Uint8Array result,
   * ends the connection as a failing callback does)
   */
  getBuffer(sizeHint: number): Uint8Array;
  /**
   * `nbytes` bytes (at least 1) were written at the start of the buffer the
   * last getBuffer() returned; read them before the next getBuffer() call.
   */
  bufferUpdated(nbytes: number): void;
}

/** Makes protocols for connections. */
export interface IProtocolFactory {
  /** Called once per port/connector start; counted (startFactory on the first). */
  doStart(): void;
  /** Balanced with doStart (stopFactory on the last). */
  doStop(): void;
  /** Return a protocol for a connection from/to `addr`, or null to refuse it (the connection is closed). */
  buildProtocol(addr: IAddress): IProtocol | null;
}

/**
 * A factory for client connections.
 *
 * The call grammar of one `connectTCP` (each retry through
 * `connector.connect()` repeats the part in brackets):
 *
 * `doStart -> [startedConnecting -> (buildProtocol -> (protocol's grammar) -> clientConnectionLost | clientConnectionFailed)]+ -> doStop`
 *
 * `startedConnecting` runs synchronously inside `connect()`; the
 * protocol's `connectionLost` runs before `clientConnectionLost`; `doStop`
 * runs unless `clientConnectionFailed` / `clientConnectionLost` called
 * `connector.connect()` again.
 */
export interface IClientFactory extends IProtocolFactory {
  /** The attempt started; called synchronously inside `connector.connect()`, before any I/O. */
  startedConnecting(connector: IConnector): void;
  /**
   * The attempt failed before a connection was made (`reason` wraps a
   * ConnectError: ConnectionRefusedError, TimeoutError, DNSLookupError,
   * UserError after stopConnecting() ...). Calling `connector.connect()`
   * here retries.
   */
  clientConnectionFailed(connector: IConnector, reason: Failure): void;
  /**
   * An established connection ended, after the protocol's connectionLost,
   * with the same `reason`. Calling `connector.connect()` here reconnects.
   */
  clientConnectionLost(connector: IConnector, reason: Failure): void;
}
