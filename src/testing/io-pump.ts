/**
 * IOPump: connects a client and a server protocol in memory and moves bytes
 * between them when told to (Twisted's `twisted.test.iosim`: IOPump,
 * connect, connectedServerAndClient, ConnectionCompleter).
 * @module
 */
import { guardMakeConnection } from '../guard';
import { IPv4Address, UNIXAddress } from '../address';
import { Failure } from '../defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionLost, ConnectionRefusedError } from '../errors';
import type { IProtocol } from '../interfaces/protocol';
import { checkCount } from '../validate';
import { FakeTransport } from './fake-transport';
import type { FakeConnector, MemoryReactor } from './memory-reactor';

/** Options of {@link IOPump} and {@link connect}. */
export interface IOPumpOptions {
  /**
   * Deliver at most this many bytes per dataReceived call (1 = one byte at
   * a time). Default: everything pending in one call.
   */
  chunkSize?: number;
  /**
   * A clock advanced by 0 at the start of every pump(), so that calls the
   * protocols scheduled with callLater(0) run between deliveries (pass the
   * MemoryReactorClock or Clock the protocols use).
   */
  clock?: { advance(amount: number): void };
  /** Flush once after connecting, so greetings are exchanged (connect() only). Default true. */
  greet?: boolean;
}

/** The most pump() rounds flush() makes before deciding the protocols never go quiet. */
const MAX_FLUSH_ROUNDS = 1000;

/**
 * Moves bytes between two {@link FakeTransport}s. Nothing moves until the
 * test calls {@link IOPump.pump} (one round each way), {@link IOPump.flush}
 * (until quiet), or {@link IOPump.deliverToServer} /
 * {@link IOPump.deliverToClient} (one direction, one written chunk or n
 * bytes at a time). Closes and aborts are carried out by pump()/flush()
 * once the bytes written before them have been delivered.
 */
export class IOPump {
  readonly #chunkSize: number;
  readonly #clock: { advance(amount: number): void } | null;
  #clientGoneSeen = false;
  #serverGoneSeen = false;

  /**
   * @param client - the client protocol.
   * @param server - the server protocol.
   * @param clientIO - the client's transport.
   * @param serverIO - the server's transport.
   */
  constructor(
    readonly client: IProtocol,
    readonly server: IProtocol,
    readonly clientIO: FakeTransport,
    readonly serverIO: FakeTransport,
    opts: IOPumpOptions = {},
  ) {
    const chunkSize = opts.chunkSize ?? Infinity;
    if (chunkSize !== Infinity) checkCount('chunkSize', chunkSize, 1);
    this.#chunkSize = chunkSize;
    this.#clock = opts.clock ?? null;
  }

  /**
   * One round: deliver everything each side has written to the other; if
   * no bytes moved, carry out pending aborts, closes and half-closes.
   * @returns whether anything happened.
   */
  pump(): boolean {
    this.#clock?.advance(0);
    const { clientIO, serverIO } = this;
    // Take both sides' output before delivering either, so a reply written
    // during delivery waits for the next round (as on a real network).
    const toServer = this.#take(clientIO, serverIO);
    const toClient = this.#take(serverIO, clientIO);
    if (toServer !== null) this.#deliver(serverIO, toServer);
    if (toClient !== null) this.#deliver(clientIO, toClient);
    if (toServer !== null || toClient !== null) return true;
    return this.#closeStep();
  }

  /**
   * Pump until nothing happens any more.
   * @returns whether anything happened.
   * @throws Error if the protocols are still busy after 1000 rounds.
   */
  flush(): boolean {
    let result = false;
    for (let i = 0; i < MAX_FLUSH_ROUNDS; i++) {
      if (!this.pump()) return result;
      result = true;
    }
    throw new Error(`IOPump.flush: still moving data after ${MAX_FLUSH_ROUNDS} rounds; do the protocols ping-pong forever?`);
  }

  /**
   * Deliver the client's oldest pending write (or, with `nbytes`, up to
   * that many bytes) to the server. Closes are not carried out.
   * @returns the number of bytes delivered (0 if none pending or the server is paused).
   */
  deliverToServer(nbytes?: number): number {
    return this.#deliverSome(this.clientIO, this.serverIO, nbytes);
  }

