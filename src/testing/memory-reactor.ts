/**
 * MemoryReactor: a reactor that records what code asks of it (connections,
 * listening ports, triggers, readers and writers) and does no I/O, as
 * Twisted's `twisted.internet.testing.MemoryReactor`.
 * @module
 */
import { isIPv6 } from 'node:net';
import { IPv4Address, IPv6Address, UNIXAddress } from '../address';
import type { Deferred } from '../defer/deferred';
import { succeed } from '../defer';
import { ReactorAlreadyRunning } from '../errors';
import { guardApply, guardMakeConnection, LOG_ONLY } from '../guard';
import type { ChildFDs, IProcessProtocol, IReactorProcess, PTYOptions, SpawnProcessOptions } from '../interfaces/process';
import { checkProcessProtocol, checkSpawnArgs } from '../process/options';
import { FakeProcessTransport } from './fake-process-transport';
import type { IAddress } from '../interfaces/address';
import type { IConnector, IListeningPort, ConnectorState } from '../interfaces/connector';
import type { EventPhase, IReactorCore, TriggerId } from '../interfaces/core';
import type { IFileDescriptor, IHandleDescriptor, IReactorFDSet, IReadDescriptor, IWriteDescriptor } from '../interfaces/fdset';
import type { IClientFactory, IProtocolFactory } from '../interfaces/protocol';
import type { ConnectTCPOptions, IReactorTCP, ListenTCPOptions } from '../interfaces/tcp';
import type { ITransport } from '../interfaces/transport';
import { checkBacklog, checkBoolean, checkMode, checkOptions, checkUNIXAddress } from '../unix/checks'; // unix
import { checkConnectTimeout as checkTimeout } from '../tcp/types'; // unix
// udp
import type {
  IDatagramProtocol,
  IReactorMulticast,
  IReactorUDP,
  ListenMulticastOptions,
  ListenUDPOptions,
} from '../interfaces/udp';
import { checkDatagramProtocol, checkListenUDP } from '../udp/check';
import { FakeDatagramTransport } from './fake-datagram';
import { RuntimeError } from '../errors';
// tls family
import type { IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator } from '../interfaces/tls';
import { checkCount, checkFunction, checkPort, checkString, ArgTypeError, ArgRangeError } from '../validate';

/** One connectTCP call, as recorded in {@link MemoryReactor.tcpClients}. */
export interface TCPClientRecord {
  host: string;
  port: number;
  factory: IClientFactory;
  /** The timeout asked for (default 30; null for none). */
  timeout: number | null;
  bindAddress: [string, number] | string | null;
}

/** One listenTCP call, as recorded in {@link MemoryReactor.tcpServers}. */
export interface TCPServerRecord {
  port: number;
  factory: IProtocolFactory;
  backlog: number;
  interface: string;
}

/** One listenUDP / listenMulticast call, as recorded in {@link MemoryReactor.udpPorts}. */
export interface UDPPortRecord {
  port: number;
  protocol: IDatagramProtocol;
  interface: string;
  maxPacketSize: number;
  /** Set for listenMulticast calls only. */
  listenMultiple?: boolean;
  /** The transport the protocol was attached to. */
  transport: FakeDatagramTransport;
}

// ---- tls family: connectSSL/listenSSL records ----
/** One connectSSL call, as recorded in {@link MemoryReactor.sslClients}. */
export interface SSLClientRecord {
  host: string;
  port: number;
  factory: IClientFactory;
  contextFactory: IOpenSSLClientConnectionCreator;
  /** The TCP connect timeout asked for (default 30; null for none). */
  timeout: number | null;
  bindAddress: [string, number] | string | null;
}

/** One listenSSL call, as recorded in {@link MemoryReactor.sslServers}. */
export interface SSLServerRecord {
  port: number;
  factory: IProtocolFactory;
  contextFactory: IOpenSSLServerConnectionCreator;
  backlog: number;
  interface: string;
}

/** One connectUNIX call, as recorded in {@link MemoryReactor.unixClients}. */
export interface UNIXClientRecord {
  address: string;
  factory: IClientFactory;
  timeout: number | null;
  checkPID: boolean;
}

