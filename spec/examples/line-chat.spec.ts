/**
 * examples/line-chat.ts: the chat protocol on StringTransports, a whole
 * conversation in memory (IOPump, loopbackAsync), main() on a real Reactor,
 * and the example run as a program (`tsx examples/line-chat.ts`).
 */
import { spawn } from 'node:child_process';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import * as path from 'node:path';
import { IPv4Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import { EndpointParseError } from '../../src/endpoints';
import { LineReceiver } from '../../src/framing';
import { Reactor } from '../../src/reactor';
import {
  Clock,
  StringTransport,
  StringTransportWithDisconnection,
  connect,
  loopbackAsync,
  makeFakeClient,
  makeFakeServer,
} from '../../src/testing';
import { ChatFactory, type ChatProtocol, main } from '../../examples/line-chat';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const PEER = new IPv4Address('TCP', '192.168.1.1', 54321);

/** A client of the room on a StringTransport; `lines()` are the lines it was sent. */
function join(room: ChatFactory): { proto: ChatProtocol; tr: StringTransportWithDisconnection; lines: () => string[] } {
  const proto = room.buildProtocol(PEER);
  const tr = new StringTransportWithDisconnection();
  tr.protocol = proto;
  proto.makeConnection(tr);
  return { proto, tr, lines: () => splitLines(tr.value()) };
}

function splitLines(data: Buffer): string[] {
  const text = data.toString('utf8');
  if (!text.endsWith('\n') && text !== '') throw new Error(`not whole lines: ${JSON.stringify(text)}`);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

function send(proto: ChatProtocol, text: string): void {
  proto.dataReceived(Buffer.from(text, 'utf8'));
}

describe('ChatProtocol and ChatFactory on StringTransports', () => {
  it('welcomes a new client with a guest nick and tells the others it joined', () => {
    const room = new ChatFactory();
    const a = join(room);
    const b = join(room);
    expect(a.proto.nick).toBe('guest1');
    expect(b.lines()).toEqual(['* Welcome to torsion chat, guest2. Commands: /nick NAME, /who, /quit']);
    expect(a.lines()).toEqual(['* Welcome to torsion chat, guest1. Commands: /nick NAME, /who, /quit', '* guest2 has joined']);
    expect([...room.clients]).toEqual([a.proto, b.proto]);
  });

  it('broadcasts a line to every other client as "<nick> line", never back to the sender', () => {
    const room = new ChatFactory();
    const [a, b, c] = [join(room), join(room), join(room)];
    for (const x of [a, b, c]) x.tr.clear();
    send(b.proto, 'hello, room\n');
    expect(a.lines()).toEqual(['<guest2> hello, room']);
    expect(c.lines()).toEqual(['<guest2> hello, room']);
    expect(b.lines()).toEqual([]);
  });

  it('drops a trailing CR, so CRLF clients (telnet) work, and ignores empty lines', () => {
    const room = new ChatFactory();
    const [a, b] = [join(room), join(room)];
    a.tr.clear();
    send(b.proto, 'crlf line\r\n\r\n\n');
    expect(a.lines()).toEqual(['<guest2> crlf line']);
  });

  it('delivers a line split at every byte boundary exactly once', () => {
    const message = 'ünïcode and spaces\n';
    const bytes = Buffer.from(message, 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const room = new ChatFactory();
      const [a, b] = [join(room), join(room)];
      a.tr.clear();
      b.proto.dataReceived(bytes.subarray(0, cut));
      b.proto.dataReceived(bytes.subarray(cut));
      expect(a.lines()).toEqual(['<guest2> ünïcode and spaces']);
    }
    const room = new ChatFactory();
    const [a, b] = [join(room), join(room)];
    a.tr.clear();
    for (const byte of bytes) b.proto.dataReceived(Buffer.from([byte]));
    expect(a.lines()).toEqual(['<guest2> ünïcode and spaces']);
  });

  it('/nick renames the client and tells the others; the new nick is used for its lines', () => {
    const room = new ChatFactory();
    const [a, b] = [join(room), join(room)];
    a.tr.clear();
    b.tr.clear();
    send(a.proto, '/nick alice\nhi\n');
    expect(a.lines()).toEqual(['* You are now alice']);
    expect(b.lines()).toEqual(['* guest1 is now alice', '<alice> hi']);
    expect(room.nicks()).toEqual(['alice', 'guest2']);
  });

  it('/nick refuses a nick another client has, and a malformed nick, keeping the old one', () => {
    const room = new ChatFactory();
    const [a, b] = [join(room), join(room)];
    send(a.proto, '/nick alice\n');
    b.tr.clear();
    a.tr.clear();
    send(b.proto, '/nick alice\n/nick \n/nick two words\n/nick ' + 'x'.repeat(17) + '\n');
    expect(b.lines()).toEqual([
      '! The nick alice is taken',
      '! A nick is 1-16 letters, digits, _ or -',
      '! A nick is 1-16 letters, digits, _ or -',
      '! A nick is 1-16 letters, digits, _ or -',
    ]);
    expect(b.proto.nick).toBe('guest2');
    expect(a.lines()).toEqual([]);
  });

  it('/who lists the nicks in joining order; an unknown command gets an error', () => {
    const room = new ChatFactory();
    const [a, b] = [join(room), join(room)];
    send(b.proto, '/nick bob\n');
    a.tr.clear();
    send(a.proto, '/who\n/shout hi\n');
    expect(a.lines()).toEqual(['* Here: guest1, bob', '! Unknown command /shout; try /nick NAME, /who or /quit']);
  });

  it('/quit says bye, closes the connection, frees the nick and tells the others', () => {
    const room = new ChatFactory();
    const [a, b] = [join(room), join(room)];
    send(a.proto, '/nick alice\n');
    b.tr.clear();
    a.tr.clear();
    send(a.proto, '/quit\n');
    expect(a.lines()).toEqual(['* Bye!']);
    expect(a.tr.disconnecting).toBe(true);
    expect(b.lines()).toEqual(['* alice has left']);
    expect(room.clients.has(a.proto)).toBe(false);
    send(b.proto, '/nick alice\n');
    expect(b.proto.nick).toBe('alice');
  });

  it('accepts a line of exactly maxLineLength bytes', () => {
    const room = new ChatFactory({ maxLineLength: 16 });
    const [a, b] = [join(room), join(room)];
    a.tr.clear();
    send(b.proto, 'y'.repeat(16) + '\n');
    expect(a.lines()).toEqual([`<guest2> ${'y'.repeat(16)}`]);
    expect(b.tr.disconnecting).toBe(false);
  });

  it('answers a too-long line with a polite error and closes; nothing of it, nor what follows, is broadcast', () => {
    const room = new ChatFactory({ maxLineLength: 16 });
    const [a, b] = [join(room), join(room)];
    a.tr.clear();
    b.tr.clear();
    send(b.proto, 'z'.repeat(17) + '\nafter\n');
    expect(b.lines()).toEqual(['! Line too long (the limit is 16 bytes); goodbye']);
    expect(b.tr.disconnecting).toBe(true);
    expect(a.lines()).toEqual(['* guest2 has left']);
  });

  it('drops a client whose unterminated line passes the limit, without waiting for its end', () => {
    const room = new ChatFactory({ maxLineLength: 16 });
    const [a, b] = [join(room), join(room)];
    a.tr.clear();
    b.tr.clear();
    send(b.proto, 'w'.repeat(10));
    expect(b.tr.disconnecting).toBe(false);
    send(b.proto, 'w'.repeat(10));
    expect(b.lines()).toEqual(['! Line too long (the limit is 16 bytes); goodbye']);
    expect(b.tr.disconnecting).toBe(true);
    expect(a.lines()).toEqual(['* guest2 has left']);
  });

  it('ignores lines that arrive after the client was told goodbye but before the close completes', () => {
    const room = new ChatFactory({ maxLineLength: 16 });
    const a = join(room);
    const b = room.buildProtocol(PEER);
    // A plain StringTransport never completes the close, as a slow real one would not yet have.
    b.makeConnection(new StringTransport());
    send(b, 'v'.repeat(20) + '\n');
    a.tr.clear();
    send(b, 'sneaky\n/nick late\n');
    expect(a.lines()).toEqual([]);
    expect(b.nick).toBe('guest2');
  });

  it('shutdown() tells every client goodbye, closes them all and fires once the room is empty', () => {
    const room = new ChatFactory();
    const [a, b] = [join(room), join(room)];
    a.tr.clear();
    b.tr.clear();
    let fired = 0;
    room.shutdown().addCallback(() => void fired++);
    expect(fired).toBe(1);
    expect(a.lines()).toEqual(['* The server is shutting down; goodbye']);
    expect(b.lines()).toEqual(['* The server is shutting down; goodbye']);
    expect(room.clients.size).toBe(0);
  });

  it('shutdown() waits for clients whose close has not completed, and a timeout can stop the wait', () => {
    const room = new ChatFactory();
    const slow = room.buildProtocol(PEER);
    slow.makeConnection(new StringTransport());
    const clock = new Clock();
    const outcomes: string[] = [];
    room
      .shutdown()
      .addTimeout(2, clock)
      .addCallbacks(
        () => void outcomes.push('empty'),
        (f) => void outcomes.push(f.value instanceof Error ? f.value.name : 'other'),
      );
    clock.advance(1.9);
    expect(outcomes).toEqual([]);
    clock.advance(0.1);
    expect(outcomes).toEqual(['TimeoutError']);
    // The client leaving later must not trip over the abandoned wait.
    expect(() => slow.connectionLost(new Failure(new Error('gone')))).not.toThrow();
    expect(room.clients.size).toBe(0);
  });

  it('turns away a client that connects after shutdown(), without announcing it', () => {
    const room = new ChatFactory();
    const a = join(room);
    room.shutdown();
    const late = join(room);
    expect(late.lines()).toEqual(['* The server is shutting down; goodbye']);
    expect(late.tr.disconnecting).toBe(true);
    expect(a.lines()).toEqual([
      '* Welcome to torsion chat, guest1. Commands: /nick NAME, /who, /quit',
      '* The server is shutting down; goodbye',
    ]);
    expect(room.clients.size).toBe(0);
  });

  it('shutdown() of an empty room fires at once', () => {
    let fired = false;
    new ChatFactory().shutdown().addCallback(() => void (fired = true));
    expect(fired).toBe(true);
  });
});

/** A chat client for the in-memory specs: collects the lines it gets. */
class Collector extends LineReceiver {
  override delimiter = Buffer.from('\n');
  readonly lines: string[] = [];
  closed = false;
  override lineReceived(line: Buffer): void {
    this.lines.push(line.toString('utf8'));
  }
  override connectionLost(): void {
    this.closed = true;
  }
  say(text: string): void {
    this.sendLine(Buffer.from(text, 'utf8'));
  }
}

/** A client that sends a script once welcomed, for loopbackAsync. */
class Scripted extends Collector {
  constructor(readonly script: string[]) {
    super();
  }
  override lineReceived(line: Buffer): void {
    super.lineReceived(line);
    if (this.lines.length === 1) for (const text of this.script) this.say(text);
  }
}

describe('a chat conversation in memory', () => {
  /** Connect a Collector to `room` through an IOPump. */
  function pumpTo(room: ChatFactory, chunkSize?: number) {
    const client = new Collector();
    const server = room.buildProtocol(PEER);
    const pump = connect(server, makeFakeServer(server), client, makeFakeClient(client), chunkSize ? { chunkSize } : {});
    return { client, server, pump };
  }

  it.each([undefined, 1])('two clients rename, talk and leave over IOPump (chunkSize %p)', (chunkSize) => {
    const room = new ChatFactory();
    const alice = pumpTo(room, chunkSize);
    const bob = pumpTo(room, chunkSize);
    const flush = (): void => {
      alice.pump.flush();
      bob.pump.flush();
      alice.pump.flush();
    };
    alice.client.say('/nick alice');
    bob.client.say('/nick bob');
    flush();
    alice.client.say('hi bob, ça va?');
    flush();
    bob.client.say('fine');
    bob.client.say('/quit');
    flush();
    expect(alice.client.lines).toEqual([
      '* Welcome to torsion chat, guest1. Commands: /nick NAME, /who, /quit',
      '* guest2 has joined',
      '* You are now alice',
      '* guest2 is now bob',
      '<bob> fine',
      '* bob has left',
    ]);
    expect(bob.client.lines).toEqual([
      '* Welcome to torsion chat, guest2. Commands: /nick NAME, /who, /quit',
      '* guest1 is now alice',
      '* You are now bob',
      '<alice> hi bob, ça va?',
      '* Bye!',
    ]);
    expect([bob.client.closed, alice.client.closed]).toEqual([true, false]);
    expect(room.nicks()).toEqual(['alice']);
  });

  it('a too-long line reaches the sender as an error line, then its connection closes; the other client stays', () => {
    const room = new ChatFactory({ maxLineLength: 32 });
    const alice = pumpTo(room);
    const mallory = pumpTo(room, 7);
    mallory.client.say('m'.repeat(100));
    mallory.pump.flush();
    alice.pump.flush();
    expect(mallory.client.lines.at(-1)).toBe('! Line too long (the limit is 32 bytes); goodbye');
    expect(mallory.client.closed).toBe(true);
    expect(alice.client.lines.slice(1)).toEqual(['* guest2 has joined', '* guest2 has left']);
    expect(alice.client.closed).toBe(false);
  });

  it('loopbackAsync runs a scripted session until the server closes it after /quit', async () => {
    const room = new ChatFactory({ name: 'loop room' });
    const client = new Scripted(['/nick solo', '/who', 'talking to nobody', '/quit']);
    await loopbackAsync(room.buildProtocol(PEER), client);
    expect(client.lines).toEqual([
      '* Welcome to loop room, guest1. Commands: /nick NAME, /who, /quit',
      '* You are now solo',
      '* Here: solo',
      '* Bye!',
    ]);
    expect(client.closed).toBe(true);
    expect(room.clients.size).toBe(0);
  });
});

/** A raw node:net client that hands out the lines it receives, one by one. */
class LineSocket {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  readonly all: string[] = [];
  #buffer = '';
  #taken = 0;
  #wake: (() => void) | null = null;

  constructor(port: number) {
    this.socket = netConnect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      const parts = this.#buffer.split('\n');
      this.#buffer = parts.pop()!;
      this.all.push(...parts);
      this.#wake?.();
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** The next line not yet taken; rejects if the socket closes first. */
  async next(): Promise<string> {
    while (this.#taken >= this.all.length) {
      if (this.socket.destroyed) throw new Error(`closed; lines were ${JSON.stringify(this.all)}`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.socket.once('close', resolve);
      });
      this.#wake = null;
    }
    return this.all[this.#taken++]!;
  }

  send(text: string): void {
    this.socket.write(text);
  }
}

/** A free TCP port on 127.0.0.1 (bound by Node, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('main() on a real Reactor over 127.0.0.1', () => {
  let reactor: Reactor;
  let done: Promise<void>;
  const sockets: LineSocket[] = [];

  beforeEach(() => {
    reactor = new Reactor();
    done = reactor.run();
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.socket.destroy();
    if (reactor.running) reactor.stop();
    await done;
  });

  function open(port: number): LineSocket {
    const s = new LineSocket(port);
    sockets.push(s);
    return s;
  }

  it('listens on a free port of 127.0.0.1, prints it, and relays lines between two raw TCP clients', async () => {
    const printed: string[] = [];
    const srv = await main(reactor, [], (l) => printed.push(l));
    expect(printed).toEqual([`chat server listening on 127.0.0.1:${srv.portNumber}`]);
    expect(srv.portNumber).toBeGreaterThan(0);
    const a = open(srv.portNumber);
    expect(await a.next()).toMatch(/^\* Welcome to torsion chat, guest1\./);
    const b = open(srv.portNumber);
    expect(await b.next()).toMatch(/^\* Welcome to torsion chat, guest2\./);
    expect(await a.next()).toBe('* guest2 has joined');
    a.send('/nick alice\r\nhello over TCP\r\n');
    expect(await a.next()).toBe('* You are now alice');
    expect(await b.next()).toBe('* guest1 is now alice');
    expect(await b.next()).toBe('<alice> hello over TCP');
    b.send('/quit\n');
    expect(await b.next()).toBe('* Bye!');
    await b.closed;
    expect(await a.next()).toBe('* guest2 has left');
  });

  it('answers a too-long line with the error line and then closes that socket only', async () => {
    const srv = await main(reactor, [], () => undefined);
    const a = open(srv.portNumber);
    await a.next();
    const m = open(srv.portNumber);
    await m.next();
    await a.next();
    m.send('x'.repeat(srv.factory.maxLineLength + 1) + '\n');
    expect(await m.next()).toBe(`! Line too long (the limit is ${srv.factory.maxLineLength} bytes); goodbye`);
    await m.closed;
    expect(await a.next()).toBe('* guest2 has left');
    expect(a.socket.destroyed).toBe(false);
  });

  it('stopping the reactor says goodbye to every client and closes them before run() resolves', async () => {
    const srv = await main(reactor, [], () => undefined);
    const a = open(srv.portNumber);
    const b = open(srv.portNumber);
    await a.next();
    await b.next();
    expect(srv.factory.clients.size).toBe(2);
    reactor.stop();
    await done;
    await Promise.all([a.closed, b.closed]);
    expect(a.all.at(-1)).toBe('* The server is shutting down; goodbye');
    expect(b.all.at(-1)).toBe('* The server is shutting down; goodbye');
    expect(srv.factory.clients.size).toBe(0);
  });

  it('listens where a given description says', async () => {
    const port = await freePort();
    const printed: string[] = [];
    const srv = await main(reactor, [`tcp:${port}:interface=127.0.0.1:backlog=5`], (l) => printed.push(l));
    expect(srv.portNumber).toBe(port);
    expect(printed).toEqual([`chat server listening on 127.0.0.1:${port}`]);
    const a = open(port);
    expect(await a.next()).toMatch(/^\* Welcome/);
  });

  it('refuses a malformed description with EndpointParseError', () => {
    expect(() => main(reactor, ['tcp:port=eighty'], () => undefined)).toThrow(EndpointParseError);
  });
});

describe('examples/line-chat.ts run as a program', () => {
  it('serves two raw sockets, then exits 0 on SIGTERM after telling them goodbye', async () => {
    const child = spawn(TSX, ['examples/line-chat.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (code, signal) => resolve([code, signal])),
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          const m = /chat server listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        void exited.then(([code]) => reject(new Error(`exited with ${code} before listening:\n${out}\n${err}`)));
      });
      const a = new LineSocket(port);
      expect(await a.next()).toMatch(/^\* Welcome/);
      const b = new LineSocket(port);
      expect(await b.next()).toMatch(/^\* Welcome/);
      expect(await a.next()).toBe('* guest2 has joined');
      b.send('hi from a child process test\n');
      expect(await a.next()).toBe('<guest2> hi from a child process test');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
      await Promise.all([a.closed, b.closed]);
      expect([a.all.at(-1), b.all.at(-1)]).toEqual([
        '* The server is shutting down; goodbye',
        '* The server is shutting down; goodbye',
      ]);
      expect(err).toMatch(/Received SIGTERM, shutting down/);
      expect(err).not.toMatch(/error|Unhandled/i);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30000);
});
