/**
 * examples/line-chat.ts: the chat protocol on StringTransports, a whole
 * conversation in memory (IOPump, loopbackAsync), main() on a real Reactor,
 * and the example run as a program (`tsx examples/line-chat.ts`).
 */
import { spawn } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import * as path from 'node:path';
import { IPv4Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import { EndpointParseError } from '../../src/endpoints';
import { LineReceiver } from '../../src/framing';
import type { IReactorTCP } from '../../src/interfaces/tcp';
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
    expect(a.lines()).toEqual(['* Welcome to torsion chat, guest1. Commands: /nick NAME, /who, /quit', '* The server is shutting down; goodbye']);
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
