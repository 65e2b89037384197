import { IPv4Address, IPv6Address, UNIXAddress } from '../../src/address';
import { ReactorAlreadyRunning } from '../../src/errors';
import type { IConnector } from '../../src/interfaces/connector';
import type { IFileDescriptor } from '../../src/interfaces/fdset';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { FakeConnector, FakePort, MemoryReactor } from '../../src/testing/memory-reactor';

class RecordingClientFactory extends ClientFactory {
  started: IConnector[] = [];
  override startedConnecting(connector: IConnector): void {
    this.started.push(connector);
  }
}

function descriptor(name: string): IFileDescriptor {
  return { fileno: () => -1, logPrefix: () => name, connectionLost: () => {} };
}

describe('MemoryReactor', () => {
  let reactor: MemoryReactor;
  beforeEach(() => {
    reactor = new MemoryReactor();
  });

  describe('connectTCP', () => {
    it('records { host, port, factory, timeout, bindAddress } with Twisted defaults', () => {
      const f = new RecordingClientFactory();
      reactor.connectTCP('test.example.com', 8321, f);
      expect(reactor.tcpClients).toEqual([{ host: 'test.example.com', port: 8321, factory: f, timeout: 30, bindAddress: null }]);
    });

    it('records the timeout and bindAddress it was given', () => {
      const f = new RecordingClientFactory();
      reactor.connectTCP('10.1.1.1', 80, f, { timeout: 5, bindAddress: ['127.0.0.1', 0] });
      reactor.connectTCP('10.1.1.1', 81, f, { timeout: null });
      expect(reactor.tcpClients[0]).toMatchObject({ timeout: 5, bindAddress: ['127.0.0.1', 0] });
      expect(reactor.tcpClients[1]!.timeout).toBeNull();
    });

    it('calls factory.startedConnecting with the connector it returns, synchronously', () => {
      const f = new RecordingClientFactory();
      const c = reactor.connectTCP('example.com', 80, f);
      expect(f.started).toEqual([c]);
      expect(c).toBeInstanceOf(FakeConnector);
      expect(reactor.connectors).toEqual([c]);
    });

    it('returns a connector whose getDestination reflects host and port (IPv4Address, or IPv6Address for an IPv6 literal)', () => {
      const f = new RecordingClientFactory();
      expect(reactor.connectTCP('test.example.com', 8321, f).getDestination()).toEqual(
        new IPv4Address('TCP', 'test.example.com', 8321),
      );
      expect(reactor.connectTCP('::1', 8321, f).getDestination()).toEqual(new IPv6Address('TCP', '::1', 8321));
    });

    it('does not build a protocol: the test drives the factory', () => {
      const f = new RecordingClientFactory();
      f.protocol = Protocol;
      const build = jest.spyOn(f, 'buildProtocol');
      reactor.connectTCP('example.com', 80, f);
      expect(build).not.toHaveBeenCalled();
    });

    it('refuses a bad port or a non-factory at once, recording nothing', () => {
      const f = new RecordingClientFactory();
      expect(() => reactor.connectTCP('h', '80' as unknown as number, f)).toThrow(TypeError);
      expect(() => reactor.connectTCP('h', 70000, f)).toThrow(RangeError);
      expect(() => reactor.connectTCP('h', 80, {} as ClientFactory)).toThrow(TypeError);
      expect(reactor.tcpClients).toEqual([]);
    });
  });

  describe('the fake connector', () => {
    it('stopConnecting only sets a flag', () => {
      const c = reactor.connectTCP('example.com', 80, new RecordingClientFactory());
      expect(c.stoppedConnecting).toBe(false);
      expect(c.state).toBe('connecting');
      c.stopConnecting();
      expect(c.stoppedConnecting).toBe(true);
      expect(c.state).toBe('disconnected');
    });

    it('disconnect sets disconnected; connect is counted', () => {
      const c = reactor.connectTCP('example.com', 80, new RecordingClientFactory());
      c.disconnect();
      expect(c.disconnected).toBe(true);
      c.connect();
      expect(c.connectCalls).toBe(1);
      expect(c.state).toBe('connecting');
      expect(c.transport).toBeNull();
    });
  });

  describe('listenTCP', () => {
    it('records { port, factory, backlog, interface } with defaults 50 and ""', () => {
      const f = new Factory();
      reactor.listenTCP(8242, f);
      reactor.listenTCP(8243, f, { backlog: 5, interface: '127.0.0.1' });
      expect(reactor.tcpServers).toEqual([
        { port: 8242, factory: f, backlog: 50, interface: '' },
        { port: 8243, factory: f, backlog: 5, interface: '127.0.0.1' },
      ]);
    });

    it("returns a port whose getHost is 0.0.0.0 and the port (or the IPv6 interface's address)", () => {
      const port = reactor.listenTCP(8242, new Factory());
      expect(port).toBeInstanceOf(FakePort);
      expect(port.getHost()).toEqual(new IPv4Address('TCP', '0.0.0.0', 8242));
      expect(reactor.listenTCP(8242, new Factory(), { interface: '::1' }).getHost()).toEqual(new IPv6Address('TCP', '::1', 8242));
    });

    it('does not start the factory (as Twisted)', () => {
      const f = new Factory();
      reactor.listenTCP(1, f);
      expect(f.numPorts).toBe(0);
    });

    it('stopListening returns an already-fired Deferred and clears listening', async () => {
      const port = reactor.listenTCP(8242, new Factory());
      const d = port.stopListening();
      expect(d.called).toBe(true);
      expect(port.listening).toBe(false);
      await expect(d).resolves.toBeUndefined();
    });
  });

  describe('UNIX sockets', () => {
    it('connectUNIX records the call and hands out a connector with a UNIXAddress destination', () => {
      const f = new RecordingClientFactory();
      const c = reactor.connectUNIX('/fake/path', f);
      expect(reactor.unixClients).toEqual([{ address: '/fake/path', factory: f, timeout: 30, checkPID: false }]);
      expect(c.getDestination()).toEqual(new UNIXAddress('/fake/path'));
      expect(f.started).toEqual([c]);
    });

    it('listenUNIX records the call and returns a port reporting the path', () => {
      const f = new Factory();
      const port = reactor.listenUNIX('/path/to/socket', f);
      expect(reactor.unixServers).toEqual([{ address: '/path/to/socket', factory: f, backlog: 50, mode: 0o666, wantPID: false }]);
      expect(port.getHost()).toEqual(new UNIXAddress('/path/to/socket'));
    });
  });

  describe('core', () => {
    it('run() runs the callWhenRunning hooks in order, with their arguments, then stops', async () => {
      const called: number[] = [];
      reactor.callWhenRunning((x: number) => called.push(x), 1);
      reactor.callWhenRunning((x: number) => called.push(x), 2);
      expect(called).toEqual([]);
      const during: boolean[] = [];
      reactor.callWhenRunning(() => during.push(reactor.running));
      await reactor.run();
      expect(called).toEqual([1, 2]);
      expect(during).toEqual([true]);
      expect(reactor.running).toBe(false);
      expect(reactor.hasRun).toBe(true);
      expect(reactor.hasStopped).toBe(true);
    });

    it('callWhenRunning while running calls at once', async () => {
      const called: string[] = [];
      reactor.callWhenRunning(() => {
        reactor.callWhenRunning(() => called.push('nested'));
        called.push('outer');
      });
      await reactor.run();
      expect(called).toEqual(['nested', 'outer']);
    });

    it('run() from inside a hook throws ReactorAlreadyRunning', async () => {
      let error: unknown;
      reactor.callWhenRunning(() => {
        try {
          void reactor.run();
        } catch (e) {
          error = e;
        }
      });
      await reactor.run();
      expect(error).toBeInstanceOf(ReactorAlreadyRunning);
    });

    it('crash() sets hasCrashed and clears running', () => {
      reactor.crash();
      expect(reactor.hasCrashed).toBe(true);
      expect(reactor.running).toBe(false);
    });

    it('stores triggers in triggers[phase][event] without running them', () => {
      const fn = jest.fn();
      reactor.addSystemEventTrigger('before', 'shutdown', fn, 'a');
      reactor.addSystemEventTrigger('before', 'shutdown', fn, 'b');
      reactor.addSystemEventTrigger('after', 'startup', fn);
      expect(reactor.triggers.before!.shutdown!.map((t) => t.args)).toEqual([['a'], ['b']]);
      expect(reactor.triggers.after!.startup).toHaveLength(1);
      expect(fn).not.toHaveBeenCalled();
    });

    it('removeSystemEventTrigger removes that trigger; removing it again is a RangeError', () => {
      const fn = jest.fn();
      const id = reactor.addSystemEventTrigger('during', 'shutdown', fn);
      reactor.addSystemEventTrigger('during', 'shutdown', fn);
      reactor.removeSystemEventTrigger(id);
      expect(reactor.triggers.during!.shutdown).toHaveLength(1);
      expect(() => reactor.removeSystemEventTrigger(id)).toThrow(RangeError);
      expect(() => reactor.removeSystemEventTrigger({ eventType: 'x', phase: 'before' })).toThrow(TypeError);
    });

    it('addSystemEventTrigger refuses an unknown phase or a non-function', () => {
      expect(() => reactor.addSystemEventTrigger('middle' as 'before', 'shutdown', () => {})).toThrow(TypeError);
      expect(() => reactor.addSystemEventTrigger('before', 'shutdown', 5 as unknown as () => void)).toThrow(TypeError);
    });

    it('resolve, fireSystemEvent and iterate throw an Error that says MemoryReactor does not do that', () => {
      expect(() => reactor.resolve('example.com')).toThrow(
        /MemoryReactor does not resolve names; use a real Reactor or stub resolve/,
      );
      expect(() => reactor.fireSystemEvent('shutdown')).toThrow(/MemoryReactor does not fire system events/);
      expect(() => reactor.iterate()).toThrow(/MemoryReactor/);
    });
  });

  describe('fd set', () => {
    it('adding a reader twice lists it once; removing it empties the set', () => {
      const r = descriptor('r');
      reactor.addReader(r as never);
      reactor.addReader(r as never);
      expect(reactor.getReaders()).toEqual([r]);
      reactor.removeReader(r as never);
      expect(reactor.getReaders()).toEqual([]);
    });

    it('adding a writer twice lists it once; removing it empties the set', () => {
      const w = descriptor('w');
      reactor.addWriter(w as never);
      reactor.addWriter(w as never);
      expect(reactor.getWriters()).toEqual([w]);
      reactor.removeWriter(w as never);
      expect(reactor.getWriters()).toEqual([]);
    });

    it('removeAll empties both sets and returns each descriptor once', () => {
      const both = descriptor('both');
      const r = descriptor('r');
      reactor.addReader(both as never);
      reactor.addWriter(both as never);
      reactor.addReader(r as never);
      const removed = reactor.removeAll();
      expect(removed).toHaveLength(2);
      expect(new Set(removed)).toEqual(new Set([both, r]));
      expect(reactor.getReaders()).toEqual([]);
      expect(reactor.getWriters()).toEqual([]);
    });
  });
});
