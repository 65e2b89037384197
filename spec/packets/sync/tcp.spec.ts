/**
 * TCPNetworkClient on real sockets: the peer runs on its own thread
 * (fixtures/peer.js), since this thread blocks while a call waits.
 */
import { IPv6Address } from '../../../src/address';
import { TimeoutError as DeferTimeoutError } from '../../../src/defer/errors';
import {
  ClientClosedError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  IncompleteReadError,
  RuntimeError,
  StreamProtocolParseError,
} from '../../../src/errors';
import { JSONSerializer, StreamProtocol, StringLineSerializer } from '../../../src/packets';
import { TCPNetworkClient } from '../../../src/packets/sync';
import { closedTcpPort, lines, type Peer, startPeer } from './helpers';

jest.setTimeout(60_000);

let peer: Peer;
beforeAll(async () => {
  peer = await startPeer('tcp');
});
afterAll(async () => {
  await peer.stop();
});

function connect(): TCPNetworkClient<string, string> {
  return new TCPNetworkClient(['127.0.0.1', peer.port], lines, { connectTimeout: 20 });
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('TCPNetworkClient', () => {
  test('connects in the constructor, sends and receives packets, and reports its addresses and fd', () => {
    const c = connect();
    try {
      expect(c.isClosed()).toBe(false);
      expect(c.getRemoteAddress().port).toBe(peer.port);
      expect(c.getRemoteAddress().host).toBe('127.0.0.1');
      expect(c.getLocalAddress().type).toBe('TCP');
      expect(c.fileno()).toBeGreaterThan(2);
      c.sendPacket('echo hello');
      expect(c.recvPacket({ timeout: 10 })).toBe('hello');
      for (let i = 0; i < 50; i++) c.sendPacket(`echo n${i}`);
      for (let i = 0; i < 50; i++) expect(c.recvPacket({ timeout: 10 })).toBe(`n${i}`);
    } finally {
      c.close();
    }
  });

  test('a packet split across reads and several packets in one read are parsed, the remainder kept', () => {
    const c = connect();
    try {
      // "ab" then "c\nde\nf" then "g\n"
      c.sendPacket('raw 6162');
      c.sendPacket('raw 630a64650a66');
      c.sendPacket('raw 670a');
      expect(c.recvPacket({ timeout: 10 })).toBe('abc');
      expect(c.recvPacket({ timeout: 10 })).toBe('de');
      expect(c.recvPacket({ timeout: 10 })).toBe('fg');
    } finally {
      c.close();
    }
  });

  test('a silent peer: recvPacket({ timeout: 0.2 }) throws torsion/defer TimeoutError, and a later call gets the packet with nothing lost', () => {
    const c = connect();
    try {
      c.sendPacket('raw 7061'); // "pa": half a packet, then silence
      const err = thrown(() => c.recvPacket({ timeout: 0.2 }));
      expect(err).toBeInstanceOf(DeferTimeoutError);
      c.sendPacket('raw 72740a'); // "rt\n"
      expect(c.recvPacket({ timeout: 10 })).toBe('part');
      c.sendPacket('echo after');
      expect(c.recvPacket({ timeout: 10 })).toBe('after');
    } finally {
      c.close();
    }
  });

  test('recvPacket({ timeout: 0 }) returns a packet already received and times out at once otherwise', () => {
    const c = connect();
    try {
      expect(thrown(() => c.recvPacket({ timeout: 0 }))).toBeInstanceOf(DeferTimeoutError);
      c.sendPacket('echo one');
      expect(c.recvPacket({ timeout: 10 })).toBe('one');
    } finally {
      c.close();
    }
  });

  test('iterReceivedPackets has one timeout for the whole iterator and ends quietly when it runs out', () => {
    const c = connect();
    try {
      c.sendPacket('raw 610a620a630a'); // a, b, c
      expect(c.recvPacket({ timeout: 10 })).toBe('a'); // b and c are now received
      expect([...c.iterReceivedPackets()]).toEqual(['b', 'c']);
      c.sendPacket('echo d');
      expect([...c.iterReceivedPackets({ timeout: 0.3 })]).toEqual(['d']);
    } finally {
      c.close();
    }
  });

  test('the peer closing: ConnectionDone("end-of-stream") when nothing is buffered', () => {
    const c = connect();
    try {
      c.sendPacket('echo last');
      c.sendPacket('close');
      expect(c.recvPacket({ timeout: 10 })).toBe('last');
      const err = thrown(() => c.recvPacket({ timeout: 10 }));
      expect(err).toBeInstanceOf(ConnectionDone);
      expect((err as Error).message).toBe('end-of-stream');
      expect(thrown(() => c.recvPacket({ timeout: 10 }))).toBeInstanceOf(ConnectionDone);
      expect(thrown(() => c.sendPacket('x'))).toBeInstanceOf(ConnectionDone);
      expect([...c.iterReceivedPackets({ timeout: 1 })]).toEqual([]);
    } finally {
      c.close();
    }
  });

  test('the peer closing mid-packet: IncompleteReadError with the partial bytes', () => {
    const c = connect();
    try {
      c.sendPacket('raw 68616c66'); // "half"
      c.sendPacket('close');
      const err = thrown(() => c.recvPacket({ timeout: 10 }));
      expect(err).toBeInstanceOf(IncompleteReadError);
      expect((err as IncompleteReadError).partial.toString()).toBe('half');
      expect(thrown(() => c.recvPacket({ timeout: 10 }))).toBeInstanceOf(ConnectionDone);
    } finally {
      c.close();
    }
  });

  test('a parse error is recoverable: StreamProtocolParseError, then the next packet parses', () => {
    const c = connect();
    try {
      c.sendPacket('raw 6261642d310a676f6f640a'); // "bad-1\ngood\n"
      const err = thrown(() => c.recvPacket({ timeout: 10 }));
      expect(err).toBeInstanceOf(StreamProtocolParseError);
      expect(c.recvPacket({ timeout: 10 })).toBe('good');
      c.sendPacket('echo still');
      expect(c.recvPacket({ timeout: 10 })).toBe('still');
    } finally {
      c.close();
    }
  });

  test('with the shipped JSONSerializer: objects round-trip, and an invalid JSON line is a recoverable StreamProtocolParseError', () => {
    const c = new TCPNetworkClient<unknown, unknown>(['127.0.0.1', peer.port], new StreamProtocol(new JSONSerializer()));
    try {
      c.sendPacket(`echo ${JSON.stringify({ a: [1, 'x', null] })}`);
      expect(c.recvPacket({ timeout: 10 })).toEqual({ a: [1, 'x', null] });
      c.sendPacket(`raw ${Buffer.from('not json\n{"ok":true}\n').toString('hex')}`);
      expect(thrown(() => c.recvPacket({ timeout: 10 }))).toBeInstanceOf(StreamProtocolParseError);
      expect(c.recvPacket({ timeout: 10 })).toEqual({ ok: true });
    } finally {
      c.close();
    }
  });

  test('with the shipped StringLineSerializer: an over-long line is a StreamProtocolParseError and the next line parses', () => {
    const c = new TCPNetworkClient<string, string>(
      ['127.0.0.1', peer.port],
      new StreamProtocol(new StringLineSerializer('LF', { limit: 8 })),
    );
    try {
      c.sendPacket(`raw ${Buffer.from(`${'x'.repeat(20)}\nshort\n`).toString('hex')}`);
      expect(thrown(() => c.recvPacket({ timeout: 10 }))).toBeInstanceOf(StreamProtocolParseError);
      expect(c.recvPacket({ timeout: 10 })).toBe('short');
    } finally {
      c.close();
    }
  });

  test('a serializer crash aborts the connection: RuntimeError("The serializer crashed") now and for every later call', () => {
    const c = connect();
    try {
      c.sendPacket('echo crash');
      const err = thrown(() => c.recvPacket({ timeout: 10 }));
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toBe('The serializer crashed');
      expect(((err as Error).cause as Error).message).toBe('serializer bug');
      expect(thrown(() => c.recvPacket({ timeout: 1 }))).toBe(err);
      expect(thrown(() => c.sendPacket('echo x'))).toBe(err);
    } finally {
      c.close();
    }
  });

  test('a peer reset: what arrived before is delivered, then ConnectionLost', () => {
    const c = connect();
    try {
      c.sendPacket('echo before');
      expect(c.recvPacket({ timeout: 10 })).toBe('before');
      c.sendPacket('reset');
      const err = thrown(() => c.recvPacket({ timeout: 10 }));
      expect(err).toBeInstanceOf(ConnectionLost);
      expect(err).not.toBeInstanceOf(ConnectionDone);
      expect(thrown(() => c.sendPacket('echo x'))).toBeInstanceOf(ConnectionLost);
    } finally {
      c.close();
    }
  });

  test('sendEof half-closes: later sends throw RuntimeError, receiving still works, and it is idempotent', () => {
    const c = connect();
    try {
      c.sendPacket('echo pending');
      c.sendEof();
      c.sendEof();
      expect(thrown(() => c.sendPacket('echo x'))).toBeInstanceOf(RuntimeError);
      expect(c.recvPacket({ timeout: 10 })).toBe('pending');
    } finally {
      c.close();
    }
  });

  test('a peer that stops reading: sends block, then throw TimeoutError after their timeout; close() still returns', () => {
    const c = connect();
    try {
      c.sendPacket('pause');
      const big = `ignore ${'x'.repeat(256 * 1024)}`;
      let err: unknown = null;
      for (let i = 0; i < 2000 && err === null; i++) {
        try {
          c.sendPacket(big, { timeout: 0.3 });
        } catch (e) {
          err = e;
        }
      }
      expect(err).toBeInstanceOf(DeferTimeoutError);
    } finally {
      c.close();
    }
    expect(c.isClosed()).toBe(true);
  });

  test('connection refused: the constructor throws ConnectionRefusedError', async () => {
    const port = await closedTcpPort();
    const err = thrown(() => new TCPNetworkClient(['127.0.0.1', port], lines));
    expect(err).toBeInstanceOf(ConnectionRefusedError);
  });

  test('a worker terminated abruptly (no handler of it runs) surfaces as ConnectionLost, not a hang', () => {
    const c = connect();
    try {
      c.sendPacket('echo up');
      expect(c.recvPacket({ timeout: 10 })).toBe('up');
      c._terminateWorkerForTesting();
      const err = thrown(() => c.recvPacket({ timeout: 30 }));
      expect(err).toBeInstanceOf(ConnectionLost);
      expect(err).not.toBeInstanceOf(DeferTimeoutError);
      expect(thrown(() => c.sendPacket('echo x'))).toBeInstanceOf(ConnectionLost);
      expect(c.fileno()).toBe(-1);
    } finally {
      c.close();
    }
  });

  test('a worker that throws an uncaught exception surfaces as ConnectionLost carrying the worker error', () => {
    const c = connect();
    try {
      c._crashWorkerForTesting();
      const err = thrown(() => c.recvPacket({ timeout: 30 })) as Error;
      expect(err).toBeInstanceOf(ConnectionLost);
      expect((err.cause as Error).message).toBe('worker crash requested by the test hook');
    } finally {
      c.close();
    }
  });

  test('close is idempotent, Symbol.dispose closes, and every operation after close throws ClientClosedError', () => {
    const c = connect();
    c[Symbol.dispose]();
    expect(c.isClosed()).toBe(true);
    c.close();
    expect(c.fileno()).toBe(-1);
    expect(thrown(() => c.sendPacket('echo x'))).toBeInstanceOf(ClientClosedError);
    expect(thrown(() => c.recvPacket())).toBeInstanceOf(ClientClosedError);
    expect(thrown(() => c.getLocalAddress())).toBeInstanceOf(ClientClosedError);
    expect([...c.iterReceivedPackets({ timeout: 1 })]).toEqual([]);
    c.sendEof();
  });

  test('bad arguments throw typed errors naming the argument', () => {
    expect(() => new TCPNetworkClient('127.0.0.1' as never, lines)).toThrow(/address/);
    expect(() => new TCPNetworkClient(['127.0.0.1', 0], lines)).toThrow(RangeError);
    expect(() => new TCPNetworkClient(['127.0.0.1', 1], {} as never)).toThrow(/protocol/);
    expect(() => new TCPNetworkClient(['127.0.0.1', 1], lines, { maxRecvSize: 0 })).toThrow(/maxRecvSize/);
    expect(() => new TCPNetworkClient(['127.0.0.1', 1], lines, { serverHostname: 'x' })).toThrow(/ssl/);
    expect(() => new TCPNetworkClient(['127.0.0.1', 1], lines, { ssl: true, serverHostname: '' })).toThrow(RangeError);
    expect(() => new TCPNetworkClient(['127.0.0.1', 1], lines, { connectTimeout: -1 })).toThrow(/connectTimeout/);
    const c = connect();
    try {
      expect(() => c.recvPacket({ timeout: -1 })).toThrow(RangeError);
      expect(() => c.recvPacket({ timeout: 'x' as never })).toThrow(TypeError);
    } finally {
      c.close();
    }
  });
});

describe('TCPNetworkClient over IPv6', () => {
  let peer6: Peer;
  beforeAll(async () => {
    peer6 = await startPeer('tcp', '::1');
  });
  afterAll(async () => {
    await peer6.stop();
  });

  test('connects to ::1 and reports IPv6 addresses', () => {
    const c = new TCPNetworkClient(['::1', peer6.port], lines);
    try {
      expect(c.getRemoteAddress()).toMatchObject({ type: 'TCP', host: '::1', port: peer6.port });
      expect(c.getRemoteAddress()).toBeInstanceOf(IPv6Address);
      c.sendPacket('echo six');
      expect(c.recvPacket({ timeout: 10 })).toBe('six');
    } finally {
      c.close();
    }
  });
});
