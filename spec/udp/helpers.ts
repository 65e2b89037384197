/**
 * Helpers of the UDP specs: a running Reactor per test, a node:dgram peer
 * that records what it gets, and waiting turn by turn for an event.
 */
import * as dgram from 'node:dgram';

import { Reactor } from '../../src/reactor';

export { DatagramRecorder, until } from '../conformance/udp-harness';

/** A running Reactor and how to stop it (idempotent). */
export function startReactor(): { reactor: Reactor; stop: () => Promise<void> } {
  const reactor = new Reactor();
  const done = reactor.run();
  return {
    reactor,
    stop: async () => {
      if (reactor.running) reactor.stop();
      await done;
    },
  };
}

/** A plain node:dgram socket bound on `host`:0 that records the datagrams it gets. */
export class Peer {
  readonly socket: dgram.Socket;
  readonly got: { data: Buffer; rinfo: dgram.RemoteInfo }[] = [];
  readonly ready: Promise<void>;
  constructor(host = '127.0.0.1') {
    this.socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('message', (data, rinfo) => this.got.push({ data, rinfo }));
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(0, host, () => {
        this.socket.removeListener('error', reject);
        resolve();
      });
    });
  }
  get port(): number {
    return this.socket.address().port;
  }
  send(data: Buffer, port: number, host = '127.0.0.1'): void {
    this.socket.send(data, port, host);
  }
  close(): Promise<void> {
    return new Promise((r) => {
      try {
        this.socket.close(() => r());
      } catch {
        r(); // never bound
      }
    });
  }
}
