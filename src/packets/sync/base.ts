/**
 * What the blocking TCP and UDP clients share: the worker channel, the
 * closed/crashed state, timeouts in real seconds, the connect handshake,
 * close and addresses.
 * @internal
 * @module
 */
import { performance } from 'node:perf_hooks';

import { IPv4Address, IPv6Address } from '../../address';
import { TimeoutError } from '../../defer/errors';
import {
  ClientClosedError,
  ConnectError,
  ConnectionError,
  ConnectionLost,
  IncompleteReadError,
  RuntimeError,
} from '../../errors';
import { ArgRangeError, ArgTypeError, describe } from '../../validate';
import { WorkerChannel } from './channel';
import { fromRecord } from './errors';
import type { AddressRecord, FromWorker, WorkerInit } from './shared';

/** How long close() waits for a graceful close (beyond the TLS shutdown timeout) before it aborts. */
const CLOSE_GRACE_MS = 2000;
/** How long close() waits for an abort to finish before it drops the worker. */
const ABORT_WAIT_MS = 1000;

/** A `timeout` option: seconds (≥ 0, may be Infinity), or null/undefined for none. Returns the deadline. */
export function deadlineOf(name: string, timeout: unknown): number {
  if (timeout === undefined || timeout === null) return Infinity;
  if (typeof timeout !== 'number' || Number.isNaN(timeout))
    throw new ArgTypeError(`${name} must be a number of seconds or null, got ${describe(timeout)}`);
  if (timeout < 0) throw new ArgRangeError(`${name} must be >= 0 seconds, got ${timeout}`);
  return performance.now() + timeout * 1000;
}

/** An optional seconds option: a positive finite number, or null/undefined for `fallback`. */
export function secondsOption(name: string, value: unknown, fallback: number | null, allowInfinity = false): number | null {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ArgTypeError(`${name} must be a number of seconds or null, got ${describe(value)}`);
  if (value <= 0 || (!allowInfinity && !Number.isFinite(value)))
    throw new ArgRangeError(`${name} must be a positive${allowInfinity ? '' : ' finite'} number of seconds, got ${value}`);
  return value;
}

/** Check an `[host, port]` pair. */
export function checkAddressPair(name: string, value: unknown, allowPortZero: boolean): readonly [string, number] {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'number')
    throw new ArgTypeError(`${name} must be a [host, port] pair, got ${describe(value)}`);
  const [host, port] = value as [string, number];
  if (host === '' && !allowPortZero) throw new ArgRangeError(`${name}'s host must not be empty`);
  if (!Number.isInteger(port) || port < (allowPortZero ? 0 : 1) || port > 65535)
    throw new ArgRangeError(`${name}'s port must be an integer in ${allowPortZero ? 0 : 1}-65535, got ${port}`);
  return [host, port];
}

function toAddress(a: AddressRecord): IPv4Address | IPv6Address {
  return a.family === 'IPv6' ? new IPv6Address(a.type, a.host, a.port) : new IPv4Address(a.type, a.host, a.port);
}

/**
 * The base of the blocking clients (EasyNetwork's
 * `easynetwork.clients.abc.AbstractNetworkClient`): {@link TCPNetworkClient}
 * and {@link UDPNetworkClient}. Every method blocks the calling thread
 * (see the module's documentation for what that costs).
 * @typeParam S - the packets sent.
 * @typeParam R - the packets received.
 */
export abstract class AbstractNetworkClient<S, R> {
  /** @internal */
  protected readonly _channel: WorkerChannel;
  #closed = false;
  #local: IPv4Address | IPv6Address | null = null;
  #remote: IPv4Address | IPv6Address | null = null;
  #fd = -1;
  #connectError: Error | null = null;
  #connected = false;
  #closedAck = false;
  /** @internal Set when a serializer crashed: that and every later call throws it. */
  protected _crashed: Error | null = null;
  readonly #closeWaitMs: number;

