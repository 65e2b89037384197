/**
 * reactor.stop(): listening ports close and every live connection —
 * reading, paused, or only writing — gets connectionLost exactly once
 * before run() resolves; attempts still connecting fail.
 */
import * as net from 'node:net';
import type { Failure } from '../../src/defer/failure';
import { ConnectError, ConnectionLost } from '../../src/errors';
import { Reactor } from '../../src/reactor';
import { Deferred } from '../../src/defer/deferred';
import type { Client } from '../../src/tcp';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  blackHole,
  loopTurns,
  until,
  within,
  TRANSPORT_MODES,
  useTransportMode,
} from '../tcp/harness';

describe.each(TRANSPORT_MODES)('reactor.stop() with TCP connections (integration, %s)', (mode) => {
  useTransportMode(mode);
  let r: Reactor;
  let done: Promise<void>;
  beforeEach(() => {
    r = new Reactor();
    done = r.run();
  });
  afterEach(async () => {
    if (r.running) r.stop();
    await done;
  });

  it('closes ports and loses reading, paused and only-writing connections before run() resolves', async () => {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const portNumber = port.getHost().port;
    const clients = [new RecordingClientFactory(), new RecordingClientFactory(), new RecordingClientFactory()];
    for (const f of clients) r.connectTCP('127.0.0.1', portNumber, f);
    await until(() => sf.protocols.length === 3 && clients.every((f) => f.protocols.length === 1));
    for (const f of clients) await within(f.protocols[0].made);
    const [reading, paused, writing] = clients.map((f) => f.protocols[0]);
    paused.transport!.pauseProducing();
    // Only writing: not reading, and a write buffer the peer does not drain.
    writing.transport!.pauseProducing();
    const peerOfWriting = sf.protocols.find((p) => p.transport!.getPeer().toString() === writing.transport!.getHost().toString());
    peerOfWriting!.transport!.pauseProducing();
    for (let i = 0; i < 64; i++) writing.transport!.write(Buffer.alloc(256 * 1024));
    await until(() => writing.transport!.getWriteBufferSize() > 0);
    expect(r.getReaders()).not.toContain(writing.transport);
    expect(r.getReaders()).not.toContain(paused.transport);

    let resolved = false;
    void done.then(() => {
      resolved = true;
    });
    r.stop();
    await done;
    expect(resolved).toBe(true);

    const everyone = [reading, paused, writing, ...sf.protocols];
    for (const p of everyone) {
      const lost = p.events.filter((e) => e[0] === 'connectionLost');
      expect(lost).toHaveLength(1);
      expect((lost[0][1] as Failure).value).toBeInstanceOf(ConnectionLost);
    }
    for (const f of clients) {
      expect(f.names().slice(-3)).toEqual(['clientConnectionLost', 'doStop', 'stopFactory']);
    }
    expect(port.connected).toBe(false);
    expect([sf.starts, sf.stops]).toEqual([1, 1]);
    expect(r.getReaders()).toEqual([]);
    // The port's socket is really closed: the address can be bound again.
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer().once('error', reject);
      s.listen(portNumber, '127.0.0.1', () => s.close(() => resolve()));
    });
  });

  it('fails attempts still resolving or connecting with ConnectError', async () => {
    // A reactor whose resolver never answers, and a server that never
    // completes the handshake: both attempts are still in progress at stop().
    class NoAnswer extends Reactor {
      override resolve(): Deferred<string> {
        return new Deferred<string>();
      }
    }
    const hole = await blackHole();
    const r2 = new NoAnswer();
    const done2 = r2.run();
    try {
      const resolving = new RecordingClientFactory();
      r2.connectTCP('example.test', hole.port, resolving);
      const connecting = new RecordingClientFactory();
      const connector = r2.connectTCP('127.0.0.1', hole.port, connecting);
      await until(() => (connector.transport as Client).realAddress !== null);
      // The connect was issued (doConnect runs with the real address); one
      // more reactor turn, and the black hole still has not answered.
      await loopTurns();
      expect(connector.state).toBe('connecting');
      r2.stop();
      await done2;
      for (const f of [resolving, connecting]) {
        expect(f.failed.called).toBe(true);
        expect((f.failed.value as Failure).value).toBeInstanceOf(ConnectError);
        expect(f.names().slice(-3)).toEqual(['clientConnectionFailed', 'doStop', 'stopFactory']);
      }
    } finally {
      hole.close();
    }
  });

  it('loses a connection whose graceful close waits for its producer', async () => {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const f = new RecordingClientFactory();
    r.connectTCP('127.0.0.1', port.getHost().port, f);
    await until(() => f.protocols.length === 1);
    const p = await within(f.protocols[0].made);
    const stopped: string[] = [];
    p.transport!.registerProducer({ pauseProducing() {}, resumeProducing() {}, stopProducing: () => stopped.push('stop') }, true);
    p.transport!.loseConnection();
    r.stop();
    await done;
    expect(p.events.filter((e) => e[0] === 'connectionLost')).toHaveLength(1);
    expect(stopped).toEqual(['stop']);
  });
});
