/**
 * FakeDatagramTransport: a UDP port that records what its protocol does,
 * for unit tests (what MemoryReactor.listenUDP / listenMulticast attach).
 * It refuses exactly the inputs the real `torsion/udp` Port refuses, with
 * the same errors (both use the same checks); tests deliver datagrams by
 * calling the protocol's `datagramReceived` / `connectionRefused`
 * themselves, as in Twisted.
 * @module
 */
import { IPv4Address, IPv6Address } from '../address';
import { Deferred } from '../defer/deferred';
import { RuntimeError } from '../errors';
import { LOG_ONLY, guardCall } from '../guard';
import type { IListeningPort } from '../interfaces/connector';
import type { IDatagramProtocol, IMulticastTransport, UDPAddress } from '../interfaces/udp';
import {
  DEFAULT_MAX_PACKET_SIZE,
  checkBoolean,
  checkDatagram,
  checkDatagramSize,
  checkLiteral,
  checkSequence,
  checkTarget,
  checkTTL,
} from '../udp/check';
import { ArgRangeError, ArgTypeError, checkPort, checkString } from '../validate';

/** Options of `new FakeDatagramTransport()`. */
export interface FakeDatagramTransportOptions {
  /** What getHost() reports. Default `IPv4Address('UDP', '0.0.0.0', 0)`; an IPv6Address makes an IPv6 port. */
  host?: IPv4Address | IPv6Address;
  /** Default 8192. */
  maxPacketSize?: number;
  /** The protocol whose doStop stopListening() runs (MemoryReactor sets it). */
  protocol?: IDatagramProtocol | null;
}

/** One datagram the protocol wrote. */
export interface WrittenDatagram {
  data: Buffer;
  /** Where it went; null when written without an address on a connected port. */
  addr: IPv4Address | IPv6Address | null;
}

/**
 * A recording UDP (and multicast) transport.
 *
 * @example
 * ```ts
 * import { IPv4Address } from 'torsion/address';
 * import { DatagramProtocol } from 'torsion/protocol';
 * import { FakeDatagramTransport } from 'torsion/testing';
 *
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Buffer, addr: IPv4Address): void {
 *     this.transport!.write(data, addr);
 *   }
 * }
 * const proto = new Echo();
 * const t = new FakeDatagramTransport({ protocol: proto });
 * proto.makeConnection(t);
 * const peer = new IPv4Address('UDP', '10.0.0.1', 9);
 * proto.datagramReceived(Buffer.from('ping'), peer);
 * expect(t.written).toEqual([{ data: Buffer.from('ping'), addr: peer }]);
 * ```
 */
export class FakeDatagramTransport implements IMulticastTransport, IListeningPort {
  /** Every datagram written, in order (writeSequence's joined). */
  readonly written: WrittenDatagram[] = [];
  /** Where connect() pointed the port, or null. */
  connected: IPv4Address | IPv6Address | null = null;
  /** The groups joined and not left, with their interface ('' for the default). */
  readonly groups: { group: string; interface: string }[] = [];
  /** The last TTL set (default 1). */
  ttl = 1;
  /** The last loopback mode set (default true). */
  loopback = true;
  /** The last value of setBroadcastAllowed (default false). */
  broadcastAllowed = false;
  /** The last outgoing interface set (default ''). */
  outgoingInterface = '';
  /** True once stopListening() ran. */
  stopped = false;
  /** {@inheritDoc torsion/interfaces!IUDPTransport.maxPacketSize} */
  readonly maxPacketSize: number;
  /** The protocol stopListening() stops. */
  protocol: IDatagramProtocol | null;
  readonly #host: IPv4Address | IPv6Address;
  readonly #ipv6: boolean;

  constructor(opts: FakeDatagramTransportOptions = {}) {
    this.#host = opts.host ?? new IPv4Address('UDP', '0.0.0.0', 0);
    this.#ipv6 = this.#host instanceof IPv6Address;
    this.maxPacketSize = opts.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this.protocol = opts.protocol ?? null;
  }

  /** Nothing to do: a fake is listening from the start. */
  startListening(): void {}

