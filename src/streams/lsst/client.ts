/**
 * lsst.ts.tcpip's `Client`: one TCP (or TLS, or any endpoint's)
 * connection, made by the constructor, with lsst's read/write methods.
 * @module
 */
import { ConnectAttemptsFailedError } from '../../endpoints/errors';
import { HostnameEndpoint } from '../../endpoints/hostname';
import { wrapClientTLS } from '../../endpoints/ssl';
import { TCP4ClientEndpoint, TCP6ClientEndpoint } from '../../endpoints/tcp';
import { RuntimeError } from '../../errors';
import type { IStreamClientEndpoint } from '../../interfaces/endpoints';
import type { IReactorTime } from '../../interfaces/time';
import type { IOpenSSLClientConnectionCreator } from '../../interfaces/tls';
import { OneShotFactory } from '../../endpoints/connect-protocol';
import { optionsForClientTLS } from '../../ssl/options';
import { getGlobalReactor } from '../../task/default-reactor';
import { LoopingCall } from '../../task/looping-call';
import { ArgTypeError, checkCount, checkDelay, checkPort, checkString, describe } from '../../validate';
import { isIP } from 'node:net';
import { SSL_HANDSHAKE_TIMEOUT, awaitHandshake } from '../asyncio/stream-writer';
import { type BaseClientOrServerOptions, BaseClientOrServer, type LsstReactor, type LsstStreamProtocol } from './base';
import { HEARTBEAT, KEEPALIVE_INTERVAL, KEEPALIVE_PROBES, KEEPALIVE_TIME } from './constants';
import { applyKeepAlive, type KeepAliveSettings } from './keepalive';

/** Options of {@link Client}. */
export interface ClientOptions extends BaseClientOrServerOptions<Client> {
  /** Seconds the connection may take (default 30; null = no limit); then `TimeoutError`. */
  connectTimeout?: number | null;
  /** Send `HEARTBEAT + terminator` every `heartbeatSendSleep` seconds while connected (default false). */
  runHeartbeatSendTask?: boolean;
  /** Seconds between heartbeats (default 1.0). */
  heartbeatSendSleep?: number;
  /**
   * TCP keepalive: `true` (default) = idle 60 s, 15 s between probes, 4
   * probes (lsst's values; the interval and count need the native addon);
   * `false` = leave the socket as it is; or your own settings.
   */
  keepAlive?: boolean | KeepAliveSettings;
  /** Connect this endpoint instead of `host:port` (UNIX, TLS, a process, an in-memory endpoint...). */
  endpoint?: IStreamClientEndpoint | null;
  /** TLS: `true` = `optionsForClientTLS(serverHostname ?? host)`, or a connection creator; default none. */
  ssl?: boolean | IOpenSSLClientConnectionCreator | null;
  /** The name the server's certificate must match, when `ssl` is true (default `host`). */
  serverHostname?: string | null;
  /** Seconds the TLS handshake may take (default 60; null = no limit). */
  sslHandshakeTimeout?: number | null;
  /** The local address to bind before connecting: `[host, port]` or a host. */
  localAddress?: readonly [string, number] | string | null;
  /** RFC 8305 attempt delay for host names (default 0.25 s); null = a single `connectTCP` to `host`. */
  happyEyeballsDelay?: number | null;
}

/** lsst's default keepalive: idle 60 s, probes every 15 s, 4 probes. */
const DEFAULT_KEEPALIVE: KeepAliveSettings = Object.freeze({
  idle: KEEPALIVE_TIME,
  interval: KEEPALIVE_INTERVAL,
  count: KEEPALIVE_PROBES,
});

function checkKeepAlive(value: unknown): KeepAliveSettings | null {
  if (value === undefined || value === true) return DEFAULT_KEEPALIVE;
  if (value === false) return null;
  if (typeof value !== 'object' || value === null) {
    throw new ArgTypeError(`keepAlive must be a boolean or { idle, interval, count }, got ${describe(value)}`);
  }
  const k = value as Partial<KeepAliveSettings>;
  checkCount('keepAlive.idle', k.idle, 1);
  checkCount('keepAlive.interval', k.interval, 1);
  checkCount('keepAlive.count', k.count, 1);
  return { idle: k.idle as number, interval: k.interval as number, count: k.count as number };
}

