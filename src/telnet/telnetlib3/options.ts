/**
 * The writer's option tables (telnetlib3's `Option` dicts and
 * `pending_option`), as read-only views.
 * @module
 */

/**
 * What one side of the connection agreed to, by option byte
 * (`writer.localOption`: what we do, `writer.remoteOption`: what the peer does).
 */
export interface OptionTable {
  /** true/false once negotiated (agreed/refused), undefined when never negotiated. */
  get(option: number): boolean | undefined;
  /** Whether the option is on. */
  enabled(option: number): boolean;
}

/**
 * The requests sent and not yet answered, by command and option:
 * `has(DO, BINARY)` while our `DO BINARY` awaits its answer, `has(SB,
 * TTYPE)` while our `SB TTYPE SEND` does.
 */
export interface PendingOptions {
  /** Whether `command option` awaits an answer. */
  has(command: number, option: number): boolean;
  /** How many requests await an answer. */
  readonly size: number;
}

/** A Map-backed {@link OptionTable}. @internal */
export class OptionTableImpl implements OptionTable {
  readonly #map = new Map<number, boolean>();
  /** {@inheritDoc OptionTable.get} */
  get(option: number): boolean | undefined {
    return this.#map.get(option);
  }
  /** {@inheritDoc OptionTable.enabled} */
  enabled(option: number): boolean {
    return this.#map.get(option) === true;
  }
  /** Record the outcome of a negotiation. */
  set(option: number, on: boolean): void {
    this.#map.set(option, on);
  }
  /** Every negotiated option, with its state. */
  entries(): IterableIterator<[number, boolean]> {
    return this.#map.entries();
  }
  /** The options that are on, for log lines. */
  toString(): string {
    return [...this.#map]
      .filter(([, v]) => v)
      .map(([k]) => String(k))
      .join(',');
  }
}

/** A {@link PendingOptions} computed by a function. @internal */
export class PendingOptionsImpl implements PendingOptions {
  constructor(private readonly list: () => Array<[number, number]>) {}
  /** {@inheritDoc PendingOptions.has} */
  has(command: number, option: number): boolean {
    return this.list().some(([c, o]) => c === command && o === option);
  }
  /** {@inheritDoc PendingOptions.size} */
  get size(): number {
    return this.list().length;
  }
  /** Every pending `[command, option]`. */
  entries(): Array<[number, number]> {
    return this.list();
  }
}