  /** {@inheritDoc torsion/interfaces!IUDPTransport.write} */
  write(datagram: Buffer | Uint8Array, addr?: UDPAddress): void {
    checkDatagram(datagram);
    checkDatagramSize(datagram.length, this.#ipv6);
    this.#record(Buffer.from(datagram), addr);
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.writeSequence} */
  writeSequence(seq: ReadonlyArray<Buffer | Uint8Array>, addr?: UDPAddress): void {
    checkDatagramSize(checkSequence(seq), this.#ipv6);
    this.#record(Buffer.concat(seq as Uint8Array[]), addr);
  }

  #record(data: Buffer, addr: UDPAddress | undefined): void {
    const to = this.connected;
    if (to !== null) {
      if (addr !== undefined && addr !== null) {
        const [host, port] = checkTarget(addr, this.#ipv6);
        if (host !== to.host || port !== to.port) {
          throw new ArgRangeError(
            `This port is connected to ${to.host}:${to.port}: it cannot write to ${host}:${port} (leave addr out)`,
          );
        }
      }
      if (!this.stopped) this.written.push({ data, addr: addr === undefined || addr === null ? null : to });
      return;
    }
    if (addr === undefined || addr === null) {
      throw new ArgTypeError('addr is required: this port is not connected (write(data, [host, port]))');
    }
    const [host, port] = checkTarget(addr, this.#ipv6);
    const a =
      addr instanceof IPv4Address || addr instanceof IPv6Address
        ? addr
        : this.#ipv6
          ? new IPv6Address('UDP', host, port)
          : new IPv4Address('UDP', host, port);
    if (!this.stopped) this.written.push({ data, addr: a });
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.connect} */
  connect(host: string, port: number): void {
    if (this.connected !== null) throw new RuntimeError('already connected, reconnecting is not currently supported');
    const h = checkLiteral(host, this.#ipv6, 'host');
    checkPort('port', port);
    if (port === 0) throw new ArgRangeError('port must be in 1-65535, got 0');
    if (this.stopped) throw new RuntimeError('The port is not listening');
    this.connected = this.#ipv6 ? new IPv6Address('UDP', h, port) : new IPv4Address('UDP', h, port);
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.getHost} */
  getHost(): IPv4Address | IPv6Address {
    return this.#host;
  }

  /** Sets `stopped`, runs the protocol's doStop once; the Deferred has fired. */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    if (!this.stopped) {
      this.stopped = true;
      const p = this.protocol;
      if (p !== null) guardCall(LOG_ONLY, 'doStop', p.doStop, p);
    }
    d.callback(undefined);
    return d;
  }

  /** Twisted's name for stopListening(). */
  loseConnection(): Deferred<void> {
    return this.stopListening();
  }

  /** {@inheritDoc torsion/interfaces!IUDPTransport.setBroadcastAllowed} */
  setBroadcastAllowed(enabled: boolean): void {
    this.broadcastAllowed = checkBoolean('enabled', enabled);
  }
  /** {@inheritDoc torsion/interfaces!IUDPTransport.getBroadcastAllowed} */
  getBroadcastAllowed(): boolean {
    return this.broadcastAllowed;
  }

  /** Records the group (no resolution: names are kept as given). */
  joinGroup(addr: string, iface = ''): Deferred<void> {
    checkString('addr', addr);
    checkString('iface', iface);
    if (!this.groups.some((g) => g.group === addr && g.interface === iface)) this.groups.push({ group: addr, interface: iface });
    return fired();
  }
  /** Forgets the group. */
  leaveGroup(addr: string, iface = ''): Deferred<void> {
    checkString('addr', addr);
    checkString('iface', iface);
    const i = this.groups.findIndex((g) => g.group === addr && g.interface === iface);
    if (i >= 0) this.groups.splice(i, 1);
    return fired();
  }
  /** {@inheritDoc torsion/interfaces!IMulticastTransport.setTTL} */
  setTTL(ttl: number): void {
    this.ttl = checkTTL(ttl);
  }
  /** {@inheritDoc torsion/interfaces!IMulticastTransport.getTTL} */
  getTTL(): number {
    return this.ttl;
  }
  /** {@inheritDoc torsion/interfaces!IMulticastTransport.setLoopbackMode} */
  setLoopbackMode(mode: boolean): void {
    this.loopback = checkBoolean('mode', mode);
  }
  /** {@inheritDoc torsion/interfaces!IMulticastTransport.getLoopbackMode} */
  getLoopbackMode(): boolean {
    return this.loopback;
  }
  /** Records the interface (no resolution). */
  setOutgoingInterface(addr: string): Deferred<void> {
    checkString('addr', addr);
    this.outgoingInterface = addr;
    return fired();
  }
  /** {@inheritDoc torsion/interfaces!IMulticastTransport.getOutgoingInterface} */
  getOutgoingInterface(): string {
    return this.outgoingInterface;
  }
}

function fired(): Deferred<void> {
  const d = new Deferred<void>();
  d.callback(undefined);
  return d;
}
