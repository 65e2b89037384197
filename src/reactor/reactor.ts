/**
 * `Reactor`: Twisted's reactor on Node's event loop — the clock and timed
 * calls (IReactorTime), the life cycle with system event triggers
 * (IReactorCore) and the reader/writer sets (IReactorFDSet).
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { ConnectionLost, ReactorAlreadyRunning, ReactorNotRestartable, ReactorNotRunning } from '../errors';
import type { EventPhase, IReactorCore, RunOptions, TriggerId } from '../interfaces/core';
import type { IFileDescriptor, IHandleDescriptor, IReactorFDSet, IReadDescriptor, IWriteDescriptor } from '../interfaces/fdset';
import type { IClientFactory, IProtocolFactory } from '../interfaces/protocol';
import type { ConnectTCPOptions, IReactorTCP, ListenTCPOptions } from '../interfaces/tcp';
import type { IReactorTime } from '../interfaces/time';
import type { Connector } from '../tcp/connector';
import type { Port } from '../tcp/port';
import { connectTCP, listenTCP } from '../tcp/reactor-tcp';
// processes family
import type { IProcessProtocol, IProcessTransport, IReactorProcess, SpawnProcessOptions } from '../interfaces/process';
import { spawnProcess } from '../process/spawn';
// udp
import type {
  IDatagramProtocol,
  IReactorMulticast,
  IReactorUDP,
  ListenMulticastOptions,
  ListenUDPOptions,
} from '../interfaces/udp';
import { listenMulticast, listenUDP } from '../udp/listen';
import type { MulticastPort } from '../udp/multicast';
import type { Port as UDPPort } from '../udp/port';
// tls family
import type { IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator, IReactorSSL } from '../interfaces/tls';
import { connectSSL, listenSSL } from '../ssl/reactor-ssl';
import { guardApply, guardCall, loggingOwner } from '../guard';
import { Logger } from '../logger';
import { checkFunction, checkString, describe, ArgTypeError, ArgRangeError } from '../validate';
import type { DelayedCall } from './delayed-call';
import { DescriptorSet } from './fd-set';
import { resolveName } from './resolve';
import { PHASES, SystemEventTrigger, ThreePhaseEvent } from './system-events';
import { TimerQueue } from './timers';
// ---- unix (UNIX sockets) ----
import type {
  ConnectUNIXOptions,
  IReactorUNIX,
  IReactorUNIXDatagram,
  IUNIXDatagramTransport,
  ListenUNIXOptions,
  UNIXDatagramOptions,
} from '../interfaces/unix';
import type { IListeningPort } from '../interfaces/connector';
import type { Connector as UNIXConnector } from '../unix/connector';
import type { Port as UNIXPort } from '../unix/port';
import { connectUNIX, listenUNIX } from '../unix/reactor-unix';
import { connectUNIXDatagram, listenUNIXDatagram } from '../unix/datagram';
// ---- end unix ----

/** Options of `new Reactor()`. */
export interface ReactorOptions {
  /**
   * The default of `run()`'s `installSignalHandlers`: false for
   * `new Reactor()`, true for the global `reactor`.
   */
  installSignalHandlers?: boolean;
}

const TIME_ORIGIN_MS = performance.timeOrigin;
// A ref'd handle that keeps Node's loop alive while the reactor runs, even
// with nothing else to wait for (Twisted's run() blocks until stop()). The
// interval is the longest Node accepts; the callback never matters.
const KEEPALIVE_MS = 2 ** 31 - 1;
const noop = (): void => {};
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * An event loop in Twisted's style, running on Node's.
 *
 * `reactor` (from `torsion`) is the process-wide instance; `new Reactor()`
 * makes an independent one (each test uses its own), and several can run
 * in one process.
 *
 * Life cycle: `run()` fires the `startup` event (`running` becomes true in
 * its *during* phase, then `callWhenRunning` functions run); delayed calls
 * run only from `run()` until shutdown; `stop()` fires `shutdown`
 * asynchronously, whose built-in *during* triggers end the loop and
 * disconnect every descriptor and tracked connection (`connectionLost`
 * with `ConnectionLost`, exactly once each); the promise `run()` returned
 * resolves after the *after* phase. A stopped reactor holds no Node handle
 * and cannot run again.
 *
 * @example
 * ```ts
 * const r = new Reactor();
 * r.callLater(0.5, () => r.stop());
 * await r.run();
 * ```
 */
