/**
 * The port forwarder against the real Twisted (Debian's python3-twisted):
 * torsion's ProxyFactory in front of a Twisted echo server, and Twisted's
 * own twisted.protocols.portforward in front of a torsion echo server. In
 * both, every byte comes back and the far side sees a clean close
 * (ConnectionDone): before the fix, torsion's forwarder never closed it.
 */
import type { Failure } from '../../src/defer/failure';
import { ConnectionDone } from '../../src/errors';
import { Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { ProxyFactory } from '../../src/protocols/portforward';
import { OneShotFactory, describeWithTwisted, pattern } from './harness';

/** Sends `data`, collects the echo, closes once it is all back. */
class SendAndClose extends Protocol {
  readonly chunks: Buffer[] = [];
  received = 0;
  lost!: Promise<Failure>;
  #resolve!: (f: Failure) => void;
  constructor(readonly data: Buffer) {
    super();
    this.lost = new Promise((resolve) => (this.#resolve = resolve));
  }
  override connectionMade(): void {
    this.transport!.write(this.data);
  }
  override dataReceived(data: Buffer): void {
    this.chunks.push(data);
    this.received += data.length;
    if (this.received === this.data.length) this.transport!.loseConnection();
  }
  override connectionLost(reason: Failure): void {
    this.#resolve(reason);
  }
}

describeWithTwisted('the port forwarder against the real Twisted', 'port forwarder interop specs', (ctx) => {
  it("torsion's ProxyFactory in front of a Twisted echo server: 2 MiB come back, and Twisted sees ConnectionDone", async () => {
    const { reactor } = ctx;
    const echo = ctx.peer('echo_server.py');
    const proxy = reactor.listenTCP(0, new ProxyFactory('127.0.0.1', await echo.port(), reactor), { interface: '127.0.0.1' });
    const data = pattern(2 * 1024 * 1024);
    const client = new SendAndClose(data);
    reactor.connectTCP('127.0.0.1', proxy.getHost().port, new OneShotFactory(client));
    expect((await client.lost).check(ConnectionDone)).toBe(ConnectionDone);
    expect(Buffer.concat(client.chunks).equals(data)).toBe(true);
    // The destination got EOF through the forwarder and closed cleanly.
    expect(await echo.next('lost')).toMatchObject({ reason: 'ConnectionDone', received: data.length });
  });

  it("Twisted's portforward in front of a torsion echo server: 2 MiB come back, and torsion's server sees ConnectionDone", async () => {
    const { reactor } = ctx;
    let serverLost!: (f: Failure) => void;
    const lost = new Promise<Failure>((resolve) => (serverLost = resolve));
    let echoed = 0;
    class Echo extends Protocol {
      override dataReceived(data: Buffer): void {
        echoed += data.length;
        this.transport!.write(data);
      }
      override connectionLost(reason: Failure): void {
        serverLost(reason);
      }
    }
    const dest = reactor.listenTCP(0, Factory.forProtocol(Echo), { interface: '127.0.0.1' });
    const fwd = ctx.peer('portforward.py', [String(dest.getHost().port)]);
    const data = pattern(2 * 1024 * 1024);
    const client = new SendAndClose(data);
    reactor.connectTCP('127.0.0.1', await fwd.port(), new OneShotFactory(client));
    expect((await client.lost).check(ConnectionDone)).toBe(ConnectionDone);
    expect(Buffer.concat(client.chunks).equals(data)).toBe(true);
    expect((await lost).check(ConnectionDone)).toBe(ConnectionDone);
    expect(echoed).toBe(data.length);
  });
});
