/**
 * A line-based chat room on LineReceiver: every line a client sends goes to
 * everyone else as `<nick> line`; `/nick NAME`, `/who` and `/quit` are
 * commands; a line longer than the room's limit gets a polite error and the
 * connection is closed; on shutdown every client is told goodbye before the
 * reactor stops.
 *
 * Run: `npx tsx examples/line-chat.ts [description]` (default
 * `tcp:0:interface=127.0.0.1`, which picks a free port and prints it), then
 * talk from a few terminals with `nc 127.0.0.1 PORT`. Ctrl-C (SIGINT) or
 * SIGTERM stops it cleanly.
 */
import type { IPv4Address, IPv6Address } from 'torsion/address';
import { Deferred, succeed } from 'torsion/defer';
import type { Failure } from 'torsion/failure';
import { serverFromString } from 'torsion/endpoints';
import { LineReceiver } from 'torsion/protocols/basic';
import type { IAddress, IListeningPort, IReactorCore, IReactorTCP, IReactorTime } from 'torsion/interfaces';
import { ServerFactory } from 'torsion/protocol';
import { react } from 'torsion/task';

const NICK = /^[A-Za-z0-9_-]{1,16}$/;
const NEWLINE = Buffer.from('\n');

/**
 * One chat client. Lines end with `\n` (a trailing `\r` is dropped, so
 * telnet's CRLF works too) and are decoded as UTF-8.
 */
export class ChatProtocol extends LineReceiver {
  override delimiter = NEWLINE;
  /** The room this client is in. */
  readonly room: ChatFactory;
  /** The client's current nick (`guestN` until `/nick`). */
  nick = '';
  // Set once we have decided to drop the client: bytes that still arrive
  // before the close completes must not be read as chat lines.
  #leaving = false;

  /** @param room - the factory that keeps the set of clients. */
  constructor(room: ChatFactory) {
    super();
    this.room = room;
    this.MAX_LENGTH = room.maxLineLength;
  }

  override connectionMade(): void {
    if (this.room.closing) {
      this.goodbye('* The server is shutting down; goodbye');
      return;
    }
    this.nick = this.room.join(this);
    this.say(`* Welcome to ${this.room.name}, ${this.nick}. Commands: /nick NAME, /who, /quit`);
    this.room.broadcast(this, `* ${this.nick} has joined`);
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    // During shutdown everyone is leaving: no point telling them about each other.
    if (this.room.leave(this) && !this.room.closing) this.room.broadcast(this, `* ${this.nick} has left`);
  }

  override lineReceived(line: Buffer): void {
    if (this.#leaving) return;
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text === '') return;
    if (!text.startsWith('/')) {
      this.room.broadcast(this, `<${this.nick}> ${text}`);
      return;
    }
    const [command = '', ...args] = text.split(/\s+/);
    switch (command) {
      case '/nick':
        this.#rename(args.join(' '));
        break;
      case '/who':
        this.say(`* Here: ${this.room.nicks().join(', ')}`);
        break;
      case '/quit':
        this.goodbye('* Bye!');
        break;
      default:
        this.say(`! Unknown command ${command}; try /nick NAME, /who or /quit`);
    }
  }

  /** Too long a line: say why, then close (LineReceiver's default closes silently). */
  override lineLengthExceeded(_line: Buffer): void {
    this.goodbye(`! Line too long (the limit is ${this.MAX_LENGTH} bytes); goodbye`);
  }

  /** Send one line of text to this client. */
  say(text: string): void {
    if (this.transport !== null && !this.transport.disconnecting) this.sendLine(Buffer.from(text, 'utf8'));
  }

  /** Send a last line and close the connection once it has been written. */
  goodbye(text: string): void {
    this.say(text);
    this.#leaving = true;
    this.transport?.loseConnection();
  }

  #rename(wanted: string): void {
    if (!NICK.test(wanted)) {
      this.say('! A nick is 1-16 letters, digits, _ or -');
    } else if (!this.room.isNickFree(wanted, this)) {
      this.say(`! The nick ${wanted} is taken`);
    } else {
      const old = this.nick;
      this.nick = wanted;
      this.say(`* You are now ${wanted}`);
      this.room.broadcast(this, `* ${old} is now ${wanted}`);
    }
  }
}

/** Options of {@link ChatFactory}. */
export interface ChatOptions {
  /** The room's name, shown in the welcome line. Default 'torsion chat'. */
  name?: string;
  /** The longest line accepted, in bytes (LineReceiver's MAX_LENGTH). Default 512. */
  maxLineLength?: number;
}

