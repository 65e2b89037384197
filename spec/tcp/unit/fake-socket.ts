/**
 * An in-memory {@link TransportSocket} for the transports' unit specs: no
 * handle, no kernel, no timer. It behaves as a net.Socket does for the
 * members the transports use (cork/uncork gather writes, a write's callback
 * runs once its chunk has left, end() sends FIN after everything written,
 * the events reach `owner`), but nothing happens until the spec says so:
 * {@link FakeSocket.drain} hands the queued writes to the "kernel",
 * {@link FakeSocket.receive} / {@link FakeSocket.peerEnd} /
 * {@link FakeSocket.peerError} play the peer.
 */
import { type SocketOwner, type TransportSocket, streamClosed } from '../../../src/tcp/socket';

/** What left the socket, in order: data chunks, our FIN, or a reset. */
export type WireItem = Buffer | 'FIN' | 'RST';

interface Queued {
  data: Buffer;
  cb: ((err?: Error | null) => void) | undefined;
}

/** One socket of a connection, driven by the spec. */
export class FakeSocket implements TransportSocket {
  owner: SocketOwner | null = null;
  recyclable = false;
  destroyed = false;
  readableEnded = false;
  /** What went out, in order (a FIN or RST last). */
  readonly wire: WireItem[] = [];
  /** The chunks of every uncork that wrote something: one array per writev. */
  readonly batches: Buffer[][] = [];
  /** Calls to cork/uncork/end/destroy/resetAndDestroy/pause/resume, in order. */
  readonly calls: string[] = [];
  /** Whether reading is on (resume()d and not pause()d since). */
  reading = false;
  noDelay = false;
  keepAlive = false;
  unrefd = false;
  /** The address getHost() reads. */
  local = { address: '127.0.0.1', port: 4321, family: 'IPv4' };
  #corks = 0;
  #corked: Queued[] = [];
  #queued: Queued[] = [];
  #ended = false;
  #finished = false;

  get writableLength(): number {
    let n = 0;
    for (const q of this.#corked) n += q.data.length;
    for (const q of this.#queued) n += q.data.length;
    return n;
  }
  /** Whether end() was called. */
  get ended(): boolean {
    return this.#ended;
  }
  /** The bytes on the wire so far, concatenated. */
  sent(): Buffer {
    return Buffer.concat(this.wire.filter((w): w is Buffer => typeof w !== 'string'));
  }

  cork(): void {
    this.calls.push('cork');
    this.#corks += 1;
  }
  uncork(): void {
    this.calls.push('uncork');
    if (this.#corks === 0) return;
    this.#corks -= 1;
    if (this.#corks === 0) this.#release();
  }
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean {
    if (this.#ended) throw new Error('write after end');
    const q = { data: Buffer.from(data), cb };
    if (this.#corks > 0) this.#corked.push(q);
    else {
      this.#queued.push(q);
      this.batches.push([q.data]);
    }
    return true;
  }
  end(): unknown {
    this.calls.push('end');
    this.#ended = true;
    return this;
  }
  destroy(): unknown {
    this.calls.push('destroy');
    this.destroyed = true;
    return this;
  }
  resetAndDestroy(): unknown {
    this.calls.push('resetAndDestroy');
    if (!this.destroyed) this.wire.push('RST');
    this.destroyed = true;
    this.#corked = [];
    this.#queued = [];
    return this;
  }
  pause(): unknown {
    this.calls.push('pause');
    this.reading = false;
    return this;
  }
  resume(): unknown {
    this.calls.push('resume');
    this.reading = true;
    return this;
  }
  unref(): unknown {
    this.unrefd = true;
    return this;
  }
  setNoDelay(enabled: boolean): unknown {
    this.noDelay = enabled;
    return this;
  }
  setKeepAlive(enabled: boolean): unknown {
    this.keepAlive = enabled;
    return this;
  }
  address(): { address?: string; port?: number; family?: string } {
    return this.destroyed ? {} : { ...this.local };
  }

  // ---- the spec's side --------------------------------------------------------------

  /**
   * The kernel takes everything uncorked: the chunks go on the wire and
   * their callbacks run, in order (callbacks that write queue more, which
   * the same call drains); then, if end() was called, the FIN goes out
   * and the owner hears `finish`. With `limit`, only that many queued
   * writes (empty ones included) leave.
   */
  drain(limit = Number.POSITIVE_INFINITY): void {
    let n = 0;
    while (this.#queued.length > 0 && !this.destroyed) {
      if (n++ >= limit) return;
      const q = this.#queued.shift() as Queued;
      if (q.data.length > 0) this.wire.push(q.data);
      q.cb?.(null);
    }
    if (this.#ended && !this.#finished && !this.destroyed && this.writableLength === 0) {
      this.#finished = true;
      this.wire.push('FIN');
      this.owner?._onFinish();
    }
  }

  /** The peer sent `data` (delivered only while reading, as a paused handle would hold it). */
  receive(data: string | Buffer): void {
    if (!this.reading) throw new Error('the socket is not reading: the kernel would keep these bytes');
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const target = this.owner === null ? null : this.owner._nextBuffer();
    if (this.owner === null || target === null) return;
    const n = Math.min(buf.length, target.length);
    buf.copy(target, 0, 0, n);
    this.owner._onRead(n, target);
  }
  /**
   * The peer sent FIN. A detached socket (lingering after a graceful close)
   * whose own FIN is out then closes, as a half-open net.Socket does.
   */
  peerEnd(): void {
    this.readableEnded = true;
    if (this.owner !== null) this.owner._onEnd();
    else if (this.#finished) this.close();
  }
  /** The socket failed (e.g. ECONNRESET), then closed, as net.Socket reports it. */
  peerError(err: Error): void {
    this.destroyed = true;
    this.owner?._onError(err);
    this.owner?._onClose();
  }
  /** The handle closed (its last event). */
  close(): void {
    this.destroyed = true;
    this.owner?._onClose();
    streamClosed(this);
  }
  /** The options of every connect() call (client sockets). */
  readonly connects: { host?: string; port?: number; localAddress?: string; localPort?: number }[] = [];
  /** Set to make the next connect() throw synchronously (as Node's validation does). */
  connectThrows: Error | null = null;
  /** net.Socket's connect(options), recorded. */
  connect(options: { host?: string; port?: number; localAddress?: string; localPort?: number }): this {
    if (this.connectThrows !== null) throw this.connectThrows;
    this.connects.push({ ...options });
    return this;
  }
  /** The connect() attempt of a client socket succeeded. */
  connected(): void {
    this.owner?._onConnect();
  }

  #release(): void {
    const batch = this.#corked;
    this.#corked = [];
    if (batch.length === 0) return;
    this.#queued.push(...batch);
    const chunks = batch.map((q) => q.data).filter((d) => d.length > 0);
    if (chunks.length > 0) this.batches.push(chunks);
  }
}
