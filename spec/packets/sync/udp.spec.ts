/**
 * UDPNetworkClient on real sockets (the echo peer runs on its own thread).
 */
import * as dgram from 'node:dgram';

import { TimeoutError as DeferTimeoutError } from '../../../src/defer/errors';
import {
  ClientClosedError,
  ConnectionRefusedError,
  DatagramProtocolParseError,
  MessageLengthError,
  RuntimeError,
} from '../../../src/errors';
import { UDPNetworkClient } from '../../../src/packets/sync';
import { datagrams, type Peer, startPeer } from './helpers';

jest.setTimeout(60_000);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** A UDP port with nothing bound to it. */
async function closedUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('UDPNetworkClient', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startPeer('udp');
  });
  afterAll(async () => {
    await peer.stop();
  });

  test('round trips: one datagram is one packet, addresses are UDP', () => {
    const c = new UDPNetworkClient(['127.0.0.1', peer.port], datagrams);
    try {
      expect(c.getRemoteAddress().port).toBe(peer.port);
      expect(c.getLocalAddress().type).toBe('UDP');
      expect(c.fileno()).toBeGreaterThan(2);
      for (let i = 0; i < 20; i++) {
        c.sendPacket(`ping ${i}`);
        expect(c.recvPacket({ timeout: 10 })).toBe(`ping ${i}`);
      }
    } finally {
      c.close();
    }
  });

  test('a datagram the protocol cannot parse throws DatagramProtocolParseError with the sender; only it is lost', () => {
    const c = new UDPNetworkClient(['127.0.0.1', peer.port], datagrams);
    try {
      c.sendPacket('bad one');
      c.sendPacket('good one');
      const err = thrown(() => c.recvPacket({ timeout: 10 }));
      expect(err).toBeInstanceOf(DatagramProtocolParseError);
      expect((err as DatagramProtocolParseError).senderAddress).toMatchObject({ host: '127.0.0.1', port: peer.port });
      expect(c.recvPacket({ timeout: 10 })).toBe('good one');
    } finally {
      c.close();
    }
  });

  test('a serializer crash on a datagram is RuntimeError("The serializer crashed")', () => {
    const c = new UDPNetworkClient(['127.0.0.1', peer.port], datagrams);
    try {
      c.sendPacket('crash');
      const err = thrown(() => c.recvPacket({ timeout: 10 })) as Error;
      expect(err).toBeInstanceOf(RuntimeError);
      expect(err.message).toBe('The serializer crashed');
    } finally {
      c.close();
    }
  });

  test('a silent peer: TimeoutError, and the client still works', () => {
    const c = new UDPNetworkClient(['127.0.0.1', peer.port], datagrams);
    try {
      expect(thrown(() => c.recvPacket({ timeout: 0.2 }))).toBeInstanceOf(DeferTimeoutError);
      c.sendPacket('later');
      expect(c.recvPacket({ timeout: 10 })).toBe('later');
    } finally {
      c.close();
    }
  });

  test('a datagram over 65 507 bytes throws MessageLengthError before anything is sent', () => {
    const c = new UDPNetworkClient(['127.0.0.1', peer.port], datagrams);
    try {
      expect(thrown(() => c.sendPacket('x'.repeat(65508)))).toBeInstanceOf(MessageLengthError);
      c.sendPacket('fits');
      expect(c.recvPacket({ timeout: 10 })).toBe('fits');
    } finally {
      c.close();
    }
  });

  test('close is idempotent; afterwards ClientClosedError', () => {
    const c = new UDPNetworkClient(['127.0.0.1', peer.port], datagrams);
    c.close();
    c[Symbol.dispose]();
    expect(c.isClosed()).toBe(true);
    expect(c.fileno()).toBe(-1);
    expect(thrown(() => c.sendPacket('x'))).toBeInstanceOf(ClientClosedError);
    expect(thrown(() => c.recvPacket())).toBeInstanceOf(ClientClosedError);
  });
});

describe('UDPNetworkClient over IPv6', () => {
  test('round trips with ::1', async () => {
    const peer6 = await startPeer('udp', '::1');
    try {
      const c = new UDPNetworkClient(['::1', peer6.port], datagrams);
      try {
        expect(c.getRemoteAddress()).toMatchObject({ type: 'UDP', host: '::1', port: peer6.port });
        c.sendPacket('six');
        expect(c.recvPacket({ timeout: 10 })).toBe('six');
      } finally {
        c.close();
      }
    } finally {
      await peer6.stop();
    }
  });
});

describe('UDPNetworkClient against a closed port', () => {
  test('ICMP port unreachable surfaces as ConnectionRefusedError and the client stays usable', async () => {
    const port = await closedUdpPort();
    const c = new UDPNetworkClient(['127.0.0.1', port], datagrams);
    try {
      c.sendPacket('anyone?');
      expect(thrown(() => c.recvPacket({ timeout: 10 }))).toBeInstanceOf(ConnectionRefusedError);
      // usable: a second refusal is reported again
      c.sendPacket('still?');
      expect(thrown(() => c.recvPacket({ timeout: 10 }))).toBeInstanceOf(ConnectionRefusedError);
      expect(c.isClosed()).toBe(false);
    } finally {
      c.close();
    }
  });
});
