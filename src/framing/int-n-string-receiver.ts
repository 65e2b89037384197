/**
 * Length-prefixed strings: `IntNStringReceiver` and its Int8, Int16 and
 * Int32 flavours (Twisted's `twisted.protocols.basic.IntNStringReceiver`).
 * @module
 */
import { callProtocolCallback } from '../guard';
import { RuntimeError } from '../errors';
import type { ITCPTransport, ITransport } from '../interfaces/transport';
import { asBuffer, ByteQueue } from './byte-queue';
import { PauseableReceiver } from './pauseable';
import { StringTooLongError } from './errors';
import { writeJoined } from './line-receiver';

/**
 * The base of the length-prefixed receivers: each string is sent as its
 * length (an unsigned big-endian integer of `prefixLength` bytes) followed
 * by that many bytes. Use {@link Int8StringReceiver},
 * {@link Int16StringReceiver} or {@link Int32StringReceiver}.
 *
 * A prefix announcing more than `MAX_LENGTH` bytes calls
 * {@link IntNStringReceiver.lengthLimitExceeded} (default: lose the
 * connection) and parsing stops, the data staying buffered. Strings are
 * not delivered while {@link IntNStringReceiver.paused}.
 *
 * Strings are Buffers you may keep: a view of the received chunk when the
 * whole string lies inside it, one copy when it spans chunks. Waiting for
 * a long string costs O(1) per chunk.
 *
 * @typeParam T - the transport type (default {@link ITCPTransport}).
 */
export abstract class IntNStringReceiver<T extends ITransport = ITCPTransport> extends PauseableReceiver<T> {
  /** Bytes in the length prefix (1, 2 or 4). */
  abstract readonly prefixLength: number;
  /** The longest string accepted. Default 99999. */
  MAX_LENGTH = 99999;

  readonly #buffer = new ByteQueue();
  #busy = false;

  /** Split `data` (appended to what is buffered) into strings for stringReceived. */
  override dataReceived(data: Buffer): void {
    this.#buffer.push(asBuffer('data', data));
    // A call from inside stringReceived only appends; the outer call delivers it in order.
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
    const prefixLength = this.prefixLength;
    while (buffer.size >= prefixLength && !this.paused) {
      const length = buffer.readUIntBE(prefixLength);
      if (length > this.MAX_LENGTH) {
        callProtocolCallback(this, 'lengthLimitExceeded', this.lengthLimitExceeded, length);
        return;
      }
      if (buffer.size < prefixLength + length) return;
      buffer.skip(prefixLength);
      callProtocolCallback(this, 'stringReceived', this.stringReceived, buffer.take(length));
    }
  }

  /** A complete string arrived, prefix removed. Override it. @throws RuntimeError when not overridden. */
  stringReceived(_string: Buffer): void {
    throw new RuntimeError(`${this.constructor.name} must override stringReceived()`);
  }

  /**
   * A length prefix over `MAX_LENGTH` arrived (`length` is its value);
   * the data stays buffered and parsing stops. Default: lose the connection.
   */
  lengthLimitExceeded(_length: number): void {
    this.transport?.loseConnection();
  }

  /**
   * Write `string` with its length prefix.
   * @throws StringTooLongError if its length is 2^(8·prefixLength) or more
   * (nothing is written); TypeError unless it is bytes.
   */
  sendString(string: Buffer | Uint8Array): void {
    const data = asBuffer('string', string);
    const prefixLength = this.prefixLength;
    const limit = 2 ** (8 * prefixLength);
    if (data.length >= limit) {
      throw new StringTooLongError(
        `Cannot send ${data.length} bytes with a ${prefixLength}-byte length prefix: the maximum is ${limit - 1}`,
      );
    }
    const prefix = Buffer.allocUnsafe(prefixLength);
    prefix.writeUIntBE(data.length, 0, prefixLength);
    writeJoined(this.transport!, prefix, data);
  }
}

/** Strings prefixed with their length as one byte (at most 255 bytes). */
export class Int8StringReceiver<T extends ITransport = ITCPTransport> extends IntNStringReceiver<T> {
  /** One byte of prefix. */
  readonly prefixLength: number = 1;
}

/** Strings prefixed with their length as 2 bytes, big-endian (at most 65535 bytes). */
export class Int16StringReceiver<T extends ITransport = ITCPTransport> extends IntNStringReceiver<T> {
  /** Two bytes of prefix. */
  readonly prefixLength: number = 2;
}

/** Strings prefixed with their length as 4 bytes, big-endian (network byte order). */
export class Int32StringReceiver<T extends ITransport = ITCPTransport> extends IntNStringReceiver<T> {
  /** Four bytes of prefix. */
  readonly prefixLength: number = 4;
}
