/**
 * Without the native addon (TORSION_NO_NATIVE=1, a missing build, or the
 * test switch) exactly the addon's features throw
 * NativeAddonUnavailableError, naming the descriptor and saying how to
 * build; everything else works. Runs in every mode, CI's fallback run
 * included.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { FeatureUnavailableError, NativeAddonUnavailableError } from '../../src/errors';
import { nativeAddonStatus, readFromFD, setBlocking, setNonBlocking, writeToFD } from '../../src/fdesc';
import type { IHandleDescriptor } from '../../src/interfaces/fdset';
import { _setNativeUnavailable } from '../../src/native';
import { setTcpKeepAliveParams, UnixDatagramSocket } from '../../src/native/sockets';
import { Reactor } from '../../src/reactor';
import { MemoryReactor } from '../../src/testing';
import { NO_NATIVE } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const raw = () => ({
  fileno: () => 7,
  logPrefix: () => 'my pipe',
  doRead: () => undefined,
  doWrite: () => undefined,
  connectionLost: () => undefined,
});

describe('with the addon switched off', () => {
  beforeEach(() => _setNativeUnavailable('switched off by the test'));
  afterEach(() => _setNativeUnavailable(null));

  it('nativeAddonStatus() says it is unavailable and why', () => {
    expect(nativeAddonStatus()).toEqual({ available: false, path: null, reason: 'switched off by the test' });
  });

  it.each([
    ['setNonBlocking', () => setNonBlocking(5)],
    ['setBlocking', () => setBlocking(5)],
    ['readFromFD', () => readFromFD(5, () => undefined)],
    ['writeToFD', () => writeToFD(5, Buffer.from('x'))],
  ])('%s throws NativeAddonUnavailableError naming the fd and how to build', (name, call) => {
    let caught: unknown;
    try {
      call();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NativeAddonUnavailableError);
    expect(caught).toBeInstanceOf(FeatureUnavailableError);
    const e = caught as NativeAddonUnavailableError;
    expect(e.code).toBe('ERR_NATIVE_ADDON_UNAVAILABLE');
    expect(e.reason).toBe('switched off by the test');
    expect(e.feature).toBe(`torsion/fdesc ${name}(fd 5)`);
    expect(e.message).toContain('npm rebuild torsion');
    expect(e.message).toContain('C++');
  });

  it('addReader/addWriter of a raw descriptor throw it, naming the descriptor and its fd; the sets stay empty', () => {
    const reactor = new Reactor();
    expect(() => reactor.addReader(raw())).toThrow(NativeAddonUnavailableError);
    expect(() => reactor.addReader(raw())).toThrow(/addReader\(my pipe, fd 7\).*npm rebuild torsion/);
    expect(() => reactor.addWriter(raw())).toThrow(/addWriter\(my pipe, fd 7\)/);
    expect(reactor.getReaders()).toEqual([]);
    expect(reactor.getWriters()).toEqual([]);
  });

  it('handle descriptors (backpressure on transports) need no addon', () => {
    const reactor = new Reactor();
    const calls: string[] = [];
    const handle: IHandleDescriptor = {
      fileno: () => 12,
      logPrefix: () => 'handle',
      connectionLost: () => undefined,
      _startReadingHandle: () => calls.push('start'),
      _stopReadingHandle: () => calls.push('stop'),
    };
    reactor.addReader(handle);
    reactor.addWriter(handle);
    reactor.removeReader(handle);
    expect(calls).toEqual(['start', 'stop']);
    expect(reactor.removeAll()).toEqual([handle]);
  });

  it('MemoryReactor records raw descriptors in readers/writers; tests call doRead themselves', () => {
    const memory = new MemoryReactor();
    const d = { ...raw(), doRead: jest.fn() };
    memory.addReader(d);
    memory.addWriter(d);
    expect([...memory.readers]).toEqual([d]);
    expect([...memory.writers]).toEqual([d]);
    for (const r of memory.readers) (r as typeof d).doRead();
    expect(d.doRead).toHaveBeenCalledTimes(1);
    expect(memory.removeAll()).toEqual([d]);
  });

  it('TCP keepalive interval/count and UNIX datagram sockets throw it too', () => {
    expect(() => setTcpKeepAliveParams(5, 10, 3)).toThrow(NativeAddonUnavailableError);
    expect(() => setTcpKeepAliveParams(5, 10, 3)).toThrow(/TCP keepalive interval\/count \(fd 5\)/);
    expect(() => UnixDatagramSocket.open()).toThrow(NativeAddonUnavailableError);
  });

  it('arguments are still checked first (a bad fd is a RangeError, not an addon error)', () => {
    expect(() => setNonBlocking(-1)).toThrow(RangeError);
  });
});

describe('this run', () => {
  it('has the addon exactly when TORSION_NO_NATIVE=1 is not set', () => {
    const s = nativeAddonStatus();
    expect(s.available).toBe(!NO_NATIVE);
    expect(s.reason).toBe(NO_NATIVE ? 'TORSION_NO_NATIVE=1 is set' : null);
  });
});

describe('TORSION_NO_NATIVE=1 in a fresh process', () => {
  it('makes the addon unavailable for the process, with the reason', () => {
    const out = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(__dirname, 'fixtures', 'no-native.ts')], {
      cwd: ROOT,
      env: { ...process.env, TORSION_NO_NATIVE: '1' },
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as Record<string, { code?: string; message?: string } | number | unknown>;
    expect(result.status).toEqual({ available: false, path: null, reason: 'TORSION_NO_NATIVE=1 is set' });
    expect(result.addReader).toMatchObject({
      name: 'NativeAddonUnavailableError',
      code: 'ERR_NATIVE_ADDON_UNAVAILABLE',
    });
    expect((result.addReader as { message: string }).message).toMatch(
      /addReader\(stdin reader, fd 0\).*TORSION_NO_NATIVE=1 is set/,
    );
    expect(result.setNonBlocking).toMatchObject({ code: 'ERR_NATIVE_ADDON_UNAVAILABLE' });
    expect(result.readers).toBe(0);
  });
});
