/**
 * An echo server: every byte a client sends comes straight back.
 * Twisted's classic first example (`echoserv.py`), in torsion.
 *
 * Run: `npx tsx examples/echo-server.ts [port]` (default 8000; 0 picks a
 * free port), then `npx tsx examples/echo-client.ts <port>`. Ctrl-C stops
 * the reactor cleanly.
 */
import type { IPv4Address, IPv6Address } from 'torsion/address';
import { Factory, Protocol, reactor as globalReactor, type Reactor } from 'torsion';
import type { IListeningPort } from 'torsion/interfaces';

/** The protocol: write back whatever arrives. */
export class Echo extends Protocol {
  override dataReceived(data: Buffer): void {
    this.transport!.write(data);
  }
}

/** Options of {@link main}. */
export interface EchoServerOptions {
  /** TCP port to listen on; 0 picks a free one. Default 8000. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1'. */
  interface?: string;
  /** Where the "listening on" line goes. Default console.log. */
  print?: (line: string) => void;
}

/**
 * Start listening on `reactor` and print where. The reactor may already be
 * running or be run afterwards; stop the returned port (or the reactor) to
 * end.
 */
export function main(reactor: Reactor, opts: EchoServerOptions = {}): IListeningPort {
  const print = opts.print ?? console.log;
  const port = reactor.listenTCP(opts.port ?? 8000, Factory.forProtocol(Echo), {
    interface: opts.interface ?? '127.0.0.1',
  });
  const host = port.getHost() as IPv4Address | IPv6Address;
  print(`echo server listening on ${host.host}:${host.port}`);
  return port;
}

if (require.main === module) {
  const arg = process.argv[2];
  main(globalReactor, { port: arg === undefined ? 8000 : Number(arg) });
  void globalReactor.run();
}
