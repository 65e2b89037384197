/**
 * EasyNetwork's `AsyncUDPNetworkClient` on the reactor: a connected UDP
 * port (`listenUDP` then `connect()`), one datagram per packet.
 * @module
 */
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { IPv4Address, IPv6Address } from '../../address';
import {
  BaseProtocolParseError,
  ClientClosedError,
  ConnectionRefusedError,
  DatagramProtocolParseError,
  DeserializeError,
  DNSLookupError,
  FeatureUnavailableError,
  PacketConversionError,
  RuntimeError,
} from '../../errors';
import type { IReactor } from '../../interfaces';
import type { IUDPListeningPort, IUDPTransport } from '../../interfaces/udp';
import { DatagramProtocol as TwistedDatagramProtocol } from '../../protocol/protocol';
import { getGlobalReactor } from '../../task/default-reactor';
import { dgramHasReusePort } from '../../udp/check';
import { ArgTypeError, checkPort, checkString, describe } from '../../validate';
import type { SocketAddress } from './async-tcp';
import { recvIterator } from './async-tcp';
import {
  Deadline,
  type DatagramProtocolLike,
  FairLock,
  type ReadOptions,
  checkDatagramProtocol,
  checkOptionalDelay,
  checkReadOptions,
  handled,
} from './common';
import { NONE } from './stream-consumer';
import type { DatagramProtocol } from '../protocol';

/** The options of {@link AsyncUDPNetworkClient}. */
export interface AsyncUDPNetworkClientOptions {
  /** The reactor; default: torsion's global reactor. */
  reactor?: IReactor;
  /** Bind to this `[host, port]` (an IP literal). Default: any address, a port the kernel picks. */
  localAddress?: readonly [string, number] | null;
  /** The address family to resolve the host to. Default: the first address found. */
  family?: 'IPv4' | 'IPv6' | null;
  /** SO_REUSEPORT (Node 22.12+; on older Node the constructor throws `FeatureUnavailableError`). */
  reusePort?: boolean;
}

/** Receive every datagram whole (the UDP maximum). */
const MAX_DATAGRAM = 65535;

type State = 'idle' | 'connecting' | 'connected' | 'closing' | 'closed';

class UDPClientProtocol extends TwistedDatagramProtocol {
  constructor(readonly owner: { _onDatagram(d: Buffer, a: SocketAddress): void; _onRefused(): void }) {
    super();
  }
  override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
    this.owner._onDatagram(data, addr);
  }
  override connectionRefused(): void {
    this.owner._onRefused();
  }
}

/**
 * A UDP client that sends and receives packets through a `DatagramProtocol`
 * (EasyNetwork's `AsyncUDPNetworkClient`): one datagram is one packet.
 *
 * - `waitConnected()` resolves the host, binds and connects the socket (so
 *   only the peer's datagrams are received, and the kernel reports refusals).
 * - A datagram the protocol cannot parse rejects that `recvPacket()` with
 *   `DatagramProtocolParseError` (with its `senderAddress`); only it is lost.
 * - An ICMP port-unreachable (`ECONNREFUSED`) rejects the pending or next
 *   `recvPacket()` with `ConnectionRefusedError`; the client stays usable.
 *
 * @typeParam S - the packets sent.
 * @typeParam R - the packets received.
 * @example
 * ```ts
 * const client = new AsyncUDPNetworkClient(['127.0.0.1', 9000], new DatagramProtocol(new JSONSerializer()), { reactor });
 * await client.sendPacket({ ping: 1 });
 * console.log(await client.recvPacket({ timeout: 2 }));
 * await client.aclose();
 * ```
 */
export class AsyncUDPNetworkClient<S, R> implements AsyncDisposable {
  /** The reactor the client runs on. */
  readonly reactor: IReactor;
  readonly #protocol: DatagramProtocolLike<S, R>;
  readonly #host: string;
  readonly #port: number;
  readonly #localAddress: [string, number] | null;
  readonly #family: 'IPv4' | 'IPv6' | null;
  readonly #reusePort: boolean;
  #state: State = 'idle';
  #port_: IUDPListeningPort | null = null;
  #remote: SocketAddress | null = null;
  #connecting: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #crash: RuntimeError | null = null;
  #queue: Array<[Buffer, SocketAddress]> = [];
  #refused = 0;
  #wakeReceiver: (() => void) | null = null;
  readonly #sendLock = new FairLock();
  readonly #recvLock = new FairLock();

