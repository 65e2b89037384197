/**
 * A JSON request/response service over Int32StringReceiver, and its client.
 *
 * Every message is one JSON document framed by a 4-byte big-endian length.
 * A request is `{"id": 1, "method": "add", "params": [1, 2]}`; the answer
 * is `{"id": 1, "result": 3}` or `{"id": 1, "error": {"code", "message"}}`.
 * Answers may come in any order (`sleep` answers late): the client matches
 * them to calls by id, and gives each call a Deferred with its own timeout.
 *
 * Run: `npx tsx examples/int32-rpc.ts` — starts a server on a free port of
 * 127.0.0.1, connects a client through an endpoint string, makes a few
 * calls, prints the results and exits 0.
 */
import type { IPv4Address, IPv6Address } from 'torsion/address';
import { CancelledError, Deferred, fail, gatherResults, maybeDeferred } from 'torsion/defer';
import type { Failure } from 'torsion/failure';
import { clientFromString, connectProtocol, serverFromString } from 'torsion/endpoints';
import { Int32StringReceiver } from 'torsion/protocols/basic';
import type { IAddress, IReactorCore, IReactorTCP, IReactorTime } from 'torsion/interfaces';
import { Logger } from 'torsion/logger';
import { ServerFactory } from 'torsion/protocol';
import { deferLater, react } from 'torsion/task';

const log = new Logger('examples.int32-rpc');

/** The error codes of the protocol (JSON-RPC's, spelt as words). */
export type RpcErrorCode =
  | 'PARSE_ERROR'
  | 'INVALID_REQUEST'
  | 'METHOD_NOT_FOUND'
  | 'INVALID_PARAMS'
  | 'INTERNAL_ERROR'
  | 'BAD_RESPONSE';

/** An error answer from the server (or, with BAD_RESPONSE, an answer the client could not read). */
export class RpcError extends Error {
  override name = 'RpcError';
  /**
   * @param code - a stable code.
   * @param message - what went wrong.
   */
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A request on the wire. */
export interface RpcRequest {
  id: number;
  method: string;
  params?: unknown;
}

/** A response on the wire (exactly one of result and error). */
export interface RpcResponse {
  id: number | null;
  result?: unknown;
  error?: { code: RpcErrorCode; message: string };
}

/** A method: takes the request's params, returns a value or a Deferred/Promise of one. */
export type RpcMethod = (params: unknown) => unknown;

function numbers(params: unknown): number[] {
  if (!Array.isArray(params) || !params.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new RpcError('INVALID_PARAMS', 'add takes an array of finite numbers');
  }
  return params as number[];
}

/**
 * The built-in methods: `add` (sum of an array of numbers), `upper` (a
 * string in upper case), `echo` (its params), and `sleep` (`[seconds,
 * value]`: answers `value` after `seconds` on `clock`, at most 60).
 */
export function standardMethods(clock: IReactorTime): Map<string, RpcMethod> {
  return new Map<string, RpcMethod>([
    ['add', (params) => numbers(params).reduce((a, b) => a + b, 0)],
    [
      'upper',
      (params) => {
        if (typeof params !== 'string') throw new RpcError('INVALID_PARAMS', 'upper takes a string');
        return params.toUpperCase();
      },
    ],
    ['echo', (params) => params],
    [
      'sleep',
      (params) => {
        const [seconds, value] = Array.isArray(params) ? params : [];
        if (typeof seconds !== 'number' || !(seconds >= 0 && seconds <= 60)) {
          throw new RpcError('INVALID_PARAMS', 'sleep takes [seconds (0-60), value]');
        }
        return deferLater(clock, seconds, () => value);
      },
    ],
  ]);
}

/** The server side of one connection: answers each request, in the order the answers are ready. */
export class RpcServerProtocol extends Int32StringReceiver {
  /** The factory holding the methods. */
  readonly service: RpcServerFactory;
  // Answers still being computed: cancelled if the client goes away.
  readonly #inFlight = new Set<Deferred<unknown>>();

  /** @param service - the factory holding the methods. */
  constructor(service: RpcServerFactory) {
    super();
    this.service = service;
  }