  /** As {@link IOPump.deliverToServer}, from the server to the client. */
  deliverToClient(nbytes?: number): number {
    return this.#deliverSome(this.serverIO, this.clientIO, nbytes);
  }

  #deliverSome(from: FakeTransport, to: FakeTransport, nbytes: number | undefined): number {
    if (nbytes !== undefined) checkCount('nbytes', nbytes, 1);
    if (!to._canReceive() && !to.disconnected) return 0;
    const data = nbytes === undefined ? from._takeOutput(Infinity, true) : from._takeOutput(nbytes);
    if (data === null) return 0;
    this.#deliver(to, data);
    return data.length;
  }

  #take(from: FakeTransport, to: FakeTransport): Buffer | null {
    if (to.disconnected) {
      // The peer is gone: what is still written here goes nowhere.
      const lost = from._takeOutput();
      return lost === null ? null : Buffer.alloc(0);
    }
    return to._canReceive() ? from._takeOutput() : null;
  }

  #deliver(to: FakeTransport, data: Buffer): void {
    const size = this.#chunkSize;
    if (data.length <= size) {
      if (data.length > 0) to._deliver(data);
      return;
    }
    for (let i = 0; i < data.length && to._canReceive(); i += size) {
      to._deliver(data.subarray(i, i + size));
    }
  }

  #closeStep(): boolean {
    const { clientIO, serverIO } = this;
    let happened = false;
    for (const [side, peer] of [
      [clientIO, serverIO],
      [serverIO, clientIO],
    ] as const) {
      if (side.aborted && !side.disconnected) {
        side._connectionLost(new ConnectionAborted());
        if (!peer.disconnected) peer._connectionLost(new ConnectionLost('Connection reset by peer'));
        happened = true;
      } else if (side._closeReady()) {
        side._connectionLost(new ConnectionDone());
        happened = true;
      } else if (side._halfCloseReady()) {
        side._writeConnectionLost();
        peer._peerClosed();
        happened = true;
      }
    }
    // A side that went away by any route (close, EOF, a callback that threw)
    // closed its socket: the peer reads EOF.
    if (clientIO.disconnected && !this.#clientGoneSeen) {
      this.#clientGoneSeen = true;
      serverIO._peerClosed();
    }
    if (serverIO.disconnected && !this.#serverGoneSeen) {
      this.#serverGoneSeen = true;
      clientIO._peerClosed();
    }
    if (clientIO._deliverEOF()) happened = true;
    if (serverIO._deliverEOF()) happened = true;
    return happened;
  }
}

/** A transport for the client side of {@link connect}. */
export function makeFakeClient(clientProtocol: IProtocol): FakeTransport {
  return new FakeTransport(clientProtocol, false);
}

/** A transport for the server side of {@link connect}. */
export function makeFakeServer(serverProtocol: IProtocol): FakeTransport {
  return new FakeTransport(serverProtocol, true);
}

/**
 * Connect two protocols through their fake transports: the server's
 * makeConnection runs first, then the client's; then (unless `greet` is
 * false) the pump is flushed once so greetings are exchanged.
 */
export function connect(
  serverProtocol: IProtocol,
  serverTransport: FakeTransport,
  clientProtocol: IProtocol,
  clientTransport: FakeTransport,
  opts: IOPumpOptions = {},
): IOPump {
  guardMakeConnection(serverTransport, serverProtocol, serverTransport);
  guardMakeConnection(clientTransport, clientProtocol, clientTransport);
  const pump = new IOPump(clientProtocol, serverProtocol, clientTransport, serverTransport, opts);
  if (opts.greet ?? true) pump.flush();
  return pump;
}

/**
 * Make a client and a server protocol with the given constructors and
 * connect them in memory.
 * @returns `[client, server, pump]`, as Twisted's connectedServerAndClient.
 */
export function connectedServerAndClient<S extends IProtocol, C extends IProtocol>(
  ServerClass: new () => S,
  ClientClass: new () => C,
  opts: IOPumpOptions = {},
): [C, S, IOPump] {
  const client = new ClientClass();
  const server = new ServerClass();
  const pump = connect(server, makeFakeServer(server), client, makeFakeClient(client), opts);
  return [client, server, pump];
}

