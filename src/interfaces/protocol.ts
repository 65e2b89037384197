import type { Failure } from '../defer/failure';
import type { IAddress } from './address';
import type { ITransport } from './transport';

/**
 * A stream protocol.
 *
 * Grammar, exactly once each: `makeConnection -> connectionMade ->
 * dataReceived* -> [readConnectionLost -> dataReceived? ...] -> connectionLost`.
 * An exception thrown by any callback is logged and ends that connection
 * with the failure; other connections and the reactor carry on.
 */
export interface IProtocol {
  /** Attach the transport and call connectionMade(). */
  makeConnection(transport: ITransport): void;
  connectionMade(): void;
  /** Bytes arrived. The Buffer is the protocol's to keep. */
  dataReceived(data: Buffer): void;
  /** The connection is gone: ConnectionDone if clean, ConnectionLost otherwise. */
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
  getBuffer(sizeHint: number): Uint8Array;
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

/** A factory for client connections. */
export interface IClientFactory extends IProtocolFactory {
  startedConnecting(connector: import('./connector').IConnector): void;
  clientConnectionFailed(connector: import('./connector').IConnector, reason: Failure): void;
  clientConnectionLost(connector: import('./connector').IConnector, reason: Failure): void;
}
