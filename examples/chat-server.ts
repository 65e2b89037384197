/**
 * A small chat server: each client picks a name, then every line it sends
 * goes to everyone else as `<name> line`. The chat example of Twisted's
 * "Writing Servers" howto, in torsion, on LineReceiver.
 *
 * Run: `npx tsx examples/chat-server.ts [port]` (default 8123), then talk
 * to it from a few terminals with `nc 127.0.0.1 8123`.
 */
import type { IPv4Address, IPv6Address } from 'torsion/address';
import { Factory, LineReceiver, reactor as globalReactor, type Failure, type Reactor } from 'torsion';
import type { IListeningPort } from 'torsion/interfaces';

/** One client: state GETNAME until it has a free name, then CHAT. */
export class Chat extends LineReceiver {
  override delimiter = Buffer.from('\n');
  name: string | null = null;
  state: 'GETNAME' | 'CHAT' = 'GETNAME';

  override connectionMade(): void {
    this.say("What's your name?");
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    const users = this.#users();
    if (this.name !== null && users.get(this.name) === this) {
      users.delete(this.name);
      this.#broadcast(`* ${this.name} has left`);
    }
  }

  override lineReceived(line: Buffer): void {
    // Telnet and nc on some systems end lines with CRLF.
    const text = line.toString('utf8').replace(/\r$/, '');
    if (this.state === 'GETNAME') this.handleGETNAME(text);
    else this.handleCHAT(text);
  }

  handleGETNAME(name: string): void {
    const users = this.#users();
    if (name === '' || users.has(name)) {
      this.say('Name taken, please choose another.');
      return;
    }
    this.say(`Welcome, ${name}!`);
    this.name = name;
    users.set(name, this);
    this.state = 'CHAT';
    this.#broadcast(`* ${name} has joined`);
  }

  handleCHAT(message: string): void {
    this.#broadcast(`<${this.name}> ${message}`);
  }

  /** Send one line of text to this client. */
  say(text: string): void {
    this.sendLine(Buffer.from(text, 'utf8'));
  }

  #broadcast(text: string): void {
    for (const [, other] of this.#users()) if (other !== this) other.say(text);
  }

  #users(): Map<string, Chat> {
    return (this.factory as ChatFactory).users;
  }
}

/** Holds the name → client map that all Chat protocols share. */
export class ChatFactory extends Factory<Chat> {
  readonly users = new Map<string, Chat>();
  override protocol = Chat;
}

/** Options of {@link main}. */
export interface ChatServerOptions {
  /** Default 8123; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  interface?: string;
  print?: (line: string) => void;
}

/** Start the chat server on `reactor`; returns the listening port and the factory (its users). */
export function main(reactor: Reactor, opts: ChatServerOptions = {}): { port: IListeningPort; factory: ChatFactory } {
  const factory = new ChatFactory();
  const port = reactor.listenTCP(opts.port ?? 8123, factory, { interface: opts.interface ?? '127.0.0.1' });
  const host = port.getHost() as IPv4Address | IPv6Address;
  (opts.print ?? console.log)(`chat server listening on ${host.host}:${host.port}`);
  return { port, factory };
}

if (require.main === module) {
  const arg = process.argv[2];
  main(globalReactor, { port: arg === undefined ? 8123 : Number(arg) });
  void globalReactor.run();
}
