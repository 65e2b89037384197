/**
 * Accepted connections driven straight on libuv's handle (NativeStream),
 * and the same behaviours through the net.Socket path it falls back to.
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { ConnectionLost } from '../../src/errors';
import type { Connection, Port } from '../../src/tcp';
import { NativeStream, _setNativeStreams, nativeStreamsEnabled } from '../../src/tcp/native-stream';
import { lingeringCount } from '../../src/tcp/socket';
import {
  BINDINGS_OFF,
  ACCEPT_MODES,
  RecordingProtocol,
  RecordingServerFactory,
  Signal,
  until,
  useAcceptMode,
  useReactor,
  within,
} from './harness';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A plain node:net client of `port`, collecting what it receives. */
function rawClient(port: Port): { socket: net.Socket; received: Buffer[]; ended: Signal<void>; connected: Signal<void> } {
  const socket = net.connect(port.getHost().port, '127.0.0.1');
  const received: Buffer[] = [];
  const ended = new Signal<void>();
  const connected = new Signal<void>();
  socket.on('connect', () => connected.fire());
  socket.on('data', (d: Buffer) => received.push(d));
  socket.on('end', () => ended.fire());
  socket.on('error', () => {});
  return { socket, received, ended, connected };
}

(BINDINGS_OFF ? describe.skip : describe)('NativeStream on this Node', () => {
  const h = useReactor();
  const clients: net.Socket[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
    _setNativeStreams(true);
  });

  it('is available and on by default', () => {
    expect(nativeStreamsEnabled()).toBe(true);
  });

  it('drives accepted connections, and getHandle() returns the raw libuv handle (fd = fileno()), null once closed', async () => {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    clients.push(rawClient(port).socket);
    const sp = await within(sf.built);
    await within(sp.made);
    const t = sp.transport as unknown as Connection;
    expect(t._socket).toBeInstanceOf(NativeStream);
    const handle = t.getHandle() as { fd?: number };
    expect(handle).not.toBeInstanceOf(net.Socket);
    expect(handle).not.toBeNull();
    expect(handle.fd).toBe(t.fileno());
    expect(t.fileno()).toBeGreaterThanOrEqual(0);
    t.loseConnection();
    await within(sp.lost);
    expect(t.getHandle()).toBeNull();
  });

  it('wraps accepted connections in a net.Socket when switched off (_setNativeStreams(false))', async () => {
    expect(_setNativeStreams(false)).toBe(false);
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    clients.push(rawClient(port).socket);
    const sp = await within(sf.built);
    await within(sp.made);
    const t = sp.transport as unknown as Connection;
    expect(t._socket).not.toBeInstanceOf(NativeStream);
    expect(t.getHandle()).toBeInstanceOf(net.Socket);
  });
});

describe.each(ACCEPT_MODES)('accepted connections (accepted connections: %s)', (mode) => {
  useAcceptMode(mode);
  const h = useReactor();
  const clients: net.Socket[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });
  const accept = async (): Promise<{ sp: RecordingProtocol; t: Connection; c: ReturnType<typeof rawClient> }> => {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const c = rawClient(port);
    clients.push(c.socket);
    const sp = await within(sf.built);
    await within(sp.made);
    await within(c.connected);
    return { sp, t: sp.transport as unknown as Connection, c };
  };

  it('reports a peer reset as ConnectionLost caused by read ECONNRESET', async () => {
    const { sp, c } = await accept();
    c.socket.write('x');
    await until(() => sp.received.length > 0);
    c.socket.resetAndDestroy();
    const reason = await within(sp.lost);
    expect(reason.value).toBeInstanceOf(ConnectionLost);
    const cause = (reason.value as Error).cause as NodeJS.ErrnoException;
    expect(cause.code).toBe('ECONNRESET');
    expect(cause.syscall).toBe('read');
    expect(cause.message).toContain('ECONNRESET');
  });

  it('counts a write the kernel cannot take at once in the buffer until the peer reads it, intact', async () => {
    const { t, c } = await accept();
    c.socket.pause();
    const payload = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload.writeUInt32BE(i, i);
    t.write(payload);
    await new Promise((r) => setImmediate(r));
    expect(t.getWriteBufferSize()).toBeGreaterThan(0);
    expect(t.getWriteBufferSize()).toBeLessThanOrEqual(payload.length);
    c.socket.resume();
    await until(() => c.received.reduce((n, b) => n + b.length, 0) >= payload.length, 10000);
    await until(() => t.getWriteBufferSize() === 0);
    expect(sha(Buffer.concat(c.received))).toBe(sha(payload));
  });

  it('after a graceful close, lingers until the peer sends FIN, then closes', async () => {
    const { sp, t, c } = await accept();
    const before = lingeringCount();
    t.write(Buffer.from('bye'));
    t.loseConnection();
    await within(sp.lost);
    await within(c.ended);
    await until(() => lingeringCount() === before + 1);
    const closed = new Signal<void>();
    c.socket.on('close', () => closed.fire());
    c.socket.end();
    await within(closed);
    await until(() => lingeringCount() === before);
    expect(Buffer.concat(c.received).toString()).toBe('bye');
  });
});
