import { IPv4Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import { WrappingFactory } from '../../src/endpoints/wrapping-factory';
import { ConnectError, ConnectingCancelledError, NoProtocol, NotConnectingError, UserError } from '../../src/errors';
import type { IAddress } from '../../src/interfaces/address';
import type { IProtocol } from '../../src/interfaces/protocol';
import type { ITransport } from '../../src/interfaces/transport';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import { BufferedProtocol, isBufferedProtocol, Protocol } from '../../src/protocol/protocol';
import { FakeConnector } from '../../src/testing/memory-reactor';
import { StringTransport } from '../../src/testing/string-transport';
import { assertNoResult, failureResultOf, NoneFactory, RecordingFactory, RecordingProtocol, successResultOf } from './helpers';

const DEST = new IPv4Address('TCP', '10.0.0.7', 80);
const ADDR = new IPv4Address('TCP', '10.0.0.7', 80);

function wrap<P extends IProtocol = RecordingProtocol>(factory: Factory<IProtocol> | RecordingFactory = new RecordingFactory()) {
  return new WrappingFactory<P>(factory, DEST);
}

describe('WrappingFactory', () => {
  describe('factory start and stop', () => {
    it('passes doStart through to the wrapped factory', () => {
      const factory = new ClientFactory();
      wrap(factory).doStart();
      expect(factory.numPorts).toBe(1);
    });

    it('passes doStop through to the wrapped factory', () => {
      const factory = new ClientFactory();
      factory.numPorts = 3;
      wrap(factory).doStop();
      expect(factory.numPorts).toBe(2);
    });
  });

  describe('buildProtocol', () => {
    it("returns the wrapped factory's own protocol instance, not a wrapper", () => {
      const factory = new RecordingFactory();
      const wf = wrap(factory);
      const proto = wf.buildProtocol(ADDR);
      expect(proto).toBe(factory.built[0]);
      expect(factory.addresses).toEqual([ADDR]);
      expect(proto!.factory).toBe(factory);
    });

    it('errbacks with the exception buildProtocol threw, and refuses the connection', () => {
      const boom = new RangeError('My protocol is poorly defined.');
      class BogusFactory extends ClientFactory {
        override buildProtocol(): never {
          throw boom;
        }
      }
      const wf = wrap(new BogusFactory());
      expect(wf.buildProtocol(ADDR)).toBeNull();
      expect(failureResultOf(wf.onConnection).value).toBe(boom);
    });

    it('errbacks with NoProtocol when buildProtocol returns null, and returns null itself', () => {
      const wf = wrap(new NoneFactory());
      expect(wf.buildProtocol(ADDR)).toBeNull();
      expect(failureResultOf(wf.onConnection).value).toBeInstanceOf(NoProtocol);
    });

    it('does not fire before the protocol is connected', () => {
      const wf = wrap();
      wf.buildProtocol(ADDR);
      assertNoResult(wf.onConnection);
    });

    it('refuses to build after the attempt was cancelled', () => {
      const factory = new RecordingFactory();
      const wf = wrap(factory);
      wf.onConnection.cancel();
      expect(wf.buildProtocol(ADDR)).toBeNull();
      expect(factory.built).toHaveLength(0);
      expect(failureResultOf(wf.onConnection).value).toBeInstanceOf(ConnectingCancelledError);
    });

    it('errbacks with a TypeError when the built object has no makeConnection', () => {
      const wf = wrap({
        doStart() {},
        doStop() {},
        buildProtocol: () => ({}) as IProtocol,
      } as unknown as Factory);
      expect(wf.buildProtocol(ADDR)).toBeNull();
      expect(failureResultOf(wf.onConnection).value).toBeInstanceOf(TypeError);
    });

    it('errbacks with a TypeError when the protocol is frozen and cannot be watched', () => {
      const frozen = Object.freeze(new Protocol());
      const wf = wrap({ doStart() {}, doStop() {}, buildProtocol: () => frozen } as unknown as Factory);
      expect(wf.buildProtocol(ADDR)).toBeNull();
      const err = failureResultOf(wf.onConnection).value as Error;
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toMatch(/frozen/);
    });
  });

  describe('connection made', () => {
    it('fires with the protocol after its connectionMade ran, with the real transport attached', () => {
      const wf = wrap();
      const proto = wf.buildProtocol(ADDR) as RecordingProtocol;
      const transport = new StringTransport();
      const order: string[] = [];
      wf.onConnection.addCallback((p) => {
        order.push(`fired after ${p.events.join(',')}`);
        return p;
      });
      proto.makeConnection(transport);
      expect(order).toEqual(['fired after makeConnection,connectionMade']);
      expect(successResultOf(wf.onConnection)).toBe(proto);
      expect(proto.transport).toBe(transport);
      expect(proto.connected).toBe(true);
    });

    it("removes its hook: the protocol's makeConnection is its class's again", () => {
      const wf = wrap();
      const proto = wf.buildProtocol(ADDR) as RecordingProtocol;
      expect(Object.hasOwn(proto, 'makeConnection')).toBe(true);
      proto.makeConnection(new StringTransport() as never);
      expect(Object.hasOwn(proto, 'makeConnection')).toBe(false);
      expect(proto.makeConnection).toBe(RecordingProtocol.prototype.makeConnection);
    });

    it('restores a makeConnection the protocol object had as its own property', () => {
      const calls: ITransport[] = [];
      const own = (t: ITransport): void => {
        calls.push(t);
      };
      const proto = { makeConnection: own, connectionMade() {}, dataReceived() {}, connectionLost() {} };
      const wf = wrap({ doStart() {}, doStop() {}, buildProtocol: () => proto } as unknown as Factory);
      expect(wf.buildProtocol(ADDR)).toBe(proto);
      const transport = new StringTransport();
      proto.makeConnection(transport);
      expect(calls).toEqual([transport]);
      expect(proto.makeConnection).toBe(own);
      expect(successResultOf(wf.onConnection)).toBe(proto);
    });

    it('keeps optional protocol hooks visible to the transport (a BufferedProtocol stays one)', () => {
      class Zero extends BufferedProtocol {
        getBuffer(): Uint8Array {
          return new Uint8Array(8);
        }
        bufferUpdated(): void {}
      }
      const wf = wrap(Factory.forProtocol(Zero));
      const proto = wf.buildProtocol(ADDR)!;
      expect(proto).toBeInstanceOf(Zero);
      expect(isBufferedProtocol(proto)).toBe(true);
    });

    it('errbacks with what connectionMade threw and rethrows it to the transport', () => {
      const boom = new Error('connectionMade failed');
      class Failing extends Protocol {
        override connectionMade(): void {
          throw boom;
        }
      }
      const wf = wrap(Factory.forProtocol(Failing));
      const proto = wf.buildProtocol(ADDR)!;
      expect(() => proto.makeConnection(new StringTransport())).toThrow(boom);
      expect(failureResultOf(wf.onConnection).value).toBe(boom);
    });

    it('drops a connection made after the attempt was cancelled, keeping the protocol lifecycle whole', () => {
      const wf = wrap();
      const proto = wf.buildProtocol(ADDR) as RecordingProtocol;
      wf.onConnection.cancel();
      const transport = new StringTransport();
      proto.makeConnection(transport);
      expect(proto.events).toEqual(['makeConnection', 'connectionMade']);
      expect(transport.disconnecting).toBe(true);
      expect(failureResultOf(wf.onConnection).value).toBeInstanceOf(ConnectingCancelledError);
    });
  });

  describe('connection failed', () => {
    it('errbacks with the reason it was given', () => {
      const wf = wrap();
      const reason = new Failure(new ConnectError('fail'));
      wf.clientConnectionFailed(new FakeConnector(DEST), reason);
      expect(failureResultOf(wf.onConnection)).toBe(reason);
    });

    it('ignores a failure reported after the Deferred fired (e.g. the UserError of a cancel)', () => {
      const wf = wrap();
      const connector = new FakeConnector(DEST);
      wf.startedConnecting(connector);
      wf.onConnection.cancel();
      expect(() => wf.clientConnectionFailed(connector, new Failure(new UserError()))).not.toThrow();
      expect(failureResultOf(wf.onConnection).value).toBeInstanceOf(ConnectingCancelledError);
    });

    it('ignores clientConnectionLost (the protocol already got connectionLost)', () => {
      const wf = wrap();
      const proto = wf.buildProtocol(ADDR)!;
      proto.makeConnection(new StringTransport());
      wf.clientConnectionLost(new FakeConnector(DEST), new Failure(new ConnectError()));
      expect(successResultOf(wf.onConnection)).toBe(proto);
    });
  });

  describe('cancellation', () => {
    it("fails with ConnectingCancelledError carrying the connector's destination and stops the connector", () => {
      const wf = wrap();
      const theirDest = new IPv4Address('TCP', 'example.com', 8080);
      const connector = new FakeConnector(theirDest);
      wf.startedConnecting(connector);
      wf.onConnection.cancel();
      const err = failureResultOf(wf.onConnection).value as ConnectingCancelledError;
      expect(err).toBeInstanceOf(ConnectingCancelledError);
      expect(err.address).toBe(theirDest);
      expect(connector.stoppedConnecting).toBe(true);
    });

    it('reports the endpoint destination when no connector is known', () => {
      const wf = wrap();
      wf.onConnection.cancel();
      expect((failureResultOf(wf.onConnection).value as ConnectingCancelledError).address).toBe(DEST);
    });

    it('still fails with ConnectingCancelledError when the connector says it is not connecting', () => {
      const wf = wrap();
      const connector = new FakeConnector(DEST);
      connector.stopConnecting = () => {
        throw new NotConnectingError();
      };
      wf.startedConnecting(connector);
      expect(() => wf.onConnection.cancel()).not.toThrow();
      expect(failureResultOf(wf.onConnection).value).toBeInstanceOf(ConnectingCancelledError);
    });

    it('does nothing once the protocol is connected', () => {
      const wf = wrap();
      const connector = new FakeConnector(DEST);
      wf.startedConnecting(connector);
      const proto = wf.buildProtocol(ADDR)!;
      proto.makeConnection(new StringTransport());
      wf.onConnection.cancel();
      expect(successResultOf(wf.onConnection)).toBe(proto);
      expect(connector.stoppedConnecting).toBe(false);
    });
  });

  it('is a complete client factory (the reactor calls startedConnecting with the connector)', () => {
    const wf = wrap();
    const connector = new FakeConnector(DEST);
    wf.startedConnecting(connector);
    expect(wf.connector).toBe(connector);
    const addr: IAddress = ADDR;
    expect(typeof wf.buildProtocol(addr)).toBe('object');
  });
});
