/**
 * examples/int32-rpc.ts: server and client protocols on StringTransports
 * with a Clock, a whole session in memory (IOPump; endpoint strings on a
 * MemoryReactorClock), main() on a real Reactor, and the example run as a
 * program (`tsx examples/int32-rpc.ts`).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { IPv4Address } from '../../src/address';
import { CancelledError, TimeoutError } from '../../src/defer';
import { Failure } from '../../src/defer/failure';
import { EndpointParseError, clientFromString, connectProtocol, serverFromString } from '../../src/endpoints';
import { ConnectionDone, ConnectionLost } from '../../src/errors';
import { captureLogEvents } from '../../src/logger';
import { Reactor } from '../../src/reactor';
import { react } from '../../src/task';
import {
  Clock,
  ConnectionCompleter,
  MemoryReactorClock,
  StringTransport,
  connect,
  makeFakeClient,
  makeFakeServer,
} from '../../src/testing';
import { RpcClient, RpcError, type RpcResponse, RpcServerFactory, type RpcServerProtocol, main } from '../../examples/int32-rpc';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const PEER = new IPv4Address('TCP', '127.0.0.1', 40000);

/** Frame `payload` as Int32StringReceiver does: 4-byte big-endian length, then the bytes. */
function frame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

/** Split `data` into its Int32-framed payloads, insisting that nothing is left over. */
function unframe(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < 4) throw new Error(`a partial prefix: ${data.subarray(at).toString('hex')}`);
    const n = data.readUInt32BE(at);
    if (data.length - at - 4 < n) throw new Error(`a partial frame of ${n} bytes`);
    out.push(data.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

function json(data: Buffer): unknown[] {
  return unframe(data).map((b) => JSON.parse(b.toString('utf8')) as unknown);
}

/** A server protocol on a StringTransport, with its factory's clock. */
function server(): { proto: RpcServerProtocol; tr: StringTransport; clock: Clock } {
  const clock = new Clock();
  const proto = new RpcServerFactory(clock).buildProtocol(PEER);
  const tr = new StringTransport();
  proto.makeConnection(tr);
  return { proto, tr, clock };
}

/** A client protocol on a StringTransport, timing out on a Clock. */
function client(timeout?: number | null): { proto: RpcClient; tr: StringTransport; clock: Clock } {
  const clock = new Clock();
  const proto = new RpcClient(clock, timeout === undefined ? {} : { timeout });
  const tr = new StringTransport();
  proto.makeConnection(tr);
  return { proto, tr, clock };
}

/** Record how a Deferred ends: ['ok', value] or ['err', error]. */
function outcome<T>(d: PromiseLike<T> & { addCallbacks: Function }): { value?: [string, unknown] } {
  const box: { value?: [string, unknown] } = {};
  d.addCallbacks(
    (v: unknown) => void (box.value = ['ok', v]),
    (f: Failure) => void (box.value = ['err', f.value]),
  );
  return box;
}

describe('RpcServerProtocol on a StringTransport', () => {
  it('answers add, upper and echo with JSON responses framed by a 4-byte big-endian length', () => {
    const { proto, tr } = server();
    proto.dataReceived(frame('{"id":1,"method":"add","params":[1,2,3.5]}'));
    proto.dataReceived(frame('{"id":2,"method":"upper","params":"héllo"}'));
    proto.dataReceived(frame('{"id":3,"method":"echo","params":{"a":[1,null,"x"]}}'));
    const out = tr.value();
    const first = Buffer.from('{"id":1,"result":6.5}');
    expect(out.subarray(0, 4 + first.length)).toEqual(Buffer.concat([Buffer.from([0, 0, 0, first.length]), first]));
    expect(json(out)).toEqual([
      { id: 1, result: 6.5 },
      { id: 2, result: 'HÉLLO' },
      { id: 3, result: { a: [1, null, 'x'] } },
    ]);
  });

  it('answers echo without params with a null result (JSON has no undefined)', () => {
    const { proto, tr } = server();
    proto.dataReceived(frame('{"id":9,"method":"echo"}'));
    expect(json(tr.value())).toEqual([{ id: 9, result: null }]);
  });

  it('parses requests split at every byte boundary and delivered a byte at a time', () => {
    const request = frame('{"id":7,"method":"upper","params":"split"}');
    for (let cut = 0; cut <= request.length; cut++) {
      const { proto, tr } = server();
      proto.dataReceived(request.subarray(0, cut));
      proto.dataReceived(request.subarray(cut));
      expect(json(tr.value())).toEqual([{ id: 7, result: 'SPLIT' }]);
    }
    const { proto, tr } = server();
    for (const byte of Buffer.concat([request, request])) proto.dataReceived(Buffer.from([byte]));
    expect(json(tr.value())).toEqual([
      { id: 7, result: 'SPLIT' },
      { id: 7, result: 'SPLIT' },
    ]);
  });

  it('answers malformed JSON with a PARSE_ERROR response and keeps serving the connection', () => {
    const { proto, tr } = server();
    proto.dataReceived(frame('{"id":1,"method":'));
    proto.dataReceived(frame(Buffer.from([0xff, 0xfe])));
    proto.dataReceived(frame('{"id":2,"method":"add","params":[2,2]}'));
    const [bad1, bad2, good] = json(tr.value()) as RpcResponse[];
    expect(bad1).toMatchObject({ id: null, error: { code: 'PARSE_ERROR' } });
    expect(bad1!.error!.message).toMatch(/^Not JSON: /);
    expect(bad2).toMatchObject({ id: null, error: { code: 'PARSE_ERROR' } });
    expect(good).toEqual({ id: 2, result: 4 });
    expect(tr.disconnecting).toBe(false);
  });

  it('answers a request without an integer id or a string method with INVALID_REQUEST', () => {
    const { proto, tr } = server();
    for (const text of [
      '[]',
      'null',
      '42',
      '{"method":"echo"}',
      '{"id":1.5,"method":"echo"}',
      '{"id":3}',
      '{"id":4,"method":7}',
    ]) {
      proto.dataReceived(frame(text));
    }
    expect(json(tr.value()).map((r) => [(r as RpcResponse).id, (r as RpcResponse).error?.code])).toEqual([
      [null, 'INVALID_REQUEST'],
      [null, 'INVALID_REQUEST'],
      [null, 'INVALID_REQUEST'],
      [null, 'INVALID_REQUEST'],
      [null, 'INVALID_REQUEST'],
      [3, 'INVALID_REQUEST'],
      [4, 'INVALID_REQUEST'],
    ]);
  });

  it('answers an unknown method with METHOD_NOT_FOUND and bad params with INVALID_PARAMS', () => {
    const { proto, tr } = server();
    proto.dataReceived(frame('{"id":1,"method":"divide","params":[1,0]}'));
    proto.dataReceived(frame('{"id":2,"method":"add","params":[1,"2"]}'));
    proto.dataReceived(frame('{"id":3,"method":"upper","params":5}'));
    proto.dataReceived(frame('{"id":4,"method":"sleep","params":[61,"x"]}'));
    expect(json(tr.value())).toEqual([
      { id: 1, error: { code: 'METHOD_NOT_FOUND', message: 'No method named "divide"' } },
      { id: 2, error: { code: 'INVALID_PARAMS', message: 'add takes an array of finite numbers' } },
      { id: 3, error: { code: 'INVALID_PARAMS', message: 'upper takes a string' } },
      { id: 4, error: { code: 'INVALID_PARAMS', message: 'sleep takes [seconds (0-60), value]' } },
    ]);
  });

  it('answers a method that throws an ordinary error with INTERNAL_ERROR and logs the failure', () => {
    const clock = new Clock();
    const factory = new RpcServerFactory(clock);
    factory.methods.set('boom', () => {
      throw new RangeError('kaboom');
    });
    const proto = factory.buildProtocol(PEER);
    const tr = new StringTransport();
    proto.makeConnection(tr);
    const [events, stop] = captureLogEvents();
    try {
      proto.dataReceived(frame('{"id":5,"method":"boom"}'));
    } finally {
      stop();
    }
    expect(json(tr.value())).toEqual([{ id: 5, error: { code: 'INTERNAL_ERROR', message: 'kaboom' } }]);
    expect(events.filter((e) => e.failure !== undefined).map((e) => e.message)).toEqual(['Method boom failed']);
  });

  it('answers a result JSON cannot carry with INTERNAL_ERROR instead of failing', () => {
    const clock = new Clock();
    const factory = new RpcServerFactory(clock);
    factory.methods.set('big', () => 10n);
    const proto = factory.buildProtocol(PEER);
    const tr = new StringTransport();
    proto.makeConnection(tr);
    proto.dataReceived(frame('{"id":6,"method":"big"}'));
    expect(json(tr.value())).toEqual([
      { id: 6, error: { code: 'INTERNAL_ERROR', message: expect.stringMatching(/^The result cannot be sent as JSON: /) } },
    ]);
  });

  it('answers sleep after its delay on the clock, so later requests can be answered first', () => {
    const { proto, tr, clock } = server();
    proto.dataReceived(frame('{"id":1,"method":"sleep","params":[2,"slow"]}'));
    proto.dataReceived(frame('{"id":2,"method":"sleep","params":[1,"medium"]}'));
    proto.dataReceived(frame('{"id":3,"method":"echo","params":"fast"}'));
    expect(json(tr.value())).toEqual([{ id: 3, result: 'fast' }]);
    clock.advance(1);
    expect(json(tr.value()).slice(1)).toEqual([{ id: 2, result: 'medium' }]);
    clock.advance(1);
    expect(json(tr.value()).slice(2)).toEqual([{ id: 1, result: 'slow' }]);
  });

  it('cancels answers still being computed when the connection is lost, writing nothing more', () => {
    const { proto, tr, clock } = server();
    proto.dataReceived(frame('{"id":1,"method":"sleep","params":[5,"never"]}'));
    expect(clock.getDelayedCalls()).toHaveLength(1);
    proto.connectionLost(new Failure(new ConnectionLost()));
    expect(clock.getDelayedCalls()).toHaveLength(0);
    clock.advance(10);
    expect(tr.value()).toEqual(Buffer.alloc(0));
  });

  it('loses the connection when a prefix announces more than MAX_LENGTH bytes', () => {
    const { proto, tr } = server();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(proto.MAX_LENGTH + 1);
    proto.dataReceived(prefix);
    expect(tr.disconnecting).toBe(true);
    expect(tr.value()).toEqual(Buffer.alloc(0));
  });
});

describe('RpcClient on a StringTransport with a Clock', () => {
  it('writes each call as a framed JSON request with increasing ids', () => {
    const { proto, tr } = client();
    proto.call('add', [1, 2]);
    proto.call('echo');
    expect(json(tr.value())).toEqual([
      { id: 1, method: 'add', params: [1, 2] },
      { id: 2, method: 'echo' },
    ]);
    expect(proto.pendingCount).toBe(2);
  });

  it('matches responses that arrive out of order to their calls by id', () => {
    const { proto } = client();
    const calls = [proto.call('a'), proto.call('b'), proto.call('c')].map(outcome);
    proto.dataReceived(Buffer.concat([frame('{"id":3,"result":"C"}'), frame('{"id":1,"result":"A"}')]));
    expect(calls.map((c) => c.value)).toEqual([['ok', 'A'], undefined, ['ok', 'C']]);
    proto.dataReceived(frame('{"id":2,"result":{"b":true}}'));
    expect(calls[1]!.value).toEqual(['ok', { b: true }]);
    expect(proto.pendingCount).toBe(0);
    expect(proto.unmatched).toBe(0);
  });

  it('fails a call with RpcError carrying the code and message of an error response', () => {
    const { proto } = client();
    const call = outcome(proto.call('divide', [1, 0]));
    proto.dataReceived(frame('{"id":1,"error":{"code":"METHOD_NOT_FOUND","message":"No method named \\"divide\\""}}'));
    const [kind, err] = call.value!;
    expect(kind).toBe('err');
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'METHOD_NOT_FOUND', message: 'No method named "divide"' });
  });

  it('fails a call with defer TimeoutError when Clock.advance passes its timeout, and ignores the late answer', () => {
    const { proto, clock } = client(5);
    const slow = outcome(proto.call('sleep', [10, 'late']));
    const quick = outcome(proto.call('echo', 'x', 1));
    clock.advance(0.999);
    expect([slow.value, quick.value]).toEqual([undefined, undefined]);
    clock.advance(0.001);
    expect(quick.value![1]).toBeInstanceOf(TimeoutError);
    expect(slow.value).toBeUndefined();
    clock.advance(4);
    expect(slow.value![0]).toBe('err');
    expect(slow.value![1]).toBeInstanceOf(TimeoutError);
    expect(proto.pendingCount).toBe(0);
    proto.dataReceived(frame('{"id":1,"result":"late"}'));
    expect(proto.unmatched).toBe(1);
    expect(slow.value![1]).toBeInstanceOf(TimeoutError);
  });

  it('a call answered in time leaves no timer behind', () => {
    const { proto, clock } = client(5);
    const call = outcome(proto.call('echo', 'x'));
    expect(clock.getDelayedCalls()).toHaveLength(1);
    proto.dataReceived(frame('{"id":1,"result":"x"}'));
    expect(call.value).toEqual(['ok', 'x']);
    expect(clock.getDelayedCalls()).toHaveLength(0);
  });

  it('with timeout null a call waits forever', () => {
    const { proto, clock } = client(null);
    const call = outcome(proto.call('echo', 'x'));
    expect(clock.getDelayedCalls()).toHaveLength(0);
    clock.advance(1e6);
    expect(call.value).toBeUndefined();
  });

  it('cancelling a call forgets it: it fails with CancelledError and its answer is ignored', () => {
    const { proto } = client();
    const d = proto.call('echo', 'x');
    const call = outcome(d);
    d.cancel();
    expect(call.value![1]).toBeInstanceOf(CancelledError);
    expect(proto.pendingCount).toBe(0);
    proto.dataReceived(frame('{"id":1,"result":"x"}'));
    expect(proto.unmatched).toBe(1);
  });

  it('fails every waiting call with the reason when the connection is lost', () => {
    const { proto } = client();
    const calls = [proto.call('a'), proto.call('b')].map(outcome);
    proto.connectionLost(new Failure(new ConnectionDone()));
    expect(calls.map((c) => c.value![1])).toEqual([expect.any(ConnectionDone), expect.any(ConnectionDone)]);
    expect(proto.pendingCount).toBe(0);
  });

  it('fails every waiting call with BAD_RESPONSE and closes when the server sends something that is not JSON', () => {
    const { proto, tr } = client();
    const calls = [proto.call('a'), proto.call('b')].map(outcome);
    proto.dataReceived(frame('not json'));
    expect(calls.map((c) => (c.value![1] as RpcError).code)).toEqual(['BAD_RESPONSE', 'BAD_RESPONSE']);
    expect(tr.disconnecting).toBe(true);
  });

  it('a call on a client whose connection is closing fails at once', () => {
    const { proto, tr } = client();
    tr.loseConnection();
    const call = outcome(proto.call('echo', 'x'));
    expect((call.value![1] as RpcError).code).toBe('INTERNAL_ERROR');
    expect(tr.value()).toEqual(Buffer.alloc(0));
  });
});

