/**
 * Helpers of the blocking clients' specs: a scriptable peer on its own
 * thread (fixtures/peer.js) and tiny protocol objects of the contract's
 * shape (the shipped serializers have their own specs).
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { DeserializeError, IncrementalDeserializeError } from '../../../src/errors';
import type { IIncrementalPacketSerializer, IPacketSerializer } from '../../../src/packets';
import { DatagramProtocol, StreamProtocol } from '../../../src/packets';

export interface Peer {
  port: number;
  stop(): Promise<void>;
}

/** Start the scriptable peer on its own thread (TCP commands, or a UDP echo). */
export async function startPeer(
  kind: 'tcp' | 'udp' | 'tls' = 'tcp',
  host = '127.0.0.1',
  tlsFiles: { key: string; cert: string } | null = null,
): Promise<Peer> {
  const w = new Worker(path.join(__dirname, 'fixtures', 'peer.js'), {
    workerData: { kind, host, family: host.includes(':') ? 'IPv6' : 'IPv4', ...tlsFiles },
  });
  const port = await new Promise<number>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return {
    port,
    stop: async () => {
      const exited = new Promise((r) => w.once('exit', r));
      w.postMessage('stop');
      await exited;
    },
  };
}

/** A port with nothing listening on it (bound, then closed). */
export async function closedTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A serializer of latin-1 lines. A line starting with "bad" is a recoverable
 * parse error (IncrementalDeserializeError with what follows it); "crash"
 * throws a plain Error (a serializer bug).
 */
class LineSerializer implements IIncrementalPacketSerializer<string>, IPacketSerializer<string> {
  *incrementalSerialize(p: string): Iterable<Buffer> {
    yield Buffer.from(`${p}\n`, 'latin1');
  }
  *incrementalDeserialize(): Generator<void, [string, Buffer], Buffer> {
    let buf: Buffer = Buffer.alloc(0);
    for (;;) {
      const c: Buffer = yield;
      buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
      const i = buf.indexOf(10);
      if (i < 0) continue;
      const line = buf.subarray(0, i).toString('latin1');
      const rest = buf.subarray(i + 1);
      if (line.startsWith('bad')) throw new IncrementalDeserializeError(`bad line: ${line}`, rest);
      if (line === 'crash') throw new Error('serializer bug');
      return [line, rest];
    }
  }
  serialize(p: string): Buffer {
    return Buffer.from(p, 'latin1');
  }
  deserialize(d: Buffer): string {
    const s = d.toString('latin1');
    if (s.startsWith('bad')) throw new DeserializeError(`bad datagram: ${s}`);
    if (s === 'crash') throw new Error('serializer bug');
    return s;
  }
}

/** Lines over a stream (see LineSerializer). */
export const lines = new StreamProtocol<string, string>(new LineSerializer());

/** Datagrams of latin-1 text (see LineSerializer). */
export const datagrams = new DatagramProtocol<string, string>(new LineSerializer());
