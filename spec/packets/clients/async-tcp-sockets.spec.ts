/**
 * AsyncTCPNetworkClient on real sockets: a running Reactor, node:net and
 * node:tls peers on 127.0.0.1 port 0, hostile peers (resets mid-packet,
 * stalls, over-long lines, floods).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { TimeoutError as DeferTimeoutError } from '../../../src/defer/errors';
import {
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  IncompleteReadError,
  LimitOverrunError,
  SSLError,
  StreamProtocolParseError,
} from '../../../src/errors';
import { AsyncTCPNetworkClient } from '../../../src/packets/clients';
import { BufferedStreamProtocol, JSONSerializer, StreamProtocol, StringLineSerializer } from '../../../src/packets/serializers';
import { Reactor } from '../../../src/reactor';
import { optionsForClientTLS } from '../../../src/ssl';
import { useCerts } from '../../tls/harness';
import { bufferedLineProtocol, lineProtocol } from './helpers';

interface Peer {
  port: number;
  sockets: net.Socket[];
  connected: Promise<net.Socket>;
  close(): Promise<void>;
}

async function listen(onSocket: (s: net.Socket) => void = () => {}, server?: net.Server): Promise<Peer> {
  const sockets: net.Socket[] = [];
  let first!: (s: net.Socket) => void;
  const connected = new Promise<net.Socket>((r) => {
    first = r;
  });
  const srv = server ?? net.createServer({ allowHalfOpen: true });
  srv.on(server instanceof tls.Server ? 'secureConnection' : 'connection', (s: net.Socket) => {
    s.on('error', () => {});
    sockets.push(s);
    first(s);
    onSocket(s);
  });
  srv.on('error', () => {});
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    sockets,
    connected,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

function collect(s: net.Socket): { text(): string; ended: Promise<void> } {
  let data = '';
  s.setEncoding('latin1');
  s.on('data', (d: string) => {
    data += d;
  });
  const ended = new Promise<void>((r) => s.once('end', () => r()));
  return { text: () => data, ended };
}

describe.each([
  ['chunks', false],
  ['buffer lending', true],
])('AsyncTCPNetworkClient on real sockets (%s)', (_name, buffered) => {
  let reactor: Reactor;
  let done: Promise<void>;
  let peer: Peer | null = null;

  beforeEach(() => {
    reactor = new Reactor();
    done = reactor.run();
  });
  afterEach(async () => {
    await peer?.close();
    peer = null;
    if (reactor.running) reactor.stop();
    await done;
  });

  const proto = (opts = {}) => (buffered ? bufferedLineProtocol(opts) : lineProtocol(opts));

  it('round trips packets with a node:net echo peer; aclose sends FIN', async () => {
    peer = await listen((s) => s.pipe(s));
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], proto(), { reactor });
    for (let i = 0; i < 50; i++) {
      await client.sendPacket(`line ${i}`);
      expect(await client.recvPacket({ timeout: 10 })).toBe(`line ${i}`);
    }
    expect(client.getRemoteAddress().port).toBe(peer.port);
    const sock = await peer.connected;
    const ended = new Promise<void>((r) => sock.once('end', () => r()));
    await client.aclose();
    await ended;
  });

  it('connects through the Happy Eyeballs endpoint to "localhost"', async () => {
    peer = await listen((s) => s.pipe(s));
    const client = new AsyncTCPNetworkClient<string, string>(['localhost', peer.port], proto(), { reactor });
    await client.sendPacket('via name');
    expect(await client.recvPacket({ timeout: 10 })).toBe('via name');
    await client.aclose();
  });

  it('a refused connection rejects with ConnectionRefusedError', async () => {
    const p = await listen();
    const port = p.port;
    await p.close();
    const client = new AsyncTCPNetworkClient(['127.0.0.1', port], proto(), { reactor, happyEyeballsDelay: null });
    await expect(client.waitConnected()).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it('a peer that resets mid-packet: complete packets first, then ConnectionLost', async () => {
    peer = await listen((s) => {
      s.write('whole\nhal', () => setTimeout(() => s.resetAndDestroy(), 20));
    });
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], proto(), { reactor });
    expect(await client.recvPacket({ timeout: 10 })).toBe('whole');
    await expect(client.recvPacket({ timeout: 10 })).rejects.toBeInstanceOf(ConnectionLost);
    await client.aclose();
  });

  it('a peer that ends mid-packet: IncompleteReadError with the partial', async () => {
    peer = await listen((s) => s.end('first\nsecond-unfinished'));
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], proto(), { reactor });
    expect(await client.recvPacket({ timeout: 10 })).toBe('first');
    const err = (await client.recvPacket({ timeout: 10 }).catch((e: unknown) => e)) as IncompleteReadError;
    expect(err).toBeInstanceOf(IncompleteReadError);
    expect(err.partial.toString('latin1')).toBe('second-unfinished');
    await client.aclose();
  });

  it('a peer that stalls: the read timeout rejects and the connection is still usable', async () => {
    peer = await listen((s) => {
      s.write('par');
      s.on('data', () => s.write('tial\n'));
    });
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], proto(), { reactor });
    await expect(client.recvPacket({ timeout: 0.2 })).rejects.toBeInstanceOf(DeferTimeoutError);
    await client.sendPacket('go on');
    expect(await client.recvPacket({ timeout: 10 })).toBe('partial');
    await client.aclose();
  });

  it('an over-long line: StreamProtocolParseError(LimitOverrunError), then the next packet parses', async () => {
    peer = await listen((s) => s.write(`${'y'.repeat(200)}\nafter\n`));
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], proto({ limit: 64 }), {
      reactor,
      maxRecvSize: 4096,
    });
    const err = (await client.recvPacket({ timeout: 10 }).catch((e: unknown) => e)) as StreamProtocolParseError;
    expect(err).toBeInstanceOf(StreamProtocolParseError);
    expect(err.error).toBeInstanceOf(LimitOverrunError);
    expect(await client.recvPacket({ timeout: 10 })).toBe('after');
    await client.aclose();
  });

  it('a flood is held by pausing the transport and arrives whole', async () => {
    const lines = 5000;
    peer = await listen((s) => {
      let body = '';
      for (let i = 0; i < lines; i++) body += `${i}\n`;
      s.end(body);
    });
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], proto(), { reactor, maxRecvSize: 512 });
    await client.waitConnected();
    const sock = await peer.connected;
    await new Promise<void>((r) => (sock.writableFinished ? r() : sock.once('finish', () => r())));
    let n = 0;
    for (;;) {
      const p = await client.recvPacket({ timeout: 10 }).catch((e: unknown) => e);
      if (p instanceof ConnectionDone) break;
      expect(p).toBe(String(n));
      n++;
    }
    expect(n).toBe(lines);
    await client.aclose();
  });

  it('sendEof half-closes: the peer sees the end and can still answer', async () => {
    peer = await listen((s) => {
      const c = collect(s);
      void c.ended.then(() => s.end(`got:${c.text().trim()}\n`));
    });
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], proto(), { reactor });
    await client.sendPacket('q');
    await client.sendEof();
    expect(await client.recvPacket({ timeout: 10 })).toBe('got:q');
    await expect(client.recvPacket({ timeout: 10 })).rejects.toBeInstanceOf(ConnectionDone);
    await client.aclose();
  });
});

describe('AsyncTCPNetworkClient with TLS', () => {
  const certs = useCerts();
  let reactor: Reactor;
  let done: Promise<void>;
  let peer: Peer | null = null;

  beforeEach(() => {
    reactor = new Reactor();
    done = reactor.run();
  });
  afterEach(async () => {
    await peer?.close();
    peer = null;
    if (reactor.running) reactor.stop();
    await done;
  });

  const tlsServer = () => tls.createServer({ cert: certs.c.serverCert, key: certs.c.serverKey });

  it('verifies the server, round trips packets and closes with close_notify', async () => {
    peer = await listen((s) => s.pipe(s), tlsServer());
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], lineProtocol(), {
      reactor,
      ssl: optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
    });
    await client.waitConnected();
    expect(client.isConnected()).toBe(true);
    await client.sendPacket('secret');
    expect(await client.recvPacket({ timeout: 10 })).toBe('secret');
    const sock = await peer.connected;
    const ended = new Promise<void>((r) => sock.once('end', () => r()));
    await client.aclose();
    await ended;
  });

  it('ssl: true verifies against the platform trust and fails for a private CA with SSLError', async () => {
    peer = await listen((s) => s.pipe(s), tlsServer());
    const client = new AsyncTCPNetworkClient(['127.0.0.1', peer.port], lineProtocol(), {
      reactor,
      ssl: true,
      serverHostname: 'localhost',
    });
    await expect(client.waitConnected()).rejects.toBeInstanceOf(SSLError);
  });

  it('a server that never answers the handshake: SSLError("timeout") after sslHandshakeTimeout', async () => {
    peer = await listen(() => {});
    const client = new AsyncTCPNetworkClient(['127.0.0.1', peer.port], lineProtocol(), {
      reactor,
      ssl: optionsForClientTLS('localhost', { trustRoot: certs.ca(), handshakeTimeout: null }),
      sslHandshakeTimeout: 0.3,
    });
    const err = (await client.waitConnected().catch((e: unknown) => e)) as SSLError;
    expect(err).toBeInstanceOf(SSLError);
    expect(err.reason).toBe('timeout');
  });

  it('sslStandardCompatible: false closes without waiting for the TLS shutdown', async () => {
    peer = await listen((s) => s.pipe(s), tlsServer());
    const client = new AsyncTCPNetworkClient<string, string>(['127.0.0.1', peer.port], lineProtocol(), {
      reactor,
      ssl: optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
      sslStandardCompatible: false,
    });
    await client.sendPacket('x');
    expect(await client.recvPacket({ timeout: 10 })).toBe('x');
    await client.aclose();
    expect(client.isClosing()).toBe(true);
  });
});

describe('AsyncTCPNetworkClient with the shipped serializers (real sockets)', () => {
  let reactor: Reactor;
  let done: Promise<void>;
  let peer: Peer | null = null;

  beforeEach(() => {
    reactor = new Reactor();
    done = reactor.run();
  });
  afterEach(async () => {
    await peer?.close();
    peer = null;
    if (reactor.running) reactor.stop();
    await done;
  });

  it.each([
    ['StreamProtocol', false],
    ['BufferedStreamProtocol', true],
  ])('JSON lines through %s: round trips, invalid JSON is recoverable', async (_n, buffered) => {
    peer = await listen((s) => {
      s.write('{"bad json\n');
      s.pipe(s);
    });
    const serializer = new JSONSerializer();
    const protocol = buffered ? new BufferedStreamProtocol(serializer) : new StreamProtocol(serializer);
    const client = new AsyncTCPNetworkClient<unknown, unknown>(['127.0.0.1', peer.port], protocol, { reactor });
    const err = (await client.recvPacket({ timeout: 10 }).catch((e: unknown) => e)) as StreamProtocolParseError;
    expect(err).toBeInstanceOf(StreamProtocolParseError);
    for (let seq = 0; seq < 20; seq++) {
      await client.sendPacket({ seq, text: 'héllo', list: [1, 2, 3] });
      expect(await client.recvPacket({ timeout: 10 })).toEqual({ seq, text: 'héllo', list: [1, 2, 3] });
    }
    await client.aclose();
  });

  it('StringLineSerializer: an over-long line gives LimitOverrunError and the next line still parses', async () => {
    peer = await listen((s) => s.write(`${'z'.repeat(300)}\r\nnext\r\n`));
    const protocol = new StreamProtocol<string, string>(new StringLineSerializer('CRLF', { limit: 100 }));
    const client = new AsyncTCPNetworkClient(['127.0.0.1', peer.port], protocol, { reactor });
    const err = (await client.recvPacket({ timeout: 10 }).catch((e: unknown) => e)) as StreamProtocolParseError;
    expect(err).toBeInstanceOf(StreamProtocolParseError);
    expect(err.error).toBeInstanceOf(LimitOverrunError);
    expect(await client.recvPacket({ timeout: 10 })).toBe('next');
    await client.aclose();
  });
});