describe('an RPC session in memory', () => {
  function session(chunkSize?: number) {
    const clock = new Clock();
    const rpc = new RpcClient(clock, { timeout: 3 });
    const srv = new RpcServerFactory(clock).buildProtocol(PEER);
    const pump = connect(srv, makeFakeServer(srv), rpc, makeFakeClient(rpc), { clock, ...(chunkSize ? { chunkSize } : {}) });
    return { clock, rpc, srv, pump };
  }

  it.each([undefined, 1, 5])('calls go through IOPump and answers come back matched by id (chunkSize %p)', (chunkSize) => {
    const { clock, rpc, pump } = session(chunkSize);
    const slow = outcome(rpc.call('sleep', [1, 'slow']));
    const sum = outcome(rpc.call('add', [40, 2]));
    const upper = outcome(rpc.call('upper', 'abc'));
    const missing = outcome(rpc.call('nope'));
    pump.flush();
    expect([sum.value, upper.value, slow.value]).toEqual([['ok', 42], ['ok', 'ABC'], undefined]);
    expect((missing.value![1] as RpcError).code).toBe('METHOD_NOT_FOUND');
    clock.advance(1);
    pump.flush();
    expect(slow.value).toEqual(['ok', 'slow']);
    expect(rpc.pendingCount).toBe(0);
  });

  it('a call whose answer is slower than its timeout fails with TimeoutError; the answer, when it comes, is ignored', () => {
    const { clock, rpc, pump } = session();
    const call = outcome(rpc.call('sleep', [5, 'late'], 2));
    pump.flush();
    clock.advance(2);
    expect(call.value![1]).toBeInstanceOf(TimeoutError);
    clock.advance(3);
    pump.flush();
    expect(rpc.unmatched).toBe(1);
    expect(call.value![1]).toBeInstanceOf(TimeoutError);
  });

  it('when the server closes, waiting calls fail with ConnectionDone and its pending answers are cancelled', () => {
    const { clock, rpc, srv, pump } = session();
    const call = outcome(rpc.call('sleep', [5, 'never']));
    pump.flush();
    expect(clock.getDelayedCalls()).toHaveLength(2); // the server's sleep and the client's timeout
    srv.transport!.loseConnection();
    pump.flush();
    expect(call.value![1]).toBeInstanceOf(ConnectionDone);
    expect(clock.getDelayedCalls()).toHaveLength(0);
  });

  it('endpoint strings on a MemoryReactorClock: the client connects with the description, timeout=5 included', async () => {
    const reactor = new MemoryReactorClock();
    const port = await serverFromString(reactor, 'tcp:7000:interface=127.0.0.1').listen(new RpcServerFactory(reactor));
    expect(reactor.tcpServers.map((s) => [s.port, s.interface])).toEqual([[7000, '127.0.0.1']]);
    const connecting = connectProtocol(
      clientFromString(reactor, 'tcp:host=127.0.0.1:port=7000:timeout=5'),
      new RpcClient(reactor),
    );
    expect(reactor.tcpClients.map((c) => [c.host, c.port, c.timeout])).toEqual([['127.0.0.1', 7000, 5]]);
    const pump = new ConnectionCompleter(reactor).succeedOnce({ clock: reactor })!;
    const rpc = await connecting;
    const answer = outcome(rpc.call('echo', { via: 'memory' }));
    pump.flush();
    expect(answer.value).toEqual(['ok', { via: 'memory' }]);
    await port.stopListening();
  });

  it("main() runs its whole script on a MemoryReactorClock, time driven by the test's clock", async () => {
    const reactor = new MemoryReactorClock();
    const lines: string[] = [];
    let finished = false;
    const run = main(reactor, [], (l) => lines.push(l)).then(() => void (finished = true));
    const completer = new ConnectionCompleter(reactor);
    let pump: ReturnType<ConnectionCompleter['succeedOnce']> = null;
    for (let step = 0; !finished && step < 1000; step++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      pump ??= completer.succeedOnce({ clock: reactor });
      pump?.flush();
      reactor.advance(0.05);
    }
    await run;
    expect(lines).toEqual([
      // MemoryReactor's port reports 0.0.0.0 for any IPv4 interface, as Twisted's does.
      'rpc server listening on 0.0.0.0:0',
      'client connected to 127.0.0.1:0',
      'add([1,2,3,4]) = 10',
      'upper("hello, torsion") = HELLO, TORSION',
      'echo = {"nested":[1,"two"]}',
      'answers arrived as: fast, slow',
      'divide failed: METHOD_NOT_FOUND',
      'sleep(5) with a 0.1 s timeout failed: TimeoutError',
      'done',
    ]);
    // main closed its client; the close completes on the next flush.
    pump!.flush();
    expect([pump!.clientIO.disconnected, pump!.serverIO.disconnected]).toEqual([true, true]);
  });
});

