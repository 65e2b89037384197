/**
 * connectUNIX/listenUNIX on real UNIX sockets in temp directories, on both
 * paths: Node's private pipe binding (NativeStreams) and the public one
 * (net.Socket, net._createServerHandle) switched on with _setBindings(false).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UNIXAddress } from '../../src/address';
import {
  BadFileError,
  CannotListenError,
  ConnectError,
  ConnectionAborted,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  FeatureUnavailableError,
  NativeAddonUnavailableError,
} from '../../src/errors';
import { Protocol } from '../../src/protocol';
import { _setBindings, bindings } from '../../src/tcp/bindings';
import { NativeStream } from '../../src/tcp/native-stream';
import { Client, FilesystemLock, Server, isLocked } from '../../src/unix';
import { RecordingClientFactory, RecordingProtocol, RecordingServerFactory, useReactor, within } from '../tcp/harness';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const BINDINGS_OFF = (process.env.TORSION_NO_BINDINGS ?? '') !== '' && process.env.TORSION_NO_BINDINGS !== '0';
const MODES: readonly ('private binding' | 'public net API')[] = BINDINGS_OFF
  ? ['public net API']
  : ['private binding', 'public net API'];

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-unix-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
const sock = (name = 's.sock'): string => path.join(dir, name);

/** A pid that no live process has: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** A socket file nobody listens on (a hard link to a listening socket, kept after it closed). */
async function staleSocket(h: { r: import('../../src/reactor').Reactor }, file: string): Promise<void> {
  const tmp = sock('tmp-listener.sock');
  const port = h.r.listenUNIX(tmp, new RecordingServerFactory());
  fs.linkSync(tmp, file);
  await within(port.stopListening(), 5000, 'stopListening');
  expect(fs.lstatSync(file).isSocket()).toBe(true);
}

class Echo extends Protocol {
  override dataReceived(data: Buffer): void {
    this.transport?.write(data);
  }
}

