/**
 * asyncio streams over real sockets (127.0.0.1 port 0, a real Reactor),
 * against torsion servers and hostile raw node:net peers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TimeoutError } from '../../../src/defer/errors';
import { ConnectionLost, ConnectionRefusedError, IncompleteReadError, LimitOverrunError, SSLError } from '../../../src/errors';
import type { IPv4Address, IPv6Address } from '../../../src/address';
import type { ITCPTransport } from '../../../src/interfaces/transport';
import { Reactor } from '../../../src/reactor';
import { optionsForClientTLS } from '../../../src/ssl';
import {
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
  StreamReaderProtocol,
  type StreamReader,
  type StreamWriter,
} from '../../../src/streams/asyncio';
import { useReactor, within } from '../../tcp/harness';
import { useCerts } from '../../tls/harness';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const certs = useCerts();

/** A raw node:net server; `onConn` gets each socket. */
async function rawServer(onConn: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onConn(s);
  });
  srv.on('error', () => {});
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe('asyncio streams on real sockets', () => {
  const h = useReactor();

  it('a line server and client: request/reply, half-close (writeEof), waitClosed', async () => {
    const server = await startServer(
      async (reader, writer) => {
        for await (const line of reader) writer.write(Buffer.concat([b('echo '), line]));
        writer.write(b('bye\n'));
        writer.close();
      },
      '127.0.0.1',
      0,
      { reactor: h.r },
    );
    const port = (server.getHost() as IPv4Address).port;
    const [reader, writer] = await within(openConnection('127.0.0.1', port, { reactor: h.r }));
    expect(writer.getExtraInfo('peername')).toEqual(['127.0.0.1', port]);
    expect((writer.getExtraInfo('sockname') as [string, number])[0]).toBe('127.0.0.1');
    writer.write(b('one\n'));
    expect((await within(reader.readline())).toString()).toBe('echo one\n');
    writer.writelines([b('two\n'), b('three\n')]);
    await writer.drain();
    expect(writer.canWriteEof()).toBe(true);
    writer.writeEof();
    const rest = await within(reader.read());
    expect(rest.toString()).toBe('echo two\necho three\nbye\n');
    await within(writer.waitClosed());
    server.close();
    await within(server.waitClosed());
  });

  it('a peer that resets mid-line: complete lines first, then the loss; the partial line is still readable', async () => {
    const raw = await rawServer((s) => {
      s.write('whole\npart', () => setTimeout(() => s.resetAndDestroy(), 20));
    });
    try {
      const [reader] = await within(openConnection('127.0.0.1', raw.port, { reactor: h.r }));
      expect((await within(reader.readline())).toString()).toBe('whole\n');
      const err = await within(reader.readline().catch((e: unknown) => e));
      expect(err).toBeInstanceOf(ConnectionLost);
      expect((await within(reader.read(100))).toString()).toBe('part');
      await expect(reader.read(100)).rejects.toBeInstanceOf(ConnectionLost);
    } finally {
      await raw.close();
    }
  });

  it('an over-long line: LimitOverrunError, then the next lines read normally', async () => {
    const raw = await rawServer((s) => {
      s.end(`${'x'.repeat(5000)}\nok\n`);
    });
    try {
      const [reader] = await within(openConnection('127.0.0.1', raw.port, { reactor: h.r, limit: 1024 }));
      await expect(within(reader.readline())).rejects.toBeInstanceOf(LimitOverrunError);
      // The rest of the over-long line may still arrive as line pieces; skip until "ok".
      let line = '';
      for (let i = 0; i < 10 && line !== 'ok\n'; i++) {
        line = (await within(reader.readline().catch(() => b('')))).toString();
      }
      expect(line).toBe('ok\n');
    } finally {
      await raw.close();
    }
  });

  it('readuntil on an over-long line keeps the data: it can be read with read()', async () => {
    const raw = await rawServer((s) => {
      s.end('y'.repeat(3000));
    });
    try {
      const [reader] = await within(openConnection('127.0.0.1', raw.port, { reactor: h.r, limit: 1000 }));
      const err = (await within(reader.readuntil(b('\r\n')).catch((e: unknown) => e))) as LimitOverrunError;
      expect(err).toBeInstanceOf(LimitOverrunError);
      const all = await within(reader.read());
      expect(all.length).toBe(3000);
    } finally {
      await raw.close();
    }
  });

  it('a peer that stalls: a read with a timeout rejects with TimeoutError, consuming nothing', async () => {
    let peer: net.Socket | null = null;
    const raw = await rawServer((s) => {
      peer = s;
      s.write('hal');
    });
    try {
      const [reader] = await within(openConnection('127.0.0.1', raw.port, { reactor: h.r }));
      await expect(reader.readline({ timeout: 0.1 })).rejects.toBeInstanceOf(TimeoutError);
      peer!.write('f\n');
      expect((await within(reader.readline())).toString()).toBe('half\n');
    } finally {
      await raw.close();
    }
  });

  it('EOF inside readexactly gives IncompleteReadError with the partial bytes', async () => {
    const raw = await rawServer((s) => {
      s.end('abc');
    });
    try {
      const [reader] = await within(openConnection('127.0.0.1', raw.port, { reactor: h.r }));
      const err = (await within(reader.readexactly(10).catch((e: unknown) => e))) as IncompleteReadError;
      expect(err).toBeInstanceOf(IncompleteReadError);
      expect(err.partial.toString()).toBe('abc');
    } finally {
      await raw.close();
    }
  });

  it('a refused connection rejects with ConnectionRefusedError (single attempt unwrapped), with either connect path', async () => {
    const raw = await rawServer(() => {});
    const port = raw.port;
    await raw.close();
    await expect(within(openConnection('127.0.0.1', port, { reactor: h.r }))).rejects.toBeInstanceOf(ConnectionRefusedError);
    await expect(within(openConnection('127.0.0.1', port, { reactor: h.r, happyEyeballsDelay: null }))).rejects.toBeInstanceOf(
      ConnectionRefusedError,
    );
  });

  it('drain() waits while the transport is over its high-water mark and resolves once a slow reader takes the bytes', async () => {
    let received = 0;
    let peer: net.Socket | null = null;
    const raw = await rawServer((s) => {
      peer = s;
      s.pause();
      s.on('data', (d: Buffer) => {
        received += d.length;
      });
    });
    const paused = jest.spyOn(StreamReaderProtocol.prototype, 'pauseWriting');
    const resumed = jest.spyOn(StreamReaderProtocol.prototype, 'resumeWriting');
    try {
      const [, writer] = await within(openConnection('127.0.0.1', raw.port, { reactor: h.r }));
      (writer.transport as ITCPTransport).setWriteBufferLimits(64 * 1024);
      const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
      writer.write(big);
      const drained = writer.drain();
      const end = Date.now() + 10000;
      while (paused.mock.calls.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
      expect(paused).toHaveBeenCalled();
      expect(resumed).not.toHaveBeenCalled();
      peer!.resume();
      await within(drained, 20000);
      expect(resumed).toHaveBeenCalled();
      writer.close();
      await within(writer.waitClosed());
      while (received < big.length && Date.now() < end + 10000) await new Promise((r) => setTimeout(r, 5));
      expect(received).toBe(big.length);
    } finally {
      paused.mockRestore();
      resumed.mockRestore();
      await raw.close();
    }
  });

  it('IPv6: a server on ::1 and a client to ::1', async () => {
    const server = await startServer(
      async (reader, writer) => {
        writer.write(await reader.readline());
        writer.close();
      },
      '::1',
      0,
      { reactor: h.r },
    );
    const port = (server.getHost() as IPv6Address).port;
    const [reader, writer] = await within(openConnection('::1', port, { reactor: h.r }));
    expect(writer.getExtraInfo('peername')).toEqual(['::1', port]);
    writer.write(b('six\n'));
    expect((await within(reader.read())).toString()).toBe('six\n');
    await within(server[Symbol.asyncDispose]());
  });

  it('openConnection called before the reactor runs connects once it runs', async () => {
    const r = new Reactor();
    const server = await startServer(
      (_reader, writer) => {
        writer.write(b('hello\n'));
        writer.close();
      },
      '127.0.0.1',
      0,
      { reactor: r },
    );
    const port = (server.getHost() as IPv4Address).port;
    const opening = openConnection('127.0.0.1', port, { reactor: r });
    const done = r.run();
    try {
      const [reader] = await within(opening);
      expect((await within(reader.readline())).toString()).toBe('hello\n');
      await within(server[Symbol.asyncDispose]());
    } finally {
      r.stop();
      await done;
    }
  });

  it('abortClients drops the clients: their readers get the loss; closeClients flushes first', async () => {
    const writers: StreamWriter[] = [];
    const server = await startServer(
      (_r, w) => {
        writers.push(w);
      },
      '127.0.0.1',
      0,
      { reactor: h.r },
    );
    const port = (server.getHost() as IPv4Address).port;
    const [r1] = await within(openConnection('127.0.0.1', port, { reactor: h.r }));
    const [r2] = await within(openConnection('127.0.0.1', port, { reactor: h.r }));
    const end = Date.now() + 5000;
    while (server.clientCount < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
    for (const w of writers) w.write(b('last words\n'));
    server.closeClients();
    expect((await within(r1.read())).toString()).toBe('last words\n');
    expect((await within(r2.read())).toString()).toBe('last words\n');
    const [r3] = await within(openConnection('127.0.0.1', port, { reactor: h.r }));
    while (server.clientCount < 1 && Date.now() < end + 5000) await new Promise((r) => setTimeout(r, 2));
    server.abortClients();
    await expect(within(r3.read())).rejects.toBeInstanceOf(ConnectionLost);
    await within(server[Symbol.asyncDispose]());
  });

  it('UNIX sockets: startUnixServer and openUnixConnection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torsion-streams-'));
    try {
      const path = join(dir, 'kv.sock');
      const server = await startUnixServer(
        async (reader, writer) => {
          const line = await reader.readline();
          writer.write(Buffer.concat([b('got '), line]));
          writer.close();
        },
        path,
        { reactor: h.r },
      );
      const [reader, writer] = await within(openUnixConnection(path, { reactor: h.r }));
      expect(writer.getExtraInfo('peername')).toBe(path);
      writer.write(b('hi\n'));
      expect((await within(reader.read())).toString()).toBe('got hi\n');
      await within(server[Symbol.asyncDispose]());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('TLS', () => {
    it('ssl on both sides: the client resolves after the handshake; peercert, cipher, ssl_object; no writeEof', async () => {
      const server = await startServer(
        async (reader, writer) => {
          const line = await reader.readline();
          writer.write(Buffer.concat([b('secure '), line]));
          await writer.drain();
          writer.close();
        },
        '127.0.0.1',
        0,
        { reactor: h.r, ssl: certs.server() },
      );
      const port = (server.getHost() as IPv4Address).port;
      const [reader, writer] = await within(
        openConnection('127.0.0.1', port, {
          reactor: h.r,
          ssl: optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
        }),
      );
      const cert = writer.getExtraInfo('peercert') as { getSubject(): { commonName: string } };
      expect(cert.getSubject().commonName).toBe('localhost');
      expect(writer.getExtraInfo('cipher')).not.toBeNull();
      expect(writer.getExtraInfo('ssl_object')).toBe(writer.transport);
      expect(writer.canWriteEof()).toBe(false);
      writer.write(b('hello\n'));
      expect((await within(reader.read())).toString()).toBe('secure hello\n');
      await within(server[Symbol.asyncDispose]());
    });

    it('a certificate for the wrong host rejects openConnection with SSLError', async () => {
      const server = await startServer(() => {}, '127.0.0.1', 0, { reactor: h.r, ssl: certs.server('wronghost') });
      const port = (server.getHost() as IPv4Address).port;
      const err = await within(
        openConnection('127.0.0.1', port, {
          reactor: h.r,
          ssl: optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
        }).catch((e: unknown) => e),
      );
      expect(err).toBeInstanceOf(SSLError);
      server.abortClients();
      await within(server[Symbol.asyncDispose]().catch(() => {}));
    });

    it('a server that never answers the handshake: SSLError(timeout) after sslHandshakeTimeout', async () => {
      const raw = await rawServer(() => {});
      try {
        const err = (await within(
          openConnection('127.0.0.1', raw.port, {
            reactor: h.r,
            ssl: optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
            sslHandshakeTimeout: 0.2,
          }).catch((e: unknown) => e),
        )) as SSLError;
        expect(err).toBeInstanceOf(SSLError);
        expect(err.reason).toBe('timeout');
      } finally {
        await raw.close();
      }
    });

    it('startTls upgrades a plaintext connection in place on both sides', async () => {
      const done: Array<Promise<void>> = [];
      const server = await startServer(
        (reader: StreamReader, writer: StreamWriter) => {
          done.push(
            (async () => {
              expect((await reader.readline()).toString()).toBe('STARTTLS\n');
              writer.write(b('GO\n'));
              await writer.startTls(certs.server());
              const line = await reader.readline();
              writer.write(Buffer.concat([b('tls '), line]));
              writer.close();
            })(),
          );
        },
        '127.0.0.1',
        0,
        { reactor: h.r },
      );
      const port = (server.getHost() as IPv4Address).port;
      const [reader, writer] = await within(openConnection('127.0.0.1', port, { reactor: h.r }));
      writer.write(b('STARTTLS\n'));
      expect((await within(reader.readline())).toString()).toBe('GO\n');
      await within(writer.startTls(optionsForClientTLS('localhost', { trustRoot: certs.ca() })));
      expect(writer.getExtraInfo('peercert')).not.toBeNull();
      writer.write(b('secret\n'));
      expect((await within(reader.read())).toString()).toBe('tls secret\n');
      await within(Promise.all(done));
      await within(server[Symbol.asyncDispose]());
    });
  });
});
