/**
 * Endpoint description strings against real listening ports.
 */
import type { IPv4Address, IPv6Address } from '../../src/address';
import { clientFromString, connectProtocol, quoteStringArgument, serverFromString } from '../../src/endpoints';
import { CannotListenError, ConnectionRefusedError } from '../../src/errors';
import type { IListeningPort } from '../../src/interfaces/connector';
import { Factory } from '../../src/protocol/factory';
import {
  closePort,
  Collector,
  EchoFactory,
  ipv6LoopbackAvailable,
  startReactor,
  type TCPReactorUnderTest,
  unusedPort,
} from '../endpoints/integration-helpers';

let reactor: TCPReactorUnderTest;
let stopReactor: () => Promise<void>;
const ports: IListeningPort[] = [];

beforeEach(() => {
  ({ reactor, stop: stopReactor } = startReactor());
});

afterEach(async () => {
  for (const port of ports.splice(0)) await closePort(port).catch(() => undefined);
  await stopReactor();
});

async function listen(description: string): Promise<number> {
  const port = await serverFromString(reactor, description).listen(new EchoFactory());
  ports.push(port);
  return (port.getHost() as IPv4Address | IPv6Address).port;
}

async function echoOnce(proto: Collector, text: string): Promise<string> {
  proto.transport!.write(Buffer.from(text));
  return (await proto.waitFor(text.length)).toString();
}

describe('endpoint strings with real sockets', () => {
  it("a client from 'tcp:HOST:PORT:timeout=N' reaches a server from 'tcp:0:interface=127.0.0.1:backlog=50'", async () => {
    const portNumber = await listen('tcp:0:interface=127.0.0.1:backlog=50');
    const ep = clientFromString(reactor, `tcp:127.0.0.1:${portNumber}:timeout=5`);
    const proto = await ep.connect<Collector>(Factory.forProtocol(Collector));
    expect(await echoOnce(proto, 'strports')).toBe('strports');
    proto.transport!.loseConnection();
    await proto.closed;
  });

  it("a client from keyword fields ('tcp:host=...:port=...') connects too", async () => {
    const portNumber = await listen('tcp:0:interface=127.0.0.1');
    const ep = clientFromString(reactor, `TCP:host=127.0.0.1:port=${portNumber}`);
    const proto = await ep.connect<Collector>(Factory.forProtocol(Collector));
    expect(await echoOnce(proto, 'kw')).toBe('kw');
    proto.transport!.loseConnection();
    await proto.closed;
  });

  it('connectProtocol connects the given instance through a string-built endpoint', async () => {
    const portNumber = await listen('tcp:0:interface=127.0.0.1');
    const mine = new Collector();
    const proto = await connectProtocol(clientFromString(reactor, `tcp:127.0.0.1:${portNumber}`), mine);
    expect(proto).toBe(mine);
    expect(await echoOnce(mine, 'one-shot')).toBe('one-shot');
    mine.transport!.loseConnection();
    await mine.closed;
  });

  it('a string-built client to a closed port fails with ConnectionRefusedError', async () => {
    const closed = await unusedPort('127.0.0.1');
    await expect(
      clientFromString(reactor, `tcp:127.0.0.1:${closed}`).connect(Factory.forProtocol(Collector)),
    ).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it("'tcp6:' strings with an escaped ::1 listen and connect (CannotListenError without IPv6)", async () => {
    const v6 = await ipv6LoopbackAvailable();
    const listening = serverFromString(reactor, `tcp6:0:interface=${quoteStringArgument('::1')}`).listen(new EchoFactory());
    if (!v6) {
      await expect(listening).rejects.toBeInstanceOf(CannotListenError);
      return;
    }
    const port = await listening;
    ports.push(port);
    const portNumber = (port.getHost() as IPv6Address).port;
    const proto = await clientFromString(reactor, `tcp6:\\:\\:1:${portNumber}`).connect<Collector>(
      Factory.forProtocol(Collector),
    );
    expect(await echoOnce(proto, 'v6')).toBe('v6');
    proto.transport!.loseConnection();
    await proto.closed;
  });
});
