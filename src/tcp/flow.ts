/**
 * Write flow control of a transport, kept apart so that a connection that
 * never needs it (most idle ones) carries no state for it: asyncio's
 * watermarks with pauseWriting/resumeWriting, and Twisted's producers.
 * @module
 */
import { RuntimeError } from '../errors';
import { FAILED, type GuardOwner, guardCall, guardResult } from '../guard';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IProtocol } from '../interfaces/protocol';
import { checkCount, describe, ArgRangeError } from '../validate';

/** asyncio's default high-water mark (bytes); the low one defaults to a quarter. */
export const DEFAULT_HIGH_WATER = 64 * 1024;

/** What the flow state needs from its transport. @internal */
export interface FlowOwner extends GuardOwner {
  readonly protocol: IProtocol | null;
  readonly disconnected: boolean;
  getWriteBufferSize(): number;
  /** A drain resumed a paused streaming producer (a pending close may proceed). */
  _afterDrain(): void;
}

type Hooks = IProtocol & { pauseWriting?: () => void; resumeWriting?: () => void };

/**
 * Watermarks, pause state and the registered producer of one transport.
 * @internal
 */
export class WriteFlow {
  high = DEFAULT_HIGH_WATER;
  low = DEFAULT_HIGH_WATER / 4;
  producer: IPushProducer | IPullProducer | null = null;
  streaming = false;
  /** pauseWriting() was called and resumeWriting() not yet. */
  protocolPaused = false;
  /** We paused the streaming producer. */
  producerPaused = false;
  /** We asked the pull producer for data and it has not written yet. */
  pullRequested = false;
  /** The callback of the end-of-batch marker write (created once). */
  readonly onWriteDone: (err?: Error | null) => void;
  readonly #owner: FlowOwner;

  constructor(owner: FlowOwner) {
    this.#owner = owner;
    this.onWriteDone = (err) => {
      if (!err) this.drained();
    };
  }

  /** Validate and set the limits (asyncio's defaults and checks). */
  setLimits(high?: number, low?: number): void {
    if (high !== undefined) checkCount('high', high);
    if (low !== undefined) checkCount('low', low);
    const h = high ?? (low === undefined ? DEFAULT_HIGH_WATER : 4 * low);
    const l = low ?? Math.floor(h / 4);
    if (!(h >= l && l >= 0)) throw new ArgRangeError(`high (${h}) must be >= low (${l}) must be >= 0`);
    this.high = h;
    this.low = l;
  }

  /** Whether the next batch needs a drain check when it has left. */
  get watching(): boolean {
    return this.protocolPaused || this.producerPaused || (this.producer !== null && !this.streaming);
  }

  /** Twisted's registerProducer (the transport checked the disconnected case). */
  register(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) {
      throw new RuntimeError(
        `Cannot register producer ${describe(producer)}, because producer ${describe(this.producer)} was never unregistered`,
      );
    }
    this.producer = producer;
    this.streaming = Boolean(streaming);
    this.producerPaused = false;
    if (!this.streaming) {
      this.pullRequested = true;
      // A throw reaches the registerProducer caller (as in Twisted); a rejection goes to the guard.
      const r: unknown = producer.resumeProducing();
      if (r !== undefined) guardResult(this.#owner, 'resumeProducing', r);
    }
  }

  /** Forget the producer. */
  unregister(): void {
    this.producer = null;
    this.producerPaused = false;
    this.pullRequested = false;
  }

  /** The buffer went strictly over `high`: pause the protocol and a streaming producer. */
  overHigh(): void {
    const owner = this.#owner;
    if (!this.protocolPaused) {
      this.protocolPaused = true;
      const protocol = owner.protocol as Hooks | null;
      if (protocol !== null && typeof protocol.pauseWriting === 'function') {
        if (guardCall(owner, 'pauseWriting', protocol.pauseWriting, protocol) === FAILED) return;
      }
    }
    const producer = this.producer;
    if (producer !== null && this.streaming && !this.producerPaused) {
      this.producerPaused = true;
      guardCall(owner, 'pauseProducing', (producer as IPushProducer).pauseProducing, producer);
    }
  }

  /** A watched batch has left: resume what is paused once at or below `low`. */
  drained(): void {
    const owner = this.#owner;
    if (owner.disconnected || owner.getWriteBufferSize() > this.low) return;
    if (this.protocolPaused) {
      this.protocolPaused = false;
      const protocol = owner.protocol as Hooks | null;
      if (protocol !== null && typeof protocol.resumeWriting === 'function') {
        if (guardCall(owner, 'resumeWriting', protocol.resumeWriting, protocol) === FAILED) return;
      }
    }
    const producer = this.producer;
    if (producer === null || owner.disconnected) return;
    if (this.streaming ? this.producerPaused : !this.pullRequested) {
      this.producerPaused = false;
      this.pullRequested = !this.streaming;
      if (guardCall(owner, 'resumeProducing', producer.resumeProducing, producer) === FAILED) return;
      if (this.streaming) owner._afterDrain();
    }
  }
}
