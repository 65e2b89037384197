/**
 * Shared set-up of the TCP unit specs: a transport on a {@link FakeSocket}
 * in a {@link FakeTCPReactor} (Clock time), and a protocol that records
 * every callback it gets.
 */
import { IPv4Address } from '../../../src/address';
import type { Failure } from '../../../src/defer/failure';
import { guardMakeConnection } from '../../../src/guard';
import { Protocol } from '../../../src/protocol/protocol';
import { Server } from '../../../src/tcp/server';
import { FakeTCPReactor } from '../harness';
import { FakeSocket } from './fake-socket';

/** Records its callbacks (names, with the data or reason) in order. */
export class Recorder extends Protocol {
  readonly log: string[] = [];
  readonly received: Buffer[] = [];
  readonly reasons: Failure[] = [];
  override connectionMade(): void {
    this.log.push('connectionMade');
  }
  override dataReceived(data: Buffer): void {
    this.log.push(`dataReceived ${data.toString()}`);
    this.received.push(data);
  }
  override connectionLost(reason: Failure): void {
    this.log.push('connectionLost');
    this.reasons.push(reason);
  }
}

/** A {@link Recorder} that supports half-close (IHalfCloseableProtocol). */
export class HalfCloseRecorder extends Recorder {
  readConnectionLost(): void {
    this.log.push('readConnectionLost');
  }
  writeConnectionLost(): void {
    this.log.push('writeConnectionLost');
  }
}

/** The end of the current tick: the per-tick write flush (a microtask) has run. */
export function endOfTick(): Promise<void> {
  return new Promise((resolve) => queueMicrotask(resolve));
}

/** The next turn of the event loop (its check phase has run: read budgets are renewed). */
export function nextLoopPass(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * An accepted connection as Port makes it (the Server transport, then the
 * guarded makeConnection), on a fake socket.
 */
export function accepted<P extends Protocol>(
  protocol: P,
  reactor = new FakeTCPReactor(),
): { reactor: FakeTCPReactor; socket: FakeSocket; t: Server; protocol: P } {
  const socket = new FakeSocket();
  const t = new Server(socket, protocol, new IPv4Address('TCP', '10.0.0.2', 5555), null, 7, reactor);
  guardMakeConnection(t, protocol, t);
  return { reactor, socket, t, protocol };
}
