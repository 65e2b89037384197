/**
 * The blocking TCP packet client (EasyNetwork's `TCPNetworkClient`).
 * @module
 */
import { ConnectionDone, IncompleteReadError, RuntimeError, StreamProtocolParseError } from '../../errors';
import { ArgRangeError, ArgTypeError, describe } from '../../validate';
import { AbstractNetworkClient, checkAddressPair, deadlineOf, secondsOption } from './base';
import { fromRecord } from './errors';
import type { StreamProtocol } from '../protocol';
import { checkStreamProtocol } from './protocols';
import type { FromWorker } from './shared';
import { W_PENDING_WRITE, W_WRITE_PAUSED, WRITE_HIGH_WATER } from './shared';

/** Options of {@link TCPNetworkClient} (EasyNetwork's keyword arguments). */
export interface TCPNetworkClientOptions {
  /** Bind the socket to this `[host, port]` before connecting. */
  localAddress?: readonly [string, number] | null;
  /** Seconds the connection (TCP, then the TLS handshake) may take; default 30; null for none. */
  connectTimeout?: number | null;
  /**
   * `true`: TLS with `optionsForClientTLS(serverHostname ?? host)` and the
   * platform's trust store (or {@link TCPNetworkClientOptions.sslCACertificates}).
   * A connection creator object is refused: it holds functions, which cannot
   * cross to the worker thread.
   */
  ssl?: boolean | null;
  /** The name the server's certificate must match; default the host. `''` is refused. */
  serverHostname?: string | null;
  /** Seconds the TLS handshake may take; default 60. */
  sslHandshakeTimeout?: number | null;
  /** Seconds close() waits for the peer's TLS close_notify; default 30. */
  sslShutdownTimeout?: number | null;
  /** `false`: close without the TLS closing handshake. Default `true`. */
  sslStandardCompatible?: boolean | null;
  /**
   * PEM certificates of the CAs to trust instead of the platform's (torsion's
   * addition: the plain-data form of `trustRootFromCertificates`, which can
   * cross to the worker thread).
   */
  sslCACertificates?: readonly string[] | null;
  /** The most bytes read from the socket at a time; default 16384. */
  maxRecvSize?: number | null;
  /**
   * EasyNetwork's `retry_interval` (seconds, may be `Infinity`; default 1):
   * accepted and checked for compatibility. It changes nothing here: a
   * blocked call already wakes every 100 ms to check the worker thread.
   */
  retryInterval?: number;
}

/**
 * A blocking TCP client sending and receiving packets through a
 * `StreamProtocol` (EasyNetwork's `TCPNetworkClient`). The constructor
 * connects (blocking, up to `connectTimeout`).
 *
 * See the module documentation for how it works and what it costs: the
 * calling thread's event loop stops while a call waits, and each client
 * costs a thread.
 * @typeParam S - the packets sent.
 * @typeParam R - the packets received.
 * @example
 * ```ts
 * import { StreamProtocol, JSONSerializer } from 'torsion/packets';
 * import { TCPNetworkClient } from 'torsion/packets/sync';
 *
 * using client = new TCPNetworkClient(['localhost', 9000], new StreamProtocol(new JSONSerializer()));
 * client.sendPacket({ op: 'ping' });
 * const reply = client.recvPacket({ timeout: 5 });
 * ```
 */
export class TCPNetworkClient<S, R> extends AbstractNetworkClient<S, R> {
  readonly #protocol: StreamProtocol<S, R>;
  /** Chunks received, not yet fed to the generator. */
  #chunks: Buffer[] = [];
  /** The packet being built, primed; null between packets. */
  #gen: Generator<void, [R, Buffer], Buffer> | null = null;
  /** The bytes fed to #gen (what an EOF reports as partial). */
  #fed: Buffer[] = [];
  /** The connection's end, once the worker reported it. */
  #loss: Error | null = null;
  #eofReported = false;
  #eofSent = false;
  /** The read buffer size. */
  readonly maxRecvSize: number;