  /**
   * @param address - `[host, port]` of the peer (a name or an IP literal).
   * @param protocol - the `DatagramProtocol` that makes and parses datagrams.
   * @param opts - see {@link AsyncUDPNetworkClientOptions}.
   * @throws TypeError/RangeError for bad arguments; FeatureUnavailableError for `reusePort` on a Node without it.
   */
  constructor(
    address: readonly [host: string, port: number],
    protocol: DatagramProtocol<S, R>,
    opts: AsyncUDPNetworkClientOptions = {},
  ) {
    if (!Array.isArray(address) || address.length !== 2) {
      throw new ArgTypeError(`address must be a [host, port] pair, got ${describe(address)}`);
    }
    checkString('address[0]', address[0]);
    checkPort('address[1]', address[1]);
    checkDatagramProtocol('protocol', protocol);
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    const reactor = opts.reactor ?? getGlobalReactor();
    if (reactor === null || typeof reactor !== 'object' || typeof (reactor as IReactor).listenUDP !== 'function') {
      throw new ArgTypeError(`reactor must be a reactor with listenUDP, got ${describe(reactor)}`);
    }
    let local: [string, number] | null = null;
    if (opts.localAddress !== undefined && opts.localAddress !== null) {
      const la = opts.localAddress;
      if (!Array.isArray(la) || la.length !== 2)
        throw new ArgTypeError(`localAddress must be a [host, port] pair, got ${describe(la)}`);
      checkString('localAddress[0]', la[0]);
      checkPort('localAddress[1]', la[1]);
      local = [la[0], la[1]];
    }
    const family = opts.family ?? null;
    if (family !== null && family !== 'IPv4' && family !== 'IPv6') {
      throw new ArgTypeError(`family must be 'IPv4', 'IPv6' or null, got ${describe(family)}`);
    }
    const reusePort = opts.reusePort ?? false;
    if (typeof reusePort !== 'boolean') throw new ArgTypeError(`reusePort must be a boolean, got ${describe(reusePort)}`);
    if (reusePort && !dgramHasReusePort()) {
      throw new FeatureUnavailableError(
        'reusePort (SO_REUSEPORT) on UDP',
        `Node ${process.versions.node}'s dgram cannot set it (it needs Node 22.12 or later)`,
      );
    }
    this.reactor = reactor;
    this.#protocol = protocol as unknown as DatagramProtocolLike<S, R>;
    this.#host = address[0];
    this.#port = address[1];
    this.#localAddress = local;
    this.#family = family;
    this.#reusePort = reusePort;
  }

  /** The connected UDP port once connected, else null. */
  get transport(): IUDPTransport | null {
    return this.#port_;
  }

  /** Whether `waitConnected()` succeeded and the client has not closed since. */
  isConnected(): boolean {
    return this.#state === 'connected' && this.#crash === null;
  }

  /** Whether `aclose()` was called (or the serializer crashed). */
  isClosing(): boolean {
    return this.#state === 'closing' || this.#state === 'closed' || this.#crash !== null;
  }

