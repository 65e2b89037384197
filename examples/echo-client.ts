/**
 * An echo client: sends a few lines, prints each echo, closes, and stops
 * the reactor. Twisted's `echoclient.py`, in torsion, run with `react`.
 *
 * Run: `npx tsx examples/echo-client.ts <port> [line ...]` against
 * examples/echo-server.ts.
 */
import { ClientFactory, Deferred, LineReceiver, react, type Failure, type Reactor } from 'torsion';

/** Sends its lines once connected and closes when every echo is back. */
export class EchoClient extends LineReceiver {
  override delimiter = Buffer.from('\n');
  readonly echoes: string[] = [];

  override connectionMade(): void {
    for (const line of this.#factory().lines) this.sendLine(Buffer.from(line, 'utf8'));
  }

  override lineReceived(line: Buffer): void {
    const text = line.toString('utf8');
    this.echoes.push(text);
    this.#factory().print(`Server said: ${text}`);
    if (this.echoes.length === this.#factory().lines.length) this.transport!.loseConnection();
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.#factory().finished(this.echoes);
  }

  #factory(): EchoClientFactory {
    return this.factory as EchoClientFactory;
  }
}

/** Builds one EchoClient; `done` fires with the echoes, or fails if the connection did. */
export class EchoClientFactory extends ClientFactory<EchoClient> {
  readonly done = new Deferred<string[]>();
  override protocol = EchoClient;

  constructor(
    readonly lines: readonly string[],
    readonly print: (line: string) => void,
  ) {
    super();
  }

  finished(echoes: string[]): void {
    if (!this.done.called) this.done.callback(echoes);
  }

  override clientConnectionFailed(_connector: unknown, reason: Failure): void {
    this.print(`Connection failed: ${reason.getErrorMessage()}`);
    this.done.errback(reason);
  }
}

/** Options of {@link main}. */
export interface EchoClientOptions {
  host?: string;
  /** Default 8000. */
  port?: number;
  /** The lines to send. */
  lines?: readonly string[];
  /** Where output goes. Default console.log. */
  print?: (line: string) => void;
}

/** Connect, exchange the lines, and return a Deferred that fires with the echoes once closed. */
export function main(reactor: Reactor, opts: EchoClientOptions = {}): Deferred<string[]> {
  const factory = new EchoClientFactory(opts.lines ?? ['hello, world', 'what a fine day it is'], opts.print ?? console.log);
  reactor.connectTCP(opts.host ?? '127.0.0.1', opts.port ?? 8000, factory);
  return factory.done;
}

if (require.main === module) {
  const [port, ...lines] = process.argv.slice(2);
  void react(main, [{ port: port === undefined ? 8000 : Number(port), lines: lines.length > 0 ? lines : undefined }]);
}