  /** @internal */
  protected constructor(init: Omit<WorkerInit, 'sab' | 'port'>, closeWaitSeconds: number) {
    this.#closeWaitMs = closeWaitSeconds * 1000 + CLOSE_GRACE_MS;
    this._channel = new WorkerChannel(init, (m) => this.#dispatch(m));
  }

  /**
   * @internal Block until the worker reports the connection or its failure
   * (the worker enforces connectTimeout). Called by the subclass's
   * constructor once its own fields exist, since messages are dispatched to it.
   */
  protected _awaitConnected(): void {
    for (;;) {
      this._channel.drain();
      if (this.#connected) return;
      if (this.#connectError !== null) {
        this._channel.dispose();
        this.#closed = true;
        throw this.#connectError;
      }
      if (this._channel.wait(Infinity) === 'dead') {
        this._channel.drain();
        if (this.#connected || this.#connectError !== null) continue;
        this._channel.dispose();
        this.#closed = true;
        const dead = this._channel.dead!;
        throw new ConnectError(`Could not connect: ${dead.message}`, { cause: dead });
      }
    }
  }

  #dispatch(m: FromWorker): void {
    switch (m.t) {
      case 'connected':
        this.#connected = true;
        this.#local = toAddress(m.local);
        this.#remote = toAddress(m.remote);
        this.#fd = m.fd;
        return;
      case 'connectFailed':
        this.#connectError = fromRecord(m.err, ConnectError);
        return;
      case 'closed':
        this.#closedAck = true;
        this._onWorkerDone();
        return;
      case 'fatal':
        this._channel.fatal(m.err);
        return;
      default:
        this._onMessage(m);
    }
  }

  /** @internal A message for the subclass (data, loss, refusal). */
  protected abstract _onMessage(m: FromWorker): void;
  /** @internal The worker finished (the connection is gone). */
  protected _onWorkerDone(): void {}

  /** @internal Throw if the client cannot be used any more. */
  protected _checkUsable(): void {
    if (this.#closed) throw new ClientClosedError();
    if (this._crashed !== null) throw this._crashed;
  }

  /** @internal Deliver what the worker posted, without blocking. */
  protected _pump(): void {
    if (this._channel.pending()) this._channel.drain();
  }

  /**
   * @internal Block until something arrives; false at the deadline.
   * @throws the worker's death (a ConnectionLost) once nothing it posted is left.
   */
  protected _waitOnce(deadline: number, timeout: number | null | undefined): void {
    const r = this._channel.wait(deadline);
    if (r === 'timeout') throw new TimeoutError(timeout ?? undefined);
    this._channel.drain();
  }

  /**
   * Send `packet` to the peer. Returns once the bytes are handed to the
   * worker (blocking only while more than 1 MiB waits to be written).
   * @throws ClientClosedError after `close()`; the connection's loss
   * (a `ConnectionError`); `torsion/defer`'s TimeoutError when `timeout`
   * seconds pass while the send waits for room.
   */
  abstract sendPacket(packet: S, opts?: { timeout?: number | null }): void;

  /**
   * Block until the next packet from the peer arrives and return it.
   * @throws ClientClosedError after `close()`; `torsion/defer`'s
   * TimeoutError after `timeout` seconds (nothing is consumed); a parse
   * error of the protocol; the connection's loss.
   */
  abstract recvPacket(opts?: { timeout?: number | null }): R;

  /**
   * Yield packets until the iterator's **one** `timeout` (seconds; default
   * `0`: only what can be parsed from bytes already received; `null`:
   * forever) runs out. Time spent outside the iterator is not counted. Ends
   * quietly when the time is up, the client closes or the connection is
   * lost; a parse error ends it by throwing (a new iterator continues after
   * the bad packet).
   */
  *iterReceivedPackets(opts: { timeout?: number | null } = {}): IterableIterator<R> {
    const t = opts?.timeout === undefined ? 0 : opts.timeout;
    deadlineOf('timeout', t);
    let left = t === null ? Infinity : t;
    for (;;) {
      if (this.#closed) return;
      const t0 = performance.now();
      let packet: R;
      try {
        packet = this.recvPacket({ timeout: left === Infinity ? null : left });
      } catch (err) {
        if (err instanceof TimeoutError || err instanceof ConnectionError || err instanceof IncompleteReadError) return;
        throw err;
      } finally {
        left = Math.max(0, left - (performance.now() - t0) / 1000);
      }
      yield packet;
    }
  }

  /**
   * Whether the client is closed: every later operation raises
   * `ClientClosedError`.
   */
  isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Close the client: the worker flushes what is queued, closes the
   * connection (TLS `close_notify` first, waiting up to
   * `sslShutdownTimeout`) and ends. Blocks until then, but at most 2 s
   * beyond the TLS shutdown timeout: a peer that does not read gets the
   * connection aborted. Every later operation raises `ClientClosedError`.
   * Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fd = -1;
    const ch = this._channel;
    if (ch.dead === null && !this.#closedAck) {
      ch.post({ t: 'close' });
      // Graceful first (flush, close_notify, FIN); a peer that does not read
      // gets an abort after the grace period, so close() is bounded.
      if (!this.#waitClosed(performance.now() + this.#closeWaitMs)) {
        ch.post({ t: 'abort' });
        this.#waitClosed(performance.now() + ABORT_WAIT_MS);
      }
    }
    ch.dispose();
  }

  /** Wait for the worker's 'closed' until `deadline`; whether it came (or the worker died). */
  #waitClosed(deadline: number): boolean {
    const ch = this._channel;
    while (!this.#closedAck && ch.dead === null) {
      if (ch.wait(deadline) === 'timeout') return false;
      ch.drain();
    }
    return true;
  }

  /** `close()`, for `using client = new TCPNetworkClient(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The local address of the socket.
   * @throws ClientClosedError after `close()`.
   */
  getLocalAddress(): IPv4Address | IPv6Address {
    if (this.#closed) throw new ClientClosedError();
    if (this.#local === null) throw new RuntimeError('The client is not connected');
    return this.#local;
  }

  /**
   * The address of the peer.
   * @throws ClientClosedError after `close()`.
   */
  getRemoteAddress(): IPv4Address | IPv6Address {
    if (this.#closed) throw new ClientClosedError();
    if (this.#remote === null) throw new RuntimeError('The client is not connected');
    return this.#remote;
  }

  /**
   * The socket's file descriptor (owned by the client's worker thread), or
   * `-1` once the client or its connection is closed. Read it, do not close it.
   */
  fileno(): number {
    if (this.#closed || this.#closedAck || this._channel.dead !== null) return -1;
    return this.#fd;
  }

  /** @internal Abort the connection at once (after a serializer crash). */
  protected _abort(): void {
    this._channel.post({ t: 'abort' });
  }

  /** @internal A loss to report for a dead worker. */
  protected _deadError(): Error {
    return this._channel.dead ?? new ConnectionLost();
  }

  /** For the specs: kill the worker thread abruptly (no handler of it runs). @internal */
  _terminateWorkerForTesting(): void {
    this._channel.terminateForTesting();
  }

  /** For the specs: make the worker thread throw an uncaught exception. @internal */
  _crashWorkerForTesting(): void {
    this._channel.crashForTesting();
  }
}
