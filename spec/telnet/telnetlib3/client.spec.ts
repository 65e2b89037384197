import { Failure } from 'torsion/failure';
import { ConnectionDone, ConnectionLost, UnicodeEncodeError } from 'torsion/error';
import { captureLogEvents } from 'torsion/logger';
import { Clock } from 'torsion/testing';
import { BaseClient, TelnetClient, TelnetReader, TelnetReaderUnicode, type TelnetWriterUnicode } from 'torsion/telnet';
import {
  BINARY,
  CHARSET,
  DO,
  DONT,
  ECHO,
  GMCP,
  IAC,
  LFLOW,
  LINEMODE,
  NAWS,
  NEW_ENVIRON,
  SB,
  SE,
  SGA,
  STATUS,
  TM,
  TSPEED,
  TTYPE,
  WILL,
  WONT,
  XDISPLOC,
  b,
  connectTo,
  has,
  isSettled,
  sb,
  take,
} from './helpers';

describe('TelnetClient on a StringTransport', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  it('answers IAC WILL ECHO with IAC DO ECHO', () => {
    const client = new TelnetClient({ reactor: clock });
    const t = connectTo(client, clock);
    expect(take(t)).toEqual(Buffer.alloc(0)); // the server leads
    client.dataReceived(b(IAC, WILL, ECHO));
    expect(take(t)).toEqual(b(IAC, DO, ECHO));
    expect(client.writer!.remoteOption.enabled(ECHO)).toBe(true);
    expect(client.writer!.willEcho).toBe(true);
  });

  it('against a silent server, negotiation ends after exactly connectMinwait', async () => {
    const client = new TelnetClient({ reactor: clock, connectMinwait: 1.5 });
    let shellRan = false;
    const c2 = new TelnetClient({ reactor: clock, shell: () => void (shellRan = true) });
    connectTo(client, clock);
    connectTo(c2, clock);
    clock.advance(1.499);
    expect(await isSettled(client.waiterConnected)).toBe(false);
    clock.advance(0.001);
    expect(await isSettled(client.waiterConnected)).toBe(true);
    expect(client.duration).toBeCloseTo(1.5, 9);
    expect(shellRan).toBe(true); // c2's default minwait is 1.0
  });

  it('with an unanswered WILL, negotiation ends after exactly connectMaxwait', async () => {
    const client = new TelnetClient({ reactor: clock, alwaysWill: [NAWS], connectMinwait: 1, connectMaxwait: 4 });
    const t = connectTo(client, clock);
    expect(take(t)).toEqual(b(IAC, WILL, NAWS));
    expect(client.writer!.pendingOption.has(WILL, NAWS)).toBe(true);
    clock.advance(3.999);
    expect(await isSettled(client.waiterConnected)).toBe(false);
    clock.advance(0.001);
    expect(await isSettled(client.waiterConnected)).toBe(true);
  });

  it('TTYPE on locally and NEW_ENVIRON on locally ends negotiation at once', async () => {
    const client = new TelnetClient({ reactor: clock });
    connectTo(client, clock);
    client.dataReceived(b(IAC, DO, TTYPE));
    expect(await isSettled(client.waiterConnected)).toBe(false);
    client.dataReceived(b(IAC, DO, NEW_ENVIRON));
    expect(await isSettled(client.waiterConnected)).toBe(true);
    expect(client.duration).toBe(0);
  });

  it('TTYPE with CHARSET both ways also ends negotiation at once', async () => {
    const client = new TelnetClient({ reactor: clock });
    connectTo(client, clock);
    client.dataReceived(b(IAC, DO, TTYPE, IAC, DO, CHARSET, IAC, WILL, CHARSET));
    expect(await isSettled(client.waiterConnected)).toBe(true);
  });

  it('answers TTYPE, TSPEED and XDISPLOC SEND with IS', () => {
    const client = new TelnetClient({ reactor: clock, term: 'xterm-256color', tspeed: [9600, 4800], xdisploc: 'host:0' });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, DO, TTYPE, IAC, DO, TSPEED, IAC, DO, XDISPLOC));
    expect(take(t)).toEqual(b(IAC, WILL, TTYPE, IAC, WILL, TSPEED, IAC, WILL, XDISPLOC));
    client.dataReceived(b(sb(TTYPE, 1), sb(TSPEED, 1), sb(XDISPLOC, 1)));
    expect(take(t)).toEqual(b(sb(TTYPE, 0, 'xterm-256color'), sb(TSPEED, 0, '9600,4800'), sb(XDISPLOC, 0, 'host:0')));
    // The same type each time: a server's cycle ends at the repeat.
    client.dataReceived(sb(TTYPE, 1));
    expect(take(t)).toEqual(sb(TTYPE, 0, 'xterm-256color'));
  });

  it('a SEND for an option it did not agree to is not answered', () => {
    const client = new TelnetClient({ reactor: clock });
    const t = connectTo(client, clock);
    client.dataReceived(sb(TTYPE, 1));
    expect(take(t)).toEqual(Buffer.alloc(0));
  });

  it('sends NAWS when NAWS goes on and again on setWindowSize', () => {
    const client = new TelnetClient({ reactor: clock, cols: 132, rows: 43 });
    const t = connectTo(client, clock);
    client.setWindowSize(50, 100); // NAWS not on yet: nothing sent
    expect(take(t)).toEqual(Buffer.alloc(0));
    client.dataReceived(b(IAC, DO, NAWS));
    expect(take(t)).toEqual(b(IAC, WILL, NAWS, sb(NAWS, 0, 100, 0, 50)));
    client.setWindowSize(255, 80);
    // 255 is doubled inside the subnegotiation
    expect(take(t)).toEqual(b(IAC, SB, NAWS, 0, 80, 0, 255, 255, IAC, SE));
  });

  it('answers NEW_ENVIRON SEND with only the sendEnviron variables', () => {
    const saved = process.env.COLORTERM;
    delete process.env.COLORTERM;
    try {
      const client = new TelnetClient({ reactor: clock, term: 'vt220', cols: 80, rows: 24 });
      const t = connectTo(client, clock);
      client.dataReceived(b(IAC, DO, NEW_ENVIRON));
      take(t);
      client.dataReceived(sb(NEW_ENVIRON, 1, 0, 'LANG', 0, 'TERM', 0, 'USER', 0, 3));
      expect(take(t)).toEqual(sb(NEW_ENVIRON, 0, 0, 'LANG', 1, 'en_US.utf8', 0, 'TERM', 1, 'vt220', 0, 'USER', 1, ''));
      client.dataReceived(sb(NEW_ENVIRON, 1));
      expect(take(t)).toEqual(
        sb(NEW_ENVIRON, 0, 0, 'TERM', 1, 'vt220', 0, 'LANG', 1, 'en_US.utf8', 0, 'COLUMNS', 1, '80', 0, 'LINES', 1, '24'),
      );
    } finally {
      if (saved !== undefined) process.env.COLORTERM = saved;
    }
  });

  it('answers CHARSET REQUEST with ACCEPTED (its own encoding) or REJECTED', () => {
    const client = new TelnetClient({ reactor: clock, encoding: 'utf-8' });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, WILL, CHARSET));
    expect(take(t)).toEqual(b(IAC, DO, CHARSET));
    client.dataReceived(sb(CHARSET, 1, ' LATIN1 UTF-8'));
    expect(take(t)).toEqual(sb(CHARSET, 2, 'UTF-8'));
    expect(client.getExtraInfo('charset')).toBe('utf-8');
    client.dataReceived(sb(CHARSET, 1, ' cp437 koi8-r'));
    expect(take(t)).toEqual(b(IAC, SB, CHARSET, 3, IAC, SE));
  });

  it('a Latin-1 client takes the first viable offer (cp437), which then decodes the data', async () => {
    const client = new TelnetClient({ reactor: clock, encoding: 'latin1' });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, WILL, CHARSET, IAC, WILL, BINARY, IAC, DO, BINARY));
    take(t);
    client.dataReceived(sb(CHARSET, 1, ' illegal cp437'));
    expect(take(t)).toEqual(sb(CHARSET, 2, 'cp437'));
    expect(client.encoding({ incoming: true })).toBe('cp437');
    client.dataReceived(b(0xc9, 0xcd, 0xbb, '\r\n'));
    expect(await (client.reader as TelnetReaderUnicode).readline()).toBe('╔═╗\r\n');
    (client.writer as TelnetWriterUnicode).write('│');
    expect(take(t)).toEqual(Buffer.from([0xb3]));
  });

  it('agrees to BINARY, SGA, EOR, STATUS; refuses DO ECHO and unknown options', () => {
    const client = new TelnetClient({ reactor: clock });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, DO, BINARY, IAC, WILL, BINARY, IAC, DO, SGA, IAC, WILL, SGA, IAC, DO, ECHO));
    expect(take(t)).toEqual(b(IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, DO, SGA, IAC, WONT, ECHO));
    client.dataReceived(b(IAC, DO, LFLOW, IAC, WILL, GMCP, IAC, DO, LINEMODE, IAC, DO, STATUS));
    expect(take(t)).toEqual(b(IAC, WONT, LFLOW, IAC, DONT, GMCP, IAC, WONT, LINEMODE, IAC, WILL, STATUS));
    expect(client.writer!.localOption.get(ECHO)).toBe(false);
    expect(client.writer!.localOption.get(LFLOW)).toBe(false);
    expect(client.writer!.localOption.get(XDISPLOC)).toBeUndefined();
  });

  it('answers DO TM every time, and STATUS SEND with IS', () => {
    const client = new TelnetClient({ reactor: clock });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, DO, TM, IAC, DO, TM));
    expect(take(t)).toEqual(b(IAC, WILL, TM, IAC, WILL, TM));
    client.dataReceived(b(IAC, DO, STATUS, IAC, WILL, ECHO));
    take(t);
    client.dataReceived(sb(STATUS, 1));
    expect(take(t)).toEqual(sb(STATUS, 0, WILL, STATUS, DO, ECHO));
  });

  it('the encoding is US-ASCII until BINARY is on that way, then the default', () => {
    const client = new TelnetClient({ reactor: clock, encoding: 'utf8' });
    const t = connectTo(client, clock);
    expect(client.encoding({ outgoing: true })).toBe('US-ASCII');
    client.dataReceived(b(IAC, DO, BINARY));
    expect(client.encoding({ outgoing: true })).toBe('utf8');
    expect(client.encoding({ incoming: true })).toBe('US-ASCII');
    expect(client.encoding({ outgoing: true, incoming: true })).toBe('US-ASCII');
    client.dataReceived(b(IAC, WILL, BINARY));
    expect(client.encoding({ outgoing: true, incoming: true })).toBe('utf8');
    expect(() => client.encoding({})).toThrow(TypeError);
    take(t);
    const forced = new TelnetClient({ reactor: clock, forceBinary: true });
    connectTo(forced, clock);
    expect(forced.encoding({ incoming: true })).toBe('utf8');
  });

  it('LINEMODE only with linemode: true — MODE acknowledged, FORWARDMASK refused, SLC answered', () => {
    const client = new TelnetClient({ reactor: clock, linemode: true });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, DO, LINEMODE));
    expect(take(t)).toEqual(b(IAC, WILL, LINEMODE));
    expect(client.writer!.mode).toBe('remote');
    client.dataReceived(sb(LINEMODE, 1, 3));
    expect(take(t)).toEqual(sb(LINEMODE, 1, 3 | 4));
    client.dataReceived(sb(LINEMODE, 1, 3 | 4)); // an ACK is not answered
    expect(take(t)).toEqual(Buffer.alloc(0));
    client.dataReceived(sb(LINEMODE, DO, 2, 0x01, 0x80));
    expect(take(t)).toEqual(sb(LINEMODE, WONT, 2));
    client.dataReceived(sb(LINEMODE, 3, 0, 3, 0)); // SLC 0 DEFAULT 0: send the defaults
    const slc = take(t);
    expect(slc.subarray(0, 4)).toEqual(b(IAC, SB, LINEMODE, 3));
    expect(has(slc, b(3, 2, 3))).toBe(true); // IP = ^C, variable
  });

  it('telnet data goes to the reader, commands do not; IAC IAC is 255', async () => {
    const client = new TelnetClient({ reactor: clock, encoding: false });
    connectTo(client, clock);
    expect(client.reader).toBeInstanceOf(TelnetReader);
    client.dataReceived(b('hel', IAC, WILL, SGA, 'lo ', IAC, IAC, '\n'));
    expect(await (client.reader as TelnetReader).readline()).toEqual(b('hello ', 255, '\n'));
  });

  it('writes double IAC; the byte writer refuses strings', () => {
    const client = new TelnetClient({ reactor: clock, encoding: false });
    const t = connectTo(client, clock);
    client.writer!.write(b('a', 255, 'b'));
    expect(take(t)).toEqual(b('a', 255, 255, 'b'));
    expect(() => client.writer!.write('text' as never)).toThrow(TypeError);
  });

  it('hostile input: malformed subnegotiations are skipped, the connection and data go on', async () => {
    const client = new TelnetClient({ reactor: clock });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, DO, NEW_ENVIRON, IAC, DO, TTYPE, IAC, WILL, CHARSET));
    take(t);
    client.dataReceived(
      b(
        sb(NEW_ENVIRON, 1, 'junk'),
        sb(TTYPE, 9),
        sb(CHARSET),
        sb(CHARSET, 1),
        sb(NAWS, 1, 2),
        sb(LINEMODE, 1, 1),
        'still here\n',
      ),
    );
    expect(take(t)).toEqual(Buffer.alloc(0));
    expect(await (client.reader as TelnetReaderUnicode).readline()).toBe('still here\n');
    // a subnegotiation split at every byte is reassembled
    const req = sb(TTYPE, 1);
    for (const byte of req) client.dataReceived(Buffer.from([byte]));
    expect(take(t)).toEqual(sb(TTYPE, 0, 'unknown'));
  });

  it('getExtraInfo: the protocol table, then the transport, then the default', () => {
    const client = new TelnetClient({ reactor: clock, term: 'ansi', cols: 90, rows: 30 });
    connectTo(client, clock);
    expect(client.getExtraInfo('term')).toBe('ansi');
    expect(client.getExtraInfo('cols')).toBe(90);
    expect(client.getExtraInfo('rows')).toBe(30);
    expect(client.getExtraInfo('lang')).toBe('en_US.utf8');
    expect(client.getExtraInfo('tspeed')).toBe('38400,38400');
    expect(client.getExtraInfo('peername')).toEqual(['192.168.1.1', 54321]);
    expect(client.getExtraInfo('sockname')).toEqual(['10.0.0.1', 12345]);
    expect(client.getExtraInfo('nothing', 'dflt')).toBe('dflt');
    expect(client.writer!.getExtraInfo('term')).toBe('ansi');
  });

  it('duration and idle follow the clock', () => {
    const client = new TelnetClient({ reactor: clock });
    connectTo(client, clock);
    clock.advance(2);
    client.dataReceived(b('x'));
    clock.advance(3);
    expect(client.duration).toBe(5);
    expect(client.idle).toBe(3);
  });

  it('end: ConnectionDone feeds EOF, the shell ends, write after close is a no-op and drain rejects', async () => {
    let seen: string | null = null;
    const client = new TelnetClient({
      reactor: clock,
      connectMinwait: 0,
      shell: async (reader) => {
        seen = await reader.read();
      },
    });
    const t = connectTo(client, clock);
    clock.advance(0);
    client.dataReceived(b('bye'));
    const waitFor = client.writer!.waitFor({ remote: { [ECHO]: true } });
    client.connectionLost(Failure.from(new ConnectionDone()));
    expect(await client.waiterClosed).toBe(client);
    expect(seen).toBe('bye');
    await expect(waitFor).rejects.toBeInstanceOf(ConnectionDone);
    (client.writer as TelnetWriterUnicode).write('late');
    expect(take(t)).toEqual(Buffer.alloc(0));
    await expect(client.writer!.drain()).rejects.toBeInstanceOf(ConnectionDone);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('end: another reason makes reads reject with it; waiterConnected resolves if it had not', async () => {
    const client = new TelnetClient({ reactor: clock });
    connectTo(client, clock);
    client.connectionLost(Failure.from(new ConnectionLost()));
    expect(await client.waiterConnected).toBe(client);
    await expect((client.reader as TelnetReaderUnicode).read()).rejects.toBeInstanceOf(ConnectionLost);
    expect(await client.waiterClosed).toBe(client);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it("the peer's FIN closes the whole connection", () => {
    const client = new TelnetClient({ reactor: clock });
    const t = connectTo(client, clock);
    client.readConnectionLost();
    expect(t.disconnecting).toBe(true);
  });

  it('a shell that rejects is logged, not an unhandled rejection', async () => {
    const [events, stop] = captureLogEvents();
    try {
      const client = new TelnetClient({
        reactor: clock,
        connectMinwait: 0,
        shell: async () => {
          throw new Error('shell broke');
        },
      });
      connectTo(client, clock);
      expect(await client.waiterClosed).toBe(client);
      expect(events.some((e) => e.level === 'critical' && String(e.message).includes('shell'))).toBe(true);
    } finally {
      stop();
    }
  });

  it('waitFor resolves once the conditions hold', async () => {
    const client = new TelnetClient({ reactor: clock });
    connectTo(client, clock);
    const p = client.writer!.waitFor({ remote: { [ECHO]: true, [SGA]: true } });
    client.dataReceived(b(IAC, WILL, ECHO));
    expect(await isSettled(p)).toBe(false);
    client.dataReceived(b(IAC, WILL, SGA));
    expect(await p).toBe(true);
    expect(client.writer!.mode).toBe('kludge');
    expect(() => client.writer!.waitFor({ remote: { 999: true } })).toThrow(TypeError);
  });

  it('bad options throw typed errors naming them', () => {
    expect(() => new TelnetClient({ connectMinwait: -1 })).toThrow(/connectMinwait/);
    expect(() => new TelnetClient({ encoding: 'no-such-codec' })).toThrow(/encoding/);
    expect(() => new TelnetClient({ encodingErrors: 'loud' as never })).toThrow(/encodingErrors/);
    expect(() => new TelnetClient({ cols: -3 })).toThrow(/cols/);
    expect(() => new TelnetClient({ alwaysWill: [300] })).toThrow(/alwaysWill/);
    expect(() => new BaseClient({ shell: 'sh' as never })).toThrow(/shell/);
  });

  it('a BaseClient (no send callbacks) refuses TTYPE and NAWS', () => {
    const client = new BaseClient({ reactor: clock });
    const t = connectTo(client, clock);
    client.dataReceived(b(IAC, DO, TTYPE, IAC, DO, NAWS));
    expect(take(t)).toEqual(b(IAC, WONT, TTYPE, IAC, WONT, NAWS));
  });
});

describe('TelnetWriterUnicode encodings and flow control', () => {
  it("encodingErrors: 'strict' throws UnicodeEncodeError, 'replace' writes ?", () => {
    const clock = new Clock();
    const strict = new TelnetClient({ reactor: clock, encodingErrors: 'strict' });
    const t1 = connectTo(strict, clock);
    expect(() => (strict.writer as TelnetWriterUnicode).write('✓')).toThrow(UnicodeEncodeError);
    expect(take(t1)).toEqual(Buffer.alloc(0));
    const replace = new TelnetClient({ reactor: clock, encodingErrors: 'replace' });
    const t2 = connectTo(replace, clock);
    (replace.writer as TelnetWriterUnicode).write('a✓b');
    expect(take(t2)).toEqual(b('a?b'));
    replace.dataReceived(b(IAC, DO, BINARY));
    expect(take(t2)).toEqual(b(IAC, WILL, BINARY));
    (replace.writer as TelnetWriterUnicode).write('✓');
    expect(take(t2)).toEqual(Buffer.from('✓'));
  });

  it('drain() waits from pauseWriting to resumeWriting', async () => {
    const clock = new Clock();
    const client = new TelnetClient({ reactor: clock });
    connectTo(client, clock);
    await client.writer!.drain();
    client.pauseWriting();
    const d = client.writer!.drain();
    expect(await isSettled(d)).toBe(false);
    client.resumeWriting();
    expect(await isSettled(d)).toBe(true);
  });

  it('the reader pauses the transport above twice its limit', async () => {
    const clock = new Clock();
    const client = new TelnetClient({ reactor: clock, limit: 8 });
    const t = connectTo(client, clock);
    client.dataReceived(b('0123456789abcdefg'));
    expect(t.producerState).toBe('paused');
    await (client.reader as TelnetReaderUnicode).read(12);
    expect(t.producerState).toBe('producing');
  });
});
