import { IPv4Address } from '../../src/address';
import { RuntimeError } from '../../src/errors';
import { Protocol } from '../../src/protocol/protocol';
import { FakeTransport } from '../../src/testing/fake-transport';
import { connect } from '../../src/testing/io-pump';
import { Recorder, StrictPushProducer } from './recorder';

describe('FakeTransport', () => {
  it('gives each transport a distinct integer serial', () => {
    const a = new FakeTransport(new Protocol(), true);
    const b = new FakeTransport(new Protocol(), false);
    expect(Number.isInteger(a.serial)).toBe(true);
    expect(Number.isInteger(b.serial)).toBe(true);
    expect(a.serial).not.toBe(b.serial);
  });

  it('write and writeSequence queue bytes for the pump; getWriteBufferSize counts them', () => {
    const t = new FakeTransport(new Protocol(), false);
    t.write(Buffer.from('a'));
    t.writeSequence([Buffer.from('b'), Buffer.from('c'), new Uint8Array([0x64])]);
    expect(t.getWriteBufferSize()).toBe(4);
    expect(t._takeOutput()!.toString()).toBe('abcd');
    expect(t.getWriteBufferSize()).toBe(0);
    expect(t._takeOutput()).toBeNull();
  });

  it('keeps a copy of written bytes', () => {
    const t = new FakeTransport(new Protocol(), false);
    const buf = Buffer.from('abc');
    t.write(buf);
    buf.fill(0);
    expect(t._takeOutput()!.toString()).toBe('abc');
  });

  it('write(string) throws a TypeError that says to encode it', () => {
    const t = new FakeTransport(new Protocol(), false);
    expect(() => t.write('x' as unknown as Buffer)).toThrow(/encode/);
    expect(() => t.writeSequence(['x' as unknown as Buffer])).toThrow(TypeError);
  });

  it('keeps writes made after loseConnection/loseWriteConnection until the close, as a real transport', () => {
    const t = new FakeTransport(new Protocol(), false);
    t.write(Buffer.from('kept'));
    t.loseConnection();
    t.write(Buffer.from(' late'));
    expect(t._takeOutput()!.toString()).toBe('kept late');
    const u = new FakeTransport(new Protocol(), false);
    u.loseWriteConnection();
    u.write(Buffer.from('late'));
    expect(u.getWriteBufferSize()).toBe(4);
    const v = new FakeTransport(new Protocol(), false);
    v.abortConnection();
    v.write(Buffer.from('dropped'));
    expect(v.getWriteBufferSize()).toBe(0);
  });

  it('abortConnection drops what is still buffered', () => {
    const t = new FakeTransport(new Protocol(), false);
    t.write(Buffer.from('lost'));
    t.abortConnection();
    expect(t.getWriteBufferSize()).toBe(0);
    expect(t.aborted).toBe(true);
    expect(t.disconnecting).toBe(true);
  });

  it('default addresses mirror each other: the server host is the client peer and vice versa', () => {
    const s = new FakeTransport(new Protocol(), true);
    const c = new FakeTransport(new Protocol(), false);
    expect(s.getHost()).toBeInstanceOf(IPv4Address);
    expect(s.getHost()).toEqual(c.getPeer());
    expect(c.getHost()).toEqual(s.getPeer());
  });

  it('reports the addresses it was given', () => {
    const host = new IPv4Address('TCP', '10.0.0.1', 1);
    const peer = new IPv4Address('TCP', '10.0.0.2', 2);
    const t = new FakeTransport(new Protocol(), true, { hostAddress: host, peerAddress: peer });
    expect(t.getHost()).toBe(host);
    expect(t.getPeer()).toBe(peer);
  });

  it('registering a second producer throws RuntimeError and keeps the first', () => {
    const t = new FakeTransport(new Protocol(), false);
    const p = new StrictPushProducer();
    t.registerProducer(p, true);
    expect(() => t.registerProducer(new StrictPushProducer(), true)).toThrow(RuntimeError);
    expect(t.producer).toBe(p);
  });

  it('unregisterProducer without a producer is allowed (as on a real transport)', () => {
    const t = new FakeTransport(new Protocol(), false);
    expect(() => t.unregisterProducer()).not.toThrow();
  });

  it('resumes a pull producer as soon as it is registered', () => {
    const t = new FakeTransport(new Protocol(), false);
    const resume = jest.fn();
    t.registerProducer({ resumeProducing: resume, stopProducing: () => {} }, false);
    expect(resume).toHaveBeenCalledTimes(1);
  });

  it('a producer registered after the connection was lost is stopped at once and not kept', () => {
    const server = new Recorder();
    const client = new Recorder();
    const sio = new FakeTransport(server, true);
    const cio = new FakeTransport(client, false);
    const pump = connect(server, sio, client, cio);
    cio.loseConnection();
    pump.flush();
    const p = new StrictPushProducer();
    cio.registerProducer(p, true);
    expect(p.calls).toEqual(['stop']);
    expect(cio.producer).toBeNull();
  });

  it('setTcpNoDelay/setTcpKeepAlive are reported back; setWriteBufferLimits checks high >= low >= 0', () => {
    const t = new FakeTransport(new Protocol(), false);
    t.setTcpNoDelay(true);
    t.setTcpKeepAlive(true);
    expect(t.getTcpNoDelay()).toBe(true);
    expect(t.getTcpKeepAlive()).toBe(true);
    expect(() => t.setWriteBufferLimits(1, 2)).toThrow(RangeError);
  });

  it('stopProducing on the transport is loseConnection', () => {
    const t = new FakeTransport(new Protocol(), false);
    t.stopProducing();
    expect(t.disconnecting).toBe(true);
  });
});
