/**
 * The TCP transport behaviour suite: run against the real reactor (sockets
 * on 127.0.0.1) and against the fakes (MemoryReactorClock + IOPump), so the
 * fakes cannot drift from the real thing. Helper module, not a spec.
 */
import { IPv4Address, UNIXAddress } from '../../src/address';
import { ConnectionAborted, ConnectionClosed, ConnectionDone, ConnectionLost, RuntimeError } from '../../src/errors';
import type { IAddress } from '../../src/interfaces/address';
import { captureLogEvents } from '../../src/logger';
import { FlowRecorder, HalfCloseRecorder, Recorder, StrictPushProducer } from '../testing/recorder';
import type { TransportHarness } from './harness';

const lostOnce = (r: Recorder) => r.reasons.length >= 1;

/**
 * Register the transport behaviour suite for one implementation. `family`
 * 'UNIX' (unix: UNIX sockets share TCP's transport) swaps the two
 * address-family tests: UNIXAddress ends, and no TCP options. `skip`
 * (tls family) names behaviour a transport does not have by design, each
 * title with its reason.
 */
export function transportConformance(
  name: string,
  makeHarness: () => TransportHarness | Promise<TransportHarness>,
  family: 'TCP' | 'UNIX' = 'TCP',
  skip: Readonly<Record<string, string>> = {},
): void {
  const it = (title: string, fn: () => Promise<void>): void => {
    if (title in skip) test.skip(`${title} (not for ${name}: ${skip[title]})`, fn);
    else test(title, fn);
  };
  // Registered for their family only (not skipped: they do not apply to the other).
  const only =
    (f: 'TCP' | 'UNIX') =>
    (title: string, fn: () => Promise<void>): void => {
      if (family === f) it(title, fn);
    };
  const tcpOnly = only('TCP');
  const unixOnly = only('UNIX');
  describe(`${name}: ${family} transport behaviour`, () => {
    let h: TransportHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.teardown();
    });

    it('write(string) throws a TypeError that says to encode it, on both ends', async () => {
      const { serverTransport, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      for (const t of [serverTransport, clientTransport]) {
        expect(() => t.write('text' as unknown as Buffer)).toThrow(TypeError);
        expect(() => t.write('text' as unknown as Buffer)).toThrow(/encode/);
        expect(() => t.writeSequence(['text' as unknown as Buffer])).toThrow(TypeError);
      }
    });

    it('delivers every byte, in order, both ways (write and writeSequence)', async () => {
      const { server, client, clientTransport, serverTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      const big = Buffer.alloc(200_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
      clientTransport.write(big);
      serverTransport.writeSequence([Buffer.from('ab'), Buffer.from('cd')]);
      await h.settle(() => server.received().length === big.length && client.received().length === 4, 'all bytes arrived');
      expect(server.received().equals(big)).toBe(true);
      expect(client.received().toString()).toBe('abcd');
    });

    it('bytes written before loseConnection arrive, then both sides get ConnectionDone exactly once', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.write(Buffer.from('last words'));
      clientTransport.loseConnection();
      expect(clientTransport.disconnecting).toBe(true);
      clientTransport.loseConnection();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      await h.idle();
      expect(server.received().toString()).toBe('last words');
      expect(server.reasons).toHaveLength(1);
      expect(client.reasons).toHaveLength(1);
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(server.events.at(-1)).toBe('lost');
    });

    it('a server-side loseConnection is seen by the client as ConnectionDone, once', async () => {
      const { server, client, serverTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      serverTransport.write(Buffer.from('bye'));
      serverTransport.loseConnection();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      await h.idle();
      expect(client.received().toString()).toBe('bye');
      expect(client.reasons).toHaveLength(1);
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(server.reasons).toHaveLength(1);
    });

    it('writes made after loseConnection, before the close, are sent too (Twisted)', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.write(Buffer.from('kept'));
      clientTransport.loseConnection();
      clientTransport.write(Buffer.from(' late'));
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      expect(server.received().toString()).toBe('kept late');
      clientTransport.write(Buffer.from(' after the close'));
      await h.idle();
      expect(server.received().toString()).toBe('kept late');
    });

    it('abortConnection called twice gives ConnectionAborted exactly once; the peer gets ConnectionLost', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.abortConnection();
      clientTransport.abortConnection();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      clientTransport.abortConnection();
      await h.idle();
      expect(client.reasons).toHaveLength(1);
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionAborted);
      expect(server.reasons).toHaveLength(1);
      // unix: a UNIX socket has no RST; the kernel shows an abort with nothing unread as a clean EOF.
      expect(server.reasons[0]!.value).toBeInstanceOf(family === 'UNIX' ? ConnectionClosed : ConnectionLost);
    });

    it('registering a second producer throws RuntimeError', async () => {
      const { clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.registerProducer(new StrictPushProducer(), true);
      expect(() => clientTransport.registerProducer(new StrictPushProducer(), true)).toThrow(RuntimeError);
      clientTransport.unregisterProducer();
    });

    it('a registered producer gets stopProducing when the connection is lost', async () => {
      const { server, client, serverTransport, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      const p = new StrictPushProducer();
      serverTransport.registerProducer(p, true);
      clientTransport.loseConnection();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      await h.idle();
      expect(p.calls).toEqual(['stop']);
    });

    it('a producer registered after the connection was lost is stopped at once', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.loseConnection();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      const p = new StrictPushProducer();
      clientTransport.registerProducer(p, true);
      expect(p.calls).toEqual(['stop']);
    });

    it('a pull producer is asked for data at once when registered', async () => {
      const { server, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      let asked = 0;
      clientTransport.registerProducer(
        {
          resumeProducing: () => {
            asked += 1;
            if (asked === 1) clientTransport.write(Buffer.from('pulled'));
            else clientTransport.unregisterProducer();
          },
          stopProducing: () => {},
        },
        false,
      );
      expect(asked).toBe(1);
      await h.settle(() => server.received().toString() === 'pulled', 'the pulled bytes arrived');
    });

    it('pauseProducing on a transport holds incoming bytes back until resumeProducing', async () => {
      const { server, serverTransport, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      serverTransport.pauseProducing();
      clientTransport.write(Buffer.from('held'));
      await h.idle();
      expect(server.chunks).toEqual([]);
      serverTransport.resumeProducing();
      await h.settle(() => server.received().toString() === 'held', 'the held bytes arrived');
    });

    it('stopProducing on a transport closes the connection cleanly', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.stopProducing();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
    });

    // unix
    unixOnly(
      "getPeer/getHost are UNIXAddress: the client's peer is the server's path, the client's own end has no name",
      async () => {
        const { serverTransport, clientTransport } = await h.connect(
          () => new Recorder(),
          () => new Recorder(),
        );
        expect(clientTransport.getPeer()).toBeInstanceOf(UNIXAddress);
        expect(clientTransport.getPeer()).toEqual(serverTransport.getHost());
        expect((serverTransport.getHost() as UNIXAddress).name).toEqual(expect.any(String));
        expect(serverTransport.getPeer()).toEqual(new UNIXAddress(null));
        expect(clientTransport.getHost()).toEqual(new UNIXAddress(null));
      },
    );

    tcpOnly('getHost/getPeer are IPv4Address TCP on 127.0.0.1, each end the mirror of the other', async () => {
      const { serverTransport, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      const sameEnd = (a: IAddress, b: IAddress) => {
        expect(a).toBeInstanceOf(IPv4Address);
        expect(b).toBeInstanceOf(IPv4Address);
        const [x, y] = [a as IPv4Address, b as IPv4Address];
        expect([x.type, x.host, x.port]).toEqual([y.type, y.host, y.port]);
      };
      sameEnd(clientTransport.getPeer(), serverTransport.getHost());
      sameEnd(serverTransport.getPeer(), clientTransport.getHost());
      expect((clientTransport.getHost() as IPv4Address).type).toBe('TCP');
      expect((clientTransport.getHost() as IPv4Address).host).toBe('127.0.0.1');
    });

    it('a peer without half-close hooks gets ConnectionDone when the other end closes its write side', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.write(Buffer.from('request'));
      clientTransport.loseWriteConnection();
      await h.settle(() => lostOnce(server), 'the server lost the connection');
      expect(server.received().toString()).toBe('request');
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      await h.settle(() => lostOnce(client), 'the client lost the connection');
      expect(client.reasons).toHaveLength(1);
    });

    it('half-close: a half-closeable peer gets readConnectionLost and can still answer', async () => {
      const { server, client, serverTransport, clientTransport } = await h.connect(
        () => new HalfCloseRecorder(),
        () => new HalfCloseRecorder(),
      );
      clientTransport.write(Buffer.from('request'));
      clientTransport.loseWriteConnection();
      await h.settle(() => server.events.includes('readLost') && client.events.includes('writeLost'), 'the half-close');
      expect(server.reasons).toHaveLength(0);
      expect(server.received().toString()).toBe('request');
      serverTransport.write(Buffer.from('response'));
      serverTransport.loseConnection();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      await h.idle();
      expect(client.received().toString()).toBe('response');
      expect(client.reasons).toHaveLength(1);
      expect(server.reasons).toHaveLength(1);
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
    });

    it('an exception thrown by dataReceived is logged and ends that connection with it; the peer is told', async () => {
      const boom = new Error('boom from dataReceived');
      const [events, stop] = captureLogEvents();
      try {
        const { server, client, clientTransport } = await h.connect(
          () => {
            const r = new Recorder();
            r.onData = () => {
              throw boom;
            };
            return r;
          },
          () => new Recorder(),
        );
        clientTransport.write(Buffer.from('x'));
        await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
        await h.idle();
        expect(server.reasons).toHaveLength(1);
        expect(server.reasons[0]!.value).toBe(boom);
        expect(client.reasons).toHaveLength(1);
      } finally {
        stop();
      }
      expect(events.some((e) => e.failure?.value === boom)).toBe(true);
    });

    it('an unpaused streaming producer does not hold loseConnection: the close comes, then stopProducing', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      const p = new StrictPushProducer();
      clientTransport.registerProducer(p, true);
      clientTransport.write(Buffer.from('body'));
      clientTransport.loseConnection();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      expect(server.received().toString()).toBe('body');
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(p.calls).toEqual(['stop']);
    });

    it('loseConnection waits for a registered pull producer to unregister, then closes cleanly', async () => {
      const { server, client, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      const p = {
        calls: [] as string[],
        resumeProducing() {
          this.calls.push('resume');
        },
        stopProducing() {
          this.calls.push('stop');
        },
      };
      clientTransport.registerProducer(p, false);
      p.calls.length = 0;
      clientTransport.write(Buffer.from('body'));
      clientTransport.loseConnection();
      await h.settle(() => server.received().toString() === 'body', 'the bytes arrived');
      await h.idle();
      expect(client.reasons).toHaveLength(0);
      expect(server.reasons).toHaveLength(0);
      clientTransport.unregisterProducer();
      await h.settle(() => lostOnce(server) && lostOnce(client), 'both sides lost the connection');
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(p.calls).not.toContain('stop');
    });

    it('written bytes count in getWriteBufferSize until they are sent', async () => {
      const { server, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.write(Buffer.alloc(100));
      expect(clientTransport.getWriteBufferSize()).toBe(100);
      await h.settle(() => server.received().length === 100, 'the bytes arrived');
      expect(clientTransport.getWriteBufferSize()).toBe(0);
    });

    it('pauseWriting when the write buffer goes strictly over the high-water mark, resumeWriting once it drains', async () => {
      const { client, clientTransport, server } = await h.connect(
        () => new Recorder(),
        () => new FlowRecorder(),
      );
      clientTransport.setWriteBufferLimits(10, 2);
      clientTransport.write(Buffer.alloc(10));
      expect(client.events).toEqual(['made']);
      clientTransport.write(Buffer.alloc(1));
      expect(client.events).toEqual(['made', 'pauseWriting']);
      await h.settle(() => client.events.includes('resumeWriting'), 'resumeWriting');
      expect(client.events).toEqual(['made', 'pauseWriting', 'resumeWriting']);
      await h.settle(() => server.received().length === 11, 'the bytes arrived');
    });

    it('a streaming producer is paused over the high-water mark and resumed when the buffer drains', async () => {
      const { server, clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      const p = new StrictPushProducer();
      clientTransport.registerProducer(p, true);
      clientTransport.setWriteBufferLimits(10, 2);
      clientTransport.write(Buffer.alloc(11));
      expect(p.state).toBe('paused');
      await h.settle(() => p.state === 'running', 'the producer was resumed');
      expect(p.calls).toEqual(['pause', 'resume']);
      await h.settle(() => server.received().length === 11, 'the bytes arrived');
      clientTransport.unregisterProducer();
    });

    // unix
    unixOnly('setWriteBufferLimits refuses low > high', async () => {
      const { clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      expect(() => clientTransport.setWriteBufferLimits(10, 20)).toThrow(RangeError);
      expect(clientTransport.getWriteBufferSize()).toBeGreaterThanOrEqual(0);
    });

    tcpOnly('the TCP options read back what was set; setWriteBufferLimits refuses low > high', async () => {
      const { clientTransport } = await h.connect(
        () => new Recorder(),
        () => new Recorder(),
      );
      clientTransport.setTcpNoDelay(true);
      expect(clientTransport.getTcpNoDelay()).toBe(true);
      clientTransport.setTcpKeepAlive(true);
      expect(clientTransport.getTcpKeepAlive()).toBe(true);
      expect(() => clientTransport.setWriteBufferLimits(10, 20)).toThrow(RangeError);
      expect(clientTransport.getWriteBufferSize()).toBeGreaterThanOrEqual(0);
    });
  });
}
