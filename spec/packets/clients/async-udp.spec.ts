/**
 * AsyncUDPNetworkClient: on a MemoryReactorClock (datagrams handed to the
 * port's protocol by hand) and on real UDP sockets against a node:dgram peer.
 */
import * as dgram from 'node:dgram';
import { IPv4Address } from '../../../src/address';
import { TimeoutError as DeferTimeoutError } from '../../../src/defer/errors';
import {
  ClientClosedError,
  ConnectionRefusedError,
  DatagramProtocolParseError,
  DeserializeError,
  FeatureUnavailableError,
  MessageLengthError,
  RuntimeError,
} from '../../../src/errors';
import type { IReactor } from '../../../src/interfaces';
import { AsyncUDPNetworkClient } from '../../../src/packets/clients';
import { DatagramProtocol } from '../../../src/packets/protocol';
import { Reactor } from '../../../src/reactor';
import { MemoryReactorClock } from '../../../src/testing';
import { dgramHasReusePort } from '../../../src/udp/check';
import { ArgRangeError, ArgTypeError } from '../../../src/validate';
import { outcome, settle } from './helpers';

class TestDatagramSerializer {
  serialize(packet: string): Buffer {
    if (typeof packet !== 'string') throw new TypeError('packet must be a string');
    return Buffer.from(packet, 'latin1');
  }
  deserialize(datagram: Buffer): string {
    const text = datagram.toString('latin1');
    if (text === 'bad') throw new DeserializeError('bad datagram');
    if (text === 'crash') throw new Error('serializer bug');
    return text;
  }
}

class TestDatagramProtocol extends DatagramProtocol<string, string> {
  constructor() {
    super(new TestDatagramSerializer());
  }
}

const PEER = new IPv4Address('UDP', '127.0.0.1', 9999);

async function memoryClient(): Promise<{
  reactor: MemoryReactorClock;
  client: AsyncUDPNetworkClient<string, string>;
  deliver: (s: string) => void;
  refuse: () => void;
}> {
  const reactor = new MemoryReactorClock();
  const client = new AsyncUDPNetworkClient<string, string>(['127.0.0.1', 9999], new TestDatagramProtocol(), {
    reactor: reactor as unknown as IReactor,
  });
  await client.waitConnected();
  const record = reactor.udpPorts[0]!;
  return {
    reactor,
    client,
    deliver: (s) => record.protocol.datagramReceived(Buffer.from(s, 'latin1'), PEER),
    refuse: () => record.protocol.connectionRefused(),
  };
}