  /**
   * Connect to `address` (blocking).
   * @throws TypeError/RangeError for bad arguments; the connect errors of
   * `torsion/error` (`ConnectionRefusedError`, `TimeoutError`,
   * `UnknownHostError`, `SSLError` ...).
   */
  constructor(address: readonly [string, number], protocol: StreamProtocol<S, R>, opts: TCPNetworkClientOptions = {}) {
    const [host, port] = checkAddressPair('address', address, false);
    checkStreamProtocol(protocol);
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    const localAddress =
      opts.localAddress === undefined || opts.localAddress === null
        ? null
        : checkAddressPair('localAddress', opts.localAddress, true);
    const connectTimeout = secondsOption('connectTimeout', opts.connectTimeout, 30);
    const maxRecvSize = opts.maxRecvSize ?? 16384;
    if (typeof maxRecvSize !== 'number' || !Number.isInteger(maxRecvSize) || maxRecvSize <= 0)
      throw new ArgRangeError(`maxRecvSize must be a positive integer, got ${describe(maxRecvSize)}`);
    if (opts.retryInterval !== undefined) secondsOption('retryInterval', opts.retryInterval, 1, true);
    const sslOn = opts.ssl ?? false;
    if (typeof sslOn !== 'boolean')
      throw new ArgTypeError(
        `ssl must be a boolean (a connection creator cannot cross to the worker thread; use serverHostname and sslCACertificates), got ${describe(sslOn)}`,
      );
    const tlsOnly = [
      'serverHostname',
      'sslHandshakeTimeout',
      'sslShutdownTimeout',
      'sslStandardCompatible',
      'sslCACertificates',
    ] as const;
    if (!sslOn) {
      for (const k of tlsOnly) {
        if (opts[k] !== undefined && opts[k] !== null) throw new ArgTypeError(`${k} is only meaningful with ssl`);
      }
    }
    if (opts.serverHostname === '')
      throw new ArgRangeError('serverHostname must not be empty: hostname verification is never silently off');
    if (opts.serverHostname !== undefined && opts.serverHostname !== null && typeof opts.serverHostname !== 'string')
      throw new ArgTypeError(`serverHostname must be a string, got ${describe(opts.serverHostname)}`);
    const ca = opts.sslCACertificates ?? null;
    if (ca !== null && (!Array.isArray(ca) || !ca.every((c) => typeof c === 'string')))
      throw new ArgTypeError(`sslCACertificates must be an array of PEM strings, got ${describe(ca)}`);
    const handshakeTimeout = secondsOption('sslHandshakeTimeout', opts.sslHandshakeTimeout, 60);
    const shutdownTimeout = secondsOption('sslShutdownTimeout', opts.sslShutdownTimeout, 30);
    super(
      {
        kind: 'tcp',
        host,
        portNumber: port,
        localAddress,
        connectTimeout,
        maxRecvSize,
        ssl: sslOn ? { serverHostname: opts.serverHostname ?? host, handshakeTimeout, caCertificates: ca } : null,
        sslShutdownTimeout: shutdownTimeout,
        sslStandardCompatible: opts.sslStandardCompatible ?? true,
        family: null,
      },
      sslOn ? (shutdownTimeout ?? 0) : 0,
    );
    this.#protocol = protocol;
    this.maxRecvSize = maxRecvSize;
    this._awaitConnected();
  }

