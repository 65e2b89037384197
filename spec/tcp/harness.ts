/**
 * Helpers shared by the TCP specs: a fake reactor for unit specs (a Clock
 * plus a controllable resolver and reader set), a running real Reactor per
 * integration test, and recording protocols/factories.
 */
import { spawn } from 'node:child_process';
import { type Socket, connect } from 'node:net';
import { Deferred } from '../../src/defer/deferred';
import type { Failure } from '../../src/defer/failure';
import type { IAddress } from '../../src/interfaces/address';
import type { IConnector } from '../../src/interfaces/connector';
import type { EventPhase, TriggerId } from '../../src/interfaces/core';
import type { IFileDescriptor, IHandleDescriptor, IReadDescriptor } from '../../src/interfaces/fdset';
import { ClientFactory, Factory, Protocol } from '../../src/protocol';
import { Reactor } from '../../src/reactor';
import { Clock } from '../../src/task/clock';
import type { TCPReactor } from '../../src/tcp';
import { _setNativeClients } from '../../src/tcp/native-client';
import { _setNativeStreams } from '../../src/tcp/native-stream';

/** A deterministic TCPReactor: Clock time, resolve() answered by the test. */
export class FakeTCPReactor extends Clock implements TCPReactor {
  readonly readers = new Set<IFileDescriptor>();
  readonly tracked = new Set<IFileDescriptor>();
  readonly resolutions: { name: string; d: Deferred<string> }[] = [];
  running = true;

  resolve(name: string): Deferred<string> {
    const d = new Deferred<string>();
    this.resolutions.push({ name, d });
    return d;
  }
  addReader(r: IReadDescriptor | IHandleDescriptor): void {
    if (this.readers.has(r)) return;
    this.readers.add(r);
    (r as IHandleDescriptor)._startReadingHandle();
  }
  removeReader(r: IReadDescriptor | IHandleDescriptor): void {
    if (this.readers.delete(r)) (r as IHandleDescriptor)._stopReadingHandle();
  }
  addWriter(): void {}
  removeWriter(): void {}
  removeAll(): IFileDescriptor[] {
    const all = [...this.readers];
    for (const r of all) this.removeReader(r as IHandleDescriptor);
    return all;
  }
  getReaders(): IFileDescriptor[] {
    return [...this.readers];
  }
  getWriters(): IFileDescriptor[] {
    return [];
  }
  _trackConnection(d: IFileDescriptor): void {
    this.tracked.add(d);
  }
  _untrackConnection(d: IFileDescriptor): void {
    this.tracked.delete(d);
  }
  run(): Promise<void> {
    return Promise.resolve();
  }
  stop(): void {}
  crash(): void {}
  callWhenRunning(): undefined {
    return undefined;
  }
  addSystemEventTrigger<A extends unknown[]>(
    phase: EventPhase,
    eventType: string,
    _fn: (...args: A) => unknown,
    ..._args: A
  ): TriggerId {
    return { phase, eventType };
  }
  removeSystemEventTrigger(): void {}
  fireSystemEvent(): void {}
}

/** A one-shot promise with its resolver: a Failure is a value here, unlike a Deferred. */
export class Signal<T> implements PromiseLike<T> {
  called = false;
  value: T | undefined = undefined;
  readonly #promise: Promise<T>;
  #resolve!: (v: T) => void;
  constructor() {
    this.#promise = new Promise<T>((resolve) => {
      this.#resolve = resolve;
    });
  }
  fire(v: T): void {
    if (this.called) return;
    this.called = true;
    this.value = v;
    this.#resolve(v);
  }
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.#promise.then(onfulfilled, onrejected);
  }
}

/** One callback or event, as recorded by the recording factory/protocol. */
export type Event = [string, ...unknown[]];