describe('AsyncUDPNetworkClient on MemoryReactorClock', () => {
  it('binds and connects in waitConnected only; one datagram is one packet', async () => {
    const reactor = new MemoryReactorClock();
    const client = new AsyncUDPNetworkClient<string, string>(['127.0.0.1', 9999], new TestDatagramProtocol(), {
      reactor: reactor as unknown as IReactor,
    });
    expect(reactor.udpPorts).toHaveLength(0);
    expect(() => client.getRemoteAddress()).toThrow(RuntimeError);
    await Promise.all([client.sendPacket('a'), client.sendPacket('b')]);
    const record = reactor.udpPorts[0]!;
    expect(reactor.udpPorts).toHaveLength(1);
    expect(record.maxPacketSize).toBe(65535);
    expect(record.transport.written.map((w) => w.data.toString())).toEqual(['a', 'b']);
    expect(client.getRemoteAddress()).toEqual(PEER);
    expect(client.isConnected()).toBe(true);
  });

  it('recvPacket waits for a datagram; a read timeout uses the clock', async () => {
    const m = await memoryClient();
    const r = outcome(m.client.recvPacket({ timeout: 1 }));
    m.reactor.advance(1);
    await settle();
    expect(r.error).toBeInstanceOf(DeferTimeoutError);
    const next = m.client.recvPacket();
    m.deliver('hello');
    expect(await next).toBe('hello');
  });

  it('a bad datagram rejects that recvPacket with DatagramProtocolParseError and its sender; the next one parses', async () => {
    const m = await memoryClient();
    m.deliver('bad');
    m.deliver('good');
    const err = (await m.client.recvPacket().catch((e: unknown) => e)) as DatagramProtocolParseError;
    expect(err).toBeInstanceOf(DatagramProtocolParseError);
    expect(err.error).toBeInstanceOf(DeserializeError);
    expect(err.senderAddress).toEqual(PEER);
    expect(await m.client.recvPacket()).toBe('good');
  });

  it('a refusal rejects the pending recvPacket with ConnectionRefusedError; the client stays usable', async () => {
    const m = await memoryClient();
    const pending = m.client.recvPacket();
    m.refuse();
    await expect(pending).rejects.toBeInstanceOf(ConnectionRefusedError);
    m.deliver('after');
    expect(await m.client.recvPacket()).toBe('after');
    await m.client.sendPacket('still');
  });

  it('a serializer crash: RuntimeError for this and later calls', async () => {
    const m = await memoryClient();
    m.deliver('crash');
    const e1 = (await m.client.recvPacket().catch((e: unknown) => e)) as RuntimeError;
    expect(e1.message).toBe('The serializer crashed');
    await expect(m.client.sendPacket('x')).rejects.toBe(e1);
  });

  it('iterReceivedPackets() yields what has arrived, then ends', async () => {
    const m = await memoryClient();
    m.deliver('1');
    m.deliver('2');
    const got: string[] = [];
    for await (const p of m.client.iterReceivedPackets()) got.push(p);
    expect(got).toEqual(['1', '2']);
  });

  it('aclose() rejects pending receives with ClientClosedError and is idempotent', async () => {
    const m = await memoryClient();
    const pending = m.client.recvPacket();
    const c = m.client.aclose();
    expect(m.client.aclose()).toBe(c);
    await expect(pending).rejects.toBeInstanceOf(ClientClosedError);
    await c;
    expect(m.reactor.udpPorts[0]!.transport.stopped).toBe(true);
    await expect(m.client.sendPacket('x')).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('validates its arguments', () => {
    const reactor = new MemoryReactorClock() as unknown as IReactor;
    const p = new TestDatagramProtocol();
    expect(() => new AsyncUDPNetworkClient(['h'] as never, p, { reactor })).toThrow(ArgTypeError);
    expect(() => new AsyncUDPNetworkClient(['h', -1], p, { reactor })).toThrow(ArgRangeError);
    expect(() => new AsyncUDPNetworkClient(['h', 1], {} as never, { reactor })).toThrow(ArgTypeError);
    expect(() => new AsyncUDPNetworkClient(['h', 1], p, { reactor, family: 'x' as never })).toThrow(ArgTypeError);
    if (dgramHasReusePort()) {
      expect(() => new AsyncUDPNetworkClient(['h', 1], p, { reactor, reusePort: true })).not.toThrow();
    } else {
      expect(() => new AsyncUDPNetworkClient(['h', 1], p, { reactor, reusePort: true })).toThrow(FeatureUnavailableError);
    }
  });
});

describe('AsyncUDPNetworkClient on real sockets', () => {
  let reactor: Reactor;
  let done: Promise<void>;
  let peer: dgram.Socket;
  let peerPort: number;

  beforeEach(async () => {
    reactor = new Reactor();
    done = reactor.run();
    peer = dgram.createSocket('udp4');
    peer.on('error', () => {});
    peer.on('message', (msg, rinfo) => peer.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    peerPort = peer.address().port;
  });

  afterEach(async () => {
    peer.close();
    if (reactor.running) reactor.stop();
    await done;
  });

  it('echoes packets through a node:dgram peer', async () => {
    const client = new AsyncUDPNetworkClient<string, string>(['127.0.0.1', peerPort], new TestDatagramProtocol(), {
      reactor,
      localAddress: ['127.0.0.1', 0],
    });
    await client.sendPacket('ping');
    expect(await client.recvPacket({ timeout: 10 })).toBe('echo:ping');
    expect(client.getLocalAddress().host).toBe('127.0.0.1');
    expect(client.getLocalAddress().port).toBeGreaterThan(0);
    await client.aclose();
  });

  it('a datagram above 65 507 bytes rejects with MessageLengthError; the client carries on', async () => {
    const client = new AsyncUDPNetworkClient<string, string>(['127.0.0.1', peerPort], new TestDatagramProtocol(), { reactor });
    await expect(client.sendPacket('x'.repeat(65508))).rejects.toBeInstanceOf(MessageLengthError);
    await client.sendPacket('small');
    expect(await client.recvPacket({ timeout: 10 })).toBe('echo:small');
    await client.aclose();
  });

  it('a closed peer port gives ConnectionRefusedError and the client stays usable', async () => {
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', () => r()));
    const deadPort = closed.address().port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = new AsyncUDPNetworkClient<string, string>(['127.0.0.1', deadPort], new TestDatagramProtocol(), { reactor });
    await client.sendPacket('anyone?');
    await expect(client.recvPacket({ timeout: 10 })).rejects.toBeInstanceOf(ConnectionRefusedError);
    await client.sendPacket('again');
    expect(client.isConnected()).toBe(true);
    await client.aclose();
  });
});
