/**
 * HostnameEndpoint against real sockets: the race falls back from a
 * refused address to one that accepts.
 */
import type { IPv4Address } from '../../src/address';
import { ConnectAttemptsFailedError, HostnameEndpoint, TCP4ServerEndpoint } from '../../src/endpoints';
import { ConnectError, ConnectionRefusedError } from '../../src/errors';
import type { IListeningPort } from '../../src/interfaces/connector';
import type { IClientFactory } from '../../src/interfaces/protocol';
import type { ConnectTCPOptions } from '../../src/interfaces/tcp';
import { Factory } from '../../src/protocol/factory';
import {
  closePort,
  Collector,
  EchoFactory,
  startReactor,
  type TCPReactorUnderTest,
  unusedPort,
} from '../endpoints/integration-helpers';

let reactor: TCPReactorUnderTest;
let stopReactor: () => Promise<void>;
let port: IListeningPort | null = null;

beforeEach(() => {
  ({ reactor, stop: stopReactor } = startReactor());
});

afterEach(async () => {
  if (port !== null) await closePort(port).catch(() => undefined);
  port = null;
  await stopReactor();
});

/** The reactor, recording every connectTCP host (the endpoint only needs TCP and time). */
function recordingReactor(): { attempts: string[]; tcp: TCPReactorUnderTest } {
  const attempts: string[] = [];
  const tcp = {
    connectTCP: (host: string, p: number, factory: IClientFactory, opts?: ConnectTCPOptions) => {
      attempts.push(host);
      return reactor.connectTCP(host, p, factory, opts);
    },
    listenTCP: reactor.listenTCP.bind(reactor),
    callLater: reactor.callLater.bind(reactor),
    seconds: reactor.seconds.bind(reactor),
    getDelayedCalls: reactor.getDelayedCalls.bind(reactor),
  } as unknown as TCPReactorUnderTest;
  return { attempts, tcp };
}

async function listenOnIPv4Loopback(): Promise<number> {
  const listening = await new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }).listen(new EchoFactory());
  port = listening;
  return listening.getHost().port;
}

describe('HostnameEndpoint on the loopback interface', () => {
  it('falls back from a refused ::1 to 127.0.0.1 at once, without waiting out the attempt delay', async () => {
    const portNumber = await listenOnIPv4Loopback();
    const { attempts, tcp } = recordingReactor();
    // An attempt delay far beyond the test timeout: only "a failed attempt
    // starts the next at once" lets this connect in time.
    const ep = new HostnameEndpoint(tcp, 'localhost', portNumber, { attemptDelay: 3600, resolver: () => ['::1', '127.0.0.1'] });
    const proto = await ep.connect<Collector>(Factory.forProtocol(Collector));
    expect(attempts).toEqual(['::1', '127.0.0.1']);
    expect((proto.transport!.getPeer() as IPv4Address).host).toBe('127.0.0.1');
    // The winner cancelled the pending attempt timer.
    expect(reactor.getDelayedCalls().filter((c) => c.getTime() > reactor.seconds() + 3000)).toEqual([]);
    proto.transport!.write(Buffer.from('fallback'));
    expect((await proto.waitFor(8)).toString()).toBe('fallback');
    proto.transport!.loseConnection();
    await proto.closed;
  });

  it("connects to 'localhost' through the operating system's resolver", async () => {
    const portNumber = await listenOnIPv4Loopback();
    const proto = await new HostnameEndpoint(reactor, 'localhost', portNumber).connect<Collector>(Factory.forProtocol(Collector));
    expect((proto.transport!.getPeer() as IPv4Address).port).toBe(portNumber);
    proto.transport!.loseConnection();
    await proto.closed;
  });

  it('connects to an IP literal without a lookup', async () => {
    const portNumber = await listenOnIPv4Loopback();
    let lookups = 0;
    const ep = new HostnameEndpoint(reactor, '127.0.0.1', portNumber, {
      resolver: () => {
        lookups++;
        return [];
      },
    });
    const proto = await ep.connect<Collector>(Factory.forProtocol(Collector));
    expect(lookups).toBe(0);
    proto.transport!.loseConnection();
    await proto.closed;
  });

  it('fails with every refusal, in attempt order, when no address accepts', async () => {
    const closed = await unusedPort('127.0.0.1');
    const ep = new HostnameEndpoint(reactor, 'localhost', closed, { resolver: () => ['::1', '127.0.0.1'] });
    const err = await ep.connect(Factory.forProtocol(Collector)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectAttemptsFailedError);
    const attempts = (err as ConnectAttemptsFailedError).attempts;
    expect(attempts.map((a) => a.address.host)).toEqual(['::1', '127.0.0.1']);
    // ::1 is refused too where IPv6 works; elsewhere it fails as some other connect error.
    expect(attempts[0].failure.value).toBeInstanceOf(ConnectError);
    expect(attempts[1].failure.value).toBeInstanceOf(ConnectionRefusedError);
  });
});
