/**
 * `LineReceiver`: lines and raw data, switchable (Twisted's
 * `twisted.protocols.basic.LineReceiver`).
 * @module
 */
import { callProtocolCallback } from '../guard';
import { RuntimeError } from '../errors';
import type { ITCPTransport, ITransport } from '../interfaces/transport';
import { asBuffer, ByteQueue } from './byte-queue';
import { PauseableReceiver } from './pauseable';

const CRLF = Buffer.from('\r\n');

/**
 * Write `head` followed by `tail` as one write when small (one syscall-sized
 * buffer is cheapest), or as a sequence when large (so `head` is not copied).
 * @internal
 */
export function writeJoined(transport: ITransport, head: Uint8Array, tail: Uint8Array): void {
  const n = head.length + tail.length;
  if (n <= 4096) {
    const out = Buffer.allocUnsafe(n);
    out.set(head, 0);
    out.set(tail, head.length);
    transport.write(out);
  } else {
    transport.writeSequence([head, tail]);
  }
}

/**
 * A protocol that receives lines and/or raw data, depending on its mode.
 *
 * In line mode (the start), each line — the bytes before a
 * {@link LineReceiver.delimiter}, delimiter removed — goes to
 * {@link LineReceiver.lineReceived}; after {@link LineReceiver.setRawMode}
 * everything goes to {@link LineReceiver.rawDataReceived} until
 * {@link LineReceiver.setLineMode}. Suited to IRC, HTTP, SMTP, POP, ...
 *
 * Delivery stops for the rest of a `dataReceived` call (the bytes stay
 * buffered) when `lineReceived` or `rawDataReceived` returns a truthy value
 * (which `dataReceived` then returns), when `transport.disconnecting` is set
 * after a line, and while the receiver is {@link LineReceiver.paused}.
 * `dataReceived` called again from inside one of these callbacks only
 * appends to the buffer; the outer call delivers it.
 *
 * Lines and raw chunks are Buffers you may keep. A line that lies inside one
 * received chunk is a view of it (no copy); a line spanning chunks is copied
 * once, when complete. The search for the delimiter never re-reads bytes it
 * has already searched, so a long line in tiny chunks costs linear time.
 *
 * The receiver is itself a push producer: `pauseProducing` stops delivery
 * (and pauses the transport), `resumeProducing` delivers what is buffered.
 *
 * @typeParam T - the transport type (default {@link ITCPTransport}).
 * @example
 * ```ts
 * class Echo extends LineReceiver {
 *   override lineReceived(line: Buffer): void {
 *     this.sendLine(line);
 *   }
 * }
 * ```
 */
export class LineReceiver<T extends ITransport = ITCPTransport> extends PauseableReceiver<T> {
  /** The line delimiter (Twisted's class attribute). Default CRLF. May be changed between lines. */
  delimiter: Buffer = CRLF;
  /** The longest line accepted, delimiter not counted. Default 16384. */
  MAX_LENGTH = 16384;

  readonly #buffer = new ByteQueue();
  #lineMode = true;
  #busy = false;

  /** True in line mode, false in raw mode (Twisted's `line_mode`). */
  get lineMode(): boolean {
    return this.#lineMode;
  }

  /**
   * Split `data` (appended to what is buffered) into lines, or pass it on
   * raw, depending on the mode.
   * @returns the truthy value a callback returned to stop delivery, else undefined.
   */
  override dataReceived(data: Buffer): unknown {
    this.#buffer.push(asBuffer('data', data));
    if (this.#busy) return undefined;
    this.#busy = true;
    try {
      return this.#deliver();
    } finally {
      this.#busy = false;
    }
  }

  #deliver(): unknown {
    const buffer = this.#buffer;
    while (buffer.size > 0 && !this.paused) {
      if (this.#lineMode) {
        const delimiter = this.delimiter;
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          // Allow a full-length line whose delimiter has only partly arrived.
          if (buffer.size >= this.MAX_LENGTH + delimiter.length) {
            return callProtocolCallback(this, 'lineLengthExceeded', this.lineLengthExceeded, buffer.takeAll());
          }
          return undefined;
        }
        if (at > this.MAX_LENGTH) {
          // Twisted passes line + delimiter + rest: the whole buffer.
          return callProtocolCallback(this, 'lineLengthExceeded', this.lineLengthExceeded, buffer.takeAll());
        }
        const line = buffer.take(at, delimiter.length);
        const why = callProtocolCallback(this, 'lineReceived', this.lineReceived, line);
        if (why || this.transport?.disconnecting) return why;
      } else {
        const why = callProtocolCallback(this, 'rawDataReceived', this.rawDataReceived, buffer.takeAll());
        if (why) return why;
      }
    }
    return undefined;
  }

  /**
   * Remove and return everything buffered (may be called from a callback:
   * the rest of the current chunk is then not delivered).
   */
  clearLineBuffer(): Buffer {
    return this.#buffer.takeAll();
  }

  /**
   * Switch to line mode. From `rawDataReceived`, pass the bytes you did not
   * consume as `extra`: they are parsed for lines. Do not pass `extra` from
   * `lineReceived` (the rest of the buffer would come after it).
   * @returns what dataReceived returns for `extra`.
   */
  setLineMode(extra?: Buffer | Uint8Array): unknown {
    this.#lineMode = true;
    if (extra !== undefined && extra.length > 0) return this.dataReceived(asBuffer('extra', extra));
    return undefined;
  }

  /** Switch to raw mode: further bytes go to rawDataReceived. */
  setRawMode(): void {
    this.#lineMode = false;
  }

  /**
   * A chunk of raw data (raw mode). Override it; return a truthy value to
   * stop delivery. @throws RuntimeError when not overridden.
   */
  rawDataReceived(_data: Buffer): unknown {
    throw new RuntimeError(`${this.constructor.name} must override rawDataReceived() to use raw mode`);
  }

  /**
   * A line arrived, delimiter removed. Override it; return a truthy value
   * to stop delivery. @throws RuntimeError when not overridden.
   */
  lineReceived(_line: Buffer): unknown {
    throw new RuntimeError(`${this.constructor.name} must override lineReceived()`);
  }

  /** Write `line` followed by the delimiter. @throws TypeError unless line is bytes. */
  sendLine(line: Buffer | Uint8Array): void {
    writeJoined(this.transport!, asBuffer('line', line), this.delimiter);
  }

  /**
   * The line limit was passed. `line` is what was buffered, starting with
   * (part of) the long line: with no delimiter in sight and at least
   * `MAX_LENGTH + delimiter.length` bytes, the whole buffer; for a complete
   * line over `MAX_LENGTH`, that line, its delimiter and everything after.
   * The buffer is empty when this runs. Default: lose the connection.
   */
  lineLengthExceeded(_line: Buffer): unknown {
    return this.transport?.loseConnection();
  }
}
