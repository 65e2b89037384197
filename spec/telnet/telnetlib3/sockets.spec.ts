/**
 * createTelnetServer + openTelnetConnection over real sockets on 127.0.0.1.
 */
import * as net from 'node:net';
import { IPv4Address } from 'torsion/address';
import { ConnectionRefusedError } from 'torsion/error';
import type { IListeningPort } from 'torsion/interfaces';
import { Reactor } from 'torsion/reactor';
import {
  type BaseServer,
  TelnetReader,
  TelnetServer,
  type TelnetServerOptions,
  TelnetWriter,
  createTelnetServer,
  openTelnetConnection,
} from 'torsion/telnet';

let reactor: Reactor;
let done: Promise<void>;
const ports: IListeningPort[] = [];

beforeEach(() => {
  reactor = new Reactor();
  done = reactor.run() as unknown as Promise<void>;
});

afterEach(async () => {
  for (const p of ports.splice(0))
    await p
      .stopListening()
      .asPromise()
      .catch(() => undefined);
  if (reactor.running) reactor.stop();
  await done;
});

async function serve(opts: Parameters<typeof createTelnetServer>[0]): Promise<number> {
  const port = await createTelnetServer({ host: '127.0.0.1', port: 0, reactor, ...opts });
  ports.push(port);
  return (port.getHost() as IPv4Address).port;
}

describe('telnet over loopback sockets', () => {
  it('the shell greets, reads a name and answers; both ends negotiated the terminal', async () => {
    const seen: Record<string, unknown> = {};
    let serverProto: BaseServer | null = null;
    const port = await serve({
      protocolFactory: (o: TelnetServerOptions) => {
        serverProto = new TelnetServer(o);
        return serverProto;
      },
      shell: async (reader, writer) => {
        seen.term = writer.getExtraInfo('TERM');
        seen.cols = writer.getExtraInfo('cols');
        seen.rows = writer.getExtraInfo('rows');
        seen.peer = writer.getExtraInfo('peername');
        writer.write('Hello! What is your name? ');
        const name = (await reader.readline()).trim();
        writer.write(`Nice to meet you, ${name}.\r\n`);
        writer.close();
      },
    });
    const [reader, writer] = await openTelnetConnection('127.0.0.1', port, {
      reactor,
      connectMinwait: 0,
      term: 'vt220',
      cols: 100,
      rows: 30,
    });
    expect(await reader.readuntilPattern(/name\? $/)).toBe('Hello! What is your name? ');
    writer.write('Ada\r\n');
    expect(await reader.readline()).toBe('Nice to meet you, Ada.\r\n');
    expect(await reader.read()).toBe('');
    await writer.waitClosed();
    expect(seen.term).toBe('vt220');
    expect([seen.rows, seen.cols]).toEqual([30, 100]);
    expect((seen.peer as [string, number])[0]).toBe('127.0.0.1');
    expect(writer.getExtraInfo('peername')).toEqual(['127.0.0.1', port]);
    expect(serverProto!.getExtraInfo('charset')).toBe('UTF-8');
  });

  it('encoding: false gives the byte reader and writer', async () => {
    const port = await serve({
      encoding: false,
      shell: (_reader, writer) => {
        (writer as TelnetWriter).write(Buffer.from([0x41, 0xff, 0x42, 0x0a]));
        writer.close();
      },
    });
    const [reader, writer] = await openTelnetConnection('127.0.0.1', port, { reactor, encoding: false, connectMinwait: 0 });
    expect(reader).toBeInstanceOf(TelnetReader);
    expect(writer).toBeInstanceOf(TelnetWriter);
    expect(await reader.readline()).toEqual(Buffer.from([0x41, 0xff, 0x42, 0x0a]));
  });

  it('a refused connection rejects with ConnectionRefusedError', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await expect(openTelnetConnection('127.0.0.1', port, { reactor })).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it('a non-telnet server: the client settles after connectMinwait and reads its bytes', async () => {
    const srv = net.createServer((s) => {
      s.on('error', () => {});
      s.end('plain banner\r\n');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      const [reader] = await openTelnetConnection('127.0.0.1', port, { reactor, connectMinwait: 0.05 });
      expect(await reader.readline()).toBe('plain banner\r\n');
      expect(await reader.read()).toBe('');
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('a raw client that never negotiates gets the shell after connectMaxwait', async () => {
    const port = await serve({
      connectMaxwait: 0.2,
      shell: (_r, writer) => {
        writer.write('welcome\r\n');
        writer.close();
      },
    });
    const got = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = net.connect(port, '127.0.0.1');
      s.on('error', reject);
      s.on('data', (d) => chunks.push(d));
      s.on('end', () => resolve(Buffer.concat(chunks)));
    });
    expect(got).toEqual(Buffer.concat([Buffer.from([255, 253, 24]), Buffer.from('welcome\r\n')]));
  });

  it('bad arguments throw typed errors', async () => {
    await expect(openTelnetConnection(42 as never, 23, { reactor })).rejects.toBeInstanceOf(TypeError);
    await expect(openTelnetConnection('127.0.0.1', 70000, { reactor })).rejects.toBeInstanceOf(RangeError);
    await expect(createTelnetServer({ reactor, port: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(createTelnetServer({ reactor, port: 0, encoding: 'nope' })).rejects.toBeInstanceOf(RangeError);
  });
});