/** A protocol that records its callbacks into a shared log. */
export class RecordingProtocol extends Protocol {
  events: Event[] = [];
  received: Buffer[] = [];
  lost = new Signal<Failure>();
  made = new Signal<RecordingProtocol>();
  override connectionMade(): void {
    this.events.push(['connectionMade']);
    this.made.fire(this);
  }
  override dataReceived(data: Buffer): void {
    this.events.push(['dataReceived', data.length]);
    this.received.push(data);
  }
  override connectionLost(reason: Failure): void {
    this.events.push(['connectionLost', reason]);
    this.lost.fire(reason);
  }
  /** Everything received so far. */
  data(): Buffer {
    return Buffer.concat(this.received);
  }
}

/** A client factory that records the factory callbacks (with the protocol's). */
export class RecordingClientFactory<P extends Protocol = RecordingProtocol> extends ClientFactory<P> {
  events: Event[] = [];
  protocols: P[] = [];
  connectors: IConnector[] = [];
  failed = new Signal<Failure>();
  lost = new Signal<Failure>();
  /** Set to return null (refuse) from buildProtocol. */
  refuse = false;

  constructor(protocol: new () => P = RecordingProtocol as unknown as new () => P) {
    super();
    this.protocol = protocol;
  }
  override startFactory(): void {
    this.events.push(['startFactory']);
  }
  override stopFactory(): void {
    this.events.push(['stopFactory']);
  }
  override doStart(): void {
    this.events.push(['doStart']);
    super.doStart();
  }
  override doStop(): void {
    this.events.push(['doStop']);
    super.doStop();
  }
  override startedConnecting(connector: IConnector): void {
    this.events.push(['startedConnecting', connector]);
    this.connectors.push(connector);
  }
  override buildProtocol(addr: IAddress): P | null {
    this.events.push(['buildProtocol', addr]);
    if (this.refuse) return null;
    const p = super.buildProtocol(addr) as P;
    this.protocols.push(p);
    return p;
  }
  override clientConnectionFailed(connector: IConnector, reason: Failure): void {
    this.events.push(['clientConnectionFailed', connector, reason]);
    this.connectors.push(connector);
    this.failed.fire(reason);
  }
  override clientConnectionLost(connector: IConnector, reason: Failure): void {
    this.events.push(['clientConnectionLost', connector, reason]);
    this.connectors.push(connector);
    this.lost.fire(reason);
  }
  /** Just the callback names. */
  names(): string[] {
    return this.events.map((e) => e[0]);
  }
}

/** A server factory that keeps the protocols it built. */
export class RecordingServerFactory<P extends Protocol = RecordingProtocol> extends Factory<P> {
  protocols: P[] = [];
  built = new Signal<P>();
  refuse = false;
  starts = 0;
  stops = 0;
  constructor(protocol: new () => P = RecordingProtocol as unknown as new () => P) {
    super();
    this.protocol = protocol;
  }
  override startFactory(): void {
    this.starts += 1;
  }
  override stopFactory(): void {
    this.stops += 1;
  }
  override buildProtocol(addr: IAddress): P | null {
    if (this.refuse) return null;
    const p = super.buildProtocol(addr) as P;
    this.protocols.push(p);
    this.built.fire(p);
    return p;
  }
}

/**
 * A real reactor per test: `const h = useReactor()` in a describe; `h.r`
 * is a running Reactor, stopped (and awaited) after each test.
 */
export function useReactor(): { r: Reactor } {
  const holder = {} as { r: Reactor; done: Promise<void> };
  beforeEach(() => {
    holder.r = new Reactor();
    holder.done = holder.r.run();
  });
  afterEach(async () => {
    if (holder.r.running) holder.r.stop();
    await holder.done;
  });
  return holder;
}

/**
 * Whether this run keeps Node's private bindings off (`TORSION_NO_BINDINGS`,
 * as `npm run test:nobindings`): then only the public modes run.
 */
export const BINDINGS_OFF = (process.env.TORSION_NO_BINDINGS ?? '') !== '' && process.env.TORSION_NO_BINDINGS !== '0';

/** One of {@link ACCEPT_MODES}. */
export type AcceptMode = 'native stream' | 'net.Socket';
/**
 * How accepted connections are driven: straight on libuv's handle (the
 * default where Node's private bindings allow), or wrapped in a net.Socket.
 */
