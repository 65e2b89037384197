/**
 * What code sees of a reactor's TCP, core and fd-set surface before any
 * byte moves: run against MemoryReactor(Clock) and the real Reactor, so
 * that code tested on the fake meets the same calls, in the same order,
 * with the same argument errors, on the real one. Helper module, not a spec.
 */
import * as fs from 'node:fs';

import { IPv4Address, IPv6Address } from '../../src/address';
import { NativeAddonUnavailableError } from '../../src/errors';
import type { IConnector, IListeningPort } from '../../src/interfaces/connector';
import type { IReactorCore } from '../../src/interfaces/core';
import type { IHandleDescriptor, IReactorFDSet } from '../../src/interfaces/fdset';
import type { IClientFactory, IProtocolFactory } from '../../src/interfaces/protocol';
import type { ConnectTCPOptions, ListenTCPOptions } from '../../src/interfaces/tcp';
import { ClientFactory, Factory } from '../../src/protocol/factory';

/** The reactor surface the suite exercises. */
export interface ReactorSurface extends IReactorFDSet, Pick<IReactorCore, 'addSystemEventTrigger' | 'removeSystemEventTrigger'> {
  connectTCP(host: string, port: number, factory: IClientFactory, opts?: ConnectTCPOptions): IConnector;
  listenTCP(port: number, factory: IProtocolFactory, opts?: ListenTCPOptions): IListeningPort;
}

/** A reactor to exercise and how to clean up after it. */
export interface ReactorHarness {
  reactor: ReactorSurface;
  teardown(): Promise<void>;
}

/** A client factory that records what the reactor calls on it. */
class CallLog extends ClientFactory {
  calls: string[] = [];
  connectors: IConnector[] = [];
  override startedConnecting(connector: IConnector): void {
    this.calls.push('startedConnecting');
    this.connectors.push(connector);
  }
  override clientConnectionFailed(): void {
    this.calls.push('clientConnectionFailed');
  }
}

/** A handle descriptor that records the reactor hooks. */
function handle(name: string): IHandleDescriptor & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    fileno: () => -1,
    logPrefix: () => name,
    connectionLost: () => {},
    _startReadingHandle: () => void log.push('start'),
    _stopReadingHandle: () => void log.push('stop'),
  };
}

