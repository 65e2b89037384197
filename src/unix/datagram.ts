/**
 * UNIX datagram sockets (Twisted's `unix.DatagramPort` and
 * `ConnectedDatagramPort`). Node's `dgram` knows only UDP, so they exist
 * only through torsion's native addon: an AF_UNIX/SOCK_DGRAM socket
 * (src/native/sockets.ts) watched by the reactor as a raw descriptor (a
 * libuv poll handle). Without the addon every entry point throws
 * NativeAddonUnavailableError at once, before anything is created.
 * @module
 */
import * as fs from 'node:fs';
import { UNIXAddress } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { CannotListenError, MessageLengthError, RuntimeError } from '../errors';
import { type GuardOwner, guardCall, guardMakeConnection, loggingOwner } from '../guard';
import type { IListeningPort } from '../interfaces/connector';
import type { IReactorFDSet, IReadDescriptor } from '../interfaces/fdset';
import type { IUNIXDatagramTransport, UNIXDatagramOptions } from '../interfaces/unix';
import type { IDatagramProtocol } from '../interfaces/udp';
import { Logger } from '../logger';
import { nativeAddon } from '../native';
import { UnixDatagramSocket } from '../native/sockets';
import { checkDatagram, checkDatagramProtocol } from '../udp/check';
import { ArgTypeError, checkCount, describe } from '../validate';
import { addonUnavailable, checkMode, checkOptions, checkUNIXAddress, isAbstract } from './checks';

const log = new Logger('torsion.unix');

/** Datagrams read per readable event at most (the rest on the next pass). */
const READS_PER_EVENT = 32;

/** What a UNIX datagram port needs of its reactor. */
type DatagramReactor = IReactorFDSet;

/** The protocol callbacks a UNIX datagram port invokes (a `DatagramProtocol` whose addresses are `UNIXAddress`es). */
export type UNIXDatagramProtocol = IDatagramProtocol & {
  datagramReceived(data: Buffer, addr: UNIXAddress): unknown;
  connectionRefused?(): unknown;
  errorReceived?(reason: Failure): unknown;
};

/**
 * A bound UNIX datagram socket (listenUNIXDatagram): `datagramReceived(data,
 * UNIXAddress(sender))`, `write(data, path)`. Datagrams larger than
 * `maxPacketSize` are truncated (logged once per port), as Twisted's.
 */
export class DatagramPort implements IReadDescriptor, IListeningPort, IUNIXDatagramTransport {
  /** The protocol the datagrams go to. */
  readonly protocol: UNIXDatagramProtocol;
  /** Largest datagram read. */
  readonly maxPacketSize: number;
  /** Permissions of the socket file. */
  readonly mode: number;
  /** True while open. */
  connected = false;
  #socket: UnixDatagramSocket | null = null;
  #truncationLogged = false;
  #waiters: Deferred<void>[] = [];
  readonly #guard: GuardOwner = loggingOwner(log, () => ` of ${this.logPrefix()}`);

  /**
   * Prefer `reactor.listenUNIXDatagram`, which validates and calls startListening().
   * @param address - the path to bind (null: unbound, for a client).
   * @param protocol - the datagram protocol.
   * @param maxPacketSize - largest datagram read.
   * @param mode - permissions of the socket file.
   * @param reactor - the reactor that watches the socket.
   */
  constructor(
    readonly address: string | null,
    protocol: UNIXDatagramProtocol,
    maxPacketSize: number,
    mode: number,
    readonly reactor: DatagramReactor,
  ) {
    this.protocol = protocol;
    this.maxPacketSize = maxPacketSize;
    this.mode = mode;
  }

