/**
 * Interop of torsion's conch telnet layer with the real Twisted
 * (python3-twisted's twisted.conch.telnet): a torsion TelnetTransport client
 * against a Twisted TelnetTransport server, and a Twisted client against a
 * torsion server, both negotiating options (accepted and refused, BINARY
 * both ways), a NAWS subnegotiation, IAC commands, and every byte value
 * (255 included) in the data, over 127.0.0.1.
 *
 * The Twisted peer is the small script below, written to a temporary file
 * and started through the interop harness (which stops it after each test).
 * Without a Python that imports Twisted, one test reports why.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Deferred } from '../../src/defer/deferred';
import type { Failure } from '../../src/defer/failure';
import { ConnectionDone, OptionRefused } from '../../src/errors';
import { Factory } from '../../src/protocol/factory';
import { BINARY, ECHO, IAC, NAWS, NOP, SGA } from '../../src/telnet/conch/constants';
import { TelnetProtocol, TelnetTransport } from '../../src/telnet/conch/transport';
import { OneShotFactory, describeWithTwisted, signal } from './harness';

const PEER = String.raw`
import json, sys
from twisted.conch import telnet
from twisted.internet import protocol, reactor, stdio

def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()

class StopOnStdinClose(protocol.Protocol):
    def connectionLost(self, reason):
        if reactor.running:
            reactor.stop()

NAWS, SGA, BINARY, ECHO = b"\x1f", b"\x03", b"\x00", b"\x01"
NAMES = {NAWS: "NAWS", SGA: "SGA", BINARY: "BINARY", ECHO: "ECHO"}
AGREE = (SGA, NAWS, BINARY)

class Peer(telnet.TelnetProtocol):
    def __init__(self, role, expect=0):
        self.role, self.expect, self.got, self.enabled, self.sent = role, expect, b"", set(), False

    def connectionMade(self):
        self.transport.negotiationMap[NAWS] = self.naws
        if self.role == "server":
            self.ask("will", SGA)
            self.ask("do", NAWS)

    def ask(self, how, option):
        d = getattr(self.transport, how)(option)
        d.addCallbacks(
            lambda r: report(event=how, option=NAMES[option], result=r),
            lambda f: report(event=how, option=NAMES[option], error=f.type.__name__))

    def naws(self, data):
        report(event="naws", hex=b"".join(data).hex())

    def enableLocal(self, option):
        ok = option in AGREE
        report(event="enableLocal", option=NAMES.get(option, repr(option)), ok=ok)
        if ok:
            self.enabled.add(("local", option))
            self.maybe_send()
        return ok

    def enableRemote(self, option):
        ok = option in AGREE
        report(event="enableRemote", option=NAMES.get(option, repr(option)), ok=ok)
        if ok:
            self.enabled.add(("remote", option))
            self.maybe_send()
        return ok

    def disableLocal(self, option):
        report(event="disableLocal", option=NAMES.get(option, repr(option)))

    def disableRemote(self, option):
        report(event="disableRemote", option=NAMES.get(option, repr(option)))

    def maybe_send(self):
        need = {("local", NAWS), ("local", BINARY), ("remote", BINARY), ("remote", SGA)}
        if self.role == "client" and not self.sent and need <= self.enabled:
            self.sent = True
            reactor.callLater(0, self.send)

    def send(self):
        self.transport.requestNegotiation(NAWS, b"\x00\x50\x00\x18")
        self.transport.write(bytes(range(256)))

    def unhandledCommand(self, command, argument):
        report(event="command", command=ord(command), argument=None if argument is None else ord(argument))

    def dataReceived(self, data):
        self.got += data
        if self.role == "server":
            report(event="data", total=len(self.got), hex=self.got.hex())
            self.transport.write(data)
        elif len(self.got) >= self.expect:
            report(event="echo", hex=self.got.hex())
            self.transport.loseConnection()

    def connectionLost(self, reason):
        report(event="lost", reason=reason.type.__name__, received=len(self.got))
        if self.role == "client":
            reactor.callLater(0, reactor.stop)

stdio.StandardIO(StopOnStdinClose())
if sys.argv[1] == "server":
    factory = protocol.ServerFactory()
    factory.protocol = lambda: telnet.TelnetTransport(Peer, "server")
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    report(event="listening", port=port.getHost().port)
else:
    protocol.ClientCreator(reactor, telnet.TelnetTransport, Peer, "client", int(sys.argv[3])).connectTCP(
        "127.0.0.1", int(sys.argv[2]))
reactor.run()
`;

const ALL = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** `data` with each LF preceded by CR (what a NVT newline becomes on the wire). */
function crlf(data: Buffer): Buffer {
  const out: number[] = [];
  for (const b of data) {
    if (b === 10) out.push(13);
    out.push(b);
  }
  return Buffer.from(out);
}

class App extends TelnetProtocol {
  readonly received: Buffer[] = [];
  readonly hooks: string[] = [];
  readonly naws: Buffer[] = [];
  readonly made = signal<void>();
  readonly lost = signal<Failure>();
  wanted = 0;
  readonly gotAll = signal<Buffer>();
  echo = false;
  constructor(readonly accept: Set<number>) {
    super();
  }
  override connectionMade(): void {
    (this.transport as TelnetTransport).negotiationMap.set(NAWS, (d) => this.naws.push(Buffer.from(d)));
    this.made.resolve();
  }
  override enableLocal(option: number): boolean {
    this.hooks.push(`enableLocal ${option}`);
    return this.accept.has(option);
  }
  override enableRemote(option: number): boolean {
    this.hooks.push(`enableRemote ${option}`);
    return this.accept.has(option);
  }
  override dataReceived(data: Buffer): void {
    this.received.push(Buffer.from(data));
    if (this.echo) this.transport!.write(data);
    const all = Buffer.concat(this.received);
    if (this.wanted > 0 && all.length >= this.wanted) this.gotAll.resolve(all);
  }
  override connectionLost(reason: Failure): void {
    this.lost.resolve(reason);
  }
}

