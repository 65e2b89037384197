/**
 * The UDP conformance harnesses: the real reactor (sockets on 127.0.0.1
 * with a plain node:dgram peer) and MemoryReactor + FakeDatagramTransport
 * (the test delivers datagrams itself). Helper module, not a spec.
 */
import * as dgram from 'node:dgram';
import { IPv4Address, type IPv6Address } from '../../src/address';
import type { Failure } from '../../src/defer/failure';
import type {
  IMulticastListeningPort,
  IUDPListeningPort,
  ListenMulticastOptions,
  ListenUDPOptions,
} from '../../src/interfaces/udp';
import { DatagramProtocol } from '../../src/protocol/protocol';
import { Reactor } from '../../src/reactor';
import { MemoryReactor } from '../../src/testing/memory-reactor';
import type { FakeDatagramTransport } from '../../src/testing/fake-datagram';

/** A DatagramProtocol that records every callback (and echoes when asked). */
export class DatagramRecorder extends DatagramProtocol {
  readonly events: string[] = [];
  readonly datagrams: { data: Buffer; addr: IPv4Address | IPv6Address }[] = [];
  readonly errors: Failure[] = [];
  echo = false;
  override startProtocol(): void {
    this.events.push('startProtocol');
  }
  override stopProtocol(): void {
    this.events.push('stopProtocol');
  }
  override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
    this.datagrams.push({ data, addr });
    if (this.echo) this.transport!.write(data, addr);
  }
  override connectionRefused(): void {
    this.events.push('connectionRefused');
  }
  override errorReceived(reason: Failure): void {
    this.errors.push(reason);
  }
}

/** One UDP implementation, as the suite sees it. */
export interface UDPHarness {
  listenUDP(protocol: DatagramProtocol, opts?: ListenUDPOptions): IUDPListeningPort;
  listenMulticast(protocol: DatagramProtocol, opts?: ListenMulticastOptions): IMulticastListeningPort;
  /** The peer's address (what datagramReceived reports for it). */
  peer(): Promise<IPv4Address>;
  /** The peer sends `data` to `port`; resolves once `protocol` has it. */
  deliver(port: IUDPListeningPort, protocol: DatagramRecorder, data: Buffer): Promise<void>;
  /** Resolves with the first `n` datagrams the peer got from the port. */
  peerGot(port: IUDPListeningPort, n: number): Promise<Buffer[]>;
  teardown(): Promise<void>;
}

/**
 * Wait until `cond()` holds, checking once per event-loop turn (no fixed
 * sleep); fail after `seconds` (a bound for a hang, never a measurement).
 */
export async function until(cond: () => boolean, what: string, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** The real reactor, a node:dgram peer on 127.0.0.1. */
export async function makeRealUDPHarness(): Promise<UDPHarness> {
  const reactor = new Reactor();
  const done = reactor.run();
  const sock = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const addr = new IPv4Address('UDP', '127.0.0.1', sock.address().port);
  const ports: IUDPListeningPort[] = [];
  return {
    listenUDP(protocol, opts = { interface: '127.0.0.1' }) {
      const p = reactor.listenUDP(0, protocol, opts);
      ports.push(p);
      return p;
    },
    listenMulticast(protocol, opts = { interface: '127.0.0.1' }) {
      const p = reactor.listenMulticast(0, protocol, opts);
      ports.push(p);
      return p;
    },
    peer: async () => addr,
    async deliver(port, protocol, data) {
      const before = protocol.datagrams.length;
      sock.send(data, port.getHost().port, '127.0.0.1');
      await until(() => protocol.datagrams.length > before, 'the datagram arrived');
    },
    async peerGot(_port, n) {
      await until(() => got.length >= n, `${n} datagrams reached the peer`);
      return got.slice(0, n);
    },
    async teardown() {
      for (const p of ports) await p.stopListening();
      sock.close();
      if (reactor.running) reactor.stop();
      await done;
    },
  };
}

/** MemoryReactor: the spec plays the peer by calling the protocol, and reads `written`. */
export async function makeFakeUDPHarness(): Promise<UDPHarness> {
  const reactor = new MemoryReactor();
  const addr = new IPv4Address('UDP', '127.0.0.1', 40000);
  return {
    listenUDP: (protocol, opts = { interface: '127.0.0.1' }) => reactor.listenUDP(0, protocol, opts),
    listenMulticast: (protocol, opts = { interface: '127.0.0.1' }) => reactor.listenMulticast(0, protocol, opts),
    peer: async () => addr,
    async deliver(_port, protocol, data) {
      protocol.datagramReceived(data, addr);
    },
    async peerGot(port, n) {
      const t = port as unknown as FakeDatagramTransport;
      // A connected port's writes without an address went to the connected peer.
      const written = t.written.filter((w) => (w.addr ?? t.connected)?.equals(addr) ?? false);
      if (written.length < n) throw new Error(`only ${written.length} datagrams written to the peer`);
      return written.slice(0, n).map((w) => w.data);
    },
    async teardown() {},
  };
}
