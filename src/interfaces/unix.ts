/**
 * UNIX sockets: the reactor's connectUNIX/listenUNIX (Twisted's
 * `IReactorUNIX`), their transport, and the datagram variant that needs
 * the native addon.
 * @module
 */
import type { UNIXAddress } from '../address';
import type { Deferred } from '../defer/deferred';
import type { IConnector, IListeningPort } from './connector';
import type { IConsumer, IPushProducer } from './producer';
import type { IClientFactory, IProtocolFactory } from './protocol';
import type { IHalfCloseableTransport, ITransportAbortable } from './transport';

/** Options of connectUNIX. */
export interface ConnectUNIXOptions {
  /** Seconds before the attempt fails with TimeoutError; null for none. Default 30. */
  timeout?: number | null;
  /**
   * Check `address + '.lock'` first: unless a live process holds it, the
   * attempt fails (asynchronously) with BadFileError. Default false.
   */
  checkPID?: boolean;
}

/** Options of listenUNIX. */
export interface ListenUNIXOptions {
  /** Listen backlog. Default 50. */
  backlog?: number;
  /** Permissions of the socket file (chmod). Default 0o666. */
  mode?: number;
  /**
   * Take `address + '.lock'` (a FilesystemLock) first; a stale lock's
   * leftover socket file is removed. Default false.
   */
  wantPID?: boolean;
}

/** UNIX stream sockets (Twisted's `IReactorUNIX`). */
export interface IReactorUNIX {
  /**
   * Connect to the UNIX socket `address` (a path; on Linux a name starting
   * with `'\0'` is abstract). The connector lifecycle is connectTCP's.
   * @throws TypeError/RangeError for a bad address, factory or option
   * (RangeError for a path over 107 bytes).
   */
  connectUNIX(address: string, factory: IClientFactory, opts?: ConnectUNIXOptions): IConnector;
  /**
   * Listen on the UNIX socket `address`: binds synchronously, chmods the
   * socket file to `mode`, listens; `factory.buildProtocol` gets
   * `UNIXAddress(null)`. `stopListening()` removes the socket file.
   * @throws CannotListenError when it cannot bind (the file exists, the
   * directory is missing, the path is too long, the lock is held).
   */
  listenUNIX(address: string, factory: IProtocolFactory, opts?: ListenUNIXOptions): IListeningPort;
}

/** The transport of a UNIX stream connection: TCP's, without the TCP options. */
export interface IUNIXTransport extends ITransportAbortable, IHalfCloseableTransport, IConsumer, IPushProducer {
  /** Client: `UNIXAddress(path)`; server: `UNIXAddress(null)`. */
  getPeer(): UNIXAddress;
  /** Client: `UNIXAddress(null)`; server: `UNIXAddress(path)`. */
  getHost(): UNIXAddress;
  /** asyncio's watermarks (see ITCPTransport). */
  setWriteBufferLimits(high?: number, low?: number): void;
  /** Bytes buffered, not yet written. */
  getWriteBufferSize(): number;
  /**
   * Pass a file descriptor to the peer (SCM_RIGHTS).
   * @throws FeatureUnavailableError always: Node's UNIX stream sockets
   * cannot carry file descriptors outside child_process IPC.
   */
  sendFileDescriptor(descriptor: number): void;
}

/** A protocol that receives file descriptors (never called in this version). */
export interface IFileDescriptorReceiver {
  /** A descriptor arrived from the peer. */
  fileDescriptorReceived(descriptor: number): void;
}

/** Options of the UNIX datagram calls (native addon only). */
export interface UNIXDatagramOptions {
  /** Largest datagram read. Default 8192. */
  maxPacketSize?: number;
  /** Permissions of the socket file. Default 0o666. */
  mode?: number;
  /** The local path to bind before connecting (connectUNIXDatagram), or null. */
  bindAddress?: string | null;
}

/** The transport of a UNIX datagram socket. */
export interface IUNIXDatagramTransport {
  /** Send one datagram; `address` is required unless connected. */
  write(packet: Buffer | Uint8Array, address?: string): void;
  /** The bound address. */
  getHost(): UNIXAddress;
  /** The connected peer, or null. */
  getPeer(): UNIXAddress | null;
  /** Close the socket. */
  stopListening(): Deferred<void>;
}

/** UNIX datagram sockets: only with torsion's native addon (Node's dgram has no AF_UNIX). */
export interface IReactorUNIXDatagram {
  /**
   * Bind a UNIX datagram socket.
   * @throws NativeAddonUnavailableError without the native addon.
   */
  listenUNIXDatagram(
    address: string,
    protocol: object,
    opts?: Omit<UNIXDatagramOptions, 'bindAddress'>,
  ): IListeningPort & IUNIXDatagramTransport;
  /**
   * Connect a UNIX datagram socket.
   * @throws NativeAddonUnavailableError without the native addon.
   */
  connectUNIXDatagram(address: string, protocol: object, opts?: UNIXDatagramOptions): IListeningPort & IUNIXDatagramTransport;
}
