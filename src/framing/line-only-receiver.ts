/**
 * `LineOnlyReceiver`: lines only, no raw mode (Twisted's
 * `twisted.protocols.basic.LineOnlyReceiver`).
 * @module
 */
import { callProtocolCallback } from '../guard';
import { RuntimeError } from '../errors';
import type { ITCPTransport, ITransport } from '../interfaces/transport';
import { Protocol } from '../protocol/protocol';
import { asBuffer, ByteQueue } from './byte-queue';

const CRLF = Buffer.from('\r\n');

/**
 * A protocol that receives only lines: the lean sibling of
 * {@link LineReceiver} for protocols that never need raw mode, pausing or
 * a "stop" return value.
 *
 * As in Twisted: lines are delivered until `transport.disconnecting` is
 * set; a complete line longer than `MAX_LENGTH` goes to
 * {@link LineOnlyReceiver.lineLengthExceeded} and the other complete lines
 * of that chunk are dropped; an unfinished line that grows past
 * `MAX_LENGTH` (its partial delimiter counted) goes there too.
 *
 * Lines are Buffers you may keep: a view of the received chunk when the
 * line lies inside it, one copy when it spans chunks.
 *
 * @typeParam T - the transport type (default {@link ITCPTransport}).
 */
export class LineOnlyReceiver<T extends ITransport = ITCPTransport> extends Protocol<T> {
  /** The line delimiter. Default CRLF. */
  delimiter: Buffer = CRLF;
  /** The longest line accepted, delimiter not counted. Default 16384. */
  MAX_LENGTH = 16384;

  readonly #buffer = new ByteQueue();
  #busy = false;

  /** Split `data` (appended to the unfinished line) into lines. */
  override dataReceived(data: Buffer): void {
    this.#buffer.push(asBuffer('data', data));
    // A call from inside lineReceived only appends; the outer call delivers it in order.
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#deliver();
    } finally {
      this.#busy = false;
    }
  }

  #deliver(): void {
    const buffer = this.#buffer;
    for (;;) {
      const delimiter = this.delimiter;
      const at = buffer.indexOf(delimiter);
      if (at < 0) break;
      // The transport may have been told to close by an earlier line of the
      // same chunk: the lines after it must be disregarded.
      if (this.transport?.disconnecting) return;
      if (at > this.MAX_LENGTH) {
        const line = buffer.take(at, delimiter.length);
        // Twisted splits the whole chunk first, so the rest of its complete lines go too.
        let next: number;
        while ((next = buffer.indexOf(delimiter)) >= 0) buffer.skip(next + delimiter.length);
        callProtocolCallback(this, 'lineLengthExceeded', this.lineLengthExceeded, line);
        return;
      }
      const line = buffer.take(at, delimiter.length);
      callProtocolCallback(this, 'lineReceived', this.lineReceived, line);
    }
    if (buffer.size > this.MAX_LENGTH) {
      callProtocolCallback(this, 'lineLengthExceeded', this.lineLengthExceeded, buffer.takeAll());
    }
  }

  /** A line arrived, delimiter removed. Override it. @throws RuntimeError when not overridden. */
  lineReceived(_line: Buffer): void {
    throw new RuntimeError(`${this.constructor.name} must override lineReceived()`);
  }

  /** Write `line` followed by the delimiter (as one writeSequence). @throws TypeError unless line is bytes. */
  sendLine(line: Buffer | Uint8Array): void {
    this.transport!.writeSequence([asBuffer('line', line), this.delimiter]);
  }

  /**
   * A line over `MAX_LENGTH` arrived (`line` is that line, without its
   * delimiter), or the unfinished line grew past it (`line` is all of it;
   * it is no longer buffered). Default: lose the connection.
   */
  lineLengthExceeded(_line: Buffer): void {
    this.transport?.loseConnection();
  }
}