  /**
   * Open and bind the socket, start the protocol, start reading.
   * @throws CannotListenError when the path cannot be bound (in use, missing directory...).
   */
  startListening(): void {
    if (this.connected) return;
    const socket = UnixDatagramSocket.open();
    try {
      if (this.address !== null) {
        socket.bind(this.address);
        if (!isAbstract(this.address)) fs.chmodSync(this.address, this.mode);
      }
      this._connectSocket(socket);
    } catch (err) {
      socket.close();
      throw new CannotListenError(this.address ?? '', 0, { cause: err });
    }
    this.#socket = socket;
    this.connected = true;
    guardMakeConnection(this.#guard, this.protocol as never, this);
    if (this.connected) this.reactor.addReader(this);
  }

  /** Connect the socket (ConnectedDatagramPort). @internal */
  protected _connectSocket(_socket: UnixDatagramSocket): void {}

  /** {@inheritDoc torsion/interfaces!IFileDescriptor.fileno} */
  fileno(): number {
    return this.#socket?.fd ?? -1;
  }

  /** {@inheritDoc torsion/interfaces!IFileDescriptor.logPrefix} */
  logPrefix(): string {
    return (this.protocol as object).constructor.name;
  }

  /** Read what is waiting (up to 32 datagrams per event); the reactor calls it. @hidden */
  doRead(): void {
    for (let i = 0; i < READS_PER_EVENT; i++) {
      const socket = this.#socket;
      if (socket === null || !this.connected) return;
      let d: ReturnType<UnixDatagramSocket['recv']>;
      try {
        d = socket.recv(this.maxPacketSize);
      } catch (err) {
        this._readFailed(err as NodeJS.ErrnoException);
        return;
      }
      if (d === null) return;
      if (d.size > this.maxPacketSize && !this.#truncationLogged) {
        this.#truncationLogged = true;
        log.warn(
          `${this.logPrefix()}: a ${d.size}-byte datagram was truncated to maxPacketSize ${this.maxPacketSize}; further truncations on this port are not logged`,
        );
      }
      guardCall(
        this.#guard,
        'datagramReceived',
        this.protocol.datagramReceived,
        this.protocol,
        d.data,
        new UNIXAddress(d.sender),
      );
    }
  }

  /** An error from recvfrom: ECONNREFUSED is connectionRefused(), others errorReceived(). @internal */
  protected _readFailed(err: NodeJS.ErrnoException): void {
    const p = this.protocol;
    if (err.code === 'ECONNREFUSED' && typeof p.connectionRefused === 'function') {
      guardCall(this.#guard, 'connectionRefused', p.connectionRefused, p);
    } else if (typeof p.errorReceived === 'function') {
      guardCall(this.#guard, 'errorReceived', p.errorReceived, p, new Failure(err));
    } else {
      log.warn(`${this.logPrefix()}: ${err.message}`);
    }
  }

  /**
   * Send one datagram to `address` (required unless connected). A full
   * socket buffer drops it, as Twisted does.
   * @throws TypeError for a string or a missing address; MessageLengthError when it is too large.
   */
  write(packet: Buffer | Uint8Array, address?: string): void {
    checkDatagram(packet);
    if (address === undefined) {
      if (this.getPeer() === null) throw new ArgTypeError('address is required: this port is not connected');
    } else {
      const tooLong = checkUNIXAddress('address', address, true);
      if (tooLong !== null) throw tooLong;
    }
    const socket = this.#socket;
    if (socket === null || !this.connected) throw new RuntimeError('write() on a closed UNIX datagram port');
    try {
      if (socket.send(packet, address) === 0) log.debug(`${this.logPrefix()}: socket buffer full, datagram dropped`);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EMSGSIZE') throw new MessageLengthError(packet.byteLength, this.maxPacketSize, { cause: err });
      if (e.code === 'ECONNREFUSED' && address === undefined) {
        this._readFailed(e);
        return;
      }
      throw err;
    }
  }

  /** The bound address (UNIXAddress(null) when unbound). */
  getHost(): UNIXAddress {
    const socket = this.#socket;
    return new UNIXAddress(socket === null ? this.address : (socket.address() ?? null));
  }

  /** The connected peer, or null. */
  getPeer(): UNIXAddress | null {
    return null;
  }

  /** Close the socket; fires once it is closed (the socket file stays, as in Twisted). */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    if (!this.connected) {
      d.callback(undefined);
      return d;
    }
    this.#waiters.push(d);
    this.connectionLost(new Failure(new RuntimeError('stopListening')));
    return d;
  }

  /** Same as stopListening (Twisted's loseConnection on a datagram port). */
  loseConnection(): Deferred<void> {
    return this.stopListening();
  }

  /** Closed (or the reactor shuts down): stop reading, close, doStop. Runs once. @hidden */
  connectionLost(_reason: Failure): void {
    if (!this.connected) return;
    this.connected = false;
    this.reactor.removeReader(this);
    this.#socket?.close();
    this.#socket = null;
    guardCall(this.#guard, 'doStop', this.protocol.doStop, this.protocol);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.callback(undefined);
  }

  /** A short description for debugging. */
  toString(): string {
    return `<${this.constructor.name} of ${this.logPrefix()} on ${describe(this.address)}>`;
  }
}

/**
 * A UNIX datagram socket connected to `peerAddress` (connectUNIXDatagram):
 * `write(data)` goes there, only its datagrams arrive, and a peer that is
 * gone is `connectionRefused()`.
 */
export class ConnectedDatagramPort extends DatagramPort {
  /**
   * Prefer `reactor.connectUNIXDatagram`.
   * @param peerAddress - the path to connect to.
   * @param protocol - the datagram protocol.
   * @param maxPacketSize - largest datagram read.
   * @param mode - permissions of the bound socket file, if any.
   * @param bindAddress - the local path to bind first, or null.
   * @param reactor - the reactor.
   */
  constructor(
    readonly peerAddress: string,
    protocol: UNIXDatagramProtocol,
    maxPacketSize: number,
    mode: number,
    bindAddress: string | null,
    reactor: DatagramReactor,
  ) {
    super(bindAddress, protocol, maxPacketSize, mode, reactor);
  }

  /** @internal */
  protected override _connectSocket(socket: UnixDatagramSocket): void {
    socket.connect(this.peerAddress);
  }

  /** The connected peer. */
  override getPeer(): UNIXAddress {
    return new UNIXAddress(this.peerAddress);
  }
}

function datagramOptions(
  options: unknown,
  withBind: boolean,
): { maxPacketSize: number; mode: number; bindAddress: string | null } {
  const o = checkOptions(options) as UNIXDatagramOptions;
  const maxPacketSize = o.maxPacketSize === undefined ? 8192 : o.maxPacketSize;
  checkCount('maxPacketSize', maxPacketSize, 1);
  const mode = checkMode(o.mode);
  let bindAddress: string | null = null;
  if (withBind && o.bindAddress !== undefined && o.bindAddress !== null) {
    const tooLong = checkUNIXAddress('bindAddress', o.bindAddress, true);
    if (tooLong !== null) throw tooLong;
    bindAddress = o.bindAddress;
  }
  return { maxPacketSize, mode, bindAddress };
}

/**
 * `reactor.listenUNIXDatagram`'s body.
 * @throws NativeAddonUnavailableError without the native addon; TypeError/RangeError for bad arguments; CannotListenError.
 */
export function listenUNIXDatagram(
  reactor: DatagramReactor,
  address: string,
  protocol: object,
  options?: Omit<UNIXDatagramOptions, 'bindAddress'>,
): DatagramPort {
  const tooLong = checkUNIXAddress('address', address, true);
  if (tooLong !== null) throw tooLong;
  checkDatagramProtocol(protocol);
  const o = datagramOptions(options, false);
  ensureAddon('listenUNIXDatagram (UNIX datagram sockets)');
  const port = new DatagramPort(address, protocol as UNIXDatagramProtocol, o.maxPacketSize, o.mode, reactor);
  port.startListening();
  return port;
}

/**
 * `reactor.connectUNIXDatagram`'s body.
 * @throws NativeAddonUnavailableError without the native addon; TypeError/RangeError for bad arguments; CannotListenError when binding or connecting fails.
 */
export function connectUNIXDatagram(
  reactor: DatagramReactor,
  address: string,
  protocol: object,
  options?: UNIXDatagramOptions,
): ConnectedDatagramPort {
  const tooLong = checkUNIXAddress('address', address, true);
  if (tooLong !== null) throw tooLong;
  checkDatagramProtocol(protocol);
  const o = datagramOptions(options, true);
  ensureAddon('connectUNIXDatagram (UNIX datagram sockets)');
  const port = new ConnectedDatagramPort(
    address,
    protocol as UNIXDatagramProtocol,
    o.maxPacketSize,
    o.mode,
    o.bindAddress,
    reactor,
  );
  port.startListening();
  return port;
}

function ensureAddon(feature: string): void {
  if (nativeAddon() === null) throw addonUnavailable(feature);
}