  /** @internal */
  protected _onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'data':
        this._channel.consumed(m.d.byteLength);
        this.#chunks.push(Buffer.from(m.d.buffer, m.d.byteOffset, m.d.byteLength));
        return;
      case 'lost':
        this.#loss = fromRecord(m.err, m.clean ? ConnectionDone : RuntimeError);
        return;
    }
  }

  /** @internal */
  protected override _onWorkerDone(): void {
    if (this.#loss === null) this.#loss = new ConnectionDone('end-of-stream');
  }

  /** {@inheritDoc AbstractNetworkClient.sendPacket} */
  sendPacket(packet: S, opts: { timeout?: number | null } = {}): void {
    const deadline = deadlineOf('timeout', opts?.timeout);
    this._checkUsable();
    if (this.#eofSent) throw new RuntimeError('sendEof() has been called: the write side is closed');
    this._pump();
    if (this.#loss !== null) throw this.#loss;
    if (this._channel.dead !== null) throw this._channel.dead;
    let size = 0;
    const parts: Buffer[] = [];
    for (const chunk of this.#protocol.generateChunks(packet)) {
      if (chunk.length === 0) continue;
      parts.push(chunk);
      size += chunk.length;
    }
    if (size === 0) return;
    const i32 = this._channel.i32;
    while (Atomics.load(i32, W_PENDING_WRITE) > WRITE_HIGH_WATER || Atomics.load(i32, W_WRITE_PAUSED) === 1) {
      this._waitOnce(deadline, opts?.timeout);
      if (this.#loss !== null) throw this.#loss;
      if (this._channel.dead !== null) throw this._channel.dead;
      this._checkUsable();
    }
    // One copy into a buffer this call owns, transferred (not cloned) to the worker.
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    Atomics.add(i32, W_PENDING_WRITE, size);
    this._channel.post({ t: 'write', d: out }, [out.buffer]);
  }

  /**
   * Close the write side once what is queued is written (a TCP
   * half-close); receiving still works. Idempotent; does nothing once the
   * client is closed.
   */
  sendEof(): void {
    if (this.isClosed() || this.#eofSent) return;
    this.#eofSent = true;
    this._channel.post({ t: 'eof' });
  }

  /** {@inheritDoc AbstractNetworkClient.recvPacket} */
  recvPacket(opts: { timeout?: number | null } = {}): R {
    const deadline = deadlineOf('timeout', opts?.timeout);
    this._checkUsable();
    this._pump();
    for (;;) {
      const got = this.#parse();
      if (got !== null) return got[0];
      if (this.#loss !== null) throw this.#endError();
      if (this._channel.dead !== null) throw this._channel.dead;
      this._waitOnce(deadline, opts?.timeout);
      this._checkUsable();
    }
  }

  /** The error for a receive at the end of the stream. */
  #endError(): Error {
    const loss = this.#loss!;
    if (!(loss instanceof ConnectionDone)) return loss;
    if (this.#fed.length > 0 && !this.#eofReported) {
      this.#eofReported = true;
      const partial = Buffer.concat(this.#fed);
      this.#fed = [];
      this.#gen = null;
      return new IncompleteReadError(partial, null);
    }
    return new ConnectionDone('end-of-stream');
  }

  /** Feed buffered chunks to the generator; `[packet]` once one is complete, else null. */
  #parse(): [R] | null {
    if (this.#chunks.length === 0) return null;
    try {
      if (this.#gen === null) {
        const gen = this.#protocol.buildPacketFromChunks();
        const first = gen.next();
        if (first.done) return this.#complete(first.value);
        this.#gen = gen;
      }
      while (this.#chunks.length > 0) {
        const chunk = this.#chunks.shift()!;
        this.#fed.push(chunk);
        const r = this.#gen.next(chunk);
        if (r.done) return this.#complete(r.value);
      }
      return null;
    } catch (err) {
      this.#gen = null;
      this.#fed = [];
      if (err instanceof StreamProtocolParseError) {
        if (err.remainingData.length > 0) this.#chunks.unshift(err.remainingData);
        throw err;
      }
      this._crashed = new RuntimeError('The serializer crashed', { cause: err });
      this._abort();
      throw this._crashed;
    }
  }

  #complete([packet, remainder]: [R, Buffer]): [R] {
    this.#gen = null;
    this.#fed = [];
    if (remainder.length > 0) this.#chunks.unshift(remainder);
    return [packet];
  }
}
