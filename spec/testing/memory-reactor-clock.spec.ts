import { Failure } from '../../src/defer/failure';
import { CannotListenError, ConnectionRefusedError } from '../../src/errors';
import type { IConnector } from '../../src/interfaces/connector';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import { Clock } from '../../src/task/clock';
import { MemoryReactorClock, RaisingMemoryReactor } from '../../src/testing/memory-reactor-clock';
import { MemoryReactor } from '../../src/testing/memory-reactor';
import type { IReactor } from '../../src/interfaces';

describe('MemoryReactorClock', () => {
  it('is a MemoryReactor whose time starts at 0 and moves only with advance()', () => {
    const r = new MemoryReactorClock();
    expect(r).toBeInstanceOf(MemoryReactor);
    expect(r.clock).toBeInstanceOf(Clock);
    expect(r.seconds()).toBe(0);
    r.advance(2.5);
    expect(r.seconds()).toBe(2.5);
  });

  it('runs delayed calls when advanced past them, in scheduling order for ties', () => {
    const r = new MemoryReactorClock();
    const seen: string[] = [];
    r.callLater(1, () => seen.push('a'));
    r.callLater(1, () => seen.push('b'));
    r.callLater(0.5, () => seen.push('first'));
    expect(r.getDelayedCalls()).toHaveLength(3);
    r.advance(0.9);
    expect(seen).toEqual(['first']);
    r.pump([0.1]);
    expect(seen).toEqual(['first', 'a', 'b']);
    expect(r.calls).toHaveLength(0);
  });

  it('a client factory retrying from clientConnectionFailed after a delay shows up as a second connectTCP', () => {
    const r = new MemoryReactorClock();
    class Retrying extends ClientFactory {
      override clientConnectionFailed(_connector: IConnector, _reason: Failure): void {
        r.callLater(5, () => r.connectTCP('example.com', 80, this));
      }
    }
    const f = new Retrying();
    r.connectTCP('example.com', 80, f);
    f.clientConnectionFailed(r.connectors[0]!, new Failure(new ConnectionRefusedError()));
    r.advance(4.9);
    expect(r.tcpClients).toHaveLength(1);
    r.advance(0.1);
    expect(r.tcpClients).toHaveLength(2);
  });

  it('callLater refuses a negative delay (RangeError), as Clock does', () => {
    expect(() => new MemoryReactorClock().callLater(-1, () => {})).toThrow(RangeError);
  });
});

describe('RaisingMemoryReactor', () => {
  it('listenTCP and listenUNIX throw the listenException', () => {
    const err = new CannotListenError('', 80);
    const r = new RaisingMemoryReactor(err);
    expect(() => r.listenTCP(80, new Factory())).toThrow(err);
    expect(() => r.listenUNIX('/p', new Factory())).toThrow(err);
  });

  it('connectTCP and connectUNIX throw the connectException', () => {
    const err = new ConnectionRefusedError();
    const r = new RaisingMemoryReactor(undefined, err);
    expect(() => r.connectTCP('h', 80, new ClientFactory())).toThrow(err);
    expect(() => r.connectUNIX('/p', new ClientFactory())).toThrow(err);
  });

  it('without an exception to throw, says so', () => {
    expect(() => new RaisingMemoryReactor().connectTCP('h', 1, new ClientFactory())).toThrow(/without a connectException/);
  });
});

describe('MemoryReactorClock as an IReactor', () => {
  it('type-checks where the full reactor interface is asked for', () => {
    const takesReactor = (r: IReactor): number => r.seconds();
    expect(takesReactor(new MemoryReactorClock())).toBe(0);
  });
});