/**
 * A TCP/IP client (lsst.ts.tcpip's `Client`): the constructor validates its
 * arguments and starts connecting; `startTask` resolves once connected
 * (after the TLS handshake, if any), rejects with the connect error. One
 * connection per instance: make a new Client to connect again.
 *
 * - `new Client('', null)` is already closed: it never connects,
 *   `connected`/`shouldBeConnected` are false, `startTask` and `doneTask`
 *   are resolved, `close()` does nothing, reads and writes reject with
 *   `ConnectionError`. A placeholder for a field that holds a real client later.
 * - The reactor must run for I/O to happen (use `react()`); connecting
 *   starts when it runs, as `connectTCP` does.
 * - Keepalive is set on the socket (see {@link ClientOptions.keepAlive}).
 *
 * @example
 * ```ts
 * import { react } from 'torsion/task';
 * import { Client } from 'torsion/streams';
 *
 * await react(async () => {
 *   await using client = new Client('127.0.0.1', 5000);
 *   await client.startTask;
 *   await client.writeStr('GET greeting');
 *   console.log(await client.readStr());
 * });
 * ```
 */
export class Client extends BaseClientOrServer {
  /** The host to connect to ('' for the already-closed client). */
  readonly host: string;
  /** The port (null only for the already-closed client). */
  readonly port: number | null;
  readonly #opts: ClientOptions;
  readonly #keepAlive: KeepAliveSettings | null;
  readonly #connectTimeout: number | null;
  readonly #heartbeatSendSleep: number;
  readonly #runHeartbeat: boolean;
  #started = false;
  #heartbeat: LoopingCall | null = null;
  #reactor: LsstReactor | null = null;

  /**
   * @param host - the server's address or host name; `''` makes a client that is already closed.
   * @param port - the server's port (0–65535); may be null only with `host` `''`.
   * @param opts - see {@link ClientOptions}.
   * @throws TypeError/RangeError for a bad argument or option, naming it.
   */
  constructor(host: string, port: number | null, opts: ClientOptions = {}) {
    checkString('host', host);
    if (host !== '' && !(opts !== null && typeof opts === 'object' && opts.endpoint)) checkPort('port', port);
    else if (port !== null && port !== undefined) checkPort('port', port);
    super(opts as BaseClientOrServerOptions<never>);
    this.host = host;
    this.port = port ?? null;
    this.#opts = opts;
    this.#keepAlive = checkKeepAlive(opts.keepAlive);
    const ct = opts.connectTimeout === undefined ? 30 : opts.connectTimeout;
    if (ct !== null) checkDelay('connectTimeout', ct);
    this.#connectTimeout = ct;
    this.#heartbeatSendSleep = opts.heartbeatSendSleep ?? 1.0;
    checkDelay('heartbeatSendSleep', this.#heartbeatSendSleep);
    if (opts.runHeartbeatSendTask !== undefined && typeof opts.runHeartbeatSendTask !== 'boolean') {
      throw new ArgTypeError(`runHeartbeatSendTask must be a boolean, got ${describe(opts.runHeartbeatSendTask)}`);
    }
    this.#runHeartbeat = opts.runHeartbeatSendTask ?? false;
    checkClientConnectOptions(opts);
    if (host === '') {
      this.#started = true;
      this._setDone();
      return;
    }
    this._begin();
  }

  /** @internal */
  protected override _clock(): IReactorTime {
    return this.#getReactor();
  }

  #getReactor(): LsstReactor {
    this.#reactor ??= this._reactorOption ?? (getGlobalReactor() as unknown as LsstReactor);
    return this.#reactor;
  }

