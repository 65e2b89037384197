import { Clock } from 'torsion/testing';
import { BaseServer, TelnetServer, type TelnetReaderUnicode } from 'torsion/telnet';
import {
  BINARY,
  CHARSET,
  DO,
  DONT,
  ECHO,
  IAC,
  LINEMODE,
  NAWS,
  NEW_ENVIRON,
  SGA,
  TSPEED,
  TTYPE,
  WILL,
  WONT,
  XDISPLOC,
  b,
  connectTo,
  isSettled,
  sb,
  take,
} from './helpers';

const ADVANCED = b(IAC, WILL, SGA, IAC, WILL, ECHO, IAC, WILL, BINARY, IAC, DO, NEW_ENVIRON, IAC, DO, NAWS, IAC, DO, CHARSET);

describe('TelnetServer on a StringTransport', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  it('leads with DO TTYPE at callLater(0), then asks the advanced options once the client agrees', () => {
    const server = new TelnetServer({ reactor: clock });
    const t = connectTo(server, clock);
    expect(take(t)).toEqual(b(IAC, DO, TTYPE));
    server.dataReceived(b(IAC, WILL, TTYPE));
    expect(take(t)).toEqual(sb(TTYPE, 1));
    clock.advance(0);
    expect(take(t)).toEqual(ADVANCED);
  });

  it('without an encoding, does not ask for CHARSET', () => {
    const server = new TelnetServer({ reactor: clock, encoding: false });
    const t = connectTo(server, clock);
    server.dataReceived(b(IAC, WILL, TTYPE));
    clock.advance(0);
    expect(take(t)).toEqual(
      b(IAC, DO, TTYPE, sb(TTYPE, 1), IAC, WILL, SGA, IAC, WILL, ECHO, IAC, WILL, BINARY, IAC, DO, NEW_ENVIRON, IAC, DO, NAWS),
    );
  });

  it('cycles TTYPE until a type repeats', () => {
    const server = new TelnetServer({ reactor: clock });
    const t = connectTo(server, clock);
    server.dataReceived(b(IAC, WILL, TTYPE));
    take(t);
    server.dataReceived(sb(TTYPE, 0, 'xterm'));
    expect(take(t)).toEqual(sb(TTYPE, 1));
    server.dataReceived(sb(TTYPE, 0, 'xterm'));
    expect(take(t)).toEqual(Buffer.alloc(0));
    expect(server.getExtraInfo('ttype1')).toBe('xterm');
    expect(server.getExtraInfo('ttype2')).toBe('xterm');
    expect(server.getExtraInfo('TERM')).toBe('xterm');
    expect(server.getExtraInfo('term')).toBe('xterm');
    expect(server.writer!.pendingOption.has(250, TTYPE)).toBe(false);
  });

  it('stops a TTYPE cycle that loops back to the first type, and keeps MTTS clients at their second', () => {
    const server = new TelnetServer({ reactor: clock });
    const t = connectTo(server, clock);
    server.dataReceived(b(IAC, WILL, TTYPE));
    take(t);
    for (const name of ['TINTIN++', 'ansi', 'VT100']) server.dataReceived(sb(TTYPE, 0, name));
    expect(take(t)).toEqual(b(sb(TTYPE, 1), sb(TTYPE, 1), sb(TTYPE, 1)));
    server.dataReceived(sb(TTYPE, 0, 'TINTIN++'));
    expect(take(t)).toEqual(Buffer.alloc(0));

    const mud = new TelnetServer({ reactor: clock });
    const t2 = connectTo(mud, clock);
    mud.dataReceived(b(IAC, WILL, TTYPE));
    for (const name of ['MUDLET', 'XTERM-256COLOR', 'MTTS 137']) mud.dataReceived(sb(TTYPE, 0, name));
    expect(mud.getExtraInfo('TERM')).toBe('XTERM-256COLOR');
    expect(take(t2).toString('latin1').split('\xff\xfa\x18\x01').length - 1).toBe(3);
  });

  it('asks TTYPE at most 9 times of a client that never repeats', () => {
    const server = new TelnetServer({ reactor: clock });
    const t = connectTo(server, clock);
    server.dataReceived(b(IAC, WILL, TTYPE));
    let requests = 0;
    for (let i = 0; i < 20; i++) {
      requests += take(t).toString('latin1').split('\xff\xfa\x18\x01').length - 1;
      server.dataReceived(sb(TTYPE, 0, `term${i}`));
    }
    requests += take(t).toString('latin1').split('\xff\xfa\x18\x01').length - 1;
    expect(requests).toBe(9);
  });

  it('NAWS, TSPEED, XDISPLOC and NEW_ENVIRON land in getExtraInfo (NEW_ENVIRON upper-cased)', () => {
    const server = new TelnetServer({ reactor: clock });
    const t = connectTo(server, clock);
    server.dataReceived(b(IAC, WILL, NAWS, sb(NAWS, 0, 132, 0, 43)));
    expect([server.getExtraInfo('rows'), server.getExtraInfo('cols')]).toEqual([43, 132]);
    server.dataReceived(b(IAC, WILL, TSPEED, IAC, WILL, XDISPLOC));
    expect(take(t)).toEqual(b(IAC, DO, TTYPE, IAC, DO, NAWS, IAC, DO, TSPEED, sb(TSPEED, 1), IAC, DO, XDISPLOC, sb(XDISPLOC, 1)));
    server.dataReceived(b(sb(TSPEED, 0, '9600,9600'), sb(XDISPLOC, 0, 'x:0')));
    expect(server.getExtraInfo('tspeed')).toBe('9600,9600');
    expect(server.getExtraInfo('xdisploc')).toBe('x:0');
    server.dataReceived(b(IAC, WILL, NEW_ENVIRON));
    expect(take(t)).toEqual(
      b(
        IAC,
        DO,
        NEW_ENVIRON,
        sb(NEW_ENVIRON, 1, 0, 'LANG', 0, 'TERM', 0, 'COLUMNS', 0, 'LINES', 0, 'DISPLAY', 0, 'COLORTERM', 0, 3),
      ),
    );
    server.dataReceived(sb(NEW_ENVIRON, 0, 0, 'lang', 1, 'de_DE.ISO-8859-15', 3, 'user', 1, 'bob', 0, 'EMPTY', 1, ''));
    expect(server.getExtraInfo('LANG')).toBe('de_DE.ISO-8859-15');
    expect(server.getExtraInfo('USER')).toBe('bob');
    expect(server.getExtraInfo('EMPTY', 'none')).toBe('none');
    server.dataReceived(b(IAC, DO, BINARY, IAC, WILL, BINARY));
    expect(server.encoding({ outgoing: true, incoming: true })).toBe('ISO-8859-15');
  });

  it('CHARSET: REQUEST offers onRequestCharset, ACCEPTED sets the charset', () => {
    const server = new TelnetServer({ reactor: clock, encoding: 'utf8' });
    const t = connectTo(server, clock);
    server.dataReceived(b(IAC, WILL, CHARSET));
    const out = take(t);
    expect(out.subarray(0, 9)).toEqual(b(IAC, DO, TTYPE, IAC, DO, CHARSET, IAC, 250, CHARSET));
    expect(out.toString('latin1')).toContain('\x01 UTF-8 UTF-16 LATIN1 US-ASCII BIG5 GBK');
    expect(server.writer!.pendingOption.has(250, CHARSET)).toBe(true);
    server.dataReceived(sb(CHARSET, 2, 'cp437'));
    expect(server.getExtraInfo('charset')).toBe('cp437');
    expect(server.writer!.pendingOption.has(250, CHARSET)).toBe(false);
    server.dataReceived(b(IAC, DO, BINARY, IAC, WILL, BINARY));
    expect(server.encoding({ incoming: true })).toBe('cp437');
  });

  it('asks DO BINARY once its WILL BINARY was accepted; negotiation completes when nothing is pending', async () => {
    let shell = 0;
    const server = new TelnetServer({ reactor: clock, shell: () => void shell++ });
    const t = connectTo(server, clock);
    server.dataReceived(b(IAC, WILL, TTYPE));
    clock.advance(0);
    take(t);
    server.dataReceived(
      b(
        sb(TTYPE, 0, 'vt100'),
        IAC,
        DO,
        SGA,
        IAC,
        DO,
        ECHO,
        IAC,
        DO,
        BINARY,
        IAC,
        WONT,
        NEW_ENVIRON,
        IAC,
        WONT,
        NAWS,
        IAC,
        WONT,
        CHARSET,
      ),
    );
    expect(take(t)).toEqual(b(sb(TTYPE, 1), IAC, DO, BINARY));
    expect(await isSettled(server.waiterConnected)).toBe(false);
    server.dataReceived(b(sb(TTYPE, 0, 'vt100'), IAC, WILL, BINARY));
    expect(await isSettled(server.waiterConnected)).toBe(true);
    expect(await isSettled(server.waiterEncoding)).toBe(true);
    expect(shell).toBe(1);
    expect(server.writer!.mode).toBe('kludge');
    expect(server.encoding({ outgoing: true, incoming: true })).toBe('utf8');
  });

  it('against a silent (non-telnet) client, negotiation ends at exactly connectMaxwait', async () => {
    const server = new TelnetServer({ reactor: clock, connectMaxwait: 4 });
    connectTo(server, clock);
    clock.advance(3.999);
    expect(await isSettled(server.waiterConnected)).toBe(false);
    clock.advance(0.001);
    expect(await isSettled(server.waiterConnected)).toBe(true);
    expect(await isSettled(server.waiterEncoding)).toBe(true);
  });

  it('a client refusing TTYPE ends the encoding wait', async () => {
    const server = new TelnetServer({ reactor: clock });
    connectTo(server, clock);
    server.dataReceived(b(IAC, WONT, TTYPE));
    expect(await isSettled(server.waiterEncoding)).toBe(true);
    expect(await isSettled(server.waiterConnected)).toBe(true);
  });

  it('refuses WILL ECHO and DO LINEMODE from a client; sendLinemode needs LINEMODE', () => {
    const server = new TelnetServer({ reactor: clock });
    const t = connectTo(server, clock);
    take(t);
    server.dataReceived(b(IAC, WILL, ECHO, IAC, DO, LINEMODE));
    expect(take(t)).toEqual(b(IAC, DONT, ECHO, IAC, WONT, LINEMODE));
    server.writer!.sendLinemode(3);
    expect(take(t)).toEqual(Buffer.alloc(0));
    const lm = new TelnetServer({ reactor: clock, alwaysDo: [LINEMODE] });
    const t2 = connectTo(lm, clock);
    lm.dataReceived(b(IAC, WILL, LINEMODE));
    take(t2);
    lm.writer!.sendLinemode(3);
    expect(take(t2)).toEqual(sb(LINEMODE, 1, 3));
    expect(lm.writer!.requestForwardmask()).toBe(true);
  });

  it('closes an idle connection after timeout seconds, restarting at each received chunk', () => {
    const server = new TelnetServer({ reactor: clock, timeout: 10 });
    const t = connectTo(server, clock);
    take(t);
    clock.advance(9);
    server.dataReceived(b('x'));
    clock.advance(9);
    expect(t.disconnecting).toBe(false);
    clock.advance(1);
    expect(take(t).toString()).toBe('\r\nTimeout.\r\n');
    expect(t.disconnecting).toBe(true);
    const never = new TelnetServer({ reactor: clock, timeout: 0 });
    connectTo(never, clock);
    clock.advance(10000);
    expect(never.writer!.isClosing()).toBe(false);
  });

  it('the shell gets the Unicode reader and writer', async () => {
    let got = '';
    const server = new TelnetServer({
      reactor: clock,
      connectMaxwait: 0.5,
      shell: async (reader, writer) => {
        writer.write('name? ');
        got = await (reader as TelnetReaderUnicode).readline();
        writer.write(`hi ${got.trim()}\r\n`);
        writer.close();
      },
    });
    const t = connectTo(server, clock);
    clock.advance(0.5);
    server.dataReceived(b('bob\r\n'));
    await server.waiterClosed;
    expect(got).toBe('bob\r\n');
    expect(take(t).toString('latin1')).toBe('\xff\xfd\x18name? hi bob\r\n');
  });

  it('BaseServer sends nothing itself and is done when nothing is pending', async () => {
    const server = new BaseServer({ reactor: clock });
    const t = connectTo(server, clock);
    expect(take(t)).toEqual(Buffer.alloc(0));
    expect(await isSettled(server.waiterConnected)).toBe(true);
  });
});
