/**
 * The addon's socket primitives: TCP keepalive interval/count on a real
 * torsion TCP connection, and UNIX datagram sockets (paths in a temp dir,
 * abstract names) watched with addReader on a real reactor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Deferred } from '../../src/defer/deferred';
import { RuntimeError } from '../../src/errors';
import { ClientFactory, Factory, Protocol } from '../../src/protocol';
import { Reactor } from '../../src/reactor';
import { getTcpKeepAliveParams, setTcpKeepAliveParams, UnixDatagramSocket, type UnixDatagram } from '../../src/native/sockets';
import { describeNative, tempDir } from './helpers';

let reactor: Reactor;
let done: Promise<void>;
let dir: string;
let rmDir: () => void;
const sockets: UnixDatagramSocket[] = [];
beforeEach(() => {
  reactor = new Reactor();
  done = reactor.run();
  [dir, rmDir] = tempDir('torsion-dgram-');
});
afterEach(async () => {
  if (reactor.running) reactor.stop();
  await done;
  for (const s of sockets.splice(0)) s.close();
  rmDir();
});
function open(): UnixDatagramSocket {
  const s = UnixDatagramSocket.open();
  sockets.push(s);
  return s;
}

describeNative('TCP keepalive interval and count', () => {
  it('are set on the fd of a connected torsion TCP transport', async () => {
    const connected = new Deferred<Protocol>();
    const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: '127.0.0.1' });
    class Client extends Protocol {
      override connectionMade(): void {
        connected.callback(this);
      }
    }
    reactor.connectTCP('127.0.0.1', (port.getHost() as { port: number }).port, ClientFactory.forProtocol(Client));
    const client = await new Promise<Protocol>((resolve) => connected.addCallback(resolve));
    const fd = (client.transport as unknown as { fileno(): number }).fileno();
    expect(fd).toBeGreaterThanOrEqual(0);
    setTcpKeepAliveParams(fd, 7, 3);
    expect(getTcpKeepAliveParams(fd)).toEqual({ intervalSeconds: 7, count: 3 });
    client.transport?.loseConnection();
    await port.stopListening();
  });

  it('refuse bad values and a fd that is not a TCP socket', () => {
    expect(() => setTcpKeepAliveParams(0, 0, 3)).toThrow(RangeError);
    expect(() => setTcpKeepAliveParams(0, 5, 128)).toThrow(RangeError);
    const s = open();
    expect(() => setTcpKeepAliveParams(s.fd, 5, 3)).toThrow(expect.objectContaining({ syscall: 'setsockopt' }));
  });
});

describeNative('UNIX datagram sockets', () => {
  it('send to a bound path; the receiver, watched with addReader, gets each datagram with its sender', async () => {
    const a = open();
    const b = open();
    const pa = path.join(dir, 'a.sock');
    const pb = path.join(dir, 'b.sock');
    a.bind(pa);
    b.bind(pb);
    expect(fs.statSync(pa).isSocket()).toBe(true);
    expect(a.address()).toBe(pa);
    const got: UnixDatagram[] = [];
    const three = new Promise<void>((resolve) => {
      reactor.addReader({
        fileno: () => b.fd,
        logPrefix: () => 'dgram b',
        connectionLost: () => undefined,
        doRead: () => {
          for (let d = b.recv(); d !== null; d = b.recv()) got.push(d);
          if (got.length === 3) resolve();
        },
      });
    });
    for (const text of ['one', 'two', '']) expect(a.send(Buffer.from(text), pb)).toBe(text.length);
    await three;
    expect(got.map((d) => [d.data.toString(), d.size, d.sender])).toEqual([
      ['one', 3, pa],
      ['two', 3, pa],
      ['', 0, pa],
    ]);
  });

  it('cuts a datagram at maxSize and reports its real size; nothing waiting is null', () => {
    const a = open();
    const b = open();
    b.bind(path.join(dir, 'b'));
    a.send(Buffer.alloc(100, 1), path.join(dir, 'b'));
    const d = b.recv(10);
    expect(d?.data.length).toBe(10);
    expect(d?.size).toBe(100);
    expect(d?.sender).toBeNull(); // a is not bound
    expect(b.recv()).toBeNull();
  });

  it('connect() fixes the peer; abstract names start with a NUL', () => {
    const a = open();
    const b = open();
    const name = `\0torsion-spec-${process.pid}-${Date.now()}`;
    b.bind(name);
    expect(b.address()).toBe(name);
    a.connect(name);
    expect(a.send(Buffer.from('hi'))).toBe(2);
    expect(b.recv()?.data.toString()).toBe('hi');
  });

  it('errors are Node-shaped system errors: no such path, path in use, path too long; a closed socket is a RuntimeError', () => {
    const a = open();
    expect(() => a.send(Buffer.from('x'), path.join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const p = path.join(dir, 'used');
    a.bind(p);
    expect(() => open().bind(p)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
    expect(() => open().bind(`/tmp/${'x'.repeat(120)}`)).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }));
    a.close();
    a.close();
    expect(() => a.recv()).toThrow(RuntimeError);
  });
});
