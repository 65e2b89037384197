/**
 * The line-based key/value task in the EasyNetwork style: a torsion
 * `LineReceiver` server, and an `AsyncTCPNetworkClient` whose
 * `StreamProtocol(new StringLineSerializer('CRLF'))` turns each line into a
 * string packet. Lines end with "\r\n"; `SET <key> <value>` → `OK`,
 * `GET <key>` → `VALUE <value>` or `MISSING`, `DEL <key>` → `OK` or
 * `MISSING`, anything else → `ERROR unknown command`.
 *
 * Run: `npx tsx examples/kv-packets.ts` (a server on 127.0.0.1, a port the
 * kernel picks, then the client's five requests; exits 0).
 */
import type { IListeningPort } from 'torsion/interfaces';
import { AsyncTCPNetworkClient, StreamProtocol, StringLineSerializer } from 'torsion/packets';
import { Factory } from 'torsion/protocol';
import { LineReceiver } from 'torsion/protocols/basic';
import type { Reactor } from 'torsion/reactor';
import { react } from 'torsion/task';

/** The answer to one command line, given the store it works on. */
export function handleCommand(line: string, store: Map<string, string>): string {
  const m = /^(SET|GET|DEL) (\S+)(?: (.*))?$/.exec(line);
  if (m !== null) {
    const [, command, key, value] = m as unknown as [string, string, string, string | undefined];
    if (command === 'SET' && value !== undefined) {
      store.set(key, value);
      return 'OK';
    }
    if (command === 'GET' && value === undefined) {
      const v = store.get(key);
      return v === undefined ? 'MISSING' : `VALUE ${v}`;
    }
    if (command === 'DEL' && value === undefined) return store.delete(key) ? 'OK' : 'MISSING';
  }
  return 'ERROR unknown command';
}

/** One connection of the server: a command per line, an answer per line. */
export class KVServerProtocol extends LineReceiver {
  override delimiter = Buffer.from('\r\n');

  override lineReceived(line: Buffer): void {
    const store = (this.factory as KVServerFactory).store;
    this.sendLine(Buffer.from(handleCommand(line.toString('utf8'), store), 'utf8'));
  }
}

/** The server's factory: every connection shares one store. */
export class KVServerFactory extends Factory<KVServerProtocol> {
  override protocol = KVServerProtocol;
  readonly store = new Map<string, string>();
}

/** The requests the client makes, in order. */
export const REQUESTS = ['SET greeting hello', 'GET greeting', 'GET missing', 'DEL greeting', 'GET greeting'];

/**
 * Start the server on 127.0.0.1 (port 0), run the client's requests
 * (printing `> request` and `< reply`), close the client and the server.
 * @returns the replies.
 */
export async function main(reactor: Reactor, print: (line: string) => void = console.log): Promise<string[]> {
  const port: IListeningPort = reactor.listenTCP(0, new KVServerFactory(), { interface: '127.0.0.1' });
  const { port: portNumber } = port.getHost() as unknown as { port: number };
  const client = new AsyncTCPNetworkClient<string, string>(
    ['127.0.0.1', portNumber],
    new StreamProtocol<string, string>(new StringLineSerializer('CRLF')),
    { reactor },
  );
  const replies: string[] = [];
  try {
    for (const request of REQUESTS) {
      print(`> ${request}`);
      await client.sendPacket(request);
      const reply = await client.recvPacket({ timeout: 10 });
      print(`< ${reply}`);
      replies.push(reply);
    }
  } finally {
    await client.aclose();
    await port.stopListening();
  }
  return replies;
}

if (require.main === module) {
  void react((reactor: Reactor) => main(reactor));
}
