/**
 * A UDP echo server and client: every datagram the server gets goes back
 * to its sender. Twisted's `udpecho.py`, in torsion.
 *
 * Run: `npx tsx examples/udp-echo.ts server [port]` (default 8000; 0 picks a
 * free port), then `npx tsx examples/udp-echo.ts client <port> hello world`.
 */
import { DatagramProtocol, reactor as globalReactor, type Reactor } from 'torsion';
import type { IPv4Address, IPv6Address } from 'torsion/address';
import type { IUDPListeningPort } from 'torsion/interfaces';

/** The server's protocol: send each datagram back where it came from. */
export class Echo extends DatagramProtocol {
  override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
    this.transport!.write(data, addr);
  }
}

/**
 * The client's protocol: a connected port (so a server that is not there
 * shows as connectionRefused) that sends each message and collects the
 * echoes.
 */
export class EchoClient extends DatagramProtocol {
  readonly replies: string[] = [];
  constructor(
    readonly host: string,
    readonly port: number,
    readonly messages: readonly string[],
    readonly onDone: (replies: string[] | Error) => void,
  ) {
    super();
  }
  override startProtocol(): void {
    this.transport!.connect(this.host, this.port);
    for (const m of this.messages) this.transport!.write(Buffer.from(m));
  }
  override datagramReceived(data: Buffer): void {
    this.replies.push(data.toString());
    if (this.replies.length === this.messages.length) this.onDone(this.replies);
  }
  override connectionRefused(): void {
    this.onDone(new Error(`no server on ${this.host}:${this.port} (connection refused)`));
  }
}

/** Options of {@link main}. */
export interface UDPEchoOptions {
  /** UDP port to listen on; 0 picks a free one. Default 8000. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1'. */
  interface?: string;
  /** Where the "listening on" line goes. Default console.log. */
  print?: (line: string) => void;
}

/** Start the echo server on `reactor` and print where. */
export function main(reactor: Reactor, opts: UDPEchoOptions = {}): IUDPListeningPort {
  const print = opts.print ?? console.log;
  const port = reactor.listenUDP(opts.port ?? 8000, new Echo(), { interface: opts.interface ?? '127.0.0.1' });
  const host = port.getHost();
  print(`UDP echo server listening on ${host.host}:${host.port}`);
  return port;
}

/**
 * Send `messages` to the server at 127.0.0.1:`port` from a fresh port and
 * resolve with the echoes (in arrival order), then close the client port.
 */
export function client(reactor: Reactor, port: number, messages: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let listening: IUDPListeningPort | null = null;
    const proto = new EchoClient('127.0.0.1', port, messages, (result) => {
      void listening?.stopListening();
      if (result instanceof Error) reject(result);
      else resolve(result);
    });
    listening = reactor.listenUDP(0, proto, { interface: '127.0.0.1' });
  });
}

if (require.main === module) {
  const [mode, portArg, ...words] = process.argv.slice(2);
  if (mode === 'client') {
    void globalReactor.run();
    client(globalReactor, Number(portArg), words.length > 0 ? words : ['hello']).then(
      (replies) => {
        for (const r of replies) console.log(`echo: ${r}`);
        globalReactor.stop();
      },
      (err: Error) => {
        console.error(err.message);
        process.exitCode = 1;
        globalReactor.stop();
      },
    );
  } else {
    main(globalReactor, { port: portArg === undefined ? 8000 : Number(portArg) });
    void globalReactor.run();
  }
}