describe('main() on a real Reactor over 127.0.0.1', () => {
  let reactor: Reactor;
  let done: Promise<void>;

  beforeEach(() => {
    reactor = new Reactor();
    done = reactor.run();
  });

  afterEach(async () => {
    if (reactor.running) reactor.stop();
    await done;
    process.exitCode = undefined;
  });

  const EXPECTED = [
    /^rpc server listening on 127\.0\.0\.1:(\d+)$/,
    /^client connected to 127\.0\.0\.1:(\d+)$/,
    /^add\(\[1,2,3,4\]\) = 10$/,
    /^upper\("hello, torsion"\) = HELLO, TORSION$/,
    /^echo = \{"nested":\[1,"two"\]\}$/,
    /^answers arrived as: fast, slow$/,
    /^divide failed: METHOD_NOT_FOUND$/,
    /^sleep\(5\) with a 0\.1 s timeout failed: TimeoutError$/,
    /^done$/,
  ];

  it('serves, connects through the endpoint string, prints every result, and leaves no connection or timer behind', async () => {
    const lines: string[] = [];
    await main(reactor, [], (l) => lines.push(l));
    expect(lines).toHaveLength(EXPECTED.length);
    lines.forEach((line, i) => expect(line).toMatch(EXPECTED[i]!));
    const [listening, connected] = [EXPECTED[0]!.exec(lines[0]!)![1], EXPECTED[1]!.exec(lines[1]!)![1]];
    expect(connected).toBe(listening);
    // The server's answer to the timed-out sleep(5) is cancelled once it sees the client leave.
    for (let i = 0; i < 100 && reactor.getDelayedCalls().length > 0; i++) {
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
    }
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('under react() on a fresh reactor: stops the reactor when done and reports exit code 0', async () => {
    const lines: string[] = [];
    const fresh = new Reactor();
    const code = await react(main, [[], (l: string) => lines.push(l)], fresh);
    expect(code).toBe(0);
    expect(fresh.running).toBe(false);
    expect(lines.at(-1)).toBe('done');
  });

  it('under react(): a description that cannot be parsed makes the exit code 1', async () => {
    const fresh = new Reactor();
    const [events, stop] = captureLogEvents();
    let code: number;
    try {
      code = await react(main, [['tcp:port=eighty'], () => undefined], fresh);
    } finally {
      stop();
    }
    expect(code).toBe(1);
    expect(events.find((e) => e.failure !== undefined)?.failure?.value).toBeInstanceOf(EndpointParseError);
  });
});

describe('examples/int32-rpc.ts run as a program', () => {
  it('prints every result and exits 0 by itself', async () => {
    const child = spawn(TSX, ['examples/int32-rpc.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^rpc server listening on 127\.0\.0\.1:\d+$/);
    expect(lines.slice(2)).toEqual([
      'add([1,2,3,4]) = 10',
      'upper("hello, torsion") = HELLO, TORSION',
      'echo = {"nested":[1,"two"]}',
      'answers arrived as: fast, slow',
      'divide failed: METHOD_NOT_FOUND',
      'sleep(5) with a 0.1 s timeout failed: TimeoutError',
      'done',
    ]);
  }, 30000);
});
