/** A source of data for a consumer. */
export interface IProducer {
  /** Stop producing for good; the consumer is going away. */
  stopProducing(): void;
}

/** A producer that writes whenever it can until paused. */
export interface IPushProducer extends IProducer {
  pauseProducing(): void;
  resumeProducing(): void;
}

/** A producer that writes once each time it is asked. */
export interface IPullProducer extends IProducer {
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
  write(data: Buffer | Uint8Array): void;
}