export const ACCEPT_MODES: readonly AcceptMode[] = BINDINGS_OFF ? ['net.Socket'] : ['native stream', 'net.Socket'];

/** Run the enclosing describe's tests with accepted connections in `mode` (the default restored after). */
export function useAcceptMode(mode: AcceptMode): void {
  beforeAll(() => {
    const wanted = mode === 'native stream';
    if (_setNativeStreams(wanted) !== wanted)
      throw new Error(`accept mode '${mode}' is not available on Node ${process.version}`);
  });
  afterAll(() => {
    _setNativeStreams(true);
  });
}

/** One of {@link CLIENT_MODES}. */
export type ClientMode = 'native stream' | 'net.Socket';
/**
 * How connectTCP's client connections are driven: on a new libuv handle per
 * attempt (the default where Node's private bindings allow), or on a pooled
 * net.Socket.
 */
export const CLIENT_MODES: readonly ClientMode[] = BINDINGS_OFF ? ['net.Socket'] : ['native stream', 'net.Socket'];

/** Run the enclosing describe's tests with client connections in `mode` (the default restored after). */
export function useClientMode(mode: ClientMode): void {
  beforeAll(() => {
    const wanted = mode === 'native stream';
    if (_setNativeClients(wanted) !== wanted)
      throw new Error(`client mode '${mode}' is not available on Node ${process.version}`);
  });
  afterAll(() => {
    _setNativeClients(true);
  });
}

/** Both ends of a connection: how it was accepted, and how the client connected. */
export interface TransportMode {
  accept: AcceptMode;
  client: ClientMode;
  /** For test names. */
  toString(): string;
}

/** Every combination of {@link ACCEPT_MODES} and {@link CLIENT_MODES}. */
export const TRANSPORT_MODES: readonly TransportMode[] = ACCEPT_MODES.flatMap((accept) =>
  CLIENT_MODES.map((client) => ({ accept, client, toString: () => `accepted: ${accept}, client: ${client}` })),
);

/** {@link useAcceptMode} and {@link useClientMode} together. */
export function useTransportMode(mode: TransportMode): void {
  useAcceptMode(mode.accept);
  useClientMode(mode.client);
}

/** Wait for a Deferred (or promise), failing the test after `ms`. */
export function within<T>(d: PromiseLike<T>, ms = 5000, what = 'event'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
    Promise.resolve(d).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Resolve after `ms` milliseconds of real time (lets sockets make progress). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Let the event loop turn `n` times (each turn ends in the check phase, and
 * the next one polls for I/O again): what the kernel already holds for
 * this process (bytes or a FIN on loopback, an accepted connection) has
 * then been delivered, and what it triggers in turn has run. The reactor's
 * own turn, not a wall-clock window: use it to show that something did
 * not happen.
 */
export async function loopTurns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A promise of the net.Socket's 'close' event (its last). Call it while the
 * socket is open: nothing says afterwards whether 'close' was emitted.
 */
export function closeOf(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Resolve once `cond()` is true (polled every few ms), or reject after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(2);
  }
}

/**
 * A TCP port that never completes a handshake: a child process listens
 * with backlog 1 and never accepts (its loop is blocked), and the accept
 * queue is filled, so the kernel drops further SYNs. `close()` frees it.
 */
export async function blackHole(): Promise<{ port: number; close(): void }> {
  const script =
    "const net=require('net');const s=net.createServer();" +
    "s.listen(0,'127.0.0.1',1,()=>{process.stdout.write(s.address().port+'\\n');" +
    'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0);});';
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  const fillers: Socket[] = [];
  const close = (): void => {
    for (const s of fillers) s.destroy();
    child.kill('SIGKILL');
  };
  for (let i = 0; i < 16; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    fillers.push(s);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) return { port, close };
  }
  close();
  throw new Error('Could not fill the accept queue of the black-hole server');
}