describe.each(MODES)('UNIX sockets through the %s (integration)', (mode) => {
  const h = useReactor();
  beforeEach(() => {
    const on = mode === 'private binding';
    expect(_setBindings(on)).toBe(on);
    if (on) expect(bindings()?.pipe).not.toBeNull();
  });
  afterEach(() => {
    _setBindings(true);
  });

  it("runs the connector lifecycle, with TCP's factory order, and the addresses Twisted gives", async () => {
    const path1 = sock();
    const sf = new RecordingServerFactory(Echo as unknown as new () => RecordingProtocol);
    const addrs: unknown[] = [];
    const orig = sf.buildProtocol.bind(sf);
    sf.buildProtocol = (addr) => (addrs.push(addr), orig(addr));
    const port = h.r.listenUNIX(path1, sf);
    // Known synchronously, and the file is there.
    expect(port.getHost()).toEqual(new UNIXAddress(path1));
    expect(fs.lstatSync(path1).isSocket()).toBe(true);
    expect(sf.starts).toBe(1);

    const cf = new RecordingClientFactory();
    const connector = h.r.connectUNIX(path1, cf);
    expect(calls(cf)).toEqual(['doStart', 'startedConnecting']);
    expect(connector.getDestination()).toEqual(new UNIXAddress(path1));
    const p = await within(cf.protocols.length > 0 ? cf.protocols[0].made : waitBuilt(cf), 5000, 'connectionMade');
    const t = p.transport as Client;
    expect(t).toBeInstanceOf(Client);
    expect(t._socket instanceof NativeStream).toBe(mode === 'private binding');
    expect(t.addressFamily).toBe('UNIX');
    expect(t.socketType).toBe('stream');
    expect(t._requiresResolution).toBe(false);
    expect(t.getPeer()).toEqual(new UNIXAddress(path1));
    expect(t.getHost()).toEqual(new UNIXAddress(null));
    expect(cf.events.find((e) => e[0] === 'buildProtocol')).toEqual(['buildProtocol', new UNIXAddress(path1)]);
    expect(addrs).toEqual([new UNIXAddress(null)]);
    await waitFor(() => sf.protocols.length === 1);
    const st = sf.protocols[0].transport as Server;
    expect(st).toBeInstanceOf(Server);
    expect(st.getPeer()).toEqual(new UNIXAddress(null));
    expect(st.getHost()).toEqual(new UNIXAddress(path1));

    t.write(Buffer.from('ping'));
    await waitFor(() => Buffer.concat(p.received).toString() === 'ping');
    t.loseConnection();
    const reason = await within(cf.lost, 5000, 'clientConnectionLost');
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(calls(cf)).toEqual(['doStart', 'startedConnecting', 'buildProtocol', 'clientConnectionLost', 'doStop']);
    expect(p.events.map((e) => e[0])).toEqual(['connectionMade', 'dataReceived', 'connectionLost']);

    await within(port.stopListening(), 5000, 'stopListening');
    expect(sf.stops).toBe(1);
    expect(fs.existsSync(path1)).toBe(false);
  });

  it('moves several MiB both ways intact, with flow control holding a paused reader', async () => {
    const file = sock();
    const size = 4 * 1024 * 1024;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + (i >> 8)) & 0xff;
    const sf = new RecordingServerFactory(Echo as unknown as new () => RecordingProtocol);
    h.r.listenUNIX(file, sf);
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf);
    const p = await within(waitBuilt(cf), 5000, 'connectionMade');
    const t = p.transport as Client;
    t.pauseProducing();
    t.write(payload);
    // The paused client reads nothing: the echo backs up into the server's buffer.
    await waitFor(() => sf.protocols.length === 1 && (sf.protocols[0].transport as Server).getWriteBufferSize() > 0, 10000);
    expect(p.received.length).toBe(0);
    t.resumeProducing();
    await waitFor(() => p.received.reduce((n, b) => n + b.length, 0) >= size, 20000);
    expect(sha(Buffer.concat(p.received))).toBe(sha(payload));
    t.loseConnection();
    await within(cf.lost, 5000, 'lost');
  });

  it('half-closes: loseWriteConnection sends EOF and the peer can still answer', async () => {
    const file = sock();
    class Answer extends RecordingProtocol {
      readConnectionLost(): void {
        this.transport?.write(Buffer.from('bye'));
        this.transport?.loseConnection();
      }
    }
    h.r.listenUNIX(file, new RecordingServerFactory(Answer));
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf);
    const p = await within(waitBuilt(cf), 5000, 'connectionMade');
    (p.transport as Client).loseWriteConnection();
    const reason = await within(cf.lost, 5000, 'lost');
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(Buffer.concat(p.received).toString()).toBe('bye');
  });

  it('abortConnection ends both sides at once', async () => {
    const file = sock();
    const sf = new RecordingServerFactory();
    h.r.listenUNIX(file, sf);
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf);
    const p = await within(waitBuilt(cf), 5000, 'connectionMade');
    await waitFor(() => sf.protocols.length === 1);
    (p.transport as Client).abortConnection();
    expect((await within(cf.lost, 5000, 'client lost')).value).toBeInstanceOf(ConnectionAborted);
    const serverReason = await within(sf.protocols[0].lost, 5000, 'server lost');
    expect(serverReason.value instanceof ConnectionDone || serverReason.value instanceof ConnectionLost).toBe(true);
  });

  it('chmods the socket file to mode', () => {
    const file = sock();
    h.r.listenUNIX(file, new RecordingServerFactory(), { mode: 0o600 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const other = sock('b.sock');
    h.r.listenUNIX(other, new RecordingServerFactory(), { mode: 0o640 });
    expect(fs.statSync(other).mode & 0o777).toBe(0o640);
  });

  it('refuses an existing socket file (EADDRINUSE) with CannotListenError at the call', () => {
    const file = sock();
    h.r.listenUNIX(file, new RecordingServerFactory());
    const sf = new RecordingServerFactory();
    let err: unknown;
    try {
      h.r.listenUNIX(file, sf);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CannotListenError);
    expect((err as CannotListenError).code).toBe('ERR_CANNOT_LISTEN');
    expect(((err as CannotListenError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect((err as Error).message).toContain(file);
    expect(sf.starts).toBe(0);
  });

  it('refuses a missing directory and an over-long path with CannotListenError', () => {
    const missing = path.join(dir, 'no', 'such', 'dir', 's.sock');
    expect(() => h.r.listenUNIX(missing, new RecordingServerFactory())).toThrow(
      expect.objectContaining({ code: 'ERR_CANNOT_LISTEN', message: expect.stringContaining(path.dirname(missing)) }),
    );
    const long = path.join(dir, 'x'.repeat(120));
    let err: unknown;
    try {
      h.r.listenUNIX(long, new RecordingServerFactory());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CannotListenError);
    expect((err as CannotListenError).cause).toBeInstanceOf(RangeError);
    expect(((err as CannotListenError).cause as Error).message).toContain('107');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('fails a missing socket file with a ConnectError naming the file', async () => {
    const file = sock('absent.sock');
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf);
    const reason = await within(cf.failed, 5000, 'clientConnectionFailed');
    expect(reason.value).toBeInstanceOf(ConnectError);
    expect(reason.value).not.toBeInstanceOf(ConnectionRefusedError);
    expect((reason.value as Error).message).toContain(file);
    expect(((reason.value as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(calls(cf)).toEqual(['doStart', 'startedConnecting', 'clientConnectionFailed', 'doStop']);
  });

  it('fails a socket file nobody listens on with ConnectionRefusedError', async () => {
    const file = sock('stale.sock');
    await staleSocket(h, file);
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf);
    const reason = await within(cf.failed, 5000, 'clientConnectionFailed');
    expect(reason.value).toBeInstanceOf(ConnectionRefusedError);
    expect((reason.value as Error).message).toContain(file);
  });

  it('checkPID: without a live lock holder the attempt fails asynchronously with BadFileError', async () => {
    const file = sock();
    h.r.listenUNIX(file, new RecordingServerFactory());
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf, { checkPID: true });
    expect(calls(cf)).toEqual(['doStart', 'startedConnecting']);
    const reason = await within(cf.failed, 5000, 'clientConnectionFailed');
    expect(reason.value).toBeInstanceOf(BadFileError);
    expect((reason.value as BadFileError).address).toBe(file);
    // A stale lock is reported the same way, and left alone.
    fs.symlinkSync(String(deadPid()), `${file}.lock`);
    const cf2 = new RecordingClientFactory();
    h.r.connectUNIX(file, cf2, { checkPID: true });
    expect((await within(cf2.failed, 5000, 'failed')).value).toBeInstanceOf(BadFileError);
    expect(fs.lstatSync(`${file}.lock`).isSymbolicLink()).toBe(true);
  });

  it('wantPID: takes the lock, refuses a second listener, releases it on stopListening; checkPID then connects', async () => {
    const file = sock();
    const port = h.r.listenUNIX(file, new RecordingServerFactory(), { wantPID: true });
    expect(fs.readlinkSync(`${file}.lock`)).toBe(String(process.pid));
    expect(port.lockFile?.locked).toBe(true);
    expect(() => h.r.listenUNIX(file, new RecordingServerFactory(), { wantPID: true })).toThrow(
      expect.objectContaining({ code: 'ERR_CANNOT_LISTEN', message: expect.stringContaining('Cannot acquire lock') }),
    );
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf, { checkPID: true });
    const p = await within(waitBuilt(cf), 5000, 'connectionMade');
    p.transport?.loseConnection();
    await within(cf.lost, 5000, 'lost');
    await within(port.stopListening(), 5000, 'stopListening');
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
  });

  it("wantPID: a dead server's stale lock and socket file are replaced", async () => {
    const file = sock();
    await staleSocket(h, file);
    fs.symlinkSync(String(deadPid()), `${file}.lock`);
    // Without wantPID the leftover file is in the way.
    expect(() => h.r.listenUNIX(file, new RecordingServerFactory())).toThrow(CannotListenError);
    const port = h.r.listenUNIX(file, new RecordingServerFactory(), { wantPID: true });
    expect(port.lockFile?.clean).toBe(false);
    expect(fs.readlinkSync(`${file}.lock`)).toBe(String(process.pid));
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf);
    const p = await within(waitBuilt(cf), 5000, 'connectionMade');
    p.transport?.loseConnection();
    await within(cf.lost, 5000, 'lost');
  });

  it('a failed listen releases the lock it took', () => {
    const file = sock();
    h.r.listenUNIX(file, new RecordingServerFactory());
    expect(() => h.r.listenUNIX(file, new RecordingServerFactory(), { wantPID: true })).toThrow(CannotListenError);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('has no TCP options and no file descriptor passing', async () => {
    const file = sock();
    const sf = new RecordingServerFactory();
    h.r.listenUNIX(file, sf);
    const cf = new RecordingClientFactory();
    h.r.connectUNIX(file, cf);
    const p = await within(waitBuilt(cf), 5000, 'connectionMade');
    await waitFor(() => sf.protocols.length === 1);
    for (const t of [p.transport as Client, sf.protocols[0].transport as Server]) {
      expect(() => t.sendFileDescriptor(0)).toThrow(FeatureUnavailableError);
      expect(() => t.setTcpNoDelay(true)).toThrow(expect.objectContaining({ code: 'ERR_FEATURE_UNAVAILABLE' }));
      expect(() => t.setTcpKeepAlive(true)).toThrow(FeatureUnavailableError);
    }
    p.transport?.loseConnection();
    await within(cf.lost, 5000, 'lost');
  });
});

/** The client factory's callbacks, without the startFactory/stopFactory that doStart/doStop run. */
function calls(cf: RecordingClientFactory): string[] {
  return cf.names().filter((n) => n !== 'startFactory' && n !== 'stopFactory');
}

async function waitBuilt(cf: RecordingClientFactory): Promise<RecordingProtocol> {
  await waitFor(() => cf.protocols.length > 0);
  return cf.protocols[0].made;
}

/** Poll a condition each turn of the event loop (setImmediate), failing after `ms`. */
async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('UNIX socket arguments (checked at the call)', () => {
  const h = useReactor();
  const cf = (): RecordingClientFactory => new RecordingClientFactory();
  const sf = (): RecordingServerFactory => new RecordingServerFactory();

  it.each([
    ['a number', 42, TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['an empty string', '', RangeError, 'ERR_OUT_OF_RANGE'],
    ['an inner NUL byte', '/tmp/a\0b', RangeError, 'ERR_OUT_OF_RANGE'],
  ])('connectUNIX and listenUNIX refuse %s as address', (_n, address, cls, code) => {
    expect(() => h.r.connectUNIX(address as string, cf())).toThrow(cls);
    expect(() => h.r.connectUNIX(address as string, cf())).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining('address') }),
    );
    expect(() => h.r.listenUNIX(address as string, sf())).toThrow(cls);
  });

  it('connectUNIX refuses a path over 107 bytes with a RangeError naming address; 107 is accepted', async () => {
    const f = cf();
    expect(() => h.r.connectUNIX(`/${'a'.repeat(107)}`, f)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('address') }),
    );
    expect(calls(f)).toEqual([]);
    // Multi-byte characters count as bytes.
    expect(() => h.r.connectUNIX(`/${'é'.repeat(54)}`, cf())).toThrow(RangeError);
    const ok = cf();
    h.r.connectUNIX(`/${'a'.repeat(106)}`, ok);
    expect((await within(ok.failed, 5000, 'failed')).value).toBeInstanceOf(ConnectError);
  });

  it('abstract names need the native addon (NativeAddonUnavailableError at once)', () => {
    if (process.platform !== 'linux') {
      expect(() => h.r.connectUNIX('\0torsion', cf())).toThrow(RangeError);
      return;
    }
    expect(() => h.r.connectUNIX('\0torsion', cf())).toThrow(NativeAddonUnavailableError);
    expect(() => h.r.listenUNIX('\0torsion', sf())).toThrow(expect.objectContaining({ code: 'ERR_NATIVE_ADDON_UNAVAILABLE' }));
  });

  it.each([
    ['timeout', { timeout: -1 }, RangeError],
    ['timeout', { timeout: 'soon' }, TypeError],
    ['checkPID', { checkPID: 'yes' }, TypeError],
  ])('connectUNIX refuses a bad %s', (name, opts, cls) => {
    expect(() => h.r.connectUNIX(sock(), cf(), opts as never)).toThrow(
      expect.objectContaining({ message: expect.stringContaining(name) }),
    );
    expect(() => h.r.connectUNIX(sock(), cf(), opts as never)).toThrow(cls);
  });

  it.each([
    ['backlog', { backlog: -1 }, RangeError],
    ['backlog', { backlog: 1.5 }, RangeError],
    ['mode', { mode: '660' }, TypeError],
    ['mode', { mode: 0o10000 }, RangeError],
    ['wantPID', { wantPID: 1 }, TypeError],
  ])('listenUNIX refuses a bad %s before touching the file system', (name, opts, cls) => {
    const file = sock();
    expect(() => h.r.listenUNIX(file, sf(), opts as never)).toThrow(
      expect.objectContaining({ message: expect.stringContaining(name) }),
    );
    expect(() => h.r.listenUNIX(file, sf(), opts as never)).toThrow(cls);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses factories without the factory methods and options that are not objects', () => {
    expect(() => h.r.connectUNIX(sock(), {} as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('factory') }),
    );
    expect(() => h.r.listenUNIX(sock(), null as never)).toThrow(TypeError);
    expect(() => h.r.connectUNIX(sock(), cf(), 5 as never)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('options') }),
    );
    expect(() => h.r.listenUNIX(sock(), sf(), 'x' as never)).toThrow(TypeError);
  });
});