  override stringReceived(data: Buffer): void {
    let request: unknown;
    try {
      request = JSON.parse(data.toString('utf8'));
    } catch (err) {
      this.#send({ id: null, error: { code: 'PARSE_ERROR', message: `Not JSON: ${(err as Error).message}` } });
      return;
    }
    const { id, method, params } = (request ?? {}) as Partial<RpcRequest>;
    if (typeof request !== 'object' || !Number.isSafeInteger(id) || typeof method !== 'string') {
      const message = 'A request is an object with an integer id and a string method';
      this.#send({ id: Number.isSafeInteger(id) ? id! : null, error: { code: 'INVALID_REQUEST', message } });
      return;
    }
    const fn = this.service.methods.get(method);
    if (fn === undefined) {
      this.#send({ id: id!, error: { code: 'METHOD_NOT_FOUND', message: `No method named ${JSON.stringify(method)}` } });
      return;
    }
    const answer = maybeDeferred(fn, params);
    this.#inFlight.add(answer);
    answer.addCallbacks(
      (result: unknown) => {
        this.#inFlight.delete(answer);
        this.#send({ id: id!, result: result === undefined ? null : result });
      },
      (failure: Failure) => {
        this.#inFlight.delete(answer);
        if (failure.check(CancelledError)) return;
        const value = failure.value;
        if (value instanceof RpcError) {
          this.#send({ id: id!, error: { code: value.code, message: value.message } });
        } else {
          log.failure(`Method ${method} failed`, failure);
          this.#send({ id: id!, error: { code: 'INTERNAL_ERROR', message: failure.getErrorMessage() } });
        }
      },
    );
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    for (const d of [...this.#inFlight]) d.cancel();
  }

  #send(response: RpcResponse): void {
    if (this.transport === null || this.transport.disconnecting) return;
    let text: string;
    try {
      text = JSON.stringify(response);
    } catch (err) {
      // A result JSON cannot carry (a BigInt, a cycle): the caller still gets an answer.
      const message = `The result cannot be sent as JSON: ${(err as Error).message}`;
      text = JSON.stringify({ id: response.id, error: { code: 'INTERNAL_ERROR', message } });
    }
    this.sendString(Buffer.from(text, 'utf8'));
  }
}

/** The service: builds an {@link RpcServerProtocol} per connection; add your own methods to `methods`. */
export class RpcServerFactory extends ServerFactory<RpcServerProtocol> {
  /** The methods by name. */
  readonly methods: Map<string, RpcMethod>;

  /** @param clock - the clock `sleep` uses (the reactor). */
  constructor(clock: IReactorTime) {
    super();
    this.methods = standardMethods(clock);
  }

  override buildProtocol(_addr: IAddress): RpcServerProtocol {
    return new RpcServerProtocol(this);
  }
}

/** Options of {@link RpcClient}. */
export interface RpcClientOptions {
  /** Seconds a call waits for its answer before failing with defer's TimeoutError; null: forever. Default 10. */
  timeout?: number | null;
}

/**
 * The client side: `call()` sends a request and returns a Deferred of its
 * result, fired when the answer with the same id arrives (answers may come
 * in any order). A call fails with {@link RpcError} for an error answer,
 * with defer's TimeoutError when its timeout passes first (a late answer is
 * then ignored), and with the connection's reason if the connection is lost.
 */
export class RpcClient extends Int32StringReceiver {
  /** The default per-call timeout in seconds (null: none). */
  timeout: number | null;
  /** Answers that matched no waiting call (late after a timeout, or unknown ids). */
  unmatched = 0;
  readonly #clock: IReactorTime;
  readonly #pending = new Map<number, Deferred<unknown>>();
  #nextId = 1;

  /**
   * @param clock - schedules the timeouts (the reactor, or a Clock in tests).
   * @param opts - the default timeout.
   */
  constructor(clock: IReactorTime, opts: RpcClientOptions = {}) {
    super();
    this.#clock = clock;
    this.timeout = opts.timeout === undefined ? 10 : opts.timeout;
  }

