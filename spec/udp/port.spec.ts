import * as dgram from 'node:dgram';
import * as os from 'node:os';

import { IPv4Address, IPv6Address } from '../../src/address';
import { CannotListenError, InvalidAddressError, MessageLengthError } from '../../src/errors';
import { captureLogEvents } from '../../src/logger';
import { DatagramProtocol } from '../../src/protocol';
import { Port, listenUDP } from '../../src/udp';
import { DatagramRecorder, Peer, startReactor, until } from './helpers';

describe('torsion/udp Port on real sockets', () => {
  let env: ReturnType<typeof startReactor>;
  let peers: Peer[] = [];
  const peer = async (host = '127.0.0.1'): Promise<Peer> => {
    const p = new Peer(host);
    peers.push(p);
    await p.ready;
    return p;
  };
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    for (const p of peers) await p.close();
    peers = [];
    await env.stop();
  });

  it('binds 127.0.0.1 port 0 synchronously and reports the port the kernel picked', () => {
    const port = env.reactor.listenUDP(0, new DatagramRecorder(), { interface: '127.0.0.1' });
    expect(port).toBeInstanceOf(Port);
    const host = port.getHost();
    expect(host).toBeInstanceOf(IPv4Address);
    expect(host.host).toBe('127.0.0.1');
    expect(host.port).toBeGreaterThan(0);
  });

  it('listenUDP(reactor, ...) is what reactor.listenUDP calls', async () => {
    const r = new DatagramRecorder();
    r.echo = true;
    const port = listenUDP(env.reactor, 0, r, { interface: '127.0.0.1' });
    const p = await peer();
    p.send(Buffer.from('x'), port.getHost().port);
    await until(() => p.got.length === 1, 'echo');
    expect(p.got[0]!.data.toString()).toBe('x');
  });

  it('echoes over IPv6 on ::1, reporting IPv6Address peers', async () => {
    const r = new DatagramRecorder();
    r.echo = true;
    const port = env.reactor.listenUDP(0, r, { interface: '::1' });
    expect(port.getHost()).toEqual(new IPv6Address('UDP', '::1', port.getHost().port));
    const p = await peer('::1');
    p.send(Buffer.from('six'), port.getHost().port, '::1');
    await until(() => p.got.length === 1, 'echo over ::1');
    expect(r.datagrams[0]!.addr).toBeInstanceOf(IPv6Address);
    expect(r.datagrams[0]!.addr).toMatchObject({ type: 'UDP', host: '::1', port: p.port });
    expect(p.got[0]!.data.toString()).toBe('six');
    expect(() => port.write(Buffer.from('x'), ['127.0.0.1', p.port])).toThrow(InvalidAddressError);
    expect(() => port.write(Buffer.from('x'), ['<broadcast>', p.port])).toThrow(InvalidAddressError);
    expect(() => port.write(Buffer.alloc(65_528), ['::1', p.port])).toThrow(MessageLengthError);
    port.write(Buffer.alloc(65_527), ['::1', p.port]);
    await until(() => p.got.length === 2, 'the largest IPv6 datagram');
    expect(p.got[1]!.data.length).toBe(65_527);
  });

  it("interface '::' is dual-stack: an IPv4 peer arrives as an IPv4-mapped IPv6Address and gets the echo", async () => {
    const r = new DatagramRecorder();
    r.echo = true;
    const port = env.reactor.listenUDP(0, r, { interface: '::' });
    const p = await peer('127.0.0.1');
    p.send(Buffer.from('mapped'), port.getHost().port);
    await until(() => p.got.length === 1, 'echo to the IPv4 peer');
    expect(r.datagrams[0]!.addr).toEqual(new IPv6Address('UDP', '::ffff:127.0.0.1', p.port));
  });

  it('a link-local IPv6 peer is reported with its zone in the host and the interface index as scopeID', async () => {
    const ll = Object.entries(os.networkInterfaces())
      .flatMap(([name, list]) => (list ?? []).map((i) => ({ name, ...i })))
      .find((i) => i.family === 'IPv6' && i.address.startsWith('fe80:') && (i.scopeid ?? 0) > 0);
    if (ll === undefined) {
      console.log('link-local spec skipped: no interface with a link-local IPv6 address');
      return;
    }
    const local = `${ll.address}%${ll.name}`;
    const r = new DatagramRecorder();
    r.echo = true;
    const port = env.reactor.listenUDP(0, r, { interface: '::' });
    const p = new Peer(local);
    peers.push(p);
    try {
      await p.ready;
    } catch (err) {
      console.log(`link-local spec skipped: cannot bind ${local} (${String(err)})`);
      return;
    }
    p.send(Buffer.from('zone'), port.getHost().port, local);
    await until(() => p.got.length === 1, 'the echo to the link-local peer');
    expect(r.datagrams[0]!.addr).toEqual(new IPv6Address('UDP', local, p.port, 0, ll.scopeid));
  });

  it('a port in use throws CannotListenError from listenUDP itself, with EADDRINUSE as cause, and starts nothing', () => {
    const first = env.reactor.listenUDP(0, new DatagramRecorder(), { interface: '127.0.0.1' });
    const r = new DatagramRecorder();
    let err: unknown;
    try {
      env.reactor.listenUDP(first.getHost().port, r, { interface: '127.0.0.1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CannotListenError);
    expect(err).toMatchObject({ interface: '127.0.0.1', port: first.getHost().port, cause: { code: 'EADDRINUSE' } });
    expect(r.events).toEqual([]);
    expect(r.transport).toBe(null);
  });

  it('an address that is not local throws CannotListenError (EADDRNOTAVAIL)', () => {
    expect(() => env.reactor.listenUDP(0, new DatagramRecorder(), { interface: '192.0.2.99' })).toThrow(CannotListenError);
  });

  it('cuts datagrams to maxPacketSize as recvfrom would, and warns once per port', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenUDP(0, r, { interface: '127.0.0.1', maxPacketSize: 10 });
    const p = await peer();
    const [events, stopCapture] = captureLogEvents();
    try {
      p.send(Buffer.from('0123456789abcdef'), port.getHost().port);
      p.send(Buffer.from('short'), port.getHost().port);
      p.send(Buffer.from('0123456789ABCDEF'), port.getHost().port);
      await until(() => r.datagrams.length === 3, 'three datagrams');
    } finally {
      stopCapture();
    }
    expect(r.datagrams.map((d) => d.data.toString())).toEqual(['0123456789', 'short', '0123456789']);
    const warnings = events.filter((e) => e.level === 'warn' && /maxPacketSize/.test(e.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/16 bytes was cut to maxPacketSize \(10\)/);
  });

  it('the default maxPacketSize is 8192: a 9000-byte datagram arrives as 8192 bytes', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenUDP(0, r, { interface: '127.0.0.1' });
    const p = await peer();
    const [, stopCapture] = captureLogEvents();
    p.send(Buffer.alloc(9000, 7), port.getHost().port);
    await until(() => r.datagrams.length === 1, 'the big datagram');
    stopCapture();
    expect(r.datagrams[0]!.data.length).toBe(8192);
  });

  it('a datagramReceived that throws, or rejects, is logged and the port keeps reading', async () => {
    const got: string[] = [];
    class Flaky extends DatagramProtocol {
      override datagramReceived(data: Buffer): void {
        got.push(data.toString());
        if (data.toString() === 'throw') throw new Error('boom');
        // biome-ignore lint/correctness/noVoidTypeReturn: an async-style callback returning a rejected Promise
        if (data.toString() === 'reject') return Promise.reject(new Error('async boom')) as unknown as undefined;
      }
    }
    const port = env.reactor.listenUDP(0, new Flaky(), { interface: '127.0.0.1' });
    const p = await peer();
    const [events, stopCapture] = captureLogEvents();
    try {
      for (const m of ['throw', 'reject', 'after']) p.send(Buffer.from(m), port.getHost().port);
      await until(
        () => got.length === 3 && events.filter((e) => e.failure !== undefined).length === 2,
        'all three and two logged failures',
      );
    } finally {
      stopCapture();
    }
    expect(got).toEqual(['throw', 'reject', 'after']);
    const logged = events.filter((e) => e.failure !== undefined).map((e) => e.message);
    expect(logged.every((m) => /Unhandled error in datagramReceived/.test(m))).toBe(true);
    expect(port.connected).toBe(true);
  });

  it('removeReader holds datagrams back and addReader delivers them, in order', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenUDP(0, r, { interface: '127.0.0.1' });
    expect(env.reactor.getReaders()).toContain(port);
    env.reactor.removeReader(port);
    const p = await peer();
    const sentinel = new DatagramRecorder();
    const marker = env.reactor.listenUDP(0, sentinel, { interface: '127.0.0.1' });
    for (const m of ['a', 'b', 'c']) p.send(Buffer.from(m), port.getHost().port);
    // A datagram sent after the three to another port: once it is in, the three were read too.
    p.send(Buffer.from('mark'), marker.getHost().port);
    await until(() => sentinel.datagrams.length === 1, 'the marker');
    await new Promise((res) => setImmediate(res));
    expect(r.datagrams).toHaveLength(0);
    env.reactor.addReader(port);
    expect(r.datagrams.map((d) => d.data.toString())).toEqual(['a', 'b', 'c']);
  });

  it('a connected port gets connectionRefused when the peer is gone, and stays open', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenUDP(0, r, { interface: '127.0.0.1' });
    const gone = dgram.createSocket('udp4');
    await new Promise<void>((res) => gone.bind(0, '127.0.0.1', () => res()));
    const deadPort = gone.address().port;
    await new Promise<void>((res) => gone.close(() => res()));
    port.connect('127.0.0.1', deadPort);
    port.write(Buffer.from('anyone?'));
    await until(() => r.events.includes('connectionRefused'), 'connectionRefused');
    expect(port.connected).toBe(true);
    expect(r.errors).toEqual([]);
  });

  it('an unconnected port drops the refusal silently (as Twisted)', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenUDP(0, r, { interface: '127.0.0.1' });
    const gone = dgram.createSocket('udp4');
    await new Promise<void>((res) => gone.bind(0, '127.0.0.1', () => res()));
    const deadPort = gone.address().port;
    await new Promise<void>((res) => gone.close(() => res()));
    const p = await peer();
    port.write(Buffer.from('void'), ['127.0.0.1', deadPort]);
    port.write(Buffer.from('ok'), ['127.0.0.1', p.port]);
    await until(() => p.got.length === 1, 'the second datagram');
    expect(r.events).toEqual(['startProtocol']);
    expect(r.errors).toEqual([]);
  });

  it('an OS send error (broadcast without permission: EACCES) goes to errorReceived; the port stays open', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenUDP(0, r, {});
    port.write(Buffer.from('all'), ['<broadcast>', 9]);
    await until(() => r.errors.length === 1, 'errorReceived');
    expect(r.errors[0]!.value).toMatchObject({ code: 'EACCES' });
    expect(port.connected).toBe(true);
    port.setBroadcastAllowed(true);
    expect(port.getBroadcastAllowed()).toBe(true);
  });

  it('reactor.stop() closes every UDP port: stopProtocol runs', async () => {
    const r = new DatagramRecorder();
    env.reactor.listenUDP(0, r, { interface: '127.0.0.1' });
    await env.stop();
    expect(r.events).toEqual(['startProtocol', 'stopProtocol']);
  });

  it('datagrams written after stopListening are dropped without an error', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenUDP(0, r, { interface: '127.0.0.1' });
    const d = port.stopListening();
    expect(() => port.write(Buffer.from('late'), ['127.0.0.1', 9])).not.toThrow();
    await d;
    expect(port.connected).toBe(false);
  });

  it('bad listenUDP arguments throw typed errors naming the argument, and the reactor keeps working', async () => {
    const r = new DatagramRecorder();
    expect(() => env.reactor.listenUDP(-1, r)).toThrow(RangeError);
    expect(() => env.reactor.listenUDP(70000, r)).toThrow(/port must be an integer in 0-65535/);
    expect(() => env.reactor.listenUDP('53' as unknown as number, r)).toThrow(TypeError);
    expect(() => env.reactor.listenUDP(0, r, null as unknown as object)).toThrow(TypeError);
    expect(() => env.reactor.listenUDP(0, null as unknown as DatagramRecorder)).toThrow(TypeError);
    expect(() => env.reactor.listenUDP(0, r, { interface: 'example.com' })).toThrow(/IP address literal/);
    expect(() => env.reactor.listenMulticast(0, r, { listenMultiple: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(r.events).toEqual([]);
    r.echo = true;
    const port = env.reactor.listenUDP(0, r, { interface: '127.0.0.1' });
    const p = await peer();
    p.send(Buffer.from('alive'), port.getHost().port);
    await until(() => p.got.length === 1, 'the echo');
  });

  it('bad write arguments throw the contract errors (host name, wrong family, size, string)', () => {
    const port = env.reactor.listenUDP(0, new DatagramRecorder(), { interface: '127.0.0.1' });
    expect(() => port.write(Buffer.from('x'), ['example.com', 9])).toThrow(InvalidAddressError);
    expect(() => port.write(Buffer.from('x'), ['::1', 9])).toThrow(/IPv6 address, but this port is IPv4/);
    expect(() => port.write(Buffer.alloc(65_508), ['127.0.0.1', 9])).toThrow(MessageLengthError);
    expect(() => port.write('x' as unknown as Buffer, ['127.0.0.1', 9])).toThrow(TypeError);
    expect(() => port.connect('127.0.0.1', 0)).toThrow(RangeError);
    expect(() => port.connect('::1', 9)).toThrow(InvalidAddressError);
  });
});
