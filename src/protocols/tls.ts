/**
 * TLS over any transport (Twisted's `twisted.protocols.tls`): a
 * {@link TLSMemoryBIOProtocol} sits between a transport and the protocol it
 * wraps, runs real OpenSSL (a `node:tls` `TLSSocket` over an in-memory
 * Duplex bridged to the transport), and is the wrapped protocol's
 * transport. It works over TCP, UNIX sockets and the in-memory fakes
 * (`IOPump`, `connectedServerAndClient`) alike.
 *
 * Call order: the wrapped protocol's `makeConnection` → `connectionMade`
 * runs when the transport is up, before the handshake (bytes it writes are
 * held and sent encrypted once the handshake is done); then
 * `handshakeCompleted()` if it has one; `dataReceived*`; `connectionLost`.
 * A failed handshake ends the connection with `Failure(SSLError)`.
 *
 * @example
 * ```ts
 * import { Factory } from 'torsion';
 * import { optionsForClientTLS } from 'torsion/ssl';
 * import { TLSMemoryBIOFactory } from 'torsion/protocols/tls';
 *
 * const wrapped = new TLSMemoryBIOFactory(optionsForClientTLS('example.com'), true, Factory.forProtocol(MyProtocol));
 * reactor.connectUNIX('/run/tls.sock', wrapped);
 * ```
 * @module torsion/protocols/tls
 */
import { Duplex } from 'node:stream';
import { type ConnectionOptions, TLSSocket, type TlsOptions, connect as tlsConnect } from 'node:tls';
import { Failure } from '../defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionLost, SSLError, type SSLErrorReason } from '../errors';
import { type GuardOwner, guardCall, guardMakeConnection, guardResult } from '../guard';
import type { IAddress } from '../interfaces/address';
import type { IConnector } from '../interfaces/connector';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IClientFactory, IProtocol, IProtocolFactory } from '../interfaces/protocol';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import type {
  INegotiated,
  IOpenSSLClientConnectionCreator,
  IOpenSSLServerConnectionCreator,
  IProtocolNegotiationFactory,
  ISSLTransport,
} from '../interfaces/tls';
import type { ITransport } from '../interfaces/transport';
import { Logger } from '../logger';
import { Protocol } from '../protocol/protocol';
import { Certificate } from '../ssl/certificate';
import { checkClientCreator, checkServerCreator } from '../ssl/options';
import type { TLSVersion } from '../ssl/version';
import { ArgTypeError, checkBytes, describe } from '../validate';

const log = new Logger('torsion.tls');

/** OpenSSL's X509_V_ERR_* names as Node reports them (`err.code`). */
const VERIFY_CODE =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|INVALID_|PATH_LENGTH_|ERROR_IN_|CRL_|KEYUSAGE_|SUBJECT_ISSUER_|AKID_|PROXY_|HOSTNAME_MISMATCH|EMAIL_MISMATCH|IP_ADDRESS_MISMATCH|APPLICATION_VERIFICATION)/;

/**
 * The SSLError for an error `node:tls` reported on a connection.
 * @internal
 */
export function sslErrorFrom(err: Error & { code?: string }): SSLError {
  const code = typeof err.code === 'string' ? err.code : '';
  let reason: SSLErrorReason = 'handshake';
  let verifyError: string | null = null;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') reason = 'hostname';
  else if (VERIFY_CODE.test(code)) {
    reason = 'verify';
    verifyError = code;
  } else if (/NO_APPLICATION_PROTOCOL|ALPN/.test(code) || /no application protocol/i.test(err.message)) reason = 'alpn';
  return new SSLError(reason, { cause: err, verifyError, message: `TLS ${reason} failed: ${err.message}` });
}

