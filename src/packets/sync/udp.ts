/**
 * The blocking UDP packet client (EasyNetwork's `UDPNetworkClient`).
 * @module
 */
import { IPv4Address, IPv6Address } from '../../address';
import { ConnectionRefusedError, DatagramProtocolParseError, MessageLengthError, RuntimeError } from '../../errors';
import { ArgTypeError, describe } from '../../validate';
import { AbstractNetworkClient, checkAddressPair, deadlineOf, secondsOption } from './base';
import type { DatagramProtocol } from '../protocol';
import { checkDatagramProtocol } from './protocols';
import type { AddressRecord, FromWorker } from './shared';

/** Options of {@link UDPNetworkClient}. */
export interface UDPNetworkClientOptions {
  /** Bind the socket to this `[host, port]`; default an ephemeral port on all interfaces of the family. */
  localAddress?: readonly [string, number] | null;
  /** The address family; default the remote host's (IPv6 for an IPv6 literal). */
  family?: 'IPv4' | 'IPv6' | null;
  /** `SO_REUSEPORT`; Node 20's dgram cannot set it, so `true` throws `FeatureUnavailableError` there. */
  reusePort?: boolean;
  /** EasyNetwork's `retry_interval`: accepted and checked, changes nothing (see {@link TCPNetworkClientOptions.retryInterval}). */
  retryInterval?: number;
}

/** The largest datagram payload over IPv4 / IPv6. */
const MAX_DATAGRAM = { IPv4: 65507, IPv6: 65527 } as const;

function toAddress(a: AddressRecord): IPv4Address | IPv6Address {
  return a.family === 'IPv6' ? new IPv6Address('UDP', a.host, a.port) : new IPv4Address('UDP', a.host, a.port);
}

/**
 * A blocking, connected UDP client: one datagram is one packet, through a
 * `DatagramProtocol` (EasyNetwork's `UDPNetworkClient`). The constructor
 * binds and connects the socket.
 *
 * See the module documentation for how it works and what it costs.
 * @typeParam S - the packets sent.
 * @typeParam R - the packets received.
 * @example
 * ```ts
 * import { DatagramProtocol, JSONSerializer } from 'torsion/packets';
 * import { UDPNetworkClient } from 'torsion/packets/sync';
 *
 * using client = new UDPNetworkClient(['127.0.0.1', 9000], new DatagramProtocol(new JSONSerializer()));
 * client.sendPacket({ op: 'ping' });
 * const reply = client.recvPacket({ timeout: 1 });
 * ```
 */
export class UDPNetworkClient<S, R> extends AbstractNetworkClient<S, R> {
  readonly #protocol: DatagramProtocol<S, R>;
  readonly #datagrams: { d: Buffer; from: AddressRecord }[] = [];
  #refused = false;
  readonly #limit: number;

  /**
   * Bind and connect (blocking).
   * @throws TypeError/RangeError for bad arguments; `UnknownHostError`;
   * `FeatureUnavailableError` for `reusePort` on Node 20.
   */
  constructor(address: readonly [string, number], protocol: DatagramProtocol<S, R>, opts: UDPNetworkClientOptions = {}) {
    const [host, port] = checkAddressPair('address', address, false);
    checkDatagramProtocol(protocol);
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    const localAddress =
      opts.localAddress === undefined || opts.localAddress === null
        ? null
        : checkAddressPair('localAddress', opts.localAddress, true);
    const family = opts.family ?? null;
    if (family !== null && family !== 'IPv4' && family !== 'IPv6')
      throw new ArgTypeError(`family must be 'IPv4', 'IPv6' or null, got ${describe(family)}`);
    if (opts.retryInterval !== undefined) secondsOption('retryInterval', opts.retryInterval, 1, true);
    if (opts.reusePort !== undefined && typeof opts.reusePort !== 'boolean')
      throw new ArgTypeError(`reusePort must be a boolean, got ${describe(opts.reusePort)}`);
    if (opts.reusePort === true) {
      // Checked here, with the same rule as listenUDP's: never silently ignored.
      const { FeatureUnavailableError } = require('../../errors') as typeof import('../../errors');
      const major = Number(process.versions.node.split('.')[0]);
      if (major < 22)
        throw new FeatureUnavailableError('reusePort', 'Node 22.12 or later is needed for SO_REUSEPORT on UDP sockets');
      throw new FeatureUnavailableError('reusePort', 'the blocking UDP client does not pass reusePort to its worker yet');
    }
    super(
      {
        kind: 'udp',
        host,
        portNumber: port,
        localAddress,
        connectTimeout: null,
        maxRecvSize: 65536,
        ssl: null,
        sslShutdownTimeout: null,
        sslStandardCompatible: true,
        family,
      },
      0,
    );
    this.#protocol = protocol;
    this._awaitConnected();
    this.#limit = MAX_DATAGRAM[this.getRemoteAddress() instanceof IPv6Address ? 'IPv6' : 'IPv4'];
  }

  /** @internal */
  protected _onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'datagram':
        this._channel.consumed(m.d.byteLength);
        this.#datagrams.push({ d: Buffer.from(m.d.buffer, m.d.byteOffset, m.d.byteLength), from: m.from });
        return;
      case 'refused':
        this.#refused = true;
        return;
    }
  }

  /** {@inheritDoc AbstractNetworkClient.sendPacket} */
  sendPacket(packet: S, opts: { timeout?: number | null } = {}): void {
    deadlineOf('timeout', opts?.timeout);
    this._checkUsable();
    this._pump();
    if (this._channel.dead !== null) throw this._channel.dead;
    if (this.#refused) {
      this.#refused = false;
      throw new ConnectionRefusedError('The peer refused a datagram (ICMP port unreachable); is the server listening?');
    }
    const datagram = this.#protocol.makeDatagram(packet);
    if (datagram.length > this.#limit) throw new MessageLengthError(datagram.length, this.#limit);
    const out = new Uint8Array(datagram);
    this._channel.post({ t: 'write', d: out }, [out.buffer]);
  }

  /**
   * Block until the next datagram arrives and return it as a packet
   * (`timeout` in real seconds; `TimeoutError` of torsion/defer when it
   * runs out, nothing lost). A datagram the protocol cannot parse raises `DatagramProtocolParseError`
   * (with the sender's address); only that datagram is lost. A refusal
   * (ICMP port unreachable) raises `ConnectionRefusedError` once; the
   * client stays usable.
   */
  recvPacket(opts: { timeout?: number | null } = {}): R {
    const deadline = deadlineOf('timeout', opts?.timeout);
    this._checkUsable();
    this._pump();
    for (;;) {
      const next = this.#datagrams.shift();
      if (next !== undefined) {
        try {
          return this.#protocol.buildPacketFromDatagram(next.d, toAddress(next.from));
        } catch (err) {
          if (err instanceof DatagramProtocolParseError) throw err;
          throw new RuntimeError('The serializer crashed', { cause: err });
        }
      }
      if (this.#refused) {
        this.#refused = false;
        throw new ConnectionRefusedError('The peer refused a datagram (ICMP port unreachable); is the server listening?');
      }
      if (this._channel.dead !== null) throw this._channel.dead;
      this._waitOnce(deadline, opts?.timeout);
      this._checkUsable();
    }
  }
}