  /**
   * Connect to the server (called by the constructor; public so that
   * subclasses can extend it). Resolves once connected, the monitor and
   * heartbeat started and the callback called.
   * @throws RuntimeError (as a rejection) when called a second time.
   */
  async start(): Promise<void> {
    if (this.#started) throw new RuntimeError('Start already called');
    this.#started = true;
    const protocol = await this.#connect();
    this._attach(protocol);
    if (this.#keepAlive !== null) applyKeepAlive(protocol.transport, this.#keepAlive, this.log);
    this.shouldBeConnected = true;
    this._startMonitor();
    if (this.#runHeartbeat) this.#startHeartbeat();
    await this.callConnectCallback();
    // The connection may have gone while the callback ran.
    this._checkConnection();
  }

  async #connect(): Promise<LsstStreamProtocol> {
    const opts = this.#opts;
    const reactor = this.#getReactor();
    let endpoint: IStreamClientEndpoint;
    if (opts.endpoint !== undefined && opts.endpoint !== null) endpoint = opts.endpoint;
    else {
      const host = this.host;
      const port = this.port as number;
      const bindAddress = opts.localAddress === undefined || opts.localAddress === null ? null : opts.localAddress;
      const common = { timeout: this.#connectTimeout, bindAddress: bindAddress as [string, number] | string | null };
      const delay = opts.happyEyeballsDelay === undefined ? 0.25 : opts.happyEyeballsDelay;
      if (delay === null) {
        endpoint =
          isIP(host) === 6
            ? new TCP6ClientEndpoint(reactor, host, port, common)
            : new TCP4ClientEndpoint(reactor, host, port, common);
      } else endpoint = new HostnameEndpoint(reactor, host, port, { ...common, attemptDelay: delay });
    }
    const ssl = opts.ssl ?? null;
    const tls = ssl !== null && ssl !== false;
    if (tls) {
      const creator = ssl === true ? optionsForClientTLS(opts.serverHostname ?? this.host) : ssl;
      endpoint = wrapClientTLS(creator, endpoint);
    }
    const protocol = this._newProtocol();
    let connected: LsstStreamProtocol;
    try {
      connected = await endpoint.connect(new OneShotFactory(protocol));
    } catch (err) {
      // One attempt made: its own error, as asyncio's open_connection gives.
      if (err instanceof ConnectAttemptsFailedError && err.attempts.length === 1) {
        const only = err.attempts[0]?.failure.value;
        throw only instanceof Error ? only : err;
      }
      throw err;
    }
    if (tls) {
      const timeout = opts.sslHandshakeTimeout === undefined ? SSL_HANDSHAKE_TIMEOUT : opts.sslHandshakeTimeout;
      const transport = connected.transport;
      if (transport === null) throw new RuntimeError('The TLS connection has no transport');
      await awaitHandshake(connected._handshakePromise(), timeout, reactor, transport);
    }
    return connected;
  }

  #startHeartbeat(): void {
    const lc = new LoopingCall(() => {
      if (!this.connected) return;
      this.write(Buffer.concat([HEARTBEAT, this.terminator])).catch((err: unknown) => {
        this.log.debug(`heartbeat not sent: ${String(err)}`);
      });
    });
    lc.clock = this._clock();
    this.#heartbeat = lc;
    lc.start(this.#heartbeatSendSleep, true).addErrback((f) => {
      this.log.failure('heartbeat task failed', f);
    });
  }

  #stopHeartbeat(): void {
    const lc = this.#heartbeat;
    this.#heartbeat = null;
    if (lc?.running) lc.stop();
  }

  /** @internal */
  protected override async _handleLoss(): Promise<void> {
    await this.basicClose();
  }

  /**
   * Close the connection (flushing what was written), call the callback if
   * it was connected, resolve `doneTask`. Unlike {@link Client.close}, keeps
   * `shouldBeConnected` and the monitor. Idempotent.
   */
  async basicClose(): Promise<void> {
    this.#stopHeartbeat();
    try {
      await this._closeStreams();
    } finally {
      await this.callConnectCallback();
      this._setDone();
    }
  }

  /**
   * Close for good: `shouldBeConnected = false`, monitor and heartbeat
   * stopped, the connection closed (flushing), the callback called if it was
   * connected, then `doneTask` resolves. Idempotent; nothing for the
   * already-closed client.
   */
  async close(): Promise<void> {
    this.shouldBeConnected = false;
    this._stopMonitor();
    await this.basicClose();
  }

  /** A description for debugging. */
  override toString(): string {
    return `<Client ${this.name === '' ? '' : `${this.name} `}${this.host}:${this.port}${this.connected ? ' connected' : ''}>`;
  }
}

function checkClientConnectOptions(opts: ClientOptions): void {
  if (
    opts.endpoint !== undefined &&
    opts.endpoint !== null &&
    typeof (opts.endpoint as Partial<IStreamClientEndpoint>).connect !== 'function'
  ) {
    throw new ArgTypeError(`endpoint must be a client endpoint, got ${describe(opts.endpoint)}`);
  }
  if (opts.happyEyeballsDelay !== undefined && opts.happyEyeballsDelay !== null)
    checkDelay('happyEyeballsDelay', opts.happyEyeballsDelay);
  if (opts.sslHandshakeTimeout !== undefined && opts.sslHandshakeTimeout !== null)
    checkDelay('sslHandshakeTimeout', opts.sslHandshakeTimeout);
  if (opts.serverHostname !== undefined && opts.serverHostname !== null) checkString('serverHostname', opts.serverHostname);
  const ssl = opts.ssl;
  if (
    ssl !== undefined &&
    ssl !== null &&
    typeof ssl !== 'boolean' &&
    (typeof ssl !== 'object' || typeof (ssl as { clientConnectionForTLS?: unknown }).clientConnectionForTLS !== 'function')
  ) {
    throw new ArgTypeError(`ssl must be a boolean or a client TLS connection creator, got ${describe(ssl)}`);
  }
  const la = opts.localAddress;
  if (la !== undefined && la !== null && typeof la !== 'string') {
    if (!Array.isArray(la) || la.length !== 2 || typeof la[0] !== 'string') {
      throw new ArgTypeError(`localAddress must be a host or [host, port], got ${describe(la)}`);
    }
    checkPort('localAddress[1]', la[1]);
  }
}
