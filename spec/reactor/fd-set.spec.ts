import type { Failure } from '../../src/defer/failure';
import type { IHandleDescriptor, IReadDescriptor, IWriteDescriptor } from '../../src/interfaces/fdset';
import { captureLogEvents } from '../../src/logger';
import { Reactor } from '../../src/reactor';
import { NativeAddonUnavailableError } from '../../src/errors';
import { _setNativeUnavailable } from '../../src/native';

/** A libuv-handle-backed descriptor that records the reactor's calls. */
class HandleDescriptor implements IHandleDescriptor {
  calls: string[] = [];
  constructor(readonly name = 'handle') {}
  fileno(): number {
    return 12;
  }
  logPrefix(): string {
    return this.name;
  }
  connectionLost(_reason: Failure): void {
    this.calls.push('connectionLost');
  }
  _startReadingHandle(): void {
    this.calls.push('startReading');
  }
  _stopReadingHandle(): void {
    this.calls.push('stopReading');
  }
}

/** A raw-fd descriptor (doRead/doWrite and a real fd, no handle). */
const rawDescriptor = (): IReadDescriptor & IWriteDescriptor => ({
  fileno: () => 0,
  logPrefix: () => 'raw stdin',
  connectionLost: () => undefined,
  doRead: () => undefined,
  doWrite: () => undefined,
});

let reactor: Reactor;
beforeEach(() => {
  reactor = new Reactor();
});

describe('reader and writer sets with handle descriptors', () => {
  it('addReader starts reading once and lists the reader; adding it again does nothing', () => {
    const d = new HandleDescriptor();
    reactor.addReader(d);
    reactor.addReader(d);
    expect(d.calls).toEqual(['startReading']);
    expect(reactor.getReaders()).toEqual([d]);
  });

  it('removeReader stops reading (backpressure); removing an absent reader does nothing', () => {
    const d = new HandleDescriptor();
    reactor.addReader(d);
    reactor.removeReader(d);
    reactor.removeReader(d);
    expect(d.calls).toEqual(['startReading', 'stopReading']);
    expect(reactor.getReaders()).toEqual([]);
  });

  it('addReader after removeReader resumes reading', () => {
    const d = new HandleDescriptor();
    reactor.addReader(d);
    reactor.removeReader(d);
    reactor.addReader(d);
    expect(d.calls).toEqual(['startReading', 'stopReading', 'startReading']);
  });

  it('writers are only tracked: libuv drives the writes', () => {
    const d = new HandleDescriptor();
    reactor.addWriter(d);
    expect(reactor.getWriters()).toEqual([d]);
    reactor.removeWriter(d);
    expect(reactor.getWriters()).toEqual([]);
    expect(d.calls).toEqual([]);
  });

  it('removeAll returns every reader and writer once, stops the readers and empties both sets', () => {
    const both = new HandleDescriptor('both');
    const reader = new HandleDescriptor('reader');
    const writer = new HandleDescriptor('writer');
    reactor.addReader(both);
    reactor.addWriter(both);
    reactor.addReader(reader);
    reactor.addWriter(writer);
    const removed = reactor.removeAll();
    expect(new Set(removed)).toEqual(new Set([both, reader, writer]));
    expect(removed).toHaveLength(3);
    expect(both.calls).toEqual(['startReading', 'stopReading']);
    expect(writer.calls).toEqual([]);
    expect(reactor.getReaders()).toEqual([]);
    expect(reactor.getWriters()).toEqual([]);
  });

  it('removeAll logs a failing stopReading and still removes everything', () => {
    const bad = new HandleDescriptor('bad');
    bad._stopReadingHandle = () => {
      throw new Error('stopReading failed');
    };
    const good = new HandleDescriptor('good');
    reactor.addReader(bad);
    reactor.addReader(good);
    const [events, stop] = captureLogEvents();
    try {
      expect(reactor.removeAll()).toHaveLength(2);
    } finally {
      stop();
    }
    expect(good.calls).toEqual(['startReading', 'stopReading']);
    expect(events.filter((e) => e.failure)).toHaveLength(1);
    expect(reactor.getReaders()).toEqual([]);
  });

  it('a startReading that throws leaves the descriptor out of the readers', () => {
    const d = new HandleDescriptor();
    d._startReadingHandle = () => {
      throw new Error('cannot read');
    };
    expect(() => reactor.addReader(d)).toThrow('cannot read');
    expect(reactor.getReaders()).toEqual([]);
  });
});

describe('raw file descriptors', () => {
  // raw-fd family: with the addon they are polled (spec/fdesc/poll-set.spec.ts); without it:
  afterEach(() => _setNativeUnavailable(null));

  it('without the native addon addReader refuses a raw descriptor with NativeAddonUnavailableError', () => {
    _setNativeUnavailable('switched off by the test');
    const raw = rawDescriptor();
    expect(() => reactor.addReader(raw)).toThrow(NativeAddonUnavailableError);
    expect(reactor.getReaders()).toEqual([]);
  });

  it('without the native addon addWriter refuses a raw descriptor the same way', () => {
    _setNativeUnavailable('switched off by the test');
    const raw = rawDescriptor();
    expect(() => reactor.addWriter(raw)).toThrow(NativeAddonUnavailableError);
    expect(reactor.getWriters()).toEqual([]);
  });

  it('removing a raw descriptor that was never added does nothing', () => {
    const raw = rawDescriptor();
    expect(() => reactor.removeReader(raw)).not.toThrow();
    expect(() => reactor.removeWriter(raw)).not.toThrow();
  });
});

describe('argument checks', () => {
  it.each([null, undefined, 5, 'fd'])('addReader(%p) throws TypeError', (bad) => {
    expect(() => reactor.addReader(bad as unknown as IReadDescriptor)).toThrow(TypeError);
  });

  it('a descriptor with neither handle hooks nor doRead/doWrite is a TypeError', () => {
    const neither = { fileno: () => 3, logPrefix: () => 'x', connectionLost: () => undefined };
    expect(() => reactor.addReader(neither as unknown as IReadDescriptor)).toThrow(TypeError);
    expect(() => reactor.addWriter(neither as unknown as IWriteDescriptor)).toThrow(TypeError);
  });
});