describe('FilesystemLock and isLocked', () => {
  it('locks once per name, refuses a second holder while the owner lives, unlocks', () => {
    const name = sock('x.lock');
    const a = new FilesystemLock(name);
    expect([a.locked, a.clean]).toEqual([false, false]);
    expect(a.lock()).toBe(true);
    expect([a.locked, a.clean]).toEqual([true, true]);
    expect(fs.readlinkSync(name)).toBe(String(process.pid));
    const b = new FilesystemLock(name);
    expect(b.lock()).toBe(false);
    expect(b.locked).toBe(false);
    a.unlock();
    expect(a.locked).toBe(false);
    expect(fs.existsSync(name)).toBe(false);
    expect(b.lock()).toBe(true);
    b.unlock();
  });

  it('breaks a stale lock (clean false) and refuses to unlock a lock it does not own', () => {
    const name = sock('x.lock');
    fs.symlinkSync(String(deadPid()), name);
    const a = new FilesystemLock(name);
    expect(a.lock()).toBe(true);
    expect(a.clean).toBe(false);
    a.unlock();
    fs.symlinkSync('1', name);
    expect(() => new FilesystemLock(name).unlock()).toThrow(/not owned by this process/);
  });

  it('isLocked reads without modifying: true for a live owner, false for none or a dead one', async () => {
    const name = sock('x.lock');
    expect(isLocked(name)).toBe(false);
    const a = new FilesystemLock(name);
    a.lock();
    expect(isLocked(name)).toBe(true);
    a.unlock();
    fs.symlinkSync(String(deadPid()), name);
    expect(isLocked(name)).toBe(false);
    expect(fs.lstatSync(name).isSymbolicLink()).toBe(true);
    fs.unlinkSync(name);
    fs.symlinkSync('not-a-pid', name);
    expect(() => isLocked(name)).toThrow(/not a lock file/);
    expect(() => isLocked(5 as never)).toThrow(TypeError);
  });
});