/** The room: keeps the set of connected clients and their nicks. */
export class ChatFactory extends ServerFactory<ChatProtocol> {
  /** The room's name. */
  readonly name: string;
  /** The longest line a client may send. */
  readonly maxLineLength: number;
  /** The connected clients, in the order they joined. */
  readonly clients = new Set<ChatProtocol>();
  #guests = 0;
  #closing = false;
  // Deferreds of shutdown() calls, fired when the last client has left.
  #waiters: Deferred<void>[] = [];

  /** @param opts - name and line limit. */
  constructor(opts: ChatOptions = {}) {
    super();
    this.name = opts.name ?? 'torsion chat';
    this.maxLineLength = opts.maxLineLength ?? 512;
  }

  override buildProtocol(_addr: IAddress): ChatProtocol {
    return new ChatProtocol(this);
  }

  /** True once {@link ChatFactory.shutdown} was called: newcomers are turned away. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Add `client` to the room. @returns its guest nick. */
  join(client: ChatProtocol): string {
    this.clients.add(client);
    let nick: string;
    do nick = `guest${++this.#guests}`;
    while (this.#taken(nick, client));
    return nick;
  }

  /** Remove `client`. @returns whether it was in the room. */
  leave(client: ChatProtocol): boolean {
    const was = this.clients.delete(client);
    if (this.clients.size === 0 && this.#waiters.length > 0) {
      for (const d of this.#waiters.splice(0)) d.callback(undefined);
    }
    return was;
  }

  /** Whether `nick` is free for `client` (no other client has it). */
  isNickFree(nick: string, client: ChatProtocol): boolean {
    return !this.#taken(nick, client);
  }

  /** The nicks in the room, in joining order. */
  nicks(): string[] {
    return [...this.clients].map((c) => c.nick);
  }

  /** Send `text` to every client except `from` (null: to everyone). */
  broadcast(from: ChatProtocol | null, text: string): void {
    for (const client of this.clients) if (client !== from) client.say(text);
  }

  /**
   * Tell every client goodbye and close their connections; from now on a
   * client that connects is told goodbye at once.
   * @returns a Deferred that fires once the room is empty.
   */
  shutdown(): Deferred<void> {
    this.#closing = true;
    if (this.clients.size === 0) return succeed(undefined);
    const empty: Deferred<void> = new Deferred<void>(() => {
      // Cancelled (e.g. by a timeout): stop waiting, the clients still close.
      this.#waiters = this.#waiters.filter((d) => d !== empty);
    });
    this.#waiters.push(empty);
    for (const client of [...this.clients]) client.goodbye('* The server is shutting down; goodbye');
    return empty;
  }

  #taken(nick: string, except: ChatProtocol): boolean {
    for (const c of this.clients) if (c !== except && c.nick === nick) return true;
    return false;
  }
}

/** What {@link main} needs from a reactor. */
export type ChatReactor = IReactorTCP & IReactorCore & IReactorTime;

/** A running chat server: its listening port and its room. */
export interface ChatServer {
  /** The listening port. */
  readonly port: IListeningPort;
  /** The room. */
  readonly factory: ChatFactory;
  /** Where it listens. */
  readonly host: string;
  /** The TCP port number it listens on. */
  readonly portNumber: number;
}

/** How long shutdown waits for clients to read their goodbye, in seconds. */
export const SHUTDOWN_GRACE = 2;

/**
 * Listen on `argv[0]` (a server endpoint description, default
 * `tcp:0:interface=127.0.0.1`) and print `chat server listening on
 * HOST:PORT`. A 'before shutdown' trigger stops listening and says
 * goodbye to every client, waiting for them (at most
 * {@link SHUTDOWN_GRACE} seconds) before the reactor closes what is left.
 * @returns a Deferred of the running server.
 */
export function main(
  reactor: ChatReactor,
  argv: readonly string[] = [],
  print: (line: string) => void = console.log,
): Deferred<ChatServer> {
  const description = argv[0] ?? 'tcp:0:interface=127.0.0.1';
  const factory = new ChatFactory();
  return serverFromString(reactor, description)
    .listen(factory)
    .addCallback((port: IListeningPort): ChatServer => {
      const { host, port: portNumber } = port.getHost() as IPv4Address | IPv6Address;
      reactor.addSystemEventTrigger('before', 'shutdown', () => {
        // Stop accepting first, so nobody joins while the others are told goodbye.
        return port.stopListening().addBoth(() =>
          factory
            .shutdown()
            .addTimeout(SHUTDOWN_GRACE, reactor)
            .addErrback(() => undefined),
        );
      });
      print(`chat server listening on ${host}:${portNumber}`);
      return { port, factory, host, portNumber };
    });
}

if (require.main === module) {
  // Run until a signal stops the reactor: react exits 0 then, 1 if listening fails.
  void react((reactor: ChatReactor) => main(reactor, process.argv.slice(2)).addCallback(() => new Deferred<void>()));
}