/** One listenUNIX call, as recorded in {@link MemoryReactor.unixServers}. */
export interface UNIXServerRecord {
  address: string;
  factory: IProtocolFactory;
  backlog: number;
  mode: number;
  wantPID: boolean;
}

// ---- processes family ----
/** One spawnProcess call, as recorded in {@link MemoryReactor.spawnedProcesses}. */
export interface SpawnedProcessRecord {
  processProtocol: IProcessProtocol;
  executable: string;
  /** The arguments after defaults (`[executable]` when omitted). */
  args: readonly string[];
  /** The environment asked for: `{}` by default (empty), null to inherit. */
  env: Readonly<Record<string, string>> | null;
  path: string | null;
  uid: number | null;
  gid: number | null;
  usePTY: boolean | PTYOptions;
  childFDs: ChildFDs;
  /** The fake transport handed to the protocol. */
  transport: FakeProcessTransport;
}

/** A function and its arguments, as stored for callWhenRunning and triggers. */
export interface RecordedCall {
  fn: (...args: never[]) => unknown;
  args: unknown[];
}

/**
 * The connector MemoryReactor returns: it only records what is done to it.
 * Tests drive the factory themselves (buildProtocol, clientConnectionFailed).
 */
export class FakeConnector implements IConnector {
  /** 'connecting' until stopConnecting() or disconnect(); connect() sets it back. */
  state: ConnectorState = 'connecting';
  /** Always null: no transport is ever made. */
  readonly transport: ITransport | null = null;
  /** True once stopConnecting() was called. */
  stoppedConnecting = false;
  /** True once disconnect() was called. */
  disconnected = false;
  /** How many times connect() was called. */
  connectCalls = 0;
  readonly #address: IAddress;

  constructor(address: IAddress) {
    this.#address = address;
  }
  /** Records the call (no I/O). */
  connect(): void {
    this.connectCalls += 1;
    this.state = 'connecting';
  }
  /** Sets stoppedConnecting (no error, unlike a real connector when not connecting). */
  stopConnecting(): void {
    this.stoppedConnecting = true;
    this.state = 'disconnected';
  }
  /** Sets disconnected. */
  disconnect(): void {
    this.disconnected = true;
    this.state = 'disconnected';
  }
  /** The address given to connectTCP/connectUNIX. */
  getDestination(): IAddress {
    return this.#address;
  }
}

/** The listening port MemoryReactor returns: reports its address, does no I/O. */
export class FakePort<A extends IAddress = IAddress> implements IListeningPort {
  /** False once stopListening() was called. */
  listening = true;
  readonly #address: A;
  constructor(address: A) {
    this.#address = address;
  }
  /** Sets listening. */
  startListening(): void {
    this.listening = true;
  }
  /** Clears listening; returns an already-fired Deferred. */
  stopListening(): Deferred<void> {
    this.listening = false;
    return succeed<void>(undefined);
  }
  /**
   * The port's address: the port listenTCP was asked for, on '0.0.0.0' for
   * any IPv4 interface (as Twisted's MemoryReactor reports it).
   */
  getHost(): A {
    return this.#address;
  }
}

const PHASES: readonly EventPhase[] = ['before', 'during', 'after'];

/**
 * A fake reactor for unit tests: it implements the TCP, UNIX, core and
 * fd-set methods by recording the calls, and never does I/O. connectTCP
 * records `{ host, port, factory, timeout, bindAddress }` in
 * {@link MemoryReactor.tcpClients}, calls `factory.startedConnecting` with a
 * {@link FakeConnector} and stops there; the test then plays the network
 * (`factory.buildProtocol(...)` + `makeConnection(new StringTransport())`,
 * or `clientConnectionFailed`). listenTCP records `{ port, factory, backlog,
 * interface }` in {@link MemoryReactor.tcpServers} and returns a
 * {@link FakePort}; like Twisted's, it does not call `factory.doStart()`.
 *
 * It has no clock: use {@link MemoryReactorClock} for code that also calls
 * callLater. `resolve` and `fireSystemEvent` throw (as in Twisted).
 */
