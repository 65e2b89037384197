import { IPv4Address } from '../../src/address';
import { Deferred } from '../../src/defer/deferred';
import { connectProtocol } from '../../src/endpoints/connect-protocol';
import { TCP4ClientEndpoint } from '../../src/endpoints/tcp';
import { WrappingFactory } from '../../src/endpoints/wrapping-factory';
import type { IStreamClientEndpoint } from '../../src/interfaces/endpoints';
import { Factory } from '../../src/protocol/factory';
import { MemoryReactor } from '../../src/testing/memory-reactor';
import { StringTransport } from '../../src/testing/string-transport';
import { RecordingProtocol, successResultOf } from './helpers';

describe('connectProtocol', () => {
  it('connects through the endpoint with a factory whose buildProtocol returns the given protocol', () => {
    const reactor = new MemoryReactor();
    const theProtocol = new RecordingProtocol();
    connectProtocol(new TCP4ClientEndpoint(reactor, '127.0.0.1', 0), theProtocol);
    expect(reactor.tcpClients).toHaveLength(1);
    const factory = (reactor.tcpClients[0].factory as WrappingFactory).wrappedFactory;
    expect(factory).toBeInstanceOf(Factory);
    expect(factory.buildProtocol(new IPv4Address('TCP', '127.0.0.1', 0))).toBe(theProtocol);
  });

  it("returns the result of the endpoint's connect()", () => {
    const result = new Deferred<RecordingProtocol>();
    const endpoint = { connect: () => result } as unknown as IStreamClientEndpoint;
    expect(connectProtocol(endpoint, new RecordingProtocol())).toBe(result);
  });

  it('fires with the protocol after its connectionMade', () => {
    const reactor = new MemoryReactor();
    const theProtocol = new RecordingProtocol();
    const d = connectProtocol(new TCP4ClientEndpoint(reactor, '127.0.0.1', 8080), theProtocol);
    const built = reactor.tcpClients[0].factory.buildProtocol(new IPv4Address('TCP', '127.0.0.1', 8080))!;
    built.makeConnection(new StringTransport());
    expect(successResultOf(d)).toBe(theProtocol);
    expect(theProtocol.events).toEqual(['makeConnection', 'connectionMade']);
  });

  it('refuses something that is not a client endpoint', () => {
    expect(() => connectProtocol({} as IStreamClientEndpoint, new RecordingProtocol())).toThrow(/endpoint.connect/);
  });
});