/**
 * Completes the connection attempts a {@link MemoryReactor} recorded:
 * succeedOnce() pairs the oldest connectTCP whose port some listenTCP
 * listens on (or else the oldest connectUNIX whose address some listenUNIX
 * listens on) with that server factory and connects their protocols in
 * memory; failOnce() fails the oldest attempt.
 */
export class ConnectionCompleter {
  readonly #reactor: MemoryReactor;
  constructor(reactor: MemoryReactor) {
    this.#reactor = reactor;
  }

  /**
   * Complete one connection: both factories build a protocol for the other
   * end's address, the transports report matching 127.0.0.1 addresses, the
   * protocols are connected and flushed (unless `greet` is false).
   * @returns the pump, or null when no recorded attempt matches a listening port.
   */
  succeedOnce(opts: IOPumpOptions = {}): IOPump | null {
    const r = this.#reactor;
    for (let i = 0; i < r.tcpClients.length; i++) {
      const client = r.tcpClients[i]!;
      const server = r.tcpServers.find((s) => s.port === client.port);
      if (server === undefined) continue;
      r.tcpClients.splice(i, 1);
      const connector = r._connectorFor(client);
      forgetConnector(r, connector);
      // As a real connector does once its factory built the protocol.
      connector.state = 'connected';
      const serverAddr = new IPv4Address('TCP', '127.0.0.1', client.port);
      const clientAddr = new IPv4Address('TCP', '127.0.0.1', 40000 + (nextClientPort++ % 20000));
      const clientProtocol = client.factory.buildProtocol(serverAddr);
      const serverProtocol = server.factory.buildProtocol(clientAddr);
      if (clientProtocol === null || serverProtocol === null) {
        throw new Error('ConnectionCompleter.succeedOnce: a factory returned null from buildProtocol');
      }
      const serverIO = new FakeTransport(serverProtocol, true, { hostAddress: serverAddr, peerAddress: clientAddr });
      const clientIO = new FakeTransport(clientProtocol, false, { hostAddress: clientAddr, peerAddress: serverAddr });
      return connect(serverProtocol, serverIO, clientProtocol, clientIO, opts);
    }
    // ---- unix: connectUNIX pairs with the listenUNIX on the same address ----
    for (let i = 0; i < r.unixClients.length; i++) {
      const client = r.unixClients[i]!;
      const server = r.unixServers.find((s) => s.address === client.address);
      if (server === undefined) continue;
      r.unixClients.splice(i, 1);
      const connector = r._connectorFor(client);
      forgetConnector(r, connector);
      connector.state = 'connected';
      // As real UNIX sockets: the client's end has no name (Twisted's UNIXAddress(None)).
      const serverAddr = new UNIXAddress(client.address);
      const clientAddr = new UNIXAddress(null);
      const clientProtocol = client.factory.buildProtocol(serverAddr);
      const serverProtocol = server.factory.buildProtocol(clientAddr);
      if (clientProtocol === null || serverProtocol === null) {
        throw new Error('ConnectionCompleter.succeedOnce: a factory returned null from buildProtocol');
      }
      const serverIO = new FakeTransport(serverProtocol, true, { hostAddress: serverAddr, peerAddress: clientAddr });
      const clientIO = new FakeTransport(clientProtocol, false, { hostAddress: clientAddr, peerAddress: serverAddr });
      return connect(serverProtocol, serverIO, clientProtocol, clientIO, opts);
    }
    // ---- end unix ----
    return null;
  }

  /**
   * Fail the oldest recorded connection attempt: its factory gets
   * clientConnectionFailed(connector, reason).
   * @throws Error if there is no recorded attempt.
   */
  failOnce(reason: Failure = new Failure(new ConnectionRefusedError())): void {
    const r = this.#reactor;
    // (unix: a connectUNIX attempt when no connectTCP one is left.)
    const client = r.tcpClients.shift() ?? r.unixClients.shift();
    if (client === undefined) {
      throw new Error('ConnectionCompleter.failOnce: there is no connection attempt to fail');
    }
    const connector = r._connectorFor(client);
    forgetConnector(r, connector);
    connector.state = 'disconnected';
    client.factory.clientConnectionFailed(connector, reason);
  }
}

let nextClientPort = 0;

function forgetConnector(r: MemoryReactor, connector: FakeConnector): void {
  const i = r.connectors.indexOf(connector);
  if (i >= 0) r.connectors.splice(i, 1);
}