export class MemoryReactor implements IReactorCore, IReactorFDSet, IReactorTCP, IReactorProcess, IReactorUDP, IReactorMulticast {
  /** True while run() runs the callWhenRunning hooks. */
  running = false;
  /** True once run() was called. */
  hasRun = false;
  /** True once stop() was called. */
  hasStopped = false;
  /** True once crash() was called. */
  hasCrashed = false;
  /** Calls registered with callWhenRunning before run(). */
  readonly whenRunningHooks: RecordedCall[] = [];
  /** Triggers by phase, then event type: `triggers.before.shutdown`. */
  readonly triggers: Partial<Record<EventPhase, Record<string, RecordedCall[]>>> = {};
  /** Every connectTCP call, in order. */
  readonly tcpClients: TCPClientRecord[] = [];
  /** Every listenTCP call, in order. */
  readonly tcpServers: TCPServerRecord[] = [];
  /** Every connectUNIX call, in order. */
  readonly unixClients: UNIXClientRecord[] = [];
  /** Every listenUNIX call, in order. */
  readonly unixServers: UNIXServerRecord[] = [];
  /** Every spawnProcess call, in order (processes family). */
  readonly spawnedProcesses: SpawnedProcessRecord[] = [];
  /** Every listenUDP / listenMulticast call, in order. */
  readonly udpPorts: UDPPortRecord[] = [];
  /** Every connectSSL call, in order (tls family). */
  readonly sslClients: SSLClientRecord[] = [];
  /** Every listenSSL call, in order (tls family). */
  readonly sslServers: SSLServerRecord[] = [];
  /** The connectors handed out, parallel to tcpClients/unixClients in call order. */
  readonly connectors: FakeConnector[] = [];
  /** The reader set. */
  readonly readers = new Set<IFileDescriptor>();
  /** The writer set. */
  readonly writers = new Set<IFileDescriptor>();
  // Which connector each connectTCP/connectUNIX record got, without adding
  // a field to the records (tests compare them with toEqual).
  readonly #connectorOf = new WeakMap<object, FakeConnector>();

  // ---- IReactorCore -------------------------------------------------------

