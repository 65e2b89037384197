/** A source of data for a consumer. */
export interface IProducer {
  /**
   * Stop producing for good: the consumer is going away (a transport calls
   * it when its connection is lost). Nothing more may be written.
   */
  stopProducing(): void;
}

/**
 * A producer that writes whenever it can until paused (registered with
 * `streaming: true`).
 */
export interface IPushProducer extends IProducer {
  /** The consumer's buffer is full: stop writing until resumeProducing(). */
  pauseProducing(): void;
  /** The consumer's buffer drained: write again. */
  resumeProducing(): void;
}

/**
 * A producer that writes once each time it is asked (registered with
 * `streaming: false`).
 */
export interface IPullProducer extends IProducer {
  /** Write the next piece now (once); the consumer asks again when its buffer drains. */
  resumeProducing(): void;
}

/** Something that accepts data and producers. */
export interface IConsumer {
  /**
   * Register a producer. `streaming` true: a push producer paused and
   * resumed around the buffer's watermarks; false: a pull producer asked
   * for more (resumeProducing) each time the buffer drains.
   * @throws RuntimeError if a producer is already registered.
   */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void;
  /** @throws RuntimeError if no producer is registered (for fakes that check it). */
  unregisterProducer(): void;
  /**
   * Accept `data` (what the producer produces).
   * @throws TypeError unless `data` is a Buffer or Uint8Array.
   */
  write(data: Buffer | Uint8Array): void;
}