/** The transport a TLS layer writes its records to (the wrapped transport, or a raw view of a TCP connection). @internal */
export interface LowerTransport extends ITransport {
  loseWriteConnection?(): void;
  abortConnection?(): void;
  pauseProducing?(): void;
  resumeProducing?(): void;
  registerProducer?(producer: IPushProducer | IPullProducer, streaming: boolean): void;
  unregisterProducer?(): void;
  getWriteBufferSize?(): number;
  setWriteBufferLimits?(high?: number, low?: number): void;
  setTcpNoDelay?(enabled: boolean): void;
  getTcpNoDelay?(): boolean;
  setTcpKeepAlive?(enabled: boolean): void;
  getTcpKeepAlive?(): boolean;
  readonly reactor?: IReactorTime;
}

const FACTORY_GUARD: GuardOwner = {
  _callbackFailed(err: unknown, where: string): void {
    log.failure(`Unhandled error in ${where} of a TLS factory`, Failure.from(err));
  },
};

/**
 * Wraps any factory so every connection runs TLS (Twisted's
 * `TLSMemoryBIOFactory`). Client callbacks (`startedConnecting`,
 * `clientConnectionFailed`, `clientConnectionLost`) pass through; the
 * latter gets the same failure the wrapped protocol's connectionLost got
 * (an SSLError for a failed handshake).
 */
export class TLSMemoryBIOFactory implements IClientFactory {
  /** The options each connection's TLS is made from. */
  readonly contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLServerConnectionCreator;
  /** Whether connections are the client side of the handshake. */
  readonly isClient: boolean;
  /** The factory of the protocols that run over TLS. */
  readonly wrappedFactory: IProtocolFactory;
  /** The clock of the handshake timeout (else the transport's reactor). */
  readonly clock: IReactorTime | null;
  /** The failure of the connection that just ended, for clientConnectionLost. @internal */
  _lastLoss: Failure | null = null;

  /**
   * @param contextFactory - client options (`optionsForClientTLS(hostname)` of torsion/ssl) or server options (`CertificateOptions`).
   * @param isClient - true for the client side of the handshake.
   * @param wrappedFactory - builds the protocols that run over TLS.
   * @param clock - drives the handshake timeout; default: the transport's reactor, none when it has no `reactor`.
   * @throws TypeError for options that cannot make this side (CertificateOptions without `verify` as a client; without key and certificate as a server).
   */
  constructor(
    contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLServerConnectionCreator,
    isClient: boolean,
    wrappedFactory: IProtocolFactory,
    clock?: IReactorTime | null,
  ) {
    if (typeof isClient !== 'boolean') throw new ArgTypeError(`isClient must be a boolean, got ${describe(isClient)}`);
    if (isClient) checkClientCreator('contextFactory', contextFactory);
    else checkServerCreator('contextFactory', contextFactory);
    if (wrappedFactory === null || typeof wrappedFactory !== 'object' || typeof wrappedFactory.buildProtocol !== 'function') {
      throw new ArgTypeError(`wrappedFactory must be a protocol factory, got ${describe(wrappedFactory)}`);
    }
    if (clock !== undefined && clock !== null && typeof (clock as IReactorTime).callLater !== 'function') {
      throw new ArgTypeError(`clock must be an IReactorTime, got ${describe(clock)}`);
    }
    this.contextFactory = contextFactory;
    this.isClient = isClient;
    this.wrappedFactory = wrappedFactory;
    this.clock = clock ?? null;
  }