  /**
   * Resolve, bind and connect, if not done yet (concurrent callers share one
   * attempt). A `timeout`/`signal` that fires closes the client.
   * @returns rejects with `DNSLookupError`, `CannotListenError`,
   * `ClientClosedError` after `aclose()`, or the deadline's error.
   */
  waitConnected(opts?: ReadOptions): Promise<void> {
    let o: ReadOptions;
    try {
      o = checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    const deadline = o.timeout === undefined && o.signal === undefined ? null : new Deadline(this.reactor, o);
    return handled(this.#waitConnected(deadline).finally(() => deadline?.dispose()));
  }

  async #waitConnected(deadline: Deadline | null): Promise<void> {
    if (this.#crash !== null) throw this.#crash;
    if (this.#state === 'connected') return;
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
    if (this.#connecting === null) this.#connecting = handled(this.#connect());
    if (deadline === null) return this.#connecting;
    const onExpire = () => this.#closeNow();
    deadline.onExpire(onExpire);
    try {
      await deadline.race(this.#connecting);
    } finally {
      deadline.offExpire(onExpire);
    }
  }

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    try {
      const ip = await this.#resolve();
      if (this.#state !== 'connecting') throw new ClientClosedError();
      const v6 = isIP(ip) === 6;
      const iface = this.#localAddress?.[0] ?? (v6 ? '::' : '');
      const port = this.reactor.listenUDP(this.#localAddress?.[1] ?? 0, new UDPClientProtocol(this), {
        interface: iface,
        maxPacketSize: MAX_DATAGRAM,
        ...(this.#reusePort ? { reusePort: true } : {}),
      });
      try {
        port.connect(ip, this.#port);
      } catch (err) {
        void port.stopListening();
        throw err;
      }
      this.#port_ = port;
      this.#remote = v6 ? new IPv6Address('UDP', ip, this.#port) : new IPv4Address('UDP', ip, this.#port);
      this.#state = 'connected';
    } catch (err) {
      this.#connecting = null;
      if (this.#state === 'connecting') this.#state = 'idle';
      throw err;
    }
  }

  #resolve(): Promise<string> {
    const host = this.#host;
    if (isIP(host) !== 0) return Promise.resolve(host);
    const family = this.#family === 'IPv6' ? 6 : this.#family === 'IPv4' ? 4 : 0;
    return new Promise<string>((resolve, reject) => {
      lookup(host, { family }, (err, address) => {
        if (err) reject(new DNSLookupError(`DNS lookup of ${JSON.stringify(host)} failed: ${err.message}`, { cause: err }));
        else resolve(address);
      });
    });
  }

  /**
   * Send one packet as one datagram (connects first if needed).
   * @returns rejects with `MessageLengthError` above 65 507 bytes (IPv4) /
   * 65 527 (IPv6), the serializer's error, `ClientClosedError` once closed.
   */
  sendPacket(packet: S, opts?: { signal?: AbortSignal }): Promise<void> {
    let o: ReadOptions;
    try {
      o = checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    const deadline = o.signal === undefined ? null : new Deadline(this.reactor, { signal: o.signal });
    return handled(this.#send(packet, deadline).finally(() => deadline?.dispose()));
  }

  async #send(packet: S, deadline: Deadline | null): Promise<void> {
    await this.#waitConnected(deadline);
    await this.#sendLock.acquire(deadline);
    try {
      this.#checkOpen();
      const datagram = this.#protocol.makeDatagram(packet);
      this.#checkOpen();
      this.#port_!.write(datagram);
    } finally {
      this.#sendLock.release();
    }
  }

  #checkOpen(): void {
    if (this.#crash !== null) throw this.#crash;
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
  }

  /**
   * Wait for the next datagram and parse it (connects first if needed).
   * @returns the packet. Rejects with `DatagramProtocolParseError` (that
   * datagram is lost), `ConnectionRefusedError` after a refusal (the client
   * stays usable), `RuntimeError('The serializer crashed')`,
   * `ClientClosedError` once closed, or the deadline's error.
   */
  recvPacket(opts?: ReadOptions): Promise<R> {
    let o: ReadOptions;
    try {
      o = checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    const deadline = o.timeout === undefined && o.signal === undefined ? null : new Deadline(this.reactor, o);
    return handled(this.#recv(deadline, true).finally(() => deadline?.dispose()) as Promise<R>);
  }

  async #recv(deadline: Deadline | null, wait: boolean): Promise<R | typeof NONE> {
    await this.#waitConnected(deadline);
    await this.#recvLock.acquire(deadline);
    try {
      for (;;) {
        this.#checkOpen();
        const r = this.#next();
        if (r !== NONE || !wait) return r;
        const p = new Promise<void>((resolve) => {
          this.#wakeReceiver = resolve;
        });
        await (deadline === null ? p : deadline.race(p));
      }
    } finally {
      this.#recvLock.release();
    }
  }

  #next(): R | typeof NONE {
    if (this.#refused > 0) {
      this.#refused -= 1;
      throw new ConnectionRefusedError(
        `The peer ${this.#remote?.host}:${this.#remote?.port} refused a datagram (ICMP port unreachable)`,
      );
    }
    const item = this.#queue.shift();
    if (item === undefined) return NONE;
    const [data, sender] = item;
    try {
      return this.#protocol.buildPacketFromDatagram(data, sender);
    } catch (err) {
      if (err instanceof DatagramProtocolParseError && err.senderAddress !== null) throw err;
      if (err instanceof BaseProtocolParseError) throw new DatagramProtocolParseError(err.error, sender);
      if (err instanceof DeserializeError || err instanceof PacketConversionError) {
        throw new DatagramProtocolParseError(err, sender);
      }
      this.#crash = new RuntimeError('The serializer crashed', { cause: err });
      this.#queue = [];
      const port = this.#port_;
      if (port !== null) void port.stopListening();
      throw this.#crash;
    }
  }

  /**
   * Iterate over the packets received within one `timeout` for the whole
   * iteration (see {@link AsyncTCPNetworkClient.iterReceivedPackets}).
   */
  iterReceivedPackets(opts: { timeout?: number | null } = {}): AsyncIterableIterator<R> {
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    const timeout = opts.timeout === undefined ? 0 : checkOptionalDelay('timeout', opts.timeout);
    return recvIterator(this.reactor, timeout, async (t) => {
      if (t === 0) {
        if (this.#state !== 'connected' && this.#crash === null) {
          if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
          return NONE;
        }
        if (!this.#recvLock.tryAcquire()) return NONE;
        try {
          this.#checkOpen();
          return this.#next();
        } finally {
          this.#recvLock.release();
        }
      }
      const deadline = t === null ? null : new Deadline(this.reactor, { timeout: t });
      try {
        return await this.#recv(deadline, true);
      } finally {
        deadline?.dispose();
      }
    });
  }

  /** Close the socket; pending receives reject with `ClientClosedError`. Idempotent. */
  aclose(): Promise<void> {
    if (this.#closing === null) this.#closing = handled(this.#aclose());
    return this.#closing;
  }

  async #aclose(): Promise<void> {
    this.#state = 'closing';
    this.#wake();
    const port = this.#port_;
    if (port !== null) await port.stopListening();
    this.#queue = [];
    this.#state = 'closed';
  }

  #closeNow(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closing = Promise.resolve();
    this.#wake();
    const port = this.#port_;
    if (port !== null) void port.stopListening();
  }

  /** Calls {@link AsyncUDPNetworkClient.aclose}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /**
   * The bound local address.
   * @throws RuntimeError before `waitConnected()` completed; ClientClosedError once closed.
   */
  getLocalAddress(): SocketAddress {
    this.#checkAddress();
    return this.#port_!.getHost();
  }

  /**
   * The peer's address (the resolved IP).
   * @throws RuntimeError before `waitConnected()` completed; ClientClosedError once closed.
   */
  getRemoteAddress(): SocketAddress {
    this.#checkAddress();
    return this.#remote!;
  }

  #checkAddress(): void {
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
    if (this.#state !== 'connected') throw new RuntimeError('The client is not connected yet: await waitConnected() first');
  }

  #wake(): void {
    const w = this.#wakeReceiver;
    if (w !== null) {
      this.#wakeReceiver = null;
      w();
    }
  }

  /** @internal */
  _onDatagram(data: Buffer, addr: SocketAddress): void {
    if (this.#state !== 'connected' || this.#crash !== null) return;
    this.#queue.push([data, addr]);
    this.#wake();
  }

  /** @internal */
  _onRefused(): void {
    if (this.#state !== 'connected') return;
    // One refusal is reported once, to the pending or the next receive.
    this.#refused = 1;
    this.#wake();
  }
}