describeWithTwisted('torsion conch telnet against Twisted conch', 'the telnet conch interop specs', (ctx) => {
  let dir = '';
  let script = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'torsion-telnet-'));
    script = path.join(dir, 'conch_peer.py');
    writeFileSync(script, PEER);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // The harness runs scripts from ./peers; reach the temporary file from there.
  const peer = (args: string[]) => ctx.peer(path.relative(path.join(__dirname, 'peers'), script), args);

  it('a torsion client negotiates with a Twisted server (agreed, refused, NAWS), and all 256 byte values cross both ways', async () => {
    const server = peer(['server']);
    const port = await server.port();
    const app = new App(new Set([SGA, NAWS]));
    const transport = new TelnetTransport(() => app);
    ctx.reactor.connectTCP('127.0.0.1', port, new OneShotFactory(transport));
    await app.made.promise;

    // Twisted's will(SGA) and do(NAWS) reach our hooks and are accepted.
    expect(await server.next('will')).toMatchObject({ option: 'SGA', result: true });
    expect(await server.next('do')).toMatchObject({ option: 'NAWS', result: true });
    expect(transport.isRemoteEnabled(SGA)).toBe(true);
    expect(transport.isLocalEnabled(NAWS)).toBe(true);
    expect(app.hooks).toEqual([`enableRemote ${SGA}`, `enableLocal ${NAWS}`]);

    // Twisted refuses ECHO: our Deferred fails with OptionRefused.
    const echo = signal<unknown>();
    transport.do(ECHO).addCallbacks(echo.resolve, (f: Failure) => echo.resolve(f.value));
    expect(await echo.promise).toBeInstanceOf(OptionRefused);
    expect(await server.next('enableLocal', (e) => e.option === 'ECHO')).toMatchObject({ ok: false });

    transport.requestNegotiation(NAWS, Buffer.from([0, 80, 0, 24]));
    transport.sendCommand(NOP);
    app.wanted = crlf(ALL).length;
    transport.write(ALL);
    expect(await server.next('naws')).toMatchObject({ hex: '00500018' });
    expect(await server.next('command')).toMatchObject({ command: NOP, argument: null });
    // Our LF went out as CR LF (our BINARY is off), which conch delivers as LF: Twisted saw 0..255 exactly.
    expect(await server.next('data', (e) => e.total === 256)).toMatchObject({ hex: ALL.toString('hex') });
    // Twisted's echo writes LF as CR LF; with its BINARY off we deliver CR LF as CR LF.
    expect((await app.gotAll.promise).equals(crlf(ALL))).toBe(true);

    transport.loseConnection();
    expect((await app.lost.promise).check(ConnectionDone)).toBe(ConnectionDone);
    expect(await server.next('lost')).toMatchObject({ reason: 'ConnectionDone', received: 256 });
  });

  it('a Twisted client negotiates SGA, NAWS and BINARY both ways with a torsion server, and gets 0..255 (255 included) back unchanged', async () => {
    const results: Record<string, unknown> = {};
    const made = signal<App>();
    class Server extends Factory {
      override buildProtocol(): TelnetTransport {
        const t = new TelnetTransport(() => {
          const app = new App(new Set([SGA, NAWS, BINARY]));
          app.echo = true;
          made.resolve(app);
          return app;
        });
        t.factory = this;
        return t;
      }
    }
    const listening = ctx.reactor.listenTCP(0, new Server(), { interface: '127.0.0.1' });
    const portNo = (listening.getHost() as { port: number }).port;
    const client = peer(['client', String(portNo), '256']);
    const record = (name: string, d: Deferred<true>) =>
      d.addCallbacks(
        (v) => void (results[name] = v),
        (f: Failure) => void (results[name] = f.value),
      );
    const a = await made.promise;
    await a.made.promise;
    const tt = a.transport as TelnetTransport;
    record('will SGA', tt.will(SGA));
    record('do NAWS', tt.do(NAWS));
    record('will BINARY', tt.will(BINARY));
    record('do BINARY', tt.do(BINARY));

    const echo = await client.next('echo');
    expect(echo.hex).toBe(ALL.toString('hex'));
    expect(await client.next('lost')).toMatchObject({ reason: 'ConnectionDone', received: 256 });
    expect(await client.exited).toBe(0);
    expect((await a.lost.promise).check(ConnectionDone)).toBe(ConnectionDone);

    expect(results).toEqual({ 'will SGA': true, 'do NAWS': true, 'will BINARY': true, 'do BINARY': true });
    expect(a.naws).toEqual([Buffer.from([0, 80, 0, 24])]);
    // Twisted's write sends LF as CR LF even in BINARY; with the peer's BINARY on we pass CR LF through as it is.
    expect(Buffer.concat(a.received).equals(crlf(ALL))).toBe(true);
    expect(Buffer.concat(a.received).includes(IAC)).toBe(true);
    await listening.stopListening();
  });
});
