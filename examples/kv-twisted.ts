/**
 * The line-based key/value store, Twisted style: a `LineReceiver` server
 * and a `LineReceiver` client whose requests are Deferreds, connected with
 * `reactor.listenTCP` / `reactor.connectTCP` under `react()`.
 *
 * The same task is written in each client style torsion offers, side by
 * side in the README: kv-twisted.ts (this file), kv-asyncio.ts (asyncio
 * streams), kv-lsst.ts (lsst.ts.tcpip's Client) and kv-packets.ts
 * (EasyNetwork's AsyncTCPNetworkClient). The protocol: lines end with
 * `\r\n`; `SET key value` answers `OK`, `GET key` answers `VALUE value` or
 * `MISSING`, `DEL key` answers `OK` or `MISSING`, anything else
 * `ERROR unknown command`.
 *
 * Run: `npx tsx examples/kv-twisted.ts`. It starts the server on a free
 * port of 127.0.0.1, runs the client's five requests, prints each request
 * (`> `) and reply (`< `), and exits 0.
 */
import { Deferred } from 'torsion/defer';
import type { Failure } from 'torsion/failure';
import type { IReactorCore, IReactorTCP, IReactorTime } from 'torsion/interfaces';
import { connectProtocol, TCP4ClientEndpoint } from 'torsion/endpoints';
import { ServerFactory } from 'torsion/protocol';
import { LineReceiver } from 'torsion/protocols/basic';
import { react } from 'torsion/task';

const CRLF = Buffer.from('\r\n');

/** Answer one request line against `store`. */
export function answer(store: Map<string, string>, line: string): string {
  const [command, key, ...rest] = line.split(' ');
  if (command === 'SET' && key !== undefined && rest.length > 0) {
    store.set(key, rest.join(' '));
    return 'OK';
  }
  if (command === 'GET' && key !== undefined && rest.length === 0) {
    const value = store.get(key);
    return value === undefined ? 'MISSING' : `VALUE ${value}`;
  }
  if (command === 'DEL' && key !== undefined && rest.length === 0) return store.delete(key) ? 'OK' : 'MISSING';
  return 'ERROR unknown command';
}

/** One server connection: each line is a request, answered at once. */
export class KVServerProtocol extends LineReceiver {
  override delimiter = CRLF;

  constructor(readonly store: Map<string, string>) {
    super();
  }

  override lineReceived(line: Buffer): void {
    this.sendLine(Buffer.from(answer(this.store, line.toString('utf8')), 'utf8'));
  }
}

/** The server's factory: one store shared by every connection. */
export class KVServerFactory extends ServerFactory {
  readonly store = new Map<string, string>();

  override buildProtocol(): KVServerProtocol {
    return new KVServerProtocol(this.store);
  }
}

/** The client: `request(line)` is a Deferred of the reply line; replies come in request order. */
export class KVClientProtocol extends LineReceiver {
  override delimiter = CRLF;
  readonly #waiting: Deferred<string>[] = [];

  /** Send one request; the Deferred fires with its reply. */
  request(line: string): Deferred<string> {
    const d = new Deferred<string>();
    this.#waiting.push(d);
    this.sendLine(Buffer.from(line, 'utf8'));
    return d;
  }

  override lineReceived(line: Buffer): void {
    this.#waiting.shift()?.callback(line.toString('utf8'));
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    for (const d of this.#waiting.splice(0)) d.errback(reason);
  }
}

/** The requests the example makes, in order. */
export const REQUESTS = ['SET greeting hello', 'GET greeting', 'GET missing', 'DEL greeting', 'GET greeting'];

/** Start the server, run the requests through the client, print them, close both. */
export async function main(reactor: IReactorTCP & IReactorTime & IReactorCore, print = console.log): Promise<void> {
  const port = reactor.listenTCP(0, new KVServerFactory(), { interface: '127.0.0.1' });
  const { port: portNumber } = port.getHost() as { port: number };
  const client = await connectProtocol(new TCP4ClientEndpoint(reactor, '127.0.0.1', portNumber), new KVClientProtocol());
  try {
    for (const line of REQUESTS) {
      print(`> ${line}`);
      print(`< ${await client.request(line)}`);
    }
  } finally {
    client.transport?.loseConnection();
    await port.stopListening();
  }
}

if (require.main === module) {
  void react((reactor: IReactorTCP & IReactorTime & IReactorCore) => main(reactor));
}
