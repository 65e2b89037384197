/**
 * TelnetTransport / TelnetProtocol (conch's split) on a StringTransport,
 * and pairs of Telnet peers negotiating against each other in memory.
 */
import { Failure } from '../../../src/defer/failure';
import { ConnectionDone } from '../../../src/errors';
import { Factory } from '../../../src/protocol/factory';
import { BINARY, DO, DONT, ECHO, IAC, LF, NAWS, NOP, SB, SE, SGA, TTYPE, WILL, WONT } from '../../../src/telnet/conch/constants';
import { Telnet } from '../../../src/telnet/conch/telnet';
import { type ITelnetTransport, TelnetProtocol, TelnetTransport } from '../../../src/telnet/conch/transport';
import { StringTransport, connectedServerAndClient } from '../../../src/testing';
import { captureDebug, take, watch } from './helpers';

const B = (...xs: (number | string)[]) =>
  Buffer.concat(xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))));

class App extends TelnetProtocol {
  readonly log: unknown[][] = [];
  readonly received: Buffer[] = [];
  accept = new Set<number>([SGA, BINARY]);
  override connectionMade(): void {
    this.log.push(['connectionMade']);
  }
  override dataReceived(data: Buffer): void {
    this.received.push(Buffer.from(data));
  }
  override connectionLost(reason: Failure): void {
    this.log.push(['connectionLost', reason.value]);
  }
  override enableLocal(option: number): boolean {
    this.log.push(['enableLocal', option]);
    return this.accept.has(option);
  }
  override enableRemote(option: number): boolean {
    this.log.push(['enableRemote', option]);
    return this.accept.has(option);
  }
  override disableLocal(option: number): void {
    this.log.push(['disableLocal', option]);
  }
  override disableRemote(option: number): void {
    this.log.push(['disableRemote', option]);
  }
  override unhandledCommand(command: number, argument: number | null): void {
    this.log.push(['unhandledCommand', command, argument]);
  }
  override unhandledSubnegotiation(command: number, data: Buffer): void {
    this.log.push(['unhandledSubnegotiation', command, Buffer.from(data)]);
  }
}

function setUp(): [TelnetTransport, App, StringTransport] {
  let app: App | null = null;
  const t = new TelnetTransport(() => (app = new App()));
  const tr = new StringTransport();
  t.makeConnection(tr);
  return [t, app!, tr];
}

describe('TelnetTransport', () => {
  it('builds the protocol at connectionMade, gives it its factory, and connects it to itself', () => {
    const factory = new Factory();
    let app: App | null = null;
    const t = new TelnetTransport(() => (app = new App()));
    t.factory = factory;
    expect(t.protocol).toBeNull();
    t.makeConnection(new StringTransport());
    expect(t.protocol).toBe(app);
    expect(app!.transport).toBe(t);
    expect(app!.factory).toBe(factory);
    expect(app!.log).toEqual([['connectionMade']]);
  });

  it('without a factory there is no protocol and data is dropped', () => {
    const t = new TelnetTransport();
    t.makeConnection(new StringTransport());
    t.dataReceived(Buffer.from('x'));
    expect(t.protocol).toBeNull();
    expect(() => new TelnetTransport(5 as unknown as () => TelnetProtocol)).toThrow(TypeError);
  });

  it('hands telnet data to dataReceived, the commands and subnegotiations to the unhandled hooks', () => {
    const [t, app] = setUp();
    t.dataReceived(B('a', IAC, IAC, 'b', IAC, NOP, IAC, SB, TTYPE, 0, 'x', IAC, SE, 'c'));
    expect(Buffer.concat(app.received)).toEqual(B('a', IAC, 'b', 'c'));
    expect(app.log.slice(1)).toEqual([
      ['unhandledCommand', NOP, null],
      ['unhandledSubnegotiation', TTYPE, B(0, 'x')],
    ]);
  });

  it('forwards the negotiation hooks to the protocol, whose answer decides', () => {
    const [t, app, tr] = setUp();
    t.dataReceived(B(IAC, DO, SGA, IAC, DO, ECHO, IAC, WILL, NAWS, IAC, DONT, SGA));
    expect(take(tr)).toEqual([IAC, WILL, SGA, IAC, WONT, ECHO, IAC, DONT, NAWS, IAC, WONT, SGA]);
    expect(app.log.slice(1)).toEqual([
      ['enableLocal', SGA],
      ['enableLocal', ECHO],
      ['enableRemote', NAWS],
      ['disableLocal', SGA],
    ]);
  });

  it('the protocol negotiates through its transport (ITelnetTransport)', () => {
    const [t, app, tr] = setUp();
    const tt: ITelnetTransport = app.transport!;
    const d = watch(tt.do(NAWS));
    expect(take(tr)).toEqual([IAC, DO, NAWS]);
    t.dataReceived(B(IAC, WILL, NAWS));
    expect(d).toEqual({ settled: true, value: true });
    tt.requestNegotiation(NAWS, B(0, 80, 0, IAC));
    expect(take(tr)).toEqual([IAC, SB, NAWS, 0, 80, 0, IAC, IAC, IAC, SE]);
  });

  it('write doubles IACs and, while our BINARY is off, sends LF as CR LF', () => {
    const [t, , tr] = setUp();
    t.write(B('a', LF, IAC, 'b'));
    expect(take(tr)).toEqual([...B('a', 13, LF, IAC, IAC, 'b')]);
    t.writeSequence([B(IAC), B(LF)]);
    expect(take(tr)).toEqual([IAC, IAC, 13, LF]);
    t.write(Buffer.alloc(0));
    expect(take(tr)).toEqual([]);
    expect(() => t.write('x' as unknown as Buffer)).toThrow(TypeError);
    expect(() => t.writeSequence([B(1), 'x' as unknown as Buffer])).toThrow(TypeError);
  });

  it('with our BINARY on, write sends LF as it is', () => {
    const [t, , tr] = setUp();
    t.dataReceived(B(IAC, DO, BINARY));
    expect(take(tr)).toEqual([IAC, WILL, BINARY]);
    t.write(B('a', LF, IAC));
    expect(take(tr)).toEqual([...B('a', LF, IAC, IAC)]);
  });

  it('passes loseConnection, getPeer, getHost, disconnecting to the lower transport', () => {
    const [t, , tr] = setUp();
    expect(t.getPeer()).toBe(tr.getPeer());
    expect(t.getHost()).toBe(tr.getHost());
    expect(t.disconnecting).toBe(false);
    t.loseConnection();
    expect(tr.disconnecting).toBe(true);
    expect(t.disconnecting).toBe(true);
  });

  it('connectionLost fails pending negotiations, then reaches the protocol once, and drops it', () => {
    const [t, app] = setUp();
    const d = watch(t.will(SGA));
    const reason = new Failure(new ConnectionDone());
    t.connectionLost(reason);
    expect(d.error).toBeInstanceOf(ConnectionDone);
    expect(app.log[app.log.length - 1]).toEqual(['connectionLost', reason.value]);
    expect(t.protocol).toBeNull();
  });

  it('a protocol whose dataReceived throws ends the connection; the error is logged', () => {
    const [logged, stop] = captureDebug();
    const [t, app, tr] = setUp();
    app.dataReceived = () => {
      throw new Error('app failed');
    };
    t.dataReceived(B('x'));
    stop();
    expect(logged.some((e) => e.level === 'critical' && /dataReceived/.test(e.message))).toBe(true);
    expect(tr.disconnected || tr.disconnecting).toBe(true);
  });
});

