/**
 * TLS in memory: TLSMemoryBIOProtocol over IOPump/FakeTransport with real
 * OpenSSL, the handshake timeout on a Clock, MemoryReactor's records.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { ConnectionDone, ConnectionLost, SSLError } from '../../src/errors';
import type { IProtocol } from '../../src/interfaces/protocol';
import { Factory } from '../../src/protocol/factory';
import { ClientFactory } from '../../src/protocol/factory';
import { TLSMemoryBIOFactory, type TLSMemoryBIOProtocol } from '../../src/protocols/tls';
import { CertificateOptions, optionsForClientTLS } from '../../src/ssl';
import { Clock } from '../../src/task/clock';
import { type IOPump, MemoryReactor, connect, makeFakeClient, makeFakeServer } from '../../src/testing';
import { IPv4Address } from '../../src/address';
import { TLSRecorder, useCerts } from './harness';

const certs = useCerts();
const ADDR = new IPv4Address('TCP', '127.0.0.1', 443);

/** Pump until `cond` holds: OpenSSL's work runs on Node's turns, so each round also yields one. */
async function pumpUntil(pump: IOPump, cond: () => boolean, rounds = 500): Promise<void> {
  for (let i = 0; i < rounds && !cond(); i++) {
    pump.pump();
    await turn();
  }
  if (!cond()) throw new Error('condition not reached while pumping');
}

function pair(
  client: IProtocol,
  server: IProtocol,
  clientOptions = optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
  serverOptions = certs.server(),
  clock?: Clock,
): { c: TLSMemoryBIOProtocol; s: TLSMemoryBIOProtocol; pump: IOPump } {
  const cf = new TLSMemoryBIOFactory(clientOptions, true, { doStart() {}, doStop() {}, buildProtocol: () => client }, clock);
  const sf = new TLSMemoryBIOFactory(serverOptions, false, { doStart() {}, doStop() {}, buildProtocol: () => server }, clock);
  const c = cf.buildProtocol(ADDR) as TLSMemoryBIOProtocol;
  const s = sf.buildProtocol(ADDR) as TLSMemoryBIOProtocol;
  const pump = connect(s, makeFakeServer(s), c, makeFakeClient(c), { greet: false });
  return { c, s, pump };
}

describe('TLSMemoryBIOProtocol over IOPump', () => {
  it('handshakes, carries data both ways and closes with close_notify', async () => {
    const client = new TLSRecorder();
    const server = new TLSRecorder();
    const { c, pump } = pair(client, server);
    expect(client.names()).toEqual(['connectionMade']);
    expect(c.getPeerCertificate()).toBeNull();
    client.transport!.write(Buffer.from('before the handshake'));
    await pumpUntil(pump, () => server.data().length === 20);
    expect(server.data().toString()).toBe('before the handshake');
    expect(client.names()).toEqual(['connectionMade', 'handshakeCompleted']);
    expect(c.getPeerCertificate()!.getSubject().commonName).toBe('localhost');
    server.transport!.write(Buffer.from('reply'));
    client.transport!.loseConnection();
    await pumpUntil(pump, () => client.lost.called && server.lost.called);
    expect(client.data().toString()).toBe('reply');
    expect(client.reason().value).toBeInstanceOf(ConnectionDone);
    expect(server.reason().value).toBeInstanceOf(ConnectionDone);
  });

  it('delivered one byte at a time, the handshake and data still get through', async () => {
    const client = new TLSRecorder();
    const server = new TLSRecorder();
    const cf = new TLSMemoryBIOFactory(
      optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
      true,
      Factory.forProtocol(TLSRecorder),
    );
    const sf = new TLSMemoryBIOFactory(certs.server(), false, Factory.forProtocol(TLSRecorder));
    const c = new (cf.buildProtocol(ADDR)!.constructor as new (f: TLSMemoryBIOFactory, p: IProtocol) => TLSMemoryBIOProtocol)(
      cf,
      client,
    );
    const s = new (sf.buildProtocol(ADDR)!.constructor as new (f: TLSMemoryBIOFactory, p: IProtocol) => TLSMemoryBIOProtocol)(
      sf,
      server,
    );
    const pump = connect(s, makeFakeServer(s), c, makeFakeClient(c), { greet: false, chunkSize: 1 });
    client.transport!.write(Buffer.from('bytewise'));
    await pumpUntil(pump, () => server.data().toString() === 'bytewise', 20000);
  });

  it('a close of the raw transport without close_notify is ConnectionLost on the other side', async () => {
    const client = new TLSRecorder();
    const server = new TLSRecorder();
    const { s, pump } = pair(client, server);
    await pumpUntil(pump, () => client.handshake.called && server.handshake.called);
    // Close the transport under TLS directly: no close_notify.
    s.transport!.loseConnection();
    await pumpUntil(pump, () => client.lost.called);
    expect(client.reason().value).toBeInstanceOf(ConnectionLost);
    expect(client.reason().value).not.toBeInstanceOf(SSLError);
  });

  it('a wrong host name fails the client with SSLError hostname, in memory', async () => {
    const client = new TLSRecorder();
    const server = new TLSRecorder();
    const { pump } = pair(client, server, optionsForClientTLS('example.com', { trustRoot: certs.ca() }));
    await pumpUntil(pump, () => client.lost.called);
    expect((client.reason().value as SSLError).reason).toBe('hostname');
    expect((client.reason().value as SSLError).verifyError).toBeNull();
  });

  it('the handshake timeout runs on the given clock: SSLError timeout', async () => {
    const clock = new Clock();
    const client = new TLSRecorder();
    const server = new TLSRecorder();
    const opts = optionsForClientTLS('localhost', { trustRoot: certs.ca(), handshakeTimeout: 5 });
    const { pump } = pair(client, server, opts, certs.server(), clock);
    // Nothing is pumped: the handshake cannot finish.
    clock.advance(4.9);
    await turn();
    expect(client.lost.called).toBe(false);
    clock.advance(0.2);
    await pumpUntil(pump, () => client.lost.called);
    const e = client.reason().value as SSLError;
    expect(e).toBeInstanceOf(SSLError);
    expect(e.reason).toBe('timeout');
  });

  it('a finished handshake cancels the timeout', async () => {
    const clock = new Clock();
    const client = new TLSRecorder();
    const server = new TLSRecorder();
    const { pump } = pair(client, server, optionsForClientTLS('localhost', { trustRoot: certs.ca() }), certs.server(), clock);
    await pumpUntil(pump, () => client.handshake.called && server.handshake.called);
    expect(clock.getDelayedCalls()).toEqual([]);
    clock.advance(120);
    expect(client.lost.called).toBe(false);
  });
});

describe('MemoryReactor TLS records', () => {
  it('connectSSL and listenSSL are recorded with their context factories', () => {
    const r = new MemoryReactor();
    const cf = optionsForClientTLS('example.com');
    const f = new ClientFactory();
    const connector = r.connectSSL('example.com', 443, f, cf, { timeout: 7, bindAddress: ['127.0.0.1', 0] });
    expect(r.sslClients).toEqual([
      { host: 'example.com', port: 443, factory: f, contextFactory: cf, timeout: 7, bindAddress: ['127.0.0.1', 0] },
    ]);
    expect(connector.getDestination()).toMatchObject({ host: 'example.com', port: 443 });
    const sf = new Factory();
    const so = new CertificateOptions({ verify: false });
    r.listenSSL(8443, sf, so, { backlog: 5, interface: '127.0.0.1' });
    expect(r.sslServers).toEqual([{ port: 8443, factory: sf, contextFactory: so, backlog: 5, interface: '127.0.0.1' }]);
  });
});
