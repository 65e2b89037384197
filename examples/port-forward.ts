/**
 * A TCP port forwarder, as Twisted's `twisted.protocols.portforward`:
 * every connection accepted on the local port is forwarded to a
 * destination, bytes flow both ways with flow control, and a close on
 * either side closes the other once its bytes are out.
 *
 * Run: `npx tsx examples/port-forward.ts <local port> <dest host> <dest port>`
 * (e.g. `8080 example.org 80`; 0 picks a free local port). Ctrl-C stops
 * the reactor cleanly.
 */
import type { IPv4Address, IPv6Address } from 'torsion/address';
import { reactor as globalReactor, type Reactor } from 'torsion';
import type { IListeningPort } from 'torsion/interfaces';
import { ProxyFactory } from 'torsion/protocols/portforward';

/** Options of {@link main}. */
export interface PortForwardOptions {
  /** Local TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Where connections go. */
  destHost: string;
  /** The destination port. */
  destPort: number;
  /** Interface to bind. Default '127.0.0.1'. */
  interface?: string;
  /** Where the "forwarding" line goes. Default console.log. */
  print?: (line: string) => void;
}

/** Listen on `reactor` and forward every connection; stop the port to end. */
export function main(reactor: Reactor, opts: PortForwardOptions): IListeningPort {
  const print = opts.print ?? console.log;
  const port = reactor.listenTCP(opts.port, new ProxyFactory(opts.destHost, opts.destPort, reactor), {
    interface: opts.interface ?? '127.0.0.1',
  });
  const host = port.getHost() as IPv4Address | IPv6Address;
  print(`forwarding ${host.host}:${host.port} to ${opts.destHost}:${opts.destPort}`);
  return port;
}

if (require.main === module) {
  const [local, destHost, destPort] = process.argv.slice(2);
  if (destHost === undefined || destPort === undefined) {
    console.error('usage: port-forward.ts <local port> <dest host> <dest port>');
    process.exit(2);
  }
  main(globalReactor, { port: Number(local), destHost, destPort: Number(destPort) });
  void globalReactor.run();
}
