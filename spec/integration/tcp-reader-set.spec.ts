/**
 * The reactor's reader set is the source of truth (Twisted): a transport's
 * stopReading()/startReading() are removeReader(this)/addReader(this), so
 * getReaders() and delivery always agree, whichever side was called.
 * Also the producer rules a port forwarder relies on: a transport
 * registered as a producer leaves its consumers when its own connection is
 * lost, and an unpaused streaming producer does not hold loseConnection().
 */
import { ConnectionDone } from '../../src/errors';
import type { Connection, Port } from '../../src/tcp';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  TRANSPORT_MODES,
  until,
  useReactor,
  useTransportMode,
  within,
} from '../tcp/harness';

describe.each(TRANSPORT_MODES)('the reader set is the source of truth (%s)', (mode) => {
  useTransportMode(mode);
  const h = useReactor();

  async function pair(): Promise<{ client: RecordingProtocol; server: RecordingProtocol; port: Port }> {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
    const server = await within(sf.built);
    await within(server.made);
    await until(() => cf.protocols.length > 0);
    const client = await within(cf.protocols[0].made);
    return { client, server, port };
  }
  const conn = (p: RecordingProtocol): Connection => p.transport as unknown as Connection;

  it('transport.stopReading() leaves getReaders(); reactor.addReader(t) delivers what the peer wrote meanwhile', async () => {
    const { client, server } = await pair();
    const t = conn(server);
    t.stopReading();
    expect(h.r.getReaders()).not.toContain(t);
    client.transport!.write(Buffer.from('while stopped'));
    // A round trip the other way proves the bytes had time to arrive.
    t.write(Buffer.from('ping'));
    await until(() => client.data().toString() === 'ping');
    expect(server.data().length).toBe(0);
    h.r.addReader(t);
    expect(h.r.getReaders()).toContain(t);
    await until(() => server.data().toString() === 'while stopped');
  });

  it('reactor.removeReader(t) then transport.startReading() resumes delivery and rejoins the set', async () => {
    const { client, server } = await pair();
    const t = conn(server);
    h.r.removeReader(t);
    client.transport!.write(Buffer.from('held'));
    t.write(Buffer.from('ping'));
    await until(() => client.data().toString() === 'ping');
    expect(server.data().length).toBe(0);
    t.startReading();
    expect(h.r.getReaders()).toContain(t);
    await until(() => server.data().toString() === 'held');
  });

  it('startWriting()/stopWriting() are addWriter/removeWriter; a lost connection leaves both sets', async () => {
    const { server } = await pair();
    const t = conn(server);
    t.startWriting();
    expect(h.r.getWriters()).toContain(t);
    t.stopWriting();
    expect(h.r.getWriters()).not.toContain(t);
    t.startWriting();
    t.loseConnection();
    await within(server.lost);
    expect(h.r.getWriters()).not.toContain(t);
    expect(h.r.getReaders()).not.toContain(t);
  });

  it('port.stopReading() holds accepts back until reactor.addReader(port)', async () => {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    port.stopReading();
    expect(h.r.getReaders()).not.toContain(port);
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
    await until(() => cf.protocols.length > 0);
    await within(cf.protocols[0].made);
    expect(sf.protocols).toHaveLength(0);
    h.r.addReader(port);
    await within(sf.built);
  });

  it('a transport registered as a producer leaves its consumer when its own connection is lost, so the consumer closes', async () => {
    // Two connections wired as Twisted's port forwarder does; ta's peer does
    // not read, so ta's buffer stays over the high-water mark and tb (ta's
    // producer) stays paused: a paused producer would hold ta's close.
    const a = await pair();
    const b = await pair();
    const ta = conn(a.server);
    const tb = conn(b.server);
    ta.registerProducer(tb, true);
    tb.registerProducer(ta, true);
    a.client.transport!.pauseProducing();
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const total = 32 * chunk.length;
    for (let i = 0; i < 32; i++) ta.write(chunk);
    expect(ta.getWriteBufferSize()).toBeGreaterThan(65536);
    // tb is paused (not reading), so it ends by its own loseConnection().
    tb.loseConnection();
    await within(b.server.lost);
    expect(ta.producer).toBeNull();
    ta.loseConnection();
    a.client.transport!.resumeProducing();
    const reason = await within(a.client.lost, 20000);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(a.client.data().length).toBe(total);
  });
});
