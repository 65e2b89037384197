/**
 * Types that must not be lost (checked by `npm run typecheck`, part of
 * `npm test`; a regression is a compile error here): factories keep their
 * protocol type, an endpoint's connect() resolves to that protocol, and a
 * TCP port's getHost() is an IP address.
 */
import type { IPv4Address, IPv6Address } from '../src/address';
import type { Deferred } from '../src/defer/deferred';
import { TCP4ClientEndpoint, TCP4ServerEndpoint } from '../src/endpoints';
import { ClientFactory, Factory, Protocol, ReconnectingClientFactory, ServerFactory } from '../src/protocol';
import { Reactor } from '../src/reactor';
import { MemoryReactor } from '../src/testing';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_ok: T): void {}

class Echo extends Protocol {
  readonly kind = 'echo';
  override dataReceived(data: Buffer): void {
    this.transport!.write(data);
  }
}
class MyFactory extends ClientFactory<Echo> {
  readonly mine = true;
}

describe('types kept through factories and endpoints', () => {
  it('forProtocol keeps the factory class and the protocol type', () => {
    assertType<Equals<ReturnType<typeof Factory.forProtocol<Factory<Echo>, Echo>>, Factory<Echo>>>(true);
    const c = ClientFactory.forProtocol(Echo);
    const s = ServerFactory.forProtocol(Echo);
    const r = ReconnectingClientFactory.forProtocol(Echo);
    const m = MyFactory.forProtocol(Echo);
    assertType<Equals<typeof c, ClientFactory<Echo>>>(true);
    assertType<Equals<typeof s, ServerFactory<Echo>>>(true);
    assertType<Equals<typeof r, ReconnectingClientFactory<Echo>>>(true);
    assertType<Equals<typeof m, MyFactory>>(true);
    expect([c, s, r, m].map((f) => f.protocol)).toEqual([Echo, Echo, Echo, Echo]);
    expect(m).toBeInstanceOf(MyFactory);
  });

  it("connect(Factory.forProtocol(Echo)) is a Deferred<Echo>; a TCP port's getHost() is an IP address", async () => {
    const reactor = new Reactor();
    const done = reactor.run();
    try {
      const port = await new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }).listen(Factory.forProtocol(Echo));
      const host = port.getHost();
      assertType<Equals<typeof host, IPv4Address | IPv6Address>>(true);
      const d = new TCP4ClientEndpoint(reactor, '127.0.0.1', host.port).connect(Factory.forProtocol(Echo));
      assertType<Equals<typeof d, Deferred<Echo>>>(true);
      const echo = await d;
      expect(echo).toBeInstanceOf(Echo);
      expect(echo.kind).toBe('echo');
      echo.transport!.loseConnection();
      await port.stopListening();
    } finally {
      reactor.stop();
      await done;
    }
  });

  it("MemoryReactor's listenTCP port also reports an IP address", () => {
    const host = new MemoryReactor().listenTCP(8080, Factory.forProtocol(Echo)).getHost();
    assertType<Equals<typeof host, IPv4Address | IPv6Address>>(true);
    expect(host.port).toBe(8080);
  });
});