  /**
   * Set `running`, run every callWhenRunning hook in order, then stop().
   * @throws ReactorAlreadyRunning if called from inside a hook.
   */
  run(): Promise<void> {
    if (this.running) throw new ReactorAlreadyRunning();
    this.running = true;
    this.hasRun = true;
    for (const { fn, args } of this.whenRunningHooks)
      guardApply(LOG_ONLY, 'callWhenRunning function', fn as (...a: unknown[]) => unknown, args);
    this.stop();
    return Promise.resolve();
  }
  /** Clear `running`, set `hasStopped` (never throws, unlike a real reactor). */
  stop(): void {
    this.running = false;
    this.hasStopped = true;
  }
  /** Clear `running`, set `hasCrashed`. */
  crash(): void {
    this.running = false;
    this.hasCrashed = true;
  }
  /** Call `fn` now if running (as a real reactor does), else keep it for run(). */
  callWhenRunning<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): TriggerId | undefined {
    checkFunction('fn', fn);
    if (this.running) {
      guardApply(LOG_ONLY, 'callWhenRunning function', fn as (...a: unknown[]) => unknown, args);
      return undefined;
    }
    this.whenRunningHooks.push({ fn: fn as (...args: never[]) => unknown, args });
    return { eventType: 'startup', phase: 'after' };
  }
  /** Record the trigger in `triggers[phase][eventType]`; it never runs by itself. */
  addSystemEventTrigger<A extends unknown[]>(
    phase: EventPhase,
    eventType: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): TriggerId {
    if (!PHASES.includes(phase)) throw new ArgTypeError(`phase must be 'before', 'during' or 'after', got ${String(phase)}`);
    checkString('eventType', eventType);
    checkFunction('fn', fn);
    const byEvent = (this.triggers[phase] ??= {});
    const entry: RecordedCall = { fn: fn as (...args: never[]) => unknown, args };
    (byEvent[eventType] ??= []).push(entry);
    return new RecordedTrigger(eventType, phase, entry);
  }
  /**
   * Remove a trigger from `triggers`.
   * @throws TypeError for an id this reactor did not hand out; RangeError if already removed.
   */
  removeSystemEventTrigger(id: TriggerId): void {
    if (!(id instanceof RecordedTrigger)) throw new ArgTypeError('id must be a trigger id returned by addSystemEventTrigger');
    const list = this.triggers[id.phase]?.[id.eventType];
    const i = list ? list.indexOf(id._entry) : -1;
    if (i < 0) throw new ArgRangeError('This trigger was already removed');
    list!.splice(i, 1);
  }
  /** Not supported. @throws Error: MemoryReactor does not run system events. */
  fireSystemEvent(_eventType: string): void {
    throw new Error(
      'MemoryReactor does not fire system events; run the triggers recorded in reactor.triggers yourself, or use a real Reactor',
    );
  }
  /** Not supported. @throws Error: MemoryReactor does not resolve names. */
  resolve(_name: string, _timeouts?: number[]): Deferred<string> {
    throw new Error('MemoryReactor does not resolve names; use a real Reactor or stub resolve in your test');
  }
  /** Not supported. @throws Error: there is no loop to iterate. */
  iterate(_delay?: number): void {
    throw new Error('MemoryReactor has no event loop to iterate; drive the code under test directly');
  }

  // ---- IReactorProcess (processes family) ------------------------------------

  /**
   * Check the arguments as the real reactor does (without the node-pty
   * check), record the call and connect the protocol to a
   * {@link FakeProcessTransport} (makeConnection, guarded). Returns it.
   */
  spawnProcess(
    processProtocol: IProcessProtocol,
    executable: string,
    args?: readonly string[],
    opts: SpawnProcessOptions = {},
  ): FakeProcessTransport {
    checkProcessProtocol(processProtocol);
    const a = checkSpawnArgs(executable, args, opts);
    const childFDs: Record<number, 'r' | 'w' | number> = {};
    for (const [fd, v] of a.childFDs) childFDs[fd] = v;
    const transport = new FakeProcessTransport(processProtocol, a.childFDs);
    this.spawnedProcesses.push({
      processProtocol,
      executable: a.executable,
      args: a.args,
      env: a.env,
      path: a.path,
      uid: a.uid,
      gid: a.gid,
      usePTY: opts.usePTY ?? false,
      childFDs,
      transport,
    });
    guardMakeConnection(transport, processProtocol, transport);
    return transport;
  }

  // ---- IReactorTCP / IReactorUNIX ------------------------------------------

  /** Record the call, give the factory a {@link FakeConnector} via startedConnecting, return it. */
  connectTCP(host: string, port: number, factory: IClientFactory, opts: ConnectTCPOptions = {}): FakeConnector {
    checkString('host', host);
    checkPort('port', port);
    checkFactory(factory, true);
    const timeout = opts.timeout === undefined ? 30 : opts.timeout;
    const record: TCPClientRecord = { host, port, factory, timeout, bindAddress: opts.bindAddress ?? null };
    this.tcpClients.push(record);
    const address = isIPv6(host) ? new IPv6Address('TCP', host, port) : new IPv4Address('TCP', host, port);
    return this.#startConnecting(record, address, factory);
  }

  /** Record the call and return a {@link FakePort} reporting `port`. */
  listenTCP(port: number, factory: IProtocolFactory, opts: ListenTCPOptions = {}): FakePort<IPv4Address | IPv6Address> {
    checkPort('port', port);
    checkFactory(factory, false);
    const backlog = opts.backlog ?? 50;
    checkCount('backlog', backlog);
    const iface = opts.interface ?? '';
    checkString('interface', iface);
    this.tcpServers.push({ port, factory, backlog, interface: iface });
    return new FakePort<IPv4Address | IPv6Address>(
      isIPv6(iface) ? new IPv6Address('TCP', iface, port) : new IPv4Address('TCP', '0.0.0.0', port),
    );
  }

  /** Record the call, give the factory a {@link FakeConnector}, return it. */
  connectUNIX(
    address: string,
    factory: IClientFactory,
    opts: { timeout?: number | null; checkPID?: boolean } = {},
  ): FakeConnector {
    // unix: the argument checks of the real connectUNIX.
    const tooLong = checkUNIXAddress('address', address);
    if (tooLong !== null) throw tooLong;
    checkFactory(factory, true);
    const o = checkOptions(opts);
    const timeout = o.timeout === undefined ? 30 : checkTimeout(o.timeout);
    const record: UNIXClientRecord = { address, factory, timeout, checkPID: checkBoolean('checkPID', o.checkPID, false) };
    this.unixClients.push(record);
    return this.#startConnecting(record, new UNIXAddress(address), factory);
  }

  /** Record the call and return a {@link FakePort} reporting `address`. */
  listenUNIX(
    address: string,
    factory: IProtocolFactory,
    opts: { backlog?: number; mode?: number; wantPID?: boolean } = {},
  ): FakePort {
    // unix: the argument checks of the real listenUNIX.
    checkUNIXAddress('address', address);
    checkFactory(factory, false);
    const o = checkOptions(opts);
    this.unixServers.push({
      address,
      factory,
      backlog: checkBacklog(o.backlog),
      mode: checkMode(o.mode),
      wantPID: checkBoolean('wantPID', o.wantPID, false),
    });
    return new FakePort(new UNIXAddress(address));
  }

  // ---- IReactorSSL (tls family) ---------------------------------------------

  /** Record the call in {@link MemoryReactor.sslClients}, give the factory a {@link FakeConnector}, return it. */
  connectSSL(
    host: string,
    port: number,
    factory: IClientFactory,
    contextFactory: IOpenSSLClientConnectionCreator,
    opts: ConnectTCPOptions = {},
  ): FakeConnector {
    checkString('host', host);
    checkPort('port', port);
    checkFactory(factory, true);
    if (
      contextFactory === null ||
      typeof contextFactory !== 'object' ||
      typeof contextFactory.clientConnectionForTLS !== 'function'
    ) {
      throw new ArgTypeError('contextFactory must be client TLS options (optionsForClientTLS(hostname))');
    }
    const timeout = opts.timeout === undefined ? 30 : opts.timeout;
    const record: SSLClientRecord = { host, port, factory, contextFactory, timeout, bindAddress: opts.bindAddress ?? null };
    this.sslClients.push(record);
    const address = isIPv6(host) ? new IPv6Address('TCP', host, port) : new IPv4Address('TCP', host, port);
    return this.#startConnecting(record, address, factory);
  }

  /** Record the call in {@link MemoryReactor.sslServers} and return a {@link FakePort} reporting `port`. */
  listenSSL(
    port: number,
    factory: IProtocolFactory,
    contextFactory: IOpenSSLServerConnectionCreator,
    opts: ListenTCPOptions = {},
  ): FakePort<IPv4Address | IPv6Address> {
    checkPort('port', port);
    checkFactory(factory, false);
    if (
      contextFactory === null ||
      typeof contextFactory !== 'object' ||
      typeof contextFactory.serverConnectionForTLS !== 'function'
    ) {
      throw new ArgTypeError('contextFactory must be server TLS options (CertificateOptions)');
    }
    const backlog = opts.backlog ?? 50;
    checkCount('backlog', backlog);
    const iface = opts.interface ?? '';
    checkString('interface', iface);
    this.sslServers.push({ port, factory, contextFactory, backlog, interface: iface });
    return new FakePort<IPv4Address | IPv6Address>(
      isIPv6(iface) ? new IPv6Address('TCP', iface, port) : new IPv4Address('TCP', '0.0.0.0', port),
    );
  }

  /**
   * The connector handed out for a tcpClients/unixClients record.
   * @throws Error for a record this reactor did not make.
   * @internal
   */
  _connectorFor(record: TCPClientRecord | UNIXClientRecord): FakeConnector {
    const connector = this.#connectorOf.get(record);
    if (connector === undefined) throw new Error('This record was not made by this MemoryReactor');
    return connector;
  }

  #startConnecting(record: object, address: IAddress, factory: IClientFactory): FakeConnector {
    const connector = new FakeConnector(address);
    this.#connectorOf.set(record, connector);
    this.connectors.push(connector);
    factory.startedConnecting(connector);
    return connector;
  }

  // ---- IReactorUDP / IReactorMulticast (udp) --------------------------------

  /**
   * Check the arguments as the real reactor does, record the call in
   * {@link MemoryReactor.udpPorts}, attach a {@link FakeDatagramTransport}
   * (`makeConnection` -> `startProtocol` run now) and return it.
   * @throws as the real listenUDP, except CannotListenError (nothing is bound).
   */
  listenUDP(port: number, protocol: IDatagramProtocol, opts: ListenUDPOptions = {}): FakeDatagramTransport {
    return this.#listenUDP(port, protocol, opts, false);
  }

  /** listenUDP, recording `listenMultiple` too. */
  listenMulticast(port: number, protocol: IDatagramProtocol, opts: ListenMulticastOptions = {}): FakeDatagramTransport {
    return this.#listenUDP(port, protocol, opts, true);
  }

  #listenUDP(port: number, protocol: IDatagramProtocol, opts: ListenMulticastOptions, multicast: boolean): FakeDatagramTransport {
    const config = checkListenUDP(port, opts, multicast);
    checkDatagramProtocol(protocol);
    if ((protocol as { transport?: unknown }).transport != null) {
      throw new RuntimeError('This protocol is already attached to a transport: use one protocol instance per port');
    }
    const host = config.ipv6
      ? new IPv6Address('UDP', config.interface, port)
      : new IPv4Address('UDP', config.interface === '' ? '0.0.0.0' : config.interface, port);
    const transport = new FakeDatagramTransport({ host, maxPacketSize: config.maxPacketSize, protocol });
    const record: UDPPortRecord = { port, protocol, interface: config.interface, maxPacketSize: config.maxPacketSize, transport };
    if (multicast) record.listenMultiple = config.listenMultiple;
    this.udpPorts.push(record);
    guardMakeConnection(LOG_ONLY, protocol as never, transport);
    return transport;
  }

  // ---- IReactorFDSet ------------------------------------------------------

  /**
   * Add to the reader set (adding twice keeps one entry). As on the real
   * reactor, a handle descriptor (the library's own transports) is told to
   * start reading when it joins the set.
   */
  addReader(reader: IReadDescriptor | IHandleDescriptor): void {
    if (this.readers.has(reader)) return;
    this.readers.add(reader);
    if (isHandleDescriptor(reader)) reader._startReadingHandle();
  }
  /** Add to the writer set. */
  addWriter(writer: IWriteDescriptor | IHandleDescriptor): void {
    this.writers.add(writer);
  }
  /** Remove from the reader set (absent: nothing); a handle descriptor is told to stop reading. */
  removeReader(reader: IReadDescriptor | IHandleDescriptor): void {
    if (!this.readers.delete(reader)) return;
    if (isHandleDescriptor(reader)) reader._stopReadingHandle();
  }
  /** Remove from the writer set (absent: nothing). */
  removeWriter(writer: IWriteDescriptor | IHandleDescriptor): void {
    this.writers.delete(writer);
  }
  /** Empty both sets (stopping handle readers); returns what was removed, each descriptor once. */
  removeAll(): IFileDescriptor[] {
    const all = new Set<IFileDescriptor>([...this.readers, ...this.writers]);
    for (const reader of [...this.readers]) this.removeReader(reader as IReadDescriptor);
    this.writers.clear();
    return [...all];
  }
  /** {@inheritDoc torsion/interfaces!IReactorFDSet.getReaders} */
  getReaders(): IFileDescriptor[] {
    return [...this.readers];
  }
  /** {@inheritDoc torsion/interfaces!IReactorFDSet.getWriters} */
  getWriters(): IFileDescriptor[] {
    return [...this.writers];
  }
}

/** A trigger id that remembers its entry, so removal needs no search by value. */
class RecordedTrigger implements TriggerId {
  constructor(
    readonly eventType: string,
    readonly phase: EventPhase,
    /** @internal */
    readonly _entry: RecordedCall,
  ) {}
}

function isHandleDescriptor(d: unknown): d is IHandleDescriptor {
  const h = d as Partial<IHandleDescriptor> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof h._startReadingHandle === 'function' &&
    typeof h._stopReadingHandle === 'function'
  );
}

function checkFactory(factory: unknown, client: boolean): void {
  const f = factory as Partial<IClientFactory> | null;
  if (typeof f !== 'object' || f === null || typeof f.buildProtocol !== 'function') {
    throw new ArgTypeError('factory must be a protocol factory (with buildProtocol)');
  }
  if (client && typeof f.startedConnecting !== 'function') {
    throw new ArgTypeError('factory must be a client factory (with startedConnecting)');
  }
}