  /** {@inheritDoc torsion/interfaces!IProtocolFactory.doStart} */
  doStart(): void {
    this.wrappedFactory.doStart();
  }
  /** {@inheritDoc torsion/interfaces!IProtocolFactory.doStop} */
  doStop(): void {
    this.wrappedFactory.doStop();
  }
  /** The wrapped factory's protocol, wrapped in a {@link TLSMemoryBIOProtocol}; null if it refused. */
  buildProtocol(addr: IAddress): TLSMemoryBIOProtocol | null {
    const p = this.wrappedFactory.buildProtocol(addr);
    if (p === null || p === undefined) return null;
    return new TLSMemoryBIOProtocol(this, p);
  }
  /** {@inheritDoc torsion/interfaces!IClientFactory.startedConnecting} */
  startedConnecting(connector: IConnector): void {
    const f = this.wrappedFactory as Partial<IClientFactory>;
    if (typeof f.startedConnecting === 'function')
      guardCall(FACTORY_GUARD, 'startedConnecting', f.startedConnecting, f, connector);
  }
  /** {@inheritDoc torsion/interfaces!IClientFactory.clientConnectionFailed} */
  clientConnectionFailed(connector: IConnector, reason: Failure): void {
    const f = this.wrappedFactory as Partial<IClientFactory>;
    if (typeof f.clientConnectionFailed === 'function') {
      guardCall(FACTORY_GUARD, 'clientConnectionFailed', f.clientConnectionFailed, f, connector, reason);
    }
  }
  /** {@inheritDoc torsion/interfaces!IClientFactory.clientConnectionLost} */
  clientConnectionLost(connector: IConnector, reason: Failure): void {
    const loss = this._lastLoss ?? reason;
    this._lastLoss = null;
    const f = this.wrappedFactory as Partial<IClientFactory>;
    if (typeof f.clientConnectionLost === 'function') {
      guardCall(FACTORY_GUARD, 'clientConnectionLost', f.clientConnectionLost, f, connector, loss);
    }
  }
  /** A short name for log lines. */
  logPrefix(): string {
    return `TLSMemoryBIOFactory(${(this.wrappedFactory as { constructor: { name: string } }).constructor.name})`;
  }
}

// State bits.
const STARTED = 1;
const HANDSHAKE_DONE = 2;
const DISCONNECTING = 4;
const LOST = 8;
const RAW_CLOSED = 16;
const CLOSE_NOTIFY = 32;
const RAW_EOF = 64;
const WRAPPED_CONNECTED = 128;
const ABORTING = 256;
const WRITE_ONLY = 512;
const END_CALLED = 1024;
const PULL_PRODUCER = 2048;

/**
 * One TLS connection over a transport (Twisted's `TLSMemoryBIOProtocol`):
 * the protocol of the lower transport, and the {@link ISSLTransport} /
 * {@link INegotiated} of {@link TLSMemoryBIOProtocol.wrappedProtocol}.
 *
 * Closing: `loseConnection()` sends everything written, then
 * `close_notify`, then closes the lower transport; a peer's close_notify
 * ends the connection with `ConnectionDone`, a close without one
 * (truncation) with `ConnectionLost`. `abortConnection()` sends nothing.
 */
export class TLSMemoryBIOProtocol extends Protocol<ITransport> implements ISSLTransport, INegotiated {
  /** The protocol running over TLS. */
  readonly wrappedProtocol: IProtocol;
  /** The factory that built this protocol. */
  readonly tlsFactory: TLSMemoryBIOFactory;
  #flags = 0;
  #lower: LowerTransport | null = null;
  #tls: TLSSocket | null = null;
  #duplex: Duplex | null = null;
  #failure: Failure | null = null;
  #timer: IDelayedCall | null = null;
  #peerCert: Certificate | null = null;
  #hostCert: Certificate | null = null;
  #alpn: string | null = null;
  #cipher: { name: string; standardName: string; version: string } | null = null;
  #version: TLSVersion | null = null;
  #requestedCert = false;

  /** Use {@link TLSMemoryBIOFactory.buildProtocol}. */
  constructor(factory: TLSMemoryBIOFactory, wrappedProtocol: IProtocol) {
    super();
    this.tlsFactory = factory;
    this.wrappedProtocol = wrappedProtocol;
  }

  // ---- the lower transport's protocol ---------------------------------------------------

