/**
 * The line-based key/value task in asyncio style: a server made with
 * `startServer` and a client made with `openConnection`, both reading with
 * `await reader.readuntil(...)` / `for await` and writing with
 * `writer.write()` + `await writer.drain()`.
 *
 * Protocol (lines end with "\r\n"): `SET <key> <value>` -> `OK`,
 * `GET <key>` -> `VALUE <value>` or `MISSING`, `DEL <key>` -> `OK` or
 * `MISSING`, anything else -> `ERROR unknown command`.
 *
 * Run: `npx tsx examples/kv-asyncio.ts`. It starts the server on
 * 127.0.0.1 (a free port), runs the client's five requests, printing each
 * request as `> line` and each reply as `< line`, then shuts down and
 * exits 0.
 */
import type { IPv4Address } from 'torsion/address';
import type { IReactor } from 'torsion/interfaces';
import { type StreamReader, type StreamServer, type StreamWriter, openConnection, startServer } from 'torsion/streams';
import { react } from 'torsion/task';

const CRLF = Buffer.from('\r\n');

/** Answer one request line (without its "\r\n") against `store`. */
export function answer(store: Map<string, string>, line: string): string {
  const m = /^(\S+)(?: (\S+))?(?: (.*))?$/.exec(line);
  const [, command = '', key, value] = m ?? [];
  if (command === 'SET' && key !== undefined && value !== undefined) {
    store.set(key, value);
    return 'OK';
  }
  if (command === 'GET' && key !== undefined && value === undefined) {
    const v = store.get(key);
    return v === undefined ? 'MISSING' : `VALUE ${v}`;
  }
  if (command === 'DEL' && key !== undefined && value === undefined) {
    return store.delete(key) ? 'OK' : 'MISSING';
  }
  return 'ERROR unknown command';
}

/**
 * Serve one client: read "\r\n"-terminated requests until the client
 * closes, answer each, then close. A partial last line or an over-long
 * line ends the session.
 */
export async function handleClient(store: Map<string, string>, reader: StreamReader, writer: StreamWriter): Promise<void> {
  try {
    for (;;) {
      if (reader.atEof()) break;
      const raw = await reader.readuntil(CRLF);
      const reply = answer(store, raw.subarray(0, raw.length - 2).toString('utf8'));
      writer.write(Buffer.from(`${reply}\r\n`, 'utf8'));
      await writer.drain();
    }
  } catch {
    // IncompleteReadError at EOF (the client left, perhaps mid-line),
    // LimitOverrunError or a lost connection: the session is over.
  } finally {
    writer.close();
  }
}

/** Start the key/value server on `host:port` (0 = a free port). */
export function serve(reactor: IReactor, host = '127.0.0.1', port = 0): Promise<StreamServer> {
  const store = new Map<string, string>();
  return startServer((reader, writer) => handleClient(store, reader, writer), host, port, { reactor });
}

/** The client's session: send each request, print `> request` and `< reply`; returns the replies. */
export async function runClient(
  reactor: IReactor,
  port: number,
  requests: readonly string[],
  print: (line: string) => void = console.log,
): Promise<string[]> {
  const [reader, writer] = await openConnection('127.0.0.1', port, { reactor, timeout: 10 });
  const replies: string[] = [];
  try {
    for (const request of requests) {
      print(`> ${request}`);
      writer.write(Buffer.from(`${request}\r\n`, 'utf8'));
      await writer.drain();
      const raw = await reader.readuntil(CRLF, { timeout: 10 });
      const reply = raw.subarray(0, raw.length - 2).toString('utf8');
      print(`< ${reply}`);
      replies.push(reply);
    }
  } finally {
    writer.close();
    await writer.waitClosed();
  }
  return replies;
}

/** The requests the example makes. */
export const REQUESTS = ['SET greeting hello', 'GET greeting', 'GET missing', 'DEL greeting', 'GET greeting'] as const;

/** Start the server, run the client, shut everything down. */
export async function main(reactor: IReactor, print: (line: string) => void = console.log): Promise<string[]> {
  const server = await serve(reactor);
  try {
    const port = (server.getHost() as IPv4Address).port;
    return await runClient(reactor, port, REQUESTS, print);
  } finally {
    server.close();
    server.closeClients();
    await server.waitClosed();
  }
}

if (require.main === module) {
  void react((reactor: IReactor) => main(reactor));
}