export class Reactor
  implements
    IReactorTime,
    IReactorCore,
    IReactorFDSet,
    IReactorTCP,
    IReactorUNIX,
    IReactorUNIXDatagram,
    IReactorProcess,
    IReactorUDP,
    IReactorMulticast,
    IReactorSSL
{
  /** Where the reactor logs what it cannot raise. */
  protected readonly log = new Logger('torsion.reactor');
  /** Logs the failures of callbacks that have nothing to end (guard.ts). */
  readonly #guard = loggingOwner(this.log);
  readonly #timers: TimerQueue;
  readonly #fds: DescriptorSet;
  readonly #events = new Map<string, ThreePhaseEvent>();
  readonly #tracked = new Set<IFileDescriptor>();
  readonly #defaultInstallSignals: boolean;

  #running = false;
  // Twisted's _started / _stopped / _startedBefore / _justStopped.
  #started = false;
  #stopped = false;
  #startedBefore = false;
  #justStopped = false;
  #installSignals = false;
  #signalsInstalled: NodeJS.Signals[] = [];
  #exitSignal: NodeJS.Signals | null = null;
  #keepAlive: NodeJS.Timeout | null = null;
  #finishRun: (() => void) | null = null;

  constructor(options: ReactorOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new ArgTypeError(`options must be an object, got ${describe(options)}`);
    }
    this.#defaultInstallSignals = options.installSignalHandlers ?? false;
    this.#timers = new TimerQueue(this.log, readClock);
    // raw-fd family: continuous polling of regular files runs on this reactor's clock.
    this.#fds = new DescriptorSet(this.log, { callLater: (delay, fn) => this.callLater(delay, fn) });
    this.addSystemEventTrigger('during', 'startup', this.#reallyStartRunning);
    this.addSystemEventTrigger('during', 'shutdown', this.#crashLoop);
    this.addSystemEventTrigger('during', 'shutdown', this.#disconnectAll);
  }

  // ---- IReactorTime --------------------------------------------------------

  /**
   * The current time in seconds: monotonic, anchored to the epoch
   * (`(performance.timeOrigin + performance.now()) / 1000`).
   */
  seconds(): number {
    return this.#timers.seconds();
  }

  /**
   * Call `fn(...args)` `delay` seconds from now (see IReactorTime). Calls
   * due at the same time run in the order they were scheduled; a call
   * scheduled while due calls run waits for the next pass, even with delay 0.
   * Delayed calls run only while the reactor runs; an exception from one is
   * logged and never stops the reactor.
   *
   * "Now" is the reactor's time of the current synchronous turn: the clock
   * is read once per turn (as Node's own timers use the loop's time), and
   * `seconds()` always reads it afresh and moves it forward, so a call is
   * never due before `seconds()` (read earlier) plus its delay.
   * @throws RangeError if delay is negative or not finite; TypeError if fn is not a function.
   */
  callLater<A extends unknown[]>(delay: number, fn: (...args: A) => unknown, ...args: A): DelayedCall {
    return this.#timers.callLater(delay, fn as (...args: never[]) => unknown, args.length === 0 ? null : args);
  }

  /** Every call that is neither called nor cancelled, earliest first. */
  getDelayedCalls(): DelayedCall[] {
    return this.#timers.getDelayedCalls();
  }

  // ---- IReactorCore ----------------------------------------------------------

  /** True from the *during* phase of startup until the *during* phase of shutdown. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Start the loop: fire `startup` (synchronously, unless a *before*
   * trigger returns something to wait for), then run delayed calls and keep
   * the process alive until shut down. Resolves once the *after* phase of
   * `shutdown` ran (or at once after `crash()`).
   * @throws ReactorAlreadyRunning if running; ReactorNotRestartable if it ran and stopped.
   */
  run(opts: RunOptions = {}): Promise<void> {
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    if (this.#started) throw new ReactorAlreadyRunning();
    if (this.#startedBefore) throw new ReactorNotRestartable();
    this.#installSignals = opts.installSignalHandlers ?? this.#defaultInstallSignals;
    this.#started = true;
    this.#stopped = false;
    const done = new Promise<void>((resolve) => {
      this.#finishRun = resolve;
    });
    this.#keepAlive = setInterval(noop, KEEPALIVE_MS);
    this.#timers.start();
    this.fireSystemEvent('startup');
    return done;
  }

  /**
   * Begin a clean shutdown: the `shutdown` event fires asynchronously
   * (never from inside this call).
   * @throws ReactorNotRunning if the reactor is not running or already stopping.
   */
  stop(): void {
    if (this.#stopped || !this.#started) throw new ReactorNotRunning();
    this.#stopped = true;
    this.#justStopped = true;
    this.#startedBefore = true;
    setImmediate(this.#beginShutdown);
  }

  /**
   * Stop the loop at once, without shutdown triggers: delayed calls stay
   * pending, `run()` resolves, and `run()` may be called again.
   */
  crash(): void {
    this.#crashLoop();
    this.#endRun();
  }

  /**
   * Call `fn(...args)` now if the reactor is running (returning undefined),
   * otherwise once startup has run (returning the trigger's id).
   * @throws TypeError if fn is not a function.
   */
  callWhenRunning<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): TriggerId | undefined {
    checkFunction('fn', fn);
    if (this.#running) {
      guardApply(this.#guard, 'callWhenRunning function', fn as (...a: unknown[]) => unknown, args);
      return undefined;
    }
    return this.addSystemEventTrigger('after', 'startup', fn, ...args);
  }

  /**
   * Register `fn(...args)` for a phase of an event ('startup', 'shutdown' or
   * any name). A *before* trigger returning a Deferred or Promise delays the
   * *during* phase until it settles. Each trigger runs once; exceptions are
   * logged.
   * @throws TypeError for an unknown phase, a non-string event type or a non-function.
   */
  addSystemEventTrigger<A extends unknown[]>(
    phase: EventPhase,
    eventType: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): TriggerId {
    if (!PHASES.includes(phase)) {
      throw new ArgTypeError(`phase must be 'before', 'during' or 'after', got ${describe(phase)}`);
    }
    checkString('eventType', eventType);
    checkFunction('fn', fn);
    let event = this.#events.get(eventType);
    if (event === undefined) {
      event = new ThreePhaseEvent(this.log);
      this.#events.set(eventType, event);
    }
    const trigger = new SystemEventTrigger(eventType, phase, fn as (...args: never[]) => unknown, args);
    event.add(trigger);
    return trigger;
  }

  /**
   * Remove a trigger that has not run yet.
   * @throws TypeError for something addSystemEventTrigger did not return;
   * RangeError if it was already removed or already ran.
   */
  removeSystemEventTrigger(id: TriggerId): void {
    if (!(id instanceof SystemEventTrigger) || !PHASES.includes(id.phase)) {
      throw new ArgTypeError(`id must be a trigger id returned by addSystemEventTrigger, got ${describe(id)}`);
    }
    const event = this.#events.get(id.eventType);
    if (event === undefined) throw new ArgRangeError(`No trigger was ever added for the event ${JSON.stringify(id.eventType)}`);
    event.remove(id);
  }

  /** Run the three phases of `eventType` now (see ThreePhaseEvent). */
  fireSystemEvent(eventType: string): void {
    checkString('eventType', eventType);
    this.#fire(eventType);
  }

  /**
   * Resolve a host name to one address: `''` gives '0.0.0.0', IPv4 and IPv6
   * literals pass through, other names go through Node's resolver (IPv4
   * first, then IPv6). Fails with DNSLookupError (the resolver error as
   * `cause`), also when no answer came within the sum of `timeouts` seconds
   * (default 1+3+11+45; counted only while the reactor runs).
   * @throws TypeError / RangeError for a non-string name or bad timeouts.
   */
  resolve(name: string, timeouts?: number[]): Deferred<string> {
    return resolveName(name, timeouts, this);
  }

  // ---- IReactorFDSet ---------------------------------------------------------

  /**
   * Watch `reader`: a handle descriptor starts reading (its `_startReadingHandle()` hook);
   * a raw descriptor's `fileno()` gets a libuv poll handle (its `doRead()` runs when readable;
   * see torsion/fdesc). Adding it again does nothing.
   * @throws NativeAddonUnavailableError for a raw descriptor without the native addon;
   * RuntimeError when another descriptor object is watched on the same fd.
   */
  addReader(reader: IReadDescriptor | IHandleDescriptor): void {
    this.#fds.addReader(reader);
  }

  /**
   * Track `writer` (libuv drives a handle descriptor's writes); a raw descriptor's
   * `doWrite()` runs while its fd is writable.
   * @throws as {@link Reactor.addReader}.
   */
  addWriter(writer: IWriteDescriptor | IHandleDescriptor): void {
    this.#fds.addWriter(writer);
  }

  /** Stop watching `reader`: a handle descriptor stops reading (its `_stopReadingHandle()` hook). */
  removeReader(reader: IReadDescriptor | IHandleDescriptor): void {
    this.#fds.removeReader(reader);
  }

  /** Stop tracking `writer`. */
  removeWriter(writer: IWriteDescriptor | IHandleDescriptor): void {
    this.#fds.removeWriter(writer);
  }

  /** Remove every reader and writer and return them (each once). */
  removeAll(): IFileDescriptor[] {
    return this.#fds.removeAll();
  }

  /** The current readers. */
  getReaders(): IFileDescriptor[] {
    return this.#fds.getReaders();
  }

  /** The current writers. */
  getWriters(): IFileDescriptor[] {
    return this.#fds.getWriters();
  }

  // ---- IReactorTCP ------------------------------------------------------------

  /**
   * Connect to `host:port`; the factory's protocols handle the connection.
   * `factory.doStart()` and `startedConnecting(connector)` run synchronously;
   * the attempt starts on the next reactor pass.
   * @throws TypeError/RangeError for a bad host, port, factory or option.
   */
  connectTCP(host: string, port: number, factory: IClientFactory, options?: ConnectTCPOptions): Connector {
    return connectTCP(this, host, port, factory, options);
  }

  /**
   * Listen on `port` (0 for any free port); binds synchronously.
   * @throws TypeError/RangeError for bad arguments; CannotListenError when the
   * address cannot be bound.
   */
  listenTCP(port: number, factory: IProtocolFactory, options?: ListenTCPOptions): Port {
    return listenTCP(this, port, factory, options);
  }

  // ---- unix: IReactorUNIX, IReactorUNIXDatagram (bodies in src/unix/) ----------

  /**
   * Connect to the UNIX socket `address` (connectTCP's lifecycle).
   * @throws TypeError/RangeError for a bad address (over 107 bytes), factory or option.
   */
  connectUNIX(address: string, factory: IClientFactory, options?: ConnectUNIXOptions): UNIXConnector {
    return connectUNIX(this, address, factory, options);
  }

  /**
   * Listen on the UNIX socket `address`; binds synchronously.
   * @throws CannotListenError when it cannot listen there.
   */
  listenUNIX(address: string, factory: IProtocolFactory, options?: ListenUNIXOptions): UNIXPort {
    return listenUNIX(this, address, factory, options);
  }

  /**
   * Bind a UNIX datagram socket at `address` (through the native addon).
   * @throws NativeAddonUnavailableError without the addon; CannotListenError.
   */
  listenUNIXDatagram(
    address: string,
    protocol: object,
    options?: Omit<UNIXDatagramOptions, 'bindAddress'>,
  ): IListeningPort & IUNIXDatagramTransport {
    return listenUNIXDatagram(this, address, protocol, options);
  }

  /**
   * A UNIX datagram socket connected to `address` (through the native addon).
   * @throws NativeAddonUnavailableError without the addon; CannotListenError.
   */
  connectUNIXDatagram(address: string, protocol: object, options?: UNIXDatagramOptions): IListeningPort & IUNIXDatagramTransport {
    return connectUNIXDatagram(this, address, protocol, options);
  }
  // ---- end unix ----

  // ---- IReactorProcess (processes family) --------------------------------------

  /**
   * Start a child process and connect `processProtocol` to it (see
   * {@link IReactorProcess.spawnProcess}). **Without `opts.env` the child gets
   * an EMPTY environment** (Twisted's default); `env: null` inherits
   * `process.env`.
   * @throws TypeError/RangeError for bad arguments; FeatureUnavailableError
   *   for `usePTY` without `node-pty`.
   */
  spawnProcess(
    processProtocol: IProcessProtocol,
    executable: string,
    args?: readonly string[],
    opts?: SpawnProcessOptions,
  ): IProcessTransport {
    return spawnProcess(this, processProtocol, executable, args, opts);
  }

  // ---- IReactorUDP / IReactorMulticast (udp) ---------------------------------------

  /**
   * Bind a UDP port (0 for any free port) and start `protocol` on it,
   * synchronously (`makeConnection` -> `startProtocol` inside the call).
   * @throws CannotListenError when the address cannot be bound;
   * InvalidAddressError for a host name as interface; RuntimeError if the
   * protocol is attached already; TypeError/RangeError for bad arguments.
   */
  listenUDP(port: number, protocol: IDatagramProtocol, options?: ListenUDPOptions): UDPPort {
    return listenUDP(this, port, protocol, options);
  }

  /**
   * listenUDP with the multicast methods (joinGroup, setTTL, ...) and
   * `listenMultiple` (SO_REUSEADDR).
   * @throws as listenUDP.
   */
  listenMulticast(port: number, protocol: IDatagramProtocol, options?: ListenMulticastOptions): MulticastPort {
    return listenMulticast(this, port, protocol, options);
  }

  // ---- IReactorSSL (tls family) ---------------------------------------------------

  /**
   * connectTCP plus TLS on the same Connector lifecycle (see {@link IReactorSSL}).
   * @throws TypeError/RangeError for bad arguments; TypeError for a CertificateOptions without `verify`.
   */
  connectSSL(
    host: string,
    port: number,
    factory: IClientFactory,
    contextFactory: IOpenSSLClientConnectionCreator,
    options?: ConnectTCPOptions,
  ): Connector {
    return connectSSL(this, host, port, factory, contextFactory, options);
  }

  /**
   * listenTCP plus TLS on every accepted connection; binds synchronously.
   * @throws TypeError for server options without key or certificate; CannotListenError.
   */
  listenSSL(
    port: number,
    factory: IProtocolFactory,
    contextFactory: IOpenSSLServerConnectionCreator,
    options?: ListenTCPOptions,
  ): Port {
    return listenSSL(this, port, factory, contextFactory, options);
  }

  // ---- hooks for transports ----------------------------------------------------

  /**
   * Register a live connection or listening port: at shutdown it gets
   * `connectionLost(Failure(ConnectionLost))` exactly once, even when it is
   * neither a reader nor a writer.
   * @internal
   */
  _trackConnection(d: IFileDescriptor): void {
    this.#tracked.add(d);
  }

  /** Forget a descriptor registered with `_trackConnection` (it closed by itself). @internal */
  _untrackConnection(d: IFileDescriptor): void {
    this.#tracked.delete(d);
  }

  /** The signal that stopped the reactor through its handlers, if any (for `react`). @internal */
  get _exitSignal(): NodeJS.Signals | null {
    return this.#exitSignal;
  }

  // ---- internals -----------------------------------------------------------------

  #fire(eventType: string, onDone?: () => void): void {
    const event = this.#events.get(eventType);
    if (event === undefined) onDone?.();
    else event.fire(onDone);
  }

  /** Built-in *during startup* trigger. */
  readonly #reallyStartRunning = (): void => {
    this.#running = true;
    this.#fds.setRunning(true); // raw-fd family: poll handles run while the reactor runs
    if (this.#installSignals) this.#installSignalHandlers();
  };

  readonly #beginShutdown = (): void => {
    // A crash() after stop() ends the loop before shutdown, as in Twisted.
    if (!this.#justStopped || !this.#started) return;
    this.#justStopped = false;
    this.#fire('shutdown', () => this.#endRun());
  };

  /** Leave the loop (built-in *during shutdown* trigger, and crash()). */
  readonly #crashLoop = (): void => {
    const wasStarted = this.#started;
    this.#started = false;
    this.#running = false;
    this.#fds.setRunning(false); // raw-fd family
    this.#timers.stop();
    if (this.#keepAlive !== null) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
    // As Twisted: startup's built-in trigger is consumed by firing; put it
    // back so a crashed reactor can run() again.
    if (wasStarted) this.addSystemEventTrigger('during', 'startup', this.#reallyStartRunning);
  };

  /** Built-in *during shutdown* trigger: every descriptor and tracked connection is lost. */
  readonly #disconnectAll = (): void => {
    const lost = new Set<IFileDescriptor>(this.removeAll());
    for (const d of this.#tracked) lost.add(d);
    this.#tracked.clear();
    for (const d of lost) {
      guardCall(
        this.#guard,
        `connectionLost of ${prefixOf(d)} during shutdown`,
        d.connectionLost,
        d,
        new Failure(new ConnectionLost()),
      );
    }
  };

  /** run() is over: release signal handlers and resolve its promise. */
  #endRun(): void {
    this.#uninstallSignalHandlers();
    const finish = this.#finishRun;
    this.#finishRun = null;
    finish?.();
  }

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#exitSignal = signal;
    this.log.info(`Received ${signal}, shutting down.`);
    if (this.#started && !this.#stopped) this.stop();
  };

  #installSignalHandlers(): void {
    if (this.#signalsInstalled.length > 0) return;
    for (const signal of SIGNALS) {
      // As Twisted, leave SIGINT alone when the application already handles it.
      if (signal === 'SIGINT' && process.listenerCount('SIGINT') > 0) continue;
      process.on(signal, this.#onSignal);
      this.#signalsInstalled.push(signal);
    }
  }

  #uninstallSignalHandlers(): void {
    for (const signal of this.#signalsInstalled) process.removeListener(signal, this.#onSignal);
    this.#signalsInstalled = [];
  }
}

function readClock(): number {
  return (TIME_ORIGIN_MS + performance.now()) / 1000;
}

function prefixOf(d: IFileDescriptor): string {
  try {
    return d.logPrefix();
  } catch {
    return d.constructor?.name ?? 'descriptor';
  }
}
