/**
 * Helpers of the endpoint integration specs (spec/integration/endpoints-*):
 * a fresh running Reactor per test, an echo server, and a client protocol
 * that collects what it receives.
 */
import { createServer } from 'node:net';
import type { IPv4Address, IPv6Address } from '../../src/address';
import { Deferred } from '../../src/defer/deferred';
import type { Failure } from '../../src/defer/failure';
import type { IListeningPort } from '../../src/interfaces/connector';
import type { IReactorTCP } from '../../src/interfaces/tcp';
import { Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { Reactor } from '../../src/reactor';

/** A Reactor with TCP, as the endpoints need it. */
export type TCPReactorUnderTest = Reactor & IReactorTCP;

/** A running reactor, stopped (and awaited) by `stop()`; register it in afterEach. */
export function startReactor(): { reactor: TCPReactorUnderTest; stop: () => Promise<void> } {
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

/** Echoes every byte back. */
export class Echo extends Protocol {
  override dataReceived(data: Buffer): void {
    this.transport!.write(data);
  }
}

/** A server factory building Echo and counting the connections it accepted. */
export class EchoFactory extends Factory<Echo> {
  accepted = 0;
  constructor() {
    super();
    this.protocol = Echo;
  }
  override buildProtocol(addr: IPv4Address | IPv6Address): Echo | null {
    this.accepted++;
    return super.buildProtocol(addr);
  }
}

/** A client protocol that collects bytes and can wait for a given amount or for the end. */
export class Collector extends Protocol {
  received = Buffer.alloc(0);
  /** Fires with the reason's error value (a Failure would take the errback path). */
  readonly closed = new Deferred<unknown>();
  #waiting: { n: number; d: Deferred<Buffer> } | null = null;

  override dataReceived(data: Buffer): void {
    this.received = Buffer.concat([this.received, data]);
    this.#check();
  }
  override connectionLost(reason: Failure): void {
    this.closed.callback(reason.value);
  }
  /** Fires once `n` bytes have arrived in total. */
  waitFor(n: number): Deferred<Buffer> {
    const d = new Deferred<Buffer>();
    this.#waiting = { n, d };
    this.#check();
    return d;
  }
  #check(): void {
    if (this.#waiting !== null && this.received.length >= this.#waiting.n) {
      const { d } = this.#waiting;
      this.#waiting = null;
      d.callback(this.received);
    }
  }
}

/** Stop listening and wait until the socket is closed. */
export async function closePort(port: IListeningPort): Promise<void> {
  await port.stopListening();
}

/** A TCP port on `host` that nothing listens on (bound by Node, then closed). */
export async function unusedPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether this machine can listen on the IPv6 loopback (::1). */
export async function ipv6LoopbackAvailable(): Promise<boolean> {
  try {
    await unusedPort('::1');
    return true;
  } catch {
    return false;
  }
}