  /** The lower transport is up: start TLS, then the wrapped protocol's makeConnection (before the handshake). */
  override makeConnection(transport: ITransport): void {
    this.transport = transport;
    this.connected = true;
    this._start(transport as LowerTransport, this);
    if ((this.#flags & LOST) !== 0) return;
    this.#flags |= WRAPPED_CONNECTED;
    guardMakeConnection(this, this.wrappedProtocol, this);
  }

  /**
   * Start TLS over `lower`, the wrapped protocol seeing `facade` as its
   * transport (startTLS: the TCP connection itself, already connected).
   * @internal
   */
  _start(lower: LowerTransport, _facade: ITransport, wrappedConnected = false): void {
    if ((this.#flags & STARTED) !== 0) return;
    this.#flags |= STARTED;
    if (wrappedConnected) this.#flags |= WRAPPED_CONNECTED;
    this.#lower = lower;
    const factory = this.tlsFactory;
    const duplex = new Duplex({
      allowHalfOpen: true,
      read: () => {},
      write: (chunk: Buffer, _enc, cb) => {
        if ((this.#flags & RAW_CLOSED) === 0) lower.write(chunk);
        cb();
      },
      writev: (chunks: { chunk: Buffer }[], cb) => {
        if ((this.#flags & RAW_CLOSED) === 0) for (const c of chunks) lower.write(c.chunk);
        cb();
      },
      final: (cb) => {
        this._tlsFinished();
        cb();
      },
      destroy: (err, cb) => cb(err),
    });
    // Registered before the TLS socket's own listener: when the raw stream
    // ends, every byte before the EOF has been through OpenSSL, so an
    // already ended TLS stream means a close_notify came first.
    duplex.on('end', () => {
      this.#flags |= RAW_EOF;
      const state = (this.#tls as unknown as { _readableState?: { ended?: boolean } } | null)?._readableState;
      if (state?.ended === true) this.#flags |= CLOSE_NOTIFY;
    });
    duplex.on('error', () => {});
    this.#duplex = duplex;
    let socket: TLSSocket;
    try {
      if (factory.isClient) {
        const cf = factory.contextFactory as IOpenSSLClientConnectionCreator;
        const opts: ConnectionOptions = { ...cf.clientConnectionForTLS(lower), socket: duplex };
        socket = tlsConnect(opts);
      } else {
        const cf = factory.contextFactory as IOpenSSLServerConnectionCreator;
        const opts: TlsOptions = { ...cf.serverConnectionForTLS(lower) };
        if (opts.ALPNProtocols === undefined) {
          const nf = factory.wrappedFactory as Partial<IProtocolNegotiationFactory>;
          if (typeof nf.acceptableProtocols === 'function') opts.ALPNProtocols = nf.acceptableProtocols.call(nf);
        }
        const alpn = opts.ALPNProtocols;
        if (Array.isArray(alpn) && alpn.length > 0) {
          // By the server's preference; no overlap is a fatal
          // no_application_protocol alert (RFC 7301), not a silent "none".
          const mine = (alpn as unknown[]).map(String);
          opts.ALPNProtocols = undefined;
          (opts as TlsOptions & { ALPNCallback?: unknown }).ALPNCallback = ({ protocols }: { protocols: string[] }) =>
            mine.find((p) => protocols.includes(p));
        }
        this.#requestedCert = opts.requestCert === true;
        socket = new TLSSocket(duplex, { ...opts, isServer: true });
      }
    } catch (err) {
      this._fail(Failure.from(err));
      return;
    }
    this.#tls = socket;
    const watch = (factory.contextFactory as { _watchSocket?: (s: TLSSocket) => void })._watchSocket;
    if (typeof watch === 'function') watch.call(factory.contextFactory, socket);
    socket.on(factory.isClient ? 'secureConnect' : 'secure', () => this._handshakeDone());
    socket.on('data', (data: Buffer) => this._plaintext(data));
    socket.on('end', () => this._tlsEnded());
    socket.on('error', (err: Error) => this._tlsError(err));
    socket.on('close', () => this._tlsClosed());
    const timeout = factory.contextFactory.handshakeTimeout;
    const clock = factory.clock ?? lower.reactor ?? null;
    if (timeout !== null && timeout !== undefined && clock !== null) {
      this.#timer = clock.callLater(timeout, () => {
        this.#timer = null;
        this._fail(
          new Failure(new SSLError('timeout', { message: `The TLS handshake did not complete within ${timeout} seconds` })),
          true,
        );
      });
    }
  }

  /** Ciphertext from the lower transport. */
  override dataReceived(data: Buffer): void {
    const duplex = this.#duplex;
    if (duplex !== null && (this.#flags & (LOST | RAW_EOF)) === 0) duplex.push(data);
  }

  /** The lower transport's read side ended (a FIN): OpenSSL sees the end of its input. @hidden */
  readConnectionLost(): void {
    if ((this.#flags & LOST) !== 0) return;
    this.#duplex?.push(null);
  }

  /** The lower transport is gone: the wrapped protocol's connectionLost with the TLS-level reason. */
  override connectionLost(reason: Failure): void {
    if ((this.#flags & LOST) !== 0) return;
    const flags = this.#flags;
    if (this.#failure === null && (flags & HANDSHAKE_DONE) === 0 && this.#tls !== null && !this.#tls.destroyed) {
      // An alert that came with the close is still on its way through the
      // TLS socket: let it report itself first.
      this.#flags |= RAW_CLOSED;
      setImmediate(() => this._finish(reason));
      return;
    }
    this._finish(reason);
  }

  private _finish(rawReason: Failure): void {
    if ((this.#flags & LOST) !== 0) return;
    let flags = this.#flags;
    if ((flags & (HANDSHAKE_DONE | CLOSE_NOTIFY)) === HANDSHAKE_DONE) {
      const state = (this.#tls as unknown as { _readableState?: { ended?: boolean } } | null)?._readableState;
      if (state?.ended === true && (flags & RAW_EOF) === 0) this.#flags |= CLOSE_NOTIFY;
    }
    this.#flags |= LOST | RAW_CLOSED;
    flags = this.#flags;
    this._cancelTimer();
    let reason: Failure;
    if (this.#failure !== null) reason = this.#failure;
    else if ((flags & ABORTING) !== 0) reason = new Failure(new ConnectionAborted());
    else if ((flags & HANDSHAKE_DONE) === 0) {
      reason = new Failure(
        new SSLError('handshake', {
          cause: rawReason.value,
          message: 'The connection closed before the TLS handshake completed',
        }),
      );
    } else if ((flags & (DISCONNECTING | CLOSE_NOTIFY)) !== 0 && rawReason.check(ConnectionDone) !== null) reason = rawReason;
    else if (rawReason.check(ConnectionDone) !== null) {
      reason = new Failure(new ConnectionLost('The TLS connection was closed without close_notify (truncated)'));
    } else reason = rawReason;
    const tls = this.#tls;
    this.#tls = null;
    if (tls !== null && !tls.destroyed) tls.destroy();
    this.#duplex?.destroy();
    this.#duplex = null;
    this.tlsFactory._lastLoss = reason;
    if ((flags & WRAPPED_CONNECTED) !== 0) {
      const p = this.wrappedProtocol;
      guardCall(LOG_OWNER, 'connectionLost', p.connectionLost, p, reason);
    }
  }

  // ---- events of the TLS socket ------------------------------------------------------

  private _handshakeDone(): void {
    const tls = this.#tls;
    if (tls === null || (this.#flags & (HANDSHAKE_DONE | LOST)) !== 0 || this.#failure !== null) return;
    if (this.#requestedCert && tls.getPeerX509Certificate() !== undefined) {
      // Node leaves a server's verdict on a client certificate to the caller.
      const verifyError = (
        tls as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } }
      )._handle?.verifyError?.();
      if (verifyError) {
        this._fail(new Failure(sslErrorFrom(verifyError)));
        return;
      }
    }
    this.#flags |= HANDSHAKE_DONE;
    this._cancelTimer();
    const peer = tls.getPeerX509Certificate();
    this.#peerCert = peer === undefined ? null : new Certificate(peer);
    const host = tls.getX509Certificate();
    this.#hostCert = host === undefined ? null : new Certificate(host);
    this.#alpn = typeof tls.alpnProtocol === 'string' ? tls.alpnProtocol : null;
    const c = tls.getCipher();
    this.#cipher = c ? { name: c.name, standardName: c.standardName, version: c.version } : null;
    this.#version = (tls.getProtocol() as TLSVersion | null) ?? null;
    const p = this.wrappedProtocol as IProtocol & { handshakeCompleted?: () => unknown };
    if (typeof p.handshakeCompleted === 'function') guardCall(this, 'handshakeCompleted', p.handshakeCompleted, p);
    if ((this.#flags & (DISCONNECTING | END_CALLED)) === DISCONNECTING) this._endSoon();
  }

  private _plaintext(data: Buffer): void {
    if ((this.#flags & (LOST | ABORTING)) !== 0 || this.#failure !== null) return;
    try {
      const r: unknown = this.wrappedProtocol.dataReceived(data);
      if (r !== undefined) guardResult(this, 'dataReceived', r);
    } catch (err) {
      this._callbackFailed(err, 'dataReceived');
    }
  }

  /** The TLS stream ended: the peer's close_notify, or the raw end (truncation). */
  private _tlsEnded(): void {
    if ((this.#flags & RAW_EOF) === 0) this.#flags |= CLOSE_NOTIFY;
    if ((this.#flags & LOST) !== 0) return;
    if ((this.#flags & CLOSE_NOTIFY) !== 0) {
      // Answer with our close_notify, then close the lower transport.
      this.#flags |= DISCONNECTING;
      const tls = this.#tls;
      if (tls !== null && !tls.writableEnded) {
        this.#flags |= END_CALLED;
        tls.end();
      } else this._tlsFinished();
    } else {
      this._abortLower();
    }
  }

  private _tlsError(err: Error): void {
    if ((this.#flags & LOST) !== 0 || this.#failure !== null) return;
    const e = err as Error & { code?: string };
    if ((this.#flags & HANDSHAKE_DONE) === 0 || /^ERR_SSL_/.test(e.code ?? '')) {
      this._fail(new Failure(sslErrorFrom(e)));
    } else {
      this._fail(new Failure(new ConnectionLost(`The TLS connection failed: ${err.message}`, { cause: err })));
    }
  }

  private _tlsClosed(): void {
    if ((this.#flags & (LOST | RAW_CLOSED)) !== 0) return;
    // The TLS socket went away without a clean end (destroyed by Node).
    if ((this.#flags & DISCONNECTING) === 0 && this.#failure === null) this._abortLower();
  }

  /** The TLS socket finished its side (close_notify sent): close the lower transport. */
  private _tlsFinished(): void {
    if ((this.#flags & RAW_CLOSED) !== 0) return;
    const lower = this.#lower;
    if (lower === null) return;
    if ((this.#flags & (WRITE_ONLY | DISCONNECTING)) === WRITE_ONLY && typeof lower.loseWriteConnection === 'function') {
      lower.loseWriteConnection();
      return;
    }
    this.#flags |= RAW_CLOSED;
    lower.loseConnection();
  }

  /**
   * Fail the connection with `failure`: close the lower transport, after
   * what OpenSSL already wrote (its alert) when `abort` is false, at once
   * (a reset) when true.
   */
  private _fail(failure: Failure, abort = false): void {
    if ((this.#flags & LOST) !== 0 || this.#failure !== null) return;
    this.#failure = failure;
    this._cancelTimer();
    if (abort) {
      this._abortLower();
      return;
    }
    this.#flags |= RAW_CLOSED;
    const tls = this.#tls;
    if (tls !== null && !tls.destroyed) tls.destroy();
    this.#lower?.loseConnection();
  }

  private _abortLower(): void {
    const lower = this.#lower;
    this.#flags |= RAW_CLOSED;
    const tls = this.#tls;
    if (tls !== null && !tls.destroyed) tls.destroy();
    if (lower === null) return;
    if (typeof lower.abortConnection === 'function') lower.abortConnection();
    else lower.loseConnection();
  }

  private _cancelTimer(): void {
    const t = this.#timer;
    this.#timer = null;
    if (t !== null && !t.called && !t.cancelled) t.cancel();
  }

  /** A wrapped protocol callback failed: log it and end the connection with it. @internal */
  _callbackFailed(err: unknown, where: string): void {
    const failure = Failure.from(err);
    log.failure(`Unhandled error in ${where} of ${this.logPrefix()}`, failure);
    this._fail(failure, true);
  }

  // ---- ISSLTransport for the wrapped protocol ----------------------------------------

  /**
   * Send `data` encrypted (held until the handshake is done).
   * @throws TypeError unless `data` is a Buffer/Uint8Array.
   */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    const tls = this.#tls;
    if (tls === null || data.length === 0 || (this.#flags & (END_CALLED | LOST | ABORTING)) !== 0 || this.#failure !== null) {
      return;
    }
    tls.write(data);
  }
  /** Write every buffer of `data`, in order. @throws TypeError for a non-bytes element. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (let i = 0; i < data.length; i++) this.write(data[i]);
  }
  /** Send what was written, then close_notify, then close the lower transport (ConnectionDone). */
  loseConnection(): void {
    if ((this.#flags & (DISCONNECTING | LOST | ABORTING)) !== 0) return;
    this.#flags |= DISCONNECTING;
    if (this.#tls === null) {
      this.#lower?.loseConnection();
      return;
    }
    // Before the handshake, the close waits for it (Twisted's order).
    if ((this.#flags & HANDSHAKE_DONE) !== 0) this._endSoon();
  }

  /**
   * Send close_notify once the current callback is over: writes made after
   * loseConnection() in the same callback still go out first (as on TCP),
   * and a registered pull producer holds the close until it unregisters.
   */
  private _endSoon(): void {
    queueMicrotask(() => {
      const tls = this.#tls;
      if (tls === null || (this.#flags & (END_CALLED | LOST | ABORTING | PULL_PRODUCER)) !== 0) return;
      this.#flags |= END_CALLED;
      tls.end();
    });
  }
  /**
   * Half-close: send what was written and close_notify (TLS 1.3 lets the
   * peer go on writing), then the lower transport's half-close; reading goes on.
   */
  loseWriteConnection(): void {
    if ((this.#flags & (DISCONNECTING | WRITE_ONLY | LOST | ABORTING)) !== 0) return;
    this.#flags |= WRITE_ONLY;
    this.#tls?.end();
  }
  /** Close at once, sending nothing more (no close_notify): ConnectionAborted. */
  abortConnection(): void {
    if ((this.#flags & (LOST | ABORTING)) !== 0) return;
    this.#flags |= ABORTING;
    this._cancelTimer();
    this._abortLower();
  }
  /** The lower transport's peer address. */
  getPeer(): IAddress {
    return (this.#lower as LowerTransport).getPeer();
  }
  /** The lower transport's local address. */
  getHost(): IAddress {
    return (this.#lower as LowerTransport).getHost();
  }
  /** {@inheritDoc torsion/interfaces!ISSLTransport.getPeerCertificate} */
  getPeerCertificate(): Certificate | null {
    return this.#peerCert;
  }
  /** {@inheritDoc torsion/interfaces!ISSLTransport.getHostCertificate} */
  getHostCertificate(): Certificate | null {
    return this.#hostCert;
  }
  /** {@inheritDoc torsion/interfaces!ISSLTransport.getCipher} */
  getCipher(): { name: string; standardName: string; version: string } | null {
    return this.#cipher;
  }
  /** {@inheritDoc torsion/interfaces!ISSLTransport.getProtocolVersion} */
  getProtocolVersion(): TLSVersion | null {
    return this.#version;
  }
  /** {@inheritDoc torsion/interfaces!INegotiated.negotiatedProtocol} */
  get negotiatedProtocol(): string | null {
    return this.#alpn;
  }
  /** True once the handshake has completed. */
  get handshakeDone(): boolean {
    return (this.#flags & HANDSHAKE_DONE) !== 0;
  }
  /** True once loseConnection() was called. */
  get disconnecting(): boolean {
    return (this.#flags & DISCONNECTING) !== 0;
  }
  /** True once the connection is lost. */
  get disconnected(): boolean {
    return (this.#flags & LOST) !== 0;
  }

  // ---- pass-through to the lower transport ------------------------------------------------

  /** Stop reading from the lower transport. */
  pauseProducing(): void {
    this.#lower?.pauseProducing?.();
  }
  /** Read from the lower transport again. */
  resumeProducing(): void {
    this.#lower?.resumeProducing?.();
  }
  /** loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }
  /** Register a producer on the lower transport (whose buffer the encrypted bytes fill). */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    const lower = this.#lower;
    if (lower === null || typeof lower.registerProducer !== 'function') {
      throw new ArgTypeError('the transport under this TLS connection takes no producer');
    }
    lower.registerProducer(producer, streaming);
    if (!streaming) this.#flags |= PULL_PRODUCER;
  }
  /** Unregister the producer; a pending loseConnection() proceeds. */
  unregisterProducer(): void {
    this.#lower?.unregisterProducer?.();
    if ((this.#flags & PULL_PRODUCER) === 0) return;
    this.#flags &= ~PULL_PRODUCER;
    if ((this.#flags & (DISCONNECTING | HANDSHAKE_DONE)) === (DISCONNECTING | HANDSHAKE_DONE)) this._endSoon();
  }
  /** The lower transport's buffer went over its high-water mark: tell the wrapped protocol. @hidden */
  pauseWriting(): void {
    const p = this.wrappedProtocol as IProtocol & { pauseWriting?: () => unknown };
    if (typeof p.pauseWriting === 'function') guardCall(this, 'pauseWriting', p.pauseWriting, p);
  }
  /** The lower transport's buffer drained: tell the wrapped protocol. @hidden */
  resumeWriting(): void {
    const p = this.wrappedProtocol as IProtocol & { resumeWriting?: () => unknown };
    if (typeof p.resumeWriting === 'function') guardCall(this, 'resumeWriting', p.resumeWriting, p);
  }
  /**
   * Bytes not yet handed to the kernel: plaintext held until the handshake
   * is done, then the ciphertext (records, with their overhead) in the
   * lower transport's buffer.
   */
  getWriteBufferSize(): number {
    const lower = this.#lower?.getWriteBufferSize?.() ?? 0;
    return (this.#flags & HANDSHAKE_DONE) !== 0 ? lower : (this.#tls?.writableLength ?? 0) + lower;
  }
  /** The lower transport's write watermarks. */
  setWriteBufferLimits(high?: number, low?: number): void {
    this.#lower?.setWriteBufferLimits?.(high, low);
  }
  /** TCP_NODELAY on the lower transport. */
  setTcpNoDelay(enabled: boolean): void {
    this.#lower?.setTcpNoDelay?.(enabled);
  }
  /** Whether TCP_NODELAY is set on the lower transport. */
  getTcpNoDelay(): boolean {
    return this.#lower?.getTcpNoDelay?.() ?? false;
  }
  /** SO_KEEPALIVE on the lower transport. */
  setTcpKeepAlive(enabled: boolean): void {
    this.#lower?.setTcpKeepAlive?.(enabled);
  }
  /** Whether SO_KEEPALIVE is set on the lower transport. */
  getTcpKeepAlive(): boolean {
    return this.#lower?.getTcpKeepAlive?.() ?? false;
  }
  /** A short name for log lines. */
  override logPrefix(): string {
    const p = this.wrappedProtocol as { logPrefix?: () => string; constructor: { name: string } };
    const name = typeof p.logPrefix === 'function' ? p.logPrefix() : p.constructor.name;
    return `${name} (TLS)`;
  }
}

const LOG_OWNER: GuardOwner = {
  _callbackFailed(err: unknown, where: string): void {
    log.failure(`Unhandled error in ${where} of a TLS protocol`, Failure.from(err));
  },
};