/** Register the reactor-surface suite for one implementation. */
export function reactorConformance(name: string, makeHarness: () => ReactorHarness | Promise<ReactorHarness>): void {
  describe(`${name}: reactor surface`, () => {
    let h: ReactorHarness;
    let r: ReactorSurface;
    const connectors: IConnector[] = [];
    beforeEach(async () => {
      h = await makeHarness();
      r = h.reactor;
      connectors.length = 0;
    });
    afterEach(async () => {
      // Abort attempts still pending so the real reactor has nothing in flight.
      for (const c of connectors) if (c.state === 'connecting') c.stopConnecting();
      await h.teardown();
    });

    it('connectTCP calls factory.startedConnecting synchronously with the connector it returns', () => {
      const f = new CallLog();
      const c = r.connectTCP('127.0.0.1', 1, f, { timeout: 5 });
      connectors.push(c);
      expect(f.calls).toEqual(['startedConnecting']);
      expect(f.connectors).toEqual([c]);
      expect(c.state).toBe('connecting');
    });

    it("the connector's getDestination is IPv4Address('TCP', host, port), or IPv6Address for an IPv6 literal", () => {
      const c4 = r.connectTCP('127.0.0.1', 8321, new CallLog());
      const c6 = r.connectTCP('::1', 8321, new CallLog());
      connectors.push(c4, c6);
      expect(c4.getDestination()).toEqual(new IPv4Address('TCP', '127.0.0.1', 8321));
      expect(c6.getDestination()).toBeInstanceOf(IPv6Address);
      expect((c6.getDestination() as IPv6Address).port).toBe(8321);
    });

    it('connectTCP refuses a bad port or a non-factory with TypeError/RangeError, calling nothing', () => {
      const f = new CallLog();
      expect(() => r.connectTCP('127.0.0.1', '80' as unknown as number, f)).toThrow(TypeError);
      expect(() => r.connectTCP('127.0.0.1', 1.5, f)).toThrow(RangeError);
      expect(() => r.connectTCP('127.0.0.1', 65536, f)).toThrow(RangeError);
      expect(() => r.connectTCP('127.0.0.1', 80, {} as IClientFactory)).toThrow(TypeError);
      expect(f.calls).toEqual([]);
    });

    it('listenTCP returns a port whose getHost is an IPv4Address TCP with an integer port; stopListening fires', async () => {
      const port = r.listenTCP(0, new Factory(), { interface: '127.0.0.1' });
      const addr = port.getHost();
      expect(addr).toBeInstanceOf(IPv4Address);
      expect(addr.type).toBe('TCP');
      expect(Number.isInteger((addr as IPv4Address).port)).toBe(true);
      await expect(port.stopListening()).resolves.toBeUndefined();
    });

    it('listenTCP refuses a bad port with TypeError/RangeError', () => {
      expect(() => r.listenTCP(null as unknown as number, new Factory())).toThrow(TypeError);
      expect(() => r.listenTCP(-1, new Factory())).toThrow(RangeError);
    });

    it('a handle descriptor starts reading when added as a reader (once) and stops when removed', () => {
      const d = handle('d');
      r.addReader(d);
      r.addReader(d);
      expect(r.getReaders()).toEqual([d]);
      expect(d.log).toEqual(['start']);
      r.removeReader(d);
      r.removeReader(d);
      expect(r.getReaders()).toEqual([]);
      expect(d.log).toEqual(['start', 'stop']);
    });

    it('removeAll empties both sets, stops the readers and returns each descriptor once', () => {
      const both = handle('both');
      const w = handle('w');
      r.addReader(both);
      r.addWriter(both);
      r.addWriter(w);
      const removed = r.removeAll();
      expect(removed).toHaveLength(2);
      expect(new Set(removed)).toEqual(new Set([both, w]));
      expect(r.getReaders()).toEqual([]);
      expect(r.getWriters()).toEqual([]);
      expect(both.log).toEqual(['start', 'stop']);
      expect(w.log).toEqual([]);
    });

    // raw-fd family: a raw descriptor (fileno() + doRead/doWrite) in the sets. The real
    // reactor needs the native addon for it; under TORSION_NO_NATIVE=1 it must refuse it.
    it('a raw descriptor joins both sets once, is listed, and removeAll returns it once', () => {
      const fd = fs.openSync('/dev/null', 'r');
      try {
        const calls: string[] = [];
        const raw = {
          fileno: () => fd,
          logPrefix: () => 'raw /dev/null',
          connectionLost: () => void calls.push('connectionLost'),
          doRead: () => void calls.push('doRead'),
          doWrite: () => void calls.push('doWrite'),
        };
        try {
          r.addReader(raw);
        } catch (err) {
          if (process.env.TORSION_NO_NATIVE === '1' && err instanceof NativeAddonUnavailableError) {
            expect(r.getReaders()).toEqual([]);
            return;
          }
          throw err;
        }
        r.addReader(raw);
        r.addWriter(raw);
        r.addWriter(raw);
        expect(r.getReaders()).toEqual([raw]);
        expect(r.getWriters()).toEqual([raw]);
        expect(r.removeAll()).toEqual([raw]);
        expect(r.getReaders()).toEqual([]);
        expect(r.getWriters()).toEqual([]);
        expect(calls).toEqual([]);
      } finally {
        fs.closeSync(fd);
      }
    });

    it('removing a system event trigger twice is a RangeError; an unknown phase a TypeError', () => {
      const id = r.addSystemEventTrigger('before', 'custom', () => {});
      r.removeSystemEventTrigger(id);
      expect(() => r.removeSystemEventTrigger(id)).toThrow(RangeError);
      expect(() => r.addSystemEventTrigger('sometime' as 'before', 'custom', () => {})).toThrow(TypeError);
    });
  });
}