describe('two Telnet peers in memory', () => {
  class Agreeable extends Telnet {
    readonly data: Buffer[] = [];
    accept = new Set<number>([SGA, ECHO, NAWS, BINARY, TTYPE]);
    written = 0;
    override enableLocal(option: number): boolean {
      return this.accept.has(option);
    }
    override enableRemote(option: number): boolean {
      return this.accept.has(option);
    }
    override applicationDataReceived(data: Buffer): void {
      this.data.push(Buffer.from(data));
    }
    override _write(data: Buffer | Uint8Array): void {
      this.written += data.length;
      super._write(data);
    }
  }

  it('both sides asking for the same options at once settle without a loop', () => {
    const [client, server, pump] = connectedServerAndClient(Agreeable, Agreeable);
    const results = [
      watch(client.will(SGA)),
      watch(client.do(SGA)),
      watch(server.will(SGA)),
      watch(server.do(SGA)),
      watch(client.will(BINARY)),
      watch(server.do(BINARY)),
    ];
    pump.flush();
    for (const r of results) expect(r).toEqual({ settled: true, value: true });
    for (const p of [client, server]) {
      expect(p.isLocalEnabled(SGA)).toBe(true);
      expect(p.isRemoteEnabled(SGA)).toBe(true);
    }
    expect(client.isLocalEnabled(BINARY)).toBe(true);
    expect(server.isRemoteEnabled(BINARY)).toBe(true);
    // Each request and its answer, nothing more: a loop would keep writing.
    const before = client.written + server.written;
    pump.flush();
    expect(client.written + server.written).toBe(before);
    expect(before).toBeLessThanOrEqual(3 * 10);
  });

  it('a refusing peer, rapid on/off toggles and the queue: the final states agree on both ends', () => {
    const [client, server, pump] = connectedServerAndClient(Agreeable, Agreeable);
    server.accept.delete(TTYPE);
    const refused = watch(client.will(TTYPE));
    const on = watch(client.do(ECHO));
    const off = watch(client.dont(ECHO)); // queued behind the DO
    const on2 = watch(client.will(NAWS));
    const off2 = watch(client.wont(NAWS)); // queued
    const on3 = watch(client.will(NAWS)); // cancels the queued WONT
    pump.flush();
    expect(refused.error).toBeDefined();
    expect(on.value).toBe(true);
    expect(off.value).toBe(true);
    expect(on2.value).toBe(true);
    expect(off2.error).toBeDefined();
    expect(on3.value).toBe(true);
    expect(client.isRemoteEnabled(ECHO)).toBe(false);
    expect(server.isLocalEnabled(ECHO)).toBe(false);
    expect(client.isLocalEnabled(NAWS)).toBe(true);
    expect(server.isRemoteEnabled(NAWS)).toBe(true);
    expect(client.getOptionState(TTYPE).us.state).toBe('no');
    expect(server.getOptionState(TTYPE).him.state).toBe('no');
    const before = client.written + server.written;
    pump.flush();
    expect(client.written + server.written).toBe(before);
  });

  it('data with IACs crosses the pair intact, delivered in order with the negotiation', () => {
    const [client, server, pump] = connectedServerAndClient(Agreeable, Agreeable);
    client.will(BINARY).addErrback(() => undefined);
    client.sendRaw(B('one', IAC, IAC, 'two'));
    client.requestNegotiation(NAWS, B(0, IAC, 0, 24));
    client.sendRaw(B('three'));
    pump.flush();
    expect(Buffer.concat(server.data)).toEqual(B('one', IAC, 'two', 'three'));
    expect(server.isRemoteEnabled(BINARY)).toBe(true);
  });
});