  /** How many calls wait for an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Call `method` with `params`.
   * @param timeout - seconds to wait for this call (default: the client's).
   * @returns a Deferred of the result; cancelling it forgets the call.
   */
  call<R = unknown>(method: string, params?: unknown, timeout: number | null = this.timeout): Deferred<R> {
    if (this.transport === null || this.transport.disconnecting) {
      return fail(new RpcError('INTERNAL_ERROR', `Cannot call ${method}: the client is not connected`));
    }
    const id = this.#nextId++;
    const request: RpcRequest = params === undefined ? { id, method } : { id, method, params };
    const d = new Deferred<unknown>(() => {
      this.#pending.delete(id);
    });
    this.#pending.set(id, d);
    this.sendString(Buffer.from(JSON.stringify(request), 'utf8'));
    if (timeout !== null) d.addTimeout(timeout, this.#clock);
    return d as Deferred<R>;
  }

  override stringReceived(data: Buffer): void {
    let response: RpcResponse;
    try {
      response = JSON.parse(data.toString('utf8')) as RpcResponse;
    } catch {
      this.#protocolError('The server sent a message that is not JSON');
      return;
    }
    if (response === null || typeof response !== 'object') {
      this.#protocolError('The server sent a message that is not a response object');
      return;
    }
    const d = typeof response.id === 'number' ? this.#pending.get(response.id) : undefined;
    if (d === undefined) {
      this.unmatched++;
      log.debug(`Ignoring an answer for id ${String(response.id)}: no call waits for it`);
      return;
    }
    this.#pending.delete(response.id!);
    if (response.error !== undefined) d.errback(new RpcError(response.error.code, response.error.message));
    else d.callback(response.result);
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.#failAll(reason);
  }

  #protocolError(message: string): void {
    this.#failAll(new RpcError('BAD_RESPONSE', message));
    this.transport?.loseConnection();
  }

  #failAll(reason: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const d of pending) d.errback(reason);
  }
}

/** What {@link main} needs from a reactor. */
export type RpcReactor = IReactorTCP & IReactorCore & IReactorTime;

/**
 * Listen on `argv[0]` (default `tcp:0:interface=127.0.0.1`; it must listen
 * on 127.0.0.1 or on every IPv4 interface), connect a
 * client with `tcp:host=127.0.0.1:port=N:timeout=5`, make a few calls
 * (including two answered out of order and one that times out), print what
 * happens, then close the client and the port. Run under `react`, which
 * stops the reactor once the returned Promise settles.
 */
export async function main(
  reactor: RpcReactor,
  argv: readonly string[] = [],
  print: (line: string) => void = console.log,
): Promise<void> {
  const port = await serverFromString(reactor, argv[0] ?? 'tcp:0:interface=127.0.0.1').listen(new RpcServerFactory(reactor));
  const { host, port: portNumber } = port.getHost() as IPv4Address | IPv6Address;
  print(`rpc server listening on ${host}:${portNumber}`);

  const endpoint = clientFromString(reactor, `tcp:host=127.0.0.1:port=${portNumber}:timeout=5`);
  const client = await connectProtocol(endpoint, new RpcClient(reactor, { timeout: 5 }));
  print(`client connected to 127.0.0.1:${portNumber}`);

  const [sum, upper, echoed] = await gatherResults([
    client.call<number>('add', [1, 2, 3, 4]),
    client.call<string>('upper', 'hello, torsion'),
    client.call('echo', { nested: [1, 'two'] }),
  ]);
  print(`add([1,2,3,4]) = ${sum}`);
  print(`upper("hello, torsion") = ${upper}`);
  print(`echo = ${JSON.stringify(echoed)}`);

  const order: string[] = [];
  await gatherResults([
    client.call<string>('sleep', [0.2, 'slow']).addCallback((v) => void order.push(v)),
    client.call<string>('echo', 'fast').addCallback((v) => void order.push(v)),
  ]);
  print(`answers arrived as: ${order.join(', ')}`);

  try {
    await client.call('divide', [1, 0]);
  } catch (err) {
    print(`divide failed: ${(err as RpcError).code}`);
  }
  try {
    await client.call('sleep', [5, 'too late'], 0.1);
  } catch (err) {
    print(`sleep(5) with a 0.1 s timeout failed: ${(err as Error).name}`);
  }

  client.transport!.loseConnection();
  await port.stopListening();
  print('done');
}

if (require.main === module) {
  void react(main, [process.argv.slice(2)]);
}
